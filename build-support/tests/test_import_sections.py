"""Checks ruff's import sections: every third-party module the code imports is listed in ruff.toml.

ruff.toml makes an import third-party only if its top-level module is in `known-third-party`, so
that the project's own packages (a new component or pipeline included) are first-party with no
list to keep. The price: a new requirement's modules must be added there, or ruff would sort them
with the project's own. This finds any that are missing. Run directly (see .ci/run):
    python3 build-support/tests/test_import_sections.py
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def tracked_python_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z", "*.py"], cwd=REPO, check=True, capture_output=True, text=True)
    return [REPO / name for name in listed.stdout.split("\0") if name and "/macros/" not in name]


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def own_modules(files: list[Path]) -> set[str]:
    """Every module or package name the repository itself defines (a folder of .py files or a .py file)."""
    return {path.stem for path in files} | {folder.name for path in files for folder in path.parents}


class ImportSectionsTest(unittest.TestCase):
    def test_every_third_party_import_is_listed_in_ruff_toml(self) -> None:
        files = tracked_python_files()
        listed = set(tomllib.loads((REPO / "ruff.toml").read_text())["lint"]["isort"]["known-third-party"])
        imported = set().union(*(imported_modules(path) for path in files))
        third_party = imported - sys.stdlib_module_names - own_modules(files)
        missing = sorted(third_party - listed)
        self.assertEqual(missing, [], f"add these to known-third-party in ruff.toml: {missing}")
        unused = sorted(listed - imported)
        self.assertEqual(unused, [], f"ruff.toml lists modules nothing imports: {unused}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
