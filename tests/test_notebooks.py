"""The notebooks as committed: paired, executed, clean, parameterised, Colab-ready."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import papermill
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import colab_cell  # noqa: E402  (scripts of tools/, not a package)
import run_notebooks  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MAX_BYTES = 1_000_000  # a committed notebook, outputs included
REPOSITORY = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]


def _code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_paired_with_its_py_twin_cell_by_cell(path):
    twin = path.with_suffix(".py")
    assert twin.exists(), f"{twin.name} is missing: run `jupytext --sync {path.name}`"
    nb, py = nbformat.read(path, as_version=4), jupytext.read(twin)
    assert [(c.cell_type, c.source.strip()) for c in nb.cells] == [(c.cell_type, c.source.strip()) for c in py.cells], (
        f"{path.name} and {twin.name} differ: run `jupytext --sync`, then re-execute"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_executed_top_to_bottom_without_errors_or_log_noise(path):
    cells = _code_cells(nbformat.read(path, as_version=4))
    counts = [cell.execution_count for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{path.name} was not run in order from a fresh kernel"
    for cell in cells:
        for output in cell.outputs:
            assert output.output_type != "error", f"{path.name}: error output in\n{cell.source}"
            if output.output_type == "stream" and output.name == "stderr":
                pytest.fail(f"{path.name}: stderr output (log noise?) in\n{cell.source}\n{output.text[:500]}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_documented_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name} needs exactly one cell tagged 'parameters'"
    names = [t.id for node in ast.parse(tagged[0].source).body for t in getattr(node, "targets", [])]
    assert "PROFILE" in names
    assert re.search(r'^PROFILE = "smoke"', tagged[0].source, re.M), "PROFILE must default to 'smoke'"
    documented = papermill.inspect_notebook(str(path))
    assert set(documented) == set(names)
    above = _comments_above(tagged[0].source)
    for name, info in documented.items():
        assert info["help"].strip() or above.get(name), f"{path.name}: parameter {name} has no comment"


def _comments_above(source: str) -> dict[str, str]:
    """Each assignment's comment lines written just above it (a comment too long for its line goes there)."""
    lines, found = source.splitlines(), {}
    for node in ast.parse(source).body:
        comment, i = [], node.lineno - 2
        while i >= 0 and lines[i].lstrip().startswith("#"):
            comment.insert(0, lines[i].lstrip("# ").strip())
            i -= 1
        for target in getattr(node, "targets", []):
            found[getattr(target, "id", "")] = " ".join(comment)
    return found


def test_a_parameters_comment_may_stand_above_it():
    comments = _comments_above("X = 1  # inline\n# the size,\n# in pixels\nSIZE = 64\n\nY = 2\n")
    assert comments == {"X": "", "SIZE": "the size, in pixels", "Y": ""}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_code_cell_sets_up_colab_only(path):
    first = _code_cells(nbformat.read(path, as_version=4))[0].source
    assert 'if "google.colab" in sys.modules:' in first
    named = colab_cell.named_requirement(first) or ""
    assert named.startswith(f"mnlib @ git+{REPOSITORY}"), f"{path.name}: the install URL differs from _config.yml"
    assert not _code_cells(nbformat.read(path, as_version=4))[0].outputs


def test_every_colab_cell_installs_the_version_the_outputs_were_made_with():
    """One commit, mnlib_ref of _config.yml (tools/colab_cell.py writes every cell from it), in this history."""
    cells = {path.stem: _code_cells(nbformat.read(path, as_version=4))[0].source for path in NOTEBOOKS}
    named = {name: colab_cell.named_requirement(source) for name, source in cells.items()}
    expected = colab_cell.requirement()
    commit = colab_cell.ref()
    assert re.fullmatch(r"[0-9a-f]{40}", commit), f"mnlib_ref is not a full commit hash: {commit!r}"
    assert expected.endswith(f"@{commit}")
    wrong = {name: found for name, found in named.items() if found != expected}
    assert not wrong, f"these Colab cells do not install {expected!r}: run `python tools/colab_cell.py`: {wrong}"
    if (ROOT / ".git").exists():
        shallow = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT, capture_output=True)
        if shallow.stdout.strip() != b"true":
            found = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=ROOT, capture_output=True)
            assert found.returncode == 0, f"mnlib_ref {commit} is no commit of this repository"


