"""Build the student edition of the book: every solution removed, the exercises kept.

    python tools/student_book.py          # what `make student-book` runs: _build/student/html

The committed notebooks are copied into ``_build/student/src`` with every
solution taken out, then built there without executing anything
(``execute_notebooks: "off"``, as the default book) into
``_build/student/html``, with warnings as errors.

Two kinds of solution are removed:

* gated solutions (``solution-start`` ... ``solution-end``), whose code cells
  execute in CI: the markers and every cell between them are dropped from the
  copied notebook. (sphinx-exercise's ``hide_solutions`` hides only the
  ``solution-start`` directive of a gated solution and leaves the cells after
  it on the page, so the cells are removed here, before Sphinx sees them);
* ``{solution}`` directives written in one markdown cell: removed from the
  copy's markdown, and hidden by ``hide_solutions: true`` in the edition's
  configuration as well.

The copies are what the page's download button offers, so the downloadable
notebooks carry no solutions either.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import yaml
from run_notebooks import toc_files  # the same folder

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "_build" / "student"

_START = re.compile(r"^```\{solution-start\}", re.M)
_END = re.compile(r"^```\{solution-end\}\s*\n```[ \t]*\n?", re.M)
_PLAIN = re.compile(r"^```\{solution\}.*?^```[ \t]*$\n?", re.M | re.S)


def strip_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a copy of a notebook without its solutions (gated cells and ``{solution}`` blocks).

    Markdown before a ``solution-start`` and after a ``solution-end`` in the
    same cell is kept; cells left empty are dropped.

    Raises:
        ValueError: if a ``solution-start`` has no ``solution-end`` after it
            (the rest of the notebook would be lost).
    """
    kept, inside = [], False
    for cell in nb.cells:
        source = cell.source
        if cell.cell_type == "markdown":
            pieces, text = [], source
            while text:
                if inside:
                    end = _END.search(text)
                    if not end:
                        text = ""
                        break
                    text, inside = text[end.end() :], False
                else:
                    start = _START.search(text)
                    if not start:
                        pieces.append(text)
                        break
                    pieces.append(text[: start.start()])
                    text, inside = text[start.end() :], True
            source = _PLAIN.sub("", "".join(pieces)).strip()
            if source:
                copy = nbformat.from_dict(dict(cell))
                copy.source = source
                kept.append(copy)
        elif not inside:
            kept.append(cell)
    if inside:
        raise ValueError("a solution-start has no solution-end after it: close it with ```{solution-end}```")
    copy = nbformat.from_dict(dict(nb))
    copy.cells = kept
    return copy


def prepare_sources(source: Path) -> None:
    """Copy the book's sources into ``source``: solutions stripped, solutions hidden in the configuration."""
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["title"] = f"{config['title']} (student edition)"
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    config.setdefault("sphinx", {}).setdefault("config", {})["hide_solutions"] = True
    (source / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    shutil.copy2(ROOT / "_toc.yml", source / "_toc.yml")
    for file in toc_files():
        notebook, page = ROOT / f"{file}.ipynb", ROOT / f"{file}.md"
        target = source / file
        target.parent.mkdir(parents=True, exist_ok=True)
        if notebook.exists():
            nbformat.write(strip_solutions(nbformat.read(notebook, as_version=4)), target.with_suffix(".ipynb"))
        elif page.exists():
            text = _PLAIN.sub("", page.read_text())
            target.with_suffix(".md").write_text(text)
        else:
            raise FileNotFoundError(f"_toc.yml names {file}, which has neither .ipynb nor .md")


def build(out: Path = OUT) -> Path:
    """Build the student edition into ``out/html``; return that folder."""
    source = out / "src"
    prepare_sources(source)
    shutil.rmtree(out / "_build", ignore_errors=True)
    subprocess.run(
        [
            str(Path(sys.executable).with_name("jupyter-book")),
            "build",
            str(source),
            "--path-output",
            str(out),
            "-W",
            "-n",
            "--keep-going",
        ],
        check=True,
    )
    html = out / "html"
    shutil.rmtree(html, ignore_errors=True)
    shutil.move(out / "_build" / "html", html)
    shutil.rmtree(out / "_build", ignore_errors=True)
    return html


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the edition (default _build/student)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    html = build(args.out.resolve())
    print(f"Student edition built in {time.perf_counter() - start:.0f} s: open {html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
