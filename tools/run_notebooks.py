"""Execute the course's notebooks headless with papermill, and build the book.

    python tools/run_notebooks.py --book        # what `make book` runs
    python tools/run_notebooks.py --in-place    # refresh the committed outputs
    python tools/run_notebooks.py --in-place notebooks/02_build_mobilenet.ipynb
    python tools/run_notebooks.py --in-place --results-dir /tmp/fresh-results

``--book`` executes every notebook of the table of contents with its default
parameters into ``_build/src/notebooks/``, next to a copy of the book's
sources, and builds the book from there with warnings as errors. The git tree
is left as it was; the book is written to ``_build/html``.

``--in-place`` executes each notebook into a temporary file beside it
(papermill's timing metadata removed, so a diff shows only what changed) and
replaces the committed notebook with it only if every cell ran. A failure
leaves the committed notebook byte for byte as it was, keeps the failed run
in ``_build/failed/`` and stops with a non-zero exit status, naming the
notebook and the failing cell. The committed outputs are made with the
locked versions (``constraints/local.txt``, installed by ``make setup``):
``--in-place`` refuses an environment that differs from it (unless
``--unlocked`` is given), and a notebook whose Colab cell installs another
version of mnlib than the one it runs with (run ``tools/colab_cell.py``).

``--results-dir DIR`` gives every notebook one results folder (through
``MNLIB_RESULTS_DIR``): with a new folder, every chapter trains afresh, in
the book's order, and later chapters read the records of earlier ones.

Each notebook's wall time is printed as it finishes, and all of them at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import colab_cell  # the same folder
import lock
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
    """Run one notebook top to bottom with its default parameters; return seconds.

    Raises papermill's ``PapermillExecutionError`` when a cell fails (the
    partly executed notebook is then at ``output``).
    """
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


class NotebookFailed(Exception):
    """A notebook did not run to the end; the message names it and the failing cell."""


def _failure(notebook: Path, error: BaseException, kept: Path | None) -> NotebookFailed:
    where = ""
    if isinstance(error, papermill.PapermillExecutionError):
        first = next((line for line in error.source.splitlines() if line.strip()), "")
        where = f" in cell {error.cell_index} (In [{error.exec_count}]: {first.strip()[:80]!r})"
        what = f"{error.ename}: {error.evalue}"
    else:
        what = f"{type(error).__name__}: {error}"
    message = f"{_shown(notebook)} failed{where}: {what}"
    if kept is not None:
        message += f"\nthe failed run is kept in {_shown(kept)}"
    return NotebookFailed(message)


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def execute_in_place(notebook: Path, failed_folder: Path | None = None) -> float:
    """Execute ``notebook`` and replace it with the executed copy only if every cell ran; return seconds.

    The run goes to a temporary file in the notebook's folder, renamed over
    the notebook at the end (one atomic step). On any failure the notebook is
    left untouched, the partly executed copy is moved to ``failed_folder``
    (default ``_build/failed``) and :class:`NotebookFailed` is raised.
    """
    failed_folder = failed_folder or BUILD / "failed"
    handle, name = tempfile.mkstemp(prefix=f".{notebook.stem}.", suffix=".running.ipynb", dir=notebook.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        seconds = execute(notebook, temporary)
    except (Exception, KeyboardInterrupt) as error:
        kept = None
        if temporary.exists() and temporary.stat().st_size:
            failed_folder.mkdir(parents=True, exist_ok=True)
            kept = failed_folder / notebook.name
            shutil.move(temporary, kept)
        temporary.unlink(missing_ok=True)
        if isinstance(error, KeyboardInterrupt):
            raise
        raise _failure(notebook, error, kept) from error
    os.replace(temporary, notebook)
    return seconds


def execute_for_book(notebook: Path, output: Path) -> float:
    """Execute ``notebook`` into ``output`` (the book's copy); :class:`NotebookFailed` if a cell fails."""
    try:
        return execute(notebook, output)
    except Exception as error:
        raise _failure(notebook, error, output if output.exists() else None) from error


def colab_cell_is_current(notebook: Path) -> bool:
    """Whether the notebook's Colab cell (if it has one) installs this version of mnlib."""
    code = [cell for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]
    if not code or colab_cell.MARK not in code[0].source:
        return True
    return colab_cell.named_requirement(code[0].source) == colab_cell.requirement()


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
    mode.add_argument("--in-place", action="store_true", help="execute and replace notebooks/ (only on success)")
    parser.add_argument("--results-dir", type=Path, help="one results folder for every notebook (MNLIB_RESULTS_DIR)")
    parser.add_argument("--unlocked", action="store_true", help="--in-place with versions other than the lock")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in _toc.yml")
    args = parser.parse_args(argv)

    notebooks = [p.resolve() for p in args.notebooks] or toc_notebooks()
    if args.in_place and not args.unlocked and lock.LOCK.exists():
        differences = lock.differences_from_lock()
        if differences:
            print(
                "The committed outputs are made with the versions of constraints/local.txt, but here\n  "
                + "\n  ".join(differences)
                + "\nRun `make setup` (or pass --unlocked to refresh them anyway).",
                file=sys.stderr,
            )
            return 2
    stale = [notebook.name for notebook in notebooks if args.in_place and not colab_cell_is_current(notebook)]
    if stale:
        print(
            f"The Colab cell of {', '.join(stale)} does not install {colab_cell.requirement()!r}, the version "
            "these outputs will be made with: run `python tools/colab_cell.py` first.",
            file=sys.stderr,
        )
        return 2
    if args.results_dir is not None:
        results = args.results_dir.resolve()
        results.mkdir(parents=True, exist_ok=True)
        held = sum(1 for _ in results.iterdir())
        print(f"Results folder {results} ({held} entries already there)", flush=True)
        os.environ["MNLIB_RESULTS_DIR"] = str(results)  # the kernels papermill starts inherit it
    total = time.perf_counter()
    if args.book:
        source = BUILD / "src"
        shutil.rmtree(source, ignore_errors=True)
        shutil.copytree(ROOT / "book", source / "book")
        for name in ("_config.yml", "_toc.yml"):
            shutil.copy2(ROOT / name, source / name)
    times = []
    for i, notebook in enumerate(notebooks, start=1):
        print(f"[{i}/{len(notebooks)}] executing {_shown(notebook)} ...", flush=True)
        try:
            if args.book:
                seconds = execute_for_book(notebook, source / "notebooks" / notebook.name)
            else:
                seconds = execute_in_place(notebook)
        except NotebookFailed as failure:
            print(f"[{i}/{len(notebooks)}] FAILED: {failure}", file=sys.stderr, flush=True)
            if args.in_place:
                print(f"{_shown(notebook)} is unchanged.", file=sys.stderr)
            return 1
        times.append((notebook.name, seconds))
        print(f"[{i}/{len(notebooks)}] {notebook.name}: {seconds:.0f} s", flush=True)
    print("Wall time per notebook:")
    for name, seconds in times:
        print(f"  {name:<40} {seconds:8.0f} s")
    print(f"  {'all':<40} {sum(s for _, s in times):8.0f} s")
    if args.book:
        build_book(source)
        print(f"Book built in {time.perf_counter() - total:.0f} s: open {BUILD / 'html' / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
