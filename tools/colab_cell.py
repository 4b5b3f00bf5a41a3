"""Write the Colab set-up cell of every notebook from one place.

    python tools/colab_cell.py           # rewrite the cell in every notebooks/NN_*.py and .ipynb
    python tools/colab_cell.py --check   # only say which notebooks differ (exit status 1 if any)

The first code cell of each notebook installs ``mnlib`` when the notebook
runs on Colab, at the version the notebook's outputs were made with: the
commit ``mnlib_ref`` of the repository named in ``_config.yml``
(``repository.url``). ``mnlib_ref`` (in ``_config.yml``'s
``myst_substitutions``, so that a page can print it as ``{{ mnlib_ref }}``)
is the one place that says which commit that is. A commit, not a tag: a
commit that is in the repository's history is always there to install.

So, to publish re-executed notebooks: commit every change of ``mnlib``, run
``python tools/colab_cell.py --set-ref HEAD`` (it writes that commit into
``_config.yml`` and every cell), execute the notebooks (``make notebooks``)
and commit them; the cells then install exactly the code the outputs were
made with.

Both twins are rewritten: the cell's lines in the ``py:percent`` twin (its
``# %%`` header and tags kept), and the same source in the ``.ipynb`` (its
outputs, none, and every other cell untouched); jupytext then reads the two
as one, which the tests check.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
WIDTH = 79  # the lessons' line length
MARK = 'if "google.colab" in sys.modules:'
_HEADER = re.compile(r"^# %%")


def version() -> str:
    """``mnlib.__version__``, read from the source (importing mnlib would start TensorFlow)."""
    tree = ast.parse((ROOT / "mnlib" / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__version__" for t in node.targets):
            return ast.literal_eval(node.value)
    raise ValueError("mnlib/__init__.py defines no __version__")


CONFIG = ROOT / "_config.yml"
_REF_LINE = re.compile(r'^(\s*mnlib_ref:\s*)"?([^"\s]*)"?\s*$', re.MULTILINE)


def ref() -> str:
    """The git commit the Colab cells install: ``mnlib_ref`` in ``_config.yml``."""
    found = _REF_LINE.search(CONFIG.read_text())
    if not found or not found.group(2):
        raise ValueError("_config.yml names no mnlib_ref (its myst_substitutions): run --set-ref HEAD")
    return found.group(2)


def set_ref(revision: str = "HEAD") -> str:
    """Write the commit that ``revision`` names into ``_config.yml``'s ``mnlib_ref``; return it."""
    commit = subprocess.run(
        ["git", "rev-parse", "--verify", f"{revision}^{{commit}}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    text = CONFIG.read_text()
    if not _REF_LINE.search(text):
        raise ValueError("_config.yml has no mnlib_ref line to rewrite")
    CONFIG.write_text(_REF_LINE.sub(lambda m: f'{m.group(1)}"{commit}"', text, count=1))
    return commit


def repository() -> str:
    """The repository's address, from ``_config.yml`` (the launch buttons use it too)."""
    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]


def requirement() -> str:
    """What the cell gives pip: ``mnlib @ git+<repository>@<ref>``."""
    return f"mnlib @ git+{repository()}@{ref()}"


def _pieces(text: str, first: int, rest: int) -> list[str]:
    """``text`` cut after slashes into pieces of at most ``first``, then ``rest``, characters."""
    parts = re.findall(r"[^/]*/|[^/]+$", text)
    pieces, current = [], ""
    for part in parts:
        limit = rest if pieces else first
        if current and len(current) + len(part) > limit:
            pieces.append(current)
            current = ""
        current += part
    return [*pieces, current]


def cell_source() -> str:
    """The Colab cell, every line within the lessons' width."""
    indent = " " * 9
    # every piece is quoted; the last one is followed by "],"
    pieces = _pieces(requirement(), WIDTH - len(indent) - 2, WIDTH - len(indent) - 2)
    if len(indent) + len(pieces[-1]) + 4 > WIDTH:
        pieces[-1:] = _pieces(pieces[-1], WIDTH - len(indent) - 4, WIDTH - len(indent) - 4)
    quoted = [f'{indent}"{piece}"' for piece in pieces]
    quoted[-1] += "],"
    lines = [
        "# Colab: install the course package, at the version these outputs were",
        "# made with, when running there; nothing happens elsewhere.",
        "import sys",
        "",
        MARK,
        "    import subprocess",
        "",
        "    subprocess.run(",
        '        [sys.executable, "-m", "pip", "install", "--quiet",',
        *quoted,
        "        check=True,",
        "    )",
    ]
    return "\n".join(lines)


def named_requirement(source: str) -> str | None:
    """The ``mnlib @ git+...`` string a cell's code gives pip (adjacent literals joined), if any."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("mnlib @ "):
            return node.value
    return None


def _rewrite_twin(text: str, source: str) -> str:
    """The ``py:percent`` text with its first code cell's body replaced by ``source``."""
    lines = text.splitlines(keepends=True)
    headers = [i for i, line in enumerate(lines) if _HEADER.match(line) and "[markdown]" not in line]
    if not headers:
        raise ValueError("no code cell")
    start = headers[0] + 1
    end = next((i for i in range(start, len(lines)) if _HEADER.match(lines[i])), len(lines))
    if MARK not in "".join(lines[start:end]):
        raise ValueError(f"the first code cell is not the Colab set-up (it has no {MARK!r})")
    body_end = end
    while body_end > start and not lines[body_end - 1].strip():
        body_end -= 1
    return "".join(lines[:start]) + source + "\n" + "".join(lines[body_end:end]) + "".join(lines[end:])


def rewrite(twin: Path, check: bool = False) -> bool:
    """Give ``twin`` (a ``.py``) and its ``.ipynb`` the current Colab cell; return whether either changed."""
    source = cell_source()
    notebook = twin.with_suffix(".ipynb")
    text = twin.read_text()
    new_text = _rewrite_twin(text, source)
    nb = nbformat.read(notebook, as_version=4)
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    if MARK not in first.source:
        raise ValueError(f"{notebook.name}: the first code cell is not the Colab set-up")
    changed = new_text != text or first.source != source or bool(first.outputs)
    if changed and not check:
        twin.write_text(new_text)
        first.source, first.outputs = source, []
        nbformat.write(nb, notebook)
        read_back = next(c for c in jupytext.read(twin).cells if c.cell_type == "code")
        if read_back.source.strip() != source.strip():
            raise RuntimeError(f"{twin.name}: jupytext reads another cell than the one written")
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook differs")
    parser.add_argument("--set-ref", metavar="REVISION", help="first write this commit (e.g. HEAD) as mnlib_ref")
    parser.add_argument("twins", nargs="*", type=Path, help="default: every notebooks/NN_*.py")
    args = parser.parse_args(argv)
    if args.set_ref:
        if args.check:
            parser.error("--set-ref changes _config.yml; it does not go with --check")
        print(f"mnlib_ref set to {set_ref(args.set_ref)}")
    twins = [p.resolve().with_suffix(".py") for p in args.twins] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    changed = [twin.stem for twin in twins if rewrite(twin, check=args.check)]
    verb = "differ from" if args.check else "rewritten to"
    print(f"{len(changed)} of {len(twins)} notebooks {verb} the cell installing {requirement()}")
    for name in changed:
        print(f"  {name}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
