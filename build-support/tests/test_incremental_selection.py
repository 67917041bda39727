"""Proves that `build-support/changed-images.sh` selects exactly the images a change affects.

Runs Pants for real on a temporary git repository: a copy of this repo's tracked files plus two
small components, `alpha` (imports mlops.config) and `beta` (imports mlops.storage), so that a
lib change has dependents and non-dependents. The real `ingest` imports mlops.storage and
mlops.logs. Each scenario edits the working tree and compares the selection with the expected set.

It runs Pants inside Pants' own sandbox poorly, so it is run directly (see .ci/run):
    python3 build-support/tests/test_incremental_selection.py
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ALL_IMAGES = {"components/alpha:image", "components/beta:image", "components/ingest:image"}

MINI_COMPONENT = {
    "BUILD": 'python_sources(name="lib", sources=["{name}/*.py"])\n'
    'pex_binary(name="pex", entry_point="{name}.app:main")\n'
    'docker_image(name="image", image_tags=["{{pants.hash}}"])\n',
    "Dockerfile": "FROM python:3.11-slim\nCOPY components.{name}/pex.pex /app.pex\n",
    "{name}/__init__.py": "",
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


class IncrementalSelectionTest(unittest.TestCase):
    repo: Path

    @classmethod
    def setUpClass(cls) -> None:
        cls.repo = Path(tempfile.mkdtemp(prefix="incremental-selection-"))
        for relative in git(REPO, "ls-files", "-z").split("\0"):
            if relative and (REPO / relative).is_file():
                (cls.repo / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / relative, cls.repo / relative)
        cls._add_component("alpha", "from mlops.config import ENVIRONMENTS\n\n\ndef main():\n    print(ENVIRONMENTS)\n")
        cls._add_component("beta", "from mlops.storage import join\n\n\ndef main():\n    print(join('a', 'b'))\n")
        git(cls.repo, "init", "-q", "-b", "main")
        git(cls.repo, "add", "-A")
        git(cls.repo, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-qm", "base")

    @classmethod
    def tearDownClass(cls) -> None:
        # pantsd keeps the scenarios after the first one fast; stop it with the temporary repo.
        for pid_file in cls.repo.glob(".pids/*/pantsd/pid"):
            with contextlib.suppress(ValueError, OSError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        shutil.rmtree(cls.repo, ignore_errors=True)

    @classmethod
    def _add_component(cls, name: str, app: str) -> None:
        folder = cls.repo / "components" / name
        for template, text in {**MINI_COMPONENT, "{name}/app.py": app}.items():
            path = folder / template.format(name=name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.format(name=name))

    def tearDown(self) -> None:
        git(self.repo, "checkout", "-q", "--", ".")

    def selected(self) -> set[str]:
        started = time.perf_counter()
        result = subprocess.run(
            ["build-support/changed-images.sh", "list", "HEAD"],
            cwd=self.repo,
            capture_output=True,
            text=True,
        )
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        print(f"  [{self._testMethodName}: selection took {time.perf_counter() - started:.1f}s]", file=sys.stderr)
        return set(result.stdout.split())

    def append(self, relative: str, text: str) -> None:
        with open(self.repo / relative, "a", encoding="utf-8") as stream:
            stream.write(text)

    def test_a_component_change_selects_only_that_image(self) -> None:
        self.append("components/ingest/ingest/core.py", "\n# a change\n")
        self.assertEqual(self.selected(), {"components/ingest:image"})

    def test_a_lib_change_selects_exactly_its_dependents(self) -> None:
        self.append("libs/mlops/storage.py", "\n# a change\n")
        self.assertEqual(self.selected(), {"components/beta:image", "components/ingest:image"})

    def test_another_lib_module_selects_other_dependents(self) -> None:
        self.append("libs/mlops/config.py", "\n# a change\n")
        self.assertEqual(self.selected(), {"components/alpha:image"})

    def test_a_lockfile_change_selects_all_images(self) -> None:
        self.append("3rdparty/python/default.lock", "\n")
        self.assertEqual(self.selected(), ALL_IMAGES)

    def test_a_docs_only_change_selects_none(self) -> None:
        self.append("README.md", "\nMore words.\n")
        self.assertEqual(self.selected(), set())


if __name__ == "__main__":
    unittest.main(verbosity=2)
