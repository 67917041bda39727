"""Write a new component folder from a template, with tests that pass as written.

    ./pants run build-support:new-component -- NAME [--kind dataset]

The component is `components/NAME/`: its package `NAME/` (logic in core.py, the KFP wrapper in
component.py, a CLI), its tests, and a BUILD file whose `vertex_component()` gives it its PEX,
image and test targets. Nothing outside the folder changes; to use the step, add it to a pipeline.
Kinds (templates under build-support/scaffold/templates/):
  dataset: a Parquet dataset in, a Parquet dataset out, through a DuckDB query in sql/select.sql
           (like ingest, validate, features).
  model:   a model bundle and a labelled dataset in, metrics and a JSON result out, scored with
           mlops.scoring (like evaluate, champion/challenger): LightGBM in its tests, the Metrics file
           written so kfp.local can cache it.
"""

from __future__ import annotations

import argparse
import importlib.resources
import keyword
import os
import re
import shutil
import sys
import tempfile
from importlib.resources.abc import Traversable
from pathlib import Path

KINDS = ("dataset", "model")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,29}$")  # at most 30 characters: the templates fit 120 columns


class ScaffoldError(Exception):
    """The component cannot be written; the message says why and what to do."""


def repo_root(start: Path) -> Path:
    """The nearest folder at or above `start` that holds pants.toml."""
    for folder in (start, *start.parents):
        if (folder / "pants.toml").is_file():
            return folder
    raise ScaffoldError(f"no pants.toml at or above {start}: run this from inside the repository")


def check_name(name: str, root: Path) -> None:
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise ScaffoldError(
            f"component name {name!r} must be a Python package name of at most 30 characters: lowercase "
            "letters, digits and _, starting with a letter (e.g. permutation_importance)"
        )
    taken = {path.name for path in root.glob("*/*") if path.is_dir()} | {"mlops", "mlops_cli", "tests"}
    if (root / "components" / name).exists() or name in taken:
        raise ScaffoldError(f"{name!r} is taken: components/{name} or another top-level package has that name")
    if name in sys.stdlib_module_names:
        raise ScaffoldError(f"{name!r} is a standard-library module; a package of that name would shadow it")


def render(text: str, name: str) -> str:
    camel = "".join(part.capitalize() for part in name.split("_"))
    return _sort_from_imports(text.replace("{{name}}", name).replace("{{Name}}", camel))


_FROM_IMPORT = re.compile(r"^(\s*)from (\S+) import ")


def _sort_from_imports(text: str) -> str:
    """Sort each run of one-line `from X import ...` statements by module, as ruff's isort does: the
    new package sits among the project's own imports wherever its name falls alphabetically."""
    lines, start = text.split("\n"), 0
    while start < len(lines):
        first = _FROM_IMPORT.match(lines[start])
        end = start + 1
        while first and end < len(lines) and (line := _FROM_IMPORT.match(lines[end])) and line[1] == first[1]:
            end += 1
        if end - start > 1:
            lines[start:end] = sorted(lines[start:end], key=lambda text: _module(text).lower())
        start = end
    return "\n".join(lines)


def _module(line: str) -> str:
    match = _FROM_IMPORT.match(line)
    return match[2] if match else ""


def _files(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        relative = f"{prefix}{entry.name}"
        found.extend(_files(entry, f"{relative}/") if entry.is_dir() else [(relative, entry)])
    return found


def write_component(name: str, kind: str, root: Path) -> list[Path]:
    """Render the `kind` template into components/NAME; returns the files written.

    Written to a temporary folder first and moved into place at the end, so a failure leaves nothing
    half-written behind.
    """
    check_name(name, root)
    template = importlib.resources.files("scaffold").joinpath("templates", kind)
    target = root / "components" / name
    staging = Path(tempfile.mkdtemp(prefix=f".new-{name}-", dir=root / "components"))
    try:
        for relative, source in _files(template):
            path = staging / render(relative.removesuffix(".tmpl"), name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(source.read_text(encoding="utf-8"), name), encoding="utf-8")
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(path for path in target.rglob("*") if path.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="new-component", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("name", help="the component and package name, e.g. permutation_importance")
    parser.add_argument("--kind", choices=KINDS, default="dataset", help="which template (default: dataset)")
    args = parser.parse_args(argv)
    try:
        root = repo_root(Path.cwd())
        written = write_component(args.name, args.kind, root)
    except ScaffoldError as error:
        print(f"new-component: error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(path.relative_to(root))
    print(
        f"\nnew-component: wrote components/{args.name} ({len(written)} files). Next:\n"
        f"  ./pants test components/{args.name}::          # its tests pass as written\n"
        f"  ./pants package components/{args.name}:image   # its image\n"
        f"  add it to a pipeline: `from {args.name}.component import build_component`",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