def test_set_ref_writes_the_commit_into_the_one_place(tmp_path, monkeypatch):
    config = tmp_path / "_config.yml"
    config.write_text((ROOT / "_config.yml").read_text().replace(colab_cell.ref(), "0" * 40))
    monkeypatch.setattr(colab_cell, "CONFIG", config)
    assert colab_cell.ref() == "0" * 40
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert colab_cell.set_ref("HEAD") == head
    assert colab_cell.ref() == head
    assert colab_cell.requirement().endswith(f"@{head}")


def test_the_colab_cell_tool_rewrites_both_twins_and_nothing_else(tmp_path):
    for suffix in (".py", ".ipynb"):
        shutil.copy(NOTEBOOKS[0].with_suffix(suffix), tmp_path / NOTEBOOKS[0].with_suffix(suffix).name)
    twin = tmp_path / NOTEBOOKS[0].with_suffix(".py").name
    before = nbformat.read(twin.with_suffix(".ipynb"), as_version=4)
    colab_cell.rewrite(twin)
    after, paired = nbformat.read(twin.with_suffix(".ipynb"), as_version=4), jupytext.read(twin)
    i = before.cells.index(_code_cells(before)[0])
    assert [c.source.strip() for c in after.cells] == [c.source.strip() for c in paired.cells]
    assert after.cells[:i] + after.cells[i + 1 :] == before.cells[:i] + before.cells[i + 1 :]
    assert colab_cell.named_requirement(_code_cells(after)[0].source) == colab_cell.requirement()
    assert "remove-cell" in _code_cells(after)[0].metadata.get("tags", [])
    assert max(len(line) for line in colab_cell.cell_source().splitlines()) <= LINE_LENGTH
    assert colab_cell.rewrite(twin) is False  # already current: nothing to change


