"""Proves that adding a component is one folder: the scaffold writes it, its tests pass as written,
its image builds, the build files stay tidy, and nothing outside the folder changes.

Runs Pants for real on a temporary copy of this repository (see temporary_repo.py), so .ci/run runs
it directly:
    python3 build-support/tests/test_new_component.py           # add --with-image to build and test the image
"""

from __future__ import annotations

import subprocess
import sys
import time
import unittest
from pathlib import Path

from temporary_repo import copy_of_repo, git, remove  # pants: no-infer-dep

NAMES = {"dataset": "ci_probe_dataset_step", "model": "ci_probe_model_step"}  # one component of each kind
WITH_IMAGE = "--with-image" in sys.argv


class NewComponentTest(unittest.TestCase):
    repo: Path

    @classmethod
    def setUpClass(cls) -> None:
        cls.repo = copy_of_repo("new-component-")

    @classmethod
    def tearDownClass(cls) -> None:
        remove(cls.repo)

    def pants(self, *args: str) -> str:
        started = time.perf_counter()
        result = subprocess.run(["./pants", *args], cwd=self.repo, capture_output=True, text=True)
        print(f"  [./pants {' '.join(args)}: {time.perf_counter() - started:.1f}s]", file=sys.stderr)
        output = result.stdout[-3000:] + result.stderr[-3000:]
        self.assertEqual(result.returncode, 0, f"./pants {' '.join(args)}:\n{output}")
        return result.stdout + result.stderr

    def scaffold(self, name: str) -> subprocess.CompletedProcess[str]:
        command = ["./pants", "run", "build-support:new-component", "--", name]
        return subprocess.run(command, cwd=self.repo, capture_output=True, text=True)

    def test_a_new_component_is_one_folder_whose_tests_pass(self) -> None:
        for kind, name in NAMES.items():
            self.pants("run", "build-support:new-component", "--", name, "--kind", kind)
        folders = tuple(f"components/{name}/" for name in NAMES.values())
        paths = [line[3:] for line in git(self.repo, "status", "--porcelain", "--untracked-files=all").splitlines()]
        outside = [path for path in paths if not path.startswith(folders)]
        print(f"  [scaffold: {len(paths)} files in {', '.join(folders)}; {len(outside)} outside]", file=sys.stderr)
        self.assertEqual(outside, [], "the scaffold changed files outside the components' folders")
        self.assertGreaterEqual(len(paths), 2 * 8)

        targets = [f"components/{name}::" for name in NAMES.values()]
        self.pants("tailor", "--check", "update-build-files", "--check", "::")
        self.pants("lint", *targets)
        self.pants("check", *targets)
        tests = [] if WITH_IMAGE else ["--tag=-docker"]  # with a Docker engine: the image tests too
        output = self.pants(*tests, "test", *targets)
        self.assertNotIn("✕", output)
        for name in NAMES.values():
            self.assertIn(f"components/{name}/tests/", output)
        # Still nothing outside the folders after building, linting and testing them.
        after = git(self.repo, "status", "--porcelain", "--untracked-files=all").splitlines()
        self.assertEqual([line for line in after if not line[3:].startswith(folders)], [])

    def test_a_bad_name_is_refused_and_writes_nothing(self) -> None:
        result = self.scaffold("Bad-Name")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("must be a Python package name", result.stderr)
        self.assertFalse((self.repo / "components" / "Bad-Name").exists())
        result = self.scaffold("ingest")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("'ingest' is taken", result.stderr)


if __name__ == "__main__":
    unittest.main(argv=[arg for arg in sys.argv if arg != "--with-image"], verbosity=2)
