"""Proves that `build-support/changed-images.sh` selects exactly the images a change affects.

Runs Pants for real on a temporary git repository: a copy of this repo's tracked files plus two
lib modules no real component imports, `mlops.probe_a` and `mlops.probe_b` (which imports
probe_a), and two small components, `alpha` (imports probe_a) and `beta` (imports probe_b). So a
lib change has known direct and transitive dependents and known non-dependents, whatever the real
components import. Each scenario edits the working tree and compares the selection with the
expected set.

It runs Pants inside Pants' own sandbox poorly, so it is run directly (see .ci/run):
    python3 build-support/tests/test_incremental_selection.py
"""

from __future__ import annotations

import subprocess
import sys
import time
import unittest
from pathlib import Path

from temporary_repo import REPO, commit, copy_of_repo, git, remove  # pants: no-infer-dep

# Every image: the base, the two components added here and every real component (a folder whose
# BUILD file declares it with the `vertex_component` macro).
ALL_IMAGES = {"images/base:base", "components/alpha:image", "components/beta:image"} | {
    f"components/{folder.name}:image"
    for folder in (REPO / "components").iterdir()
    if "vertex_component(" in ((folder / "BUILD").read_text() if (folder / "BUILD").exists() else "")
}

MINI_COMPONENT = {
    "BUILD": "vertex_component()\n",
    "{name}/__init__.py": "",
}


class IncrementalSelectionTest(unittest.TestCase):
    repo: Path

    @classmethod
    def setUpClass(cls) -> None:
        cls.repo = copy_of_repo("incremental-selection-")
        # probe_a uses a locked requirement, so a lockfile change reaches alpha and beta too.
        (cls.repo / "libs/mlops/probe_a.py").write_text("import yaml\n\nNAME = yaml.safe_load('a')\n")
        (cls.repo / "libs/mlops/probe_b.py").write_text("from mlops.probe_a import NAME\n\nNAMES = [NAME, 'b']\n")
        cls._add_component("alpha", "from mlops.probe_a import NAME\n\n\ndef main():\n    print(NAME)\n")
        cls._add_component("beta", "from mlops.probe_b import NAMES\n\n\ndef main():\n    print(NAMES)\n")
        git(cls.repo, "add", "-A")
        commit(cls.repo, "probes")

    @classmethod
    def tearDownClass(cls) -> None:
        remove(cls.repo)

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

    def test_a_lib_change_selects_exactly_its_direct_and_transitive_dependents(self) -> None:
        self.append("libs/mlops/probe_a.py", "\n# a change\n")
        self.assertEqual(self.selected(), {"components/alpha:image", "components/beta:image"})

    def test_another_lib_module_selects_only_its_dependents(self) -> None:
        self.append("libs/mlops/probe_b.py", "\n# a change\n")
        self.assertEqual(self.selected(), {"components/beta:image"})

    def test_a_shared_lib_module_selects_the_real_components_that_use_it(self) -> None:
        self.append("libs/mlops/storage.py", "\n# a change\n")
        selected = self.selected()
        self.assertIn("components/ingest:image", selected)  # ingest writes its splits through mlops.storage
        self.assertFalse(selected & {"components/alpha:image", "components/beta:image"})

    def test_a_base_image_change_selects_every_image(self) -> None:
        self.append("images/base/Dockerfile", "\nLABEL a.change=1\n")
        self.assertEqual(self.selected(), ALL_IMAGES)

    def test_a_lockfile_change_selects_all_images(self) -> None:
        self.append("3rdparty/python/default.lock", "\n")
        self.assertEqual(self.selected(), ALL_IMAGES)

    def test_a_docs_only_change_selects_none(self) -> None:
        self.append("README.md", "\nMore words.\n")
        self.append("docs/architecture.md", "\nMore words.\n")
        self.assertEqual(self.selected(), set())


if __name__ == "__main__":
    unittest.main(verbosity=2)