LINE_LENGTH = 79  # PEP 8, and about what the book's page shows of a code line
PRAGMA = re.compile(
    r"#\s*(noqa|type:\s*ignore|fmt:\s*(skip|off|on)|isort:\s*\w+|pylint:|ruff:|pragma:|nbqa|yapf:|flake8:)", re.I
)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_code_lines_fit_the_page(path):
    long = [
        line
        for cell in _code_cells(nbformat.read(path, as_version=4))
        for line in cell.source.splitlines()
        if len(line) > LINE_LENGTH
    ]
    assert not long, (
        f"{path.name}: {len(long)} code line(s) over {LINE_LENGTH} characters (a parameter's comment can go on "
        f"its own line above it), e.g.\n" + "\n".join(long[:5])
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_linter_pragma_in_any_cell(path):
    """Readers see every cell: the linters are configured per file instead (notebooks/ruff.toml)."""
    found = [
        line.strip()
        for cell in nbformat.read(path, as_version=4).cells
        for line in cell.source.splitlines()
        if PRAGMA.search(line)
    ]
    assert not found, f"{path.name}: linter pragmas in cells: {found[:5]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_colab_cell_is_hidden_in_the_book(path):
    first = _code_cells(nbformat.read(path, as_version=4))[0]
    assert "remove-cell" in first.metadata.get("tags", []), (
        f"{path.name}: tag the first code cell (the Colab set-up) 'remove-cell' so the book does not show it"
    )


def _committed_notebooks():
    """Every .ipynb that git tracks (the notebooks folder when git cannot tell)."""
    try:
        listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return NOTEBOOKS
    return sorted(ROOT / name for name in listed.stdout.splitlines() if (ROOT / name).exists()) or NOTEBOOKS


@pytest.mark.parametrize("path", _committed_notebooks(), ids=lambda p: p.stem)
def test_committed_notebook_is_light(path):
    size = path.stat().st_size
    assert size < MAX_BYTES, (
        f"{path.relative_to(ROOT)} is {size / 1e6:.1f} MB (limit {MAX_BYTES / 1e6:g} MB): make its figures "
        "smaller (figsize at most 8-10 inches wide, fewer panels; photos as JPEG thumbnails)"
    )


# tools/run_notebooks.py --in-place: a committed notebook is replaced only by a run that succeeded.


def _tiny_notebook(path: Path, *sources: str) -> bytes:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A tiny notebook")])
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path.read_bytes()


def test_in_place_leaves_a_failing_notebook_as_it_was_and_names_the_failing_cell(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(run_notebooks, "BUILD", tmp_path / "_build")
    folder = tmp_path / "notebooks"
    folder.mkdir()
    notebook = folder / "failing.ipynb"
    before = _tiny_notebook(notebook, "x = 1\nprint(x)", "raise ValueError('the second cell breaks')", "print(2)")

    assert run_notebooks.main(["--in-place", "--unlocked", str(notebook)]) == 1

    assert notebook.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["failing.ipynb"], "a temporary file was left behind"
    message = capsys.readouterr().err
    assert "failing.ipynb failed in cell 2" in message and "In [2]" in message
    assert "ValueError: the second cell breaks" in message
    kept = nbformat.read(tmp_path / "_build" / "failed" / "failing.ipynb", as_version=4)
    assert any(output.output_type == "error" for cell in kept.cells for output in cell.get("outputs", []))


def test_in_place_replaces_a_notebook_that_runs_and_gives_it_the_results_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MNLIB_RESULTS_DIR", raising=False)  # main() sets it; restored afterwards
    monkeypatch.setattr(run_notebooks, "BUILD", tmp_path / "_build")
    notebook = tmp_path / "fine.ipynb"
    _tiny_notebook(notebook, "import os\nprint(os.environ['MNLIB_RESULTS_DIR'])")
    results = tmp_path / "fresh-results"

    code = run_notebooks.main(["--in-place", "--unlocked", "--results-dir", str(results), str(notebook)])

    assert code == 0
    nb = nbformat.read(notebook, as_version=4)
    assert nb.cells[1].outputs[0].text.strip() == str(results)
    assert "papermill" not in nb.metadata and "execution" not in nb.cells[1].metadata
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fine.ipynb", "fresh-results"], "a file was left behind"
    assert re.search(r"fine\.ipynb\s+\d+ s", capsys.readouterr().out), "the wall time is printed"


def test_in_place_refuses_versions_other_than_the_lock(tmp_path, monkeypatch, capsys):
    lock = tmp_path / "local.txt"
    lock.write_text("# Python 3.11.0\n# a lock that nothing here matches\nnumpy==0.0.1\n")
    monkeypatch.setattr(run_notebooks.lock, "LOCK", lock)
    notebook = tmp_path / "untouched.ipynb"
    before = _tiny_notebook(notebook, "print(1)")

    assert run_notebooks.main(["--in-place", str(notebook)]) == 2

    assert notebook.read_bytes() == before
    assert "numpy: installed " in capsys.readouterr().err


def test_in_place_refuses_a_notebook_whose_colab_cell_names_another_version(tmp_path, capsys):
    notebook = tmp_path / "stale.ipynb"
    cell = colab_cell.cell_source().replace(f"@{colab_cell.ref()}", "@v0.0.0")
    before = _tiny_notebook(notebook, cell, "print(1)")

    assert run_notebooks.main(["--in-place", "--unlocked", str(notebook)]) == 2

    assert notebook.read_bytes() == before
    assert "stale.ipynb does not install" in capsys.readouterr().err
    _tiny_notebook(notebook, colab_cell.cell_source(), "print(1)")
    assert run_notebooks.colab_cell_is_current(notebook)
