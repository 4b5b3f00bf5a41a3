"""Execute the course's notebooks headless with papermill, and build the book.

    python tools/run_notebooks.py --book        # what `make book` runs
    python tools/run_notebooks.py --in-place    # refresh the committed outputs
    python tools/run_notebooks.py --in-place notebooks/02_build_mobilenet.ipynb

``--book`` executes every notebook of the table of contents with its default
parameters into ``_build/src/notebooks/``, next to a copy of the book's
sources, and builds the book from there with warnings as errors. The git tree
is left as it was; the book is written to ``_build/html``.

``--in-place`` writes the executed notebooks back over ``notebooks/``
(papermill's timing metadata removed, so a diff shows only what changed).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import papermill
import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"


def toc_files() -> list[str]:
    """Every page of _toc.yml (root first), as paths without suffix, in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("chapters", []) + entry.get("sections", []))

    walk(toc.get("parts", []) + toc.get("chapters", []))
    return files


def toc_notebooks() -> list[Path]:
    """Notebooks listed in _toc.yml, in reading order."""
    return [ROOT / f"{f}.ipynb" for f in toc_files() if (ROOT / f"{f}.ipynb").exists()]


def strip_run_metadata(path: Path) -> None:
    """Remove papermill's per-run metadata (timings, status) from a notebook.

    Papermill also gives every cell an empty ``tags`` list. Those are removed
    too: jupytext would otherwise let an empty list in the notebook override
    the tags written in its ``.py`` twin at the next ``--sync``.
    """
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
    nbformat.write(nb, path)


def execute(notebook: Path, output: Path) -> float:
    """Run one notebook top to bottom with its default parameters; return seconds."""
    start = time.perf_counter()
    output.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        str(notebook),
        str(output),
        cwd=str(notebook.parent),
        kernel_name="python3",
        progress_bar=False,
    )
    strip_run_metadata(output)
    return time.perf_counter() - start


def build_book(source: Path) -> None:
    """Build the book from ``source`` into ``_build/html``, warnings as errors."""
    subprocess.run(
        [
            str(Path(sys.executable).with_name("jupyter-book")),
            "build",
            str(source),
            "--path-output",
            str(ROOT),
            "-W",
            "-n",
            "--keep-going",
        ],
        check=True,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--book", action="store_true", help="execute into _build/src and build the book")
    mode.add_argument("--in-place", action="store_true", help="execute and overwrite notebooks/")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in _toc.yml")
    args = parser.parse_args(argv)

    notebooks = [p.resolve() for p in args.notebooks] or toc_notebooks()
    total = time.perf_counter()
    if args.book:
        source = BUILD / "src"
        shutil.rmtree(source, ignore_errors=True)
        shutil.copytree(ROOT / "book", source / "book")
        for name in ("_config.yml", "_toc.yml"):
            shutil.copy2(ROOT / name, source / name)
    for i, notebook in enumerate(notebooks, start=1):
        output = source / "notebooks" / notebook.name if args.book else notebook
        print(f"[{i}/{len(notebooks)}] executing {notebook.relative_to(ROOT)} ...", flush=True)
        seconds = execute(notebook, output)
        print(f"[{i}/{len(notebooks)}] {notebook.name}: {seconds:.0f} s", flush=True)
    if args.book:
        build_book(source)
        print(f"Book built in {time.perf_counter() - total:.0f} s: open {BUILD / 'html' / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
