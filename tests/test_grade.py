"""tools/grade.py, the class grader, and the recording of answers it relies on (mnlib.exercises.recorded).

The first tests need no kernel: an answer recorded as plain data (a function
by what it returned on the hidden cases) is judged as the answer itself would
be, in the same words. The last ones grade a folder of submissions that they
build from the committed chapter 1 notebook (its lesson cells left out, so
each executes in seconds; its solutions removed as in the student edition):
all right (the reference answers written in as literals), all wrong, one that
patches the checker in memory and on disk and prints "correct", one that calls
``exercises.solution`` and then raises, one that loops past the timeout, and
two files that are not notebooks.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from mnlib import exercises
from mnlib.exercises import recorded

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import grade  # noqa: E402
from student_book import strip_solutions  # noqa: E402

CHAPTER_1 = ROOT / "notebooks" / "01_convolution_cost.ipynb"
IDS = exercises.ids(1)
#: Short enough for a test; several times what one trimmed chapter 1 run takes on a loaded machine.
TIMEOUT = 100

# ---------------------------------------------------------------------------------------------------------
# Answers as plain data


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        2.5,
        float("inf"),
        "Beagle",
        (1, 2),
        [1, (2, 3)],
        {"a": [1.5]},
        {1, 2},
        __import__("numpy").float32(0.25),
        __import__("numpy").arange(6).reshape(2, 3),
    ],
)
def test_encode_decode_keeps_value_and_type(value):
    back = recorded.decode(json.loads(json.dumps(recorded.encode(value))))
    assert type(back) is type(value)
    assert repr(back) == repr(value)


def test_what_cannot_be_written_comes_back_as_its_type_name():
    class Odd:
        pass

    back = recorded.decode(json.loads(json.dumps(recorded.encode(Odd()))))
    assert type(back).__name__ == "Odd"
    assert callable(recorded.decode(recorded.encode(len)))


def _answers(exercise_id):
    """The reference answer and every plausible mistake of an exercise."""
    item = exercises.exercise(exercise_id)
    return [item.solution(), *item.mistakes(), None, "a string"]


@pytest.mark.parametrize("exercise_id", exercises.ids(0) + IDS + ["02.1", "02.2", "06.2"])
def test_a_recorded_answer_is_judged_as_the_answer_in_the_same_words(exercise_id):
    item = exercises.exercise(exercise_id)
    for answer in _answers(exercise_id):
        record = json.loads(json.dumps(item.record(answer)))
        assert item.judge_record(record) == item.judge(answer), answer


def test_a_function_run_on_other_cases_is_wrong():
    item = exercises.exercise("01.1")
    record = json.loads(json.dumps(item.record(item.solution())))
    record["outcomes"][0]["args"] = "0" * 16  # as if the run's checker had other hidden cases
    correct, message = item.judge_record(record)
    assert not correct and "not run on the checker's cases" in message
    record["outcomes"] = record["outcomes"][:-1]  # a case missing
    assert not exercises.exercise("01.1").judge_record(record)[0]


def test_a_function_that_raises_gets_the_same_hint_from_its_record():
    item = exercises.exercise("01.2")

    def broken(kernel, in_channels, out_channels, feature_map):
        return kernel * in_channels / 0

    record = json.loads(json.dumps(item.record(broken)))
    assert item.judge_record(record) == item.judge(broken)
    assert "ZeroDivisionError" in item.judge(broken)[1]


def test_the_confusion_exercise_is_judged_on_the_matrix_its_run_recorded():
    """06.1 depends on the chapter's own matrix: the grader judges it on the one the run recorded."""
    from mnlib.exercises import chapter_06

    item = exercises.exercise("06.1")
    counts = np.array([[5, 0, 1], [0, 6, 4], [2, 3, 7]])
    names = ["Alpha", "Beta", "Gamma"]
    chapter_06.use_matrix(counts, names)
    try:
        context = json.loads(json.dumps(recorded.encode(item.context())))
        record = json.loads(json.dumps(item.record(("Beta", "Gamma"))))
        item.use_context(None)  # the grader's copy starts from the fixed hidden matrix
        assert not item.judge_record(record)[0]
        item.use_context(recorded.decode(context))
        assert item.judge_record(record) == (True, item.judge(("Gamma", "Beta"))[1])
        assert not item.judge_record(json.loads(json.dumps(item.record(("Alpha", "Gamma")))))[0]
    finally:
        item.use_context(None)


def test_checks_and_solution_calls_are_logged_only_in_a_graded_run(tmp_path, monkeypatch, capsys):
    log = tmp_path / "answers.jsonl"
    monkeypatch.delenv(recorded.LOG_VARIABLE, raising=False)
    exercises.check("01.3", 0.5)
    assert not log.exists()
    monkeypatch.setenv(recorded.LOG_VARIABLE, str(log))
    exercises.check("01.3", 0.5)
    exercises.solution("01.4")
    entries = recorded.read(log)
    assert [(e["event"], e["id"]) for e in entries] == [("check", "01.3"), ("solution", "01.4")]
    assert recorded.decode(entries[0]["record"]["answer"]) == 0.5
    out = capsys.readouterr().out.splitlines()
    assert out[0] == out[1] and out[0].startswith("01.3: not yet")  # a graded run prints what the grader says


def test_feedback_names_and_chapters_of_a_file():
    assert grade.feedback_name("ann/01_convolution_cost.ipynb") == "ann__01_convolution_cost.md"
    assert grade.chapters_of(Path("01_x.ipynb"), None) == {1}
    assert grade.chapters_of(Path("notes.txt"), None) == set()


def test_a_py_twin_is_read_as_a_notebook_and_other_files_are_not(tmp_path):
    assert grade.read_notebook(ROOT / "notebooks" / "01_convolution_cost.py") is not None
    (tmp_path / "answers.py").write_text("print(1)\n")
    (tmp_path / "empty.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    assert grade.read_notebook(tmp_path / "answers.py") is None
    assert grade.read_notebook(tmp_path / "empty.ipynb") is None


def test_flags_solution_calls_and_a_run_whose_checks_left_no_record():
    run = grade.Run("a.ipynb", {1}, [{"event": "solution", "id": "01.2"}], checks_in_source=True)
    assert grade.flags_of(run, grade.judge(run)) == ["01.2:solution", "no-check-recorded"]
    run.entries.append({"event": "check", "id": "01.3", "record": {"answer": 0.5}})
    assert grade.flags_of(run, grade.judge(run)) == ["01.2:solution"]


# ---------------------------------------------------------------------------------------------------------
# Submissions built from chapter 1

RIGHT = {
    "01.1": "def answer(kernel, in_channels, out_channels, feature_map):\n"
    "    return kernel**2 * in_channels * out_channels * feature_map**2",
    "01.2": "def answer(kernel, in_channels, out_channels, feature_map):\n"
    "    return (kernel**2 + out_channels) * in_channels * feature_map**2",
}
WRONG = {
    "01.1": "def answer(kernel, in_channels, out_channels, feature_map):\n"
    "    return kernel * in_channels * out_channels * feature_map**2",
    "01.2": "def answer(kernel, in_channels, out_channels, feature_map):\n"
    "    return kernel**2 * in_channels * feature_map**2",
    "01.3": "answer = 1 / 9",
    "01.4": "answer = 569.0",
}
PATCH = """import pathlib
import mnlib.exercises.core as core
core.Exercise.judge_record = lambda self, record: (True, f"{self.id}: correct.")
core.Exercise.judge = lambda self, answer: (True, f"{self.id}: correct.")
source = pathlib.Path(core.__file__)
source.write_text(source.read_text() + "\\nPATCHED_BY_A_SUBMISSION = True\\n")
print("01.1: correct.")"""
REPLACE_CHECK = 'exercises.check = lambda exercise_id, answer: print(f"{exercise_id}: correct.") or True'


def _right_answers() -> dict[str, str]:
    """The reference answers, written as literals (numbers) or as a plain function."""
    numbers = {i: f"answer = {exercises.solution(i)!r}" for i in ("01.3", "01.4")}
    return {**RIGHT, **numbers}


def _student_notebook() -> nbformat.NotebookNode:
    """Chapter 1 without its solutions, with only the cells the exercises need (parameters, imports, exercises)."""
    nb = strip_solutions(nbformat.read(CHAPTER_1, as_version=4))
    start = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Exercises"))
    keep = [
        c
        for i, c in enumerate(nb.cells)
        if i >= start
        or c.cell_type == "markdown"
        or "parameters" in c.metadata.get("tags", [])
        or c.source.startswith("import mnlib")
    ]
    nb.cells = keep
    return nb


def _answer_cell(nb, exercise_id) -> int:
    call = f'check("{exercise_id}", answer)'
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and call in c.source)


def _answered(answers: dict[str, str], after: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The student notebook with ``answers[id]`` in place of each ``answer = None``; ``after[id]``, a cell
    inserted after that exercise's answer cell."""
    nb = _student_notebook()
    for exercise_id in IDS:
        cell = nb.cells[_answer_cell(nb, exercise_id)]
        if exercise_id in answers:
            cell.source = cell.source.replace("answer = None  # your answer", answers[exercise_id])
    for exercise_id, source in (after or {}).items():
        nb.cells.insert(_answer_cell(nb, exercise_id) + 1, nbformat.v4.new_code_cell(source))
    return nb


def _build_class(folder: Path) -> dict[str, int]:
    """Write the class's submissions; return the cell number (from 1) where the raising one stops."""
    right = _right_answers()
    nbformat.write(_answered(right), folder / "01_all_right.ipynb")
    nbformat.write(_answered(WRONG), folder / "01_all_wrong.ipynb")
    patcher = _answered(WRONG, after={"01.2": PATCH.replace("01.1", "01.2"), "01.3": REPLACE_CHECK})
    patcher.cells.insert(_answer_cell(patcher, "01.1"), nbformat.v4.new_code_cell(PATCH))
    nbformat.write(patcher, folder / "01_patches_the_checker.ipynb")
    raiser = _answered(
        {**right, "01.1": 'answer = exercises.solution("01.1")'},
        after={"01.1": 'raise RuntimeError("stopped on purpose")'},
    )
    nbformat.write(raiser, folder / "01_raises.ipynb")
    nbformat.write(_answered(right, after={"01.1": "while True:\n    pass"}), folder / "01_loops.ipynb")
    (folder / "notes.txt").write_text("Not a notebook: my answers are 1, 2, 3 and 4.\n")
    (folder / "sub").mkdir()
    (folder / "sub" / "01_broken.ipynb").write_text("{ this is not JSON")
    return {"raises": _answer_cell(raiser, "01.1") + 2}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    where = _build_class(folder)
    core_file = ROOT / "mnlib" / "exercises" / "core.py"
    before = hashlib.sha256(core_file.read_bytes()).hexdigest()
    out = tmp_path_factory.mktemp("grades") / "grades.csv"
    grade.main([str(folder), "--out", str(out), "--timeout", str(TIMEOUT), "--jobs", "3"])
    rows = {row["submission"]: row for row in csv.DictReader(out.open())}
    unchanged = before == hashlib.sha256(core_file.read_bytes()).hexdigest()
    return {"rows": rows, "out": out, "where": where, "core_unchanged": unchanged}


def _marks(row) -> list[str]:
    return [row[i] for i in IDS]


def test_every_file_has_a_row_with_the_columns(graded):
    rows = graded["rows"]
    assert set(rows) == {
        "01_all_right.ipynb",
        "01_all_wrong.ipynb",
        "01_patches_the_checker.ipynb",
        "01_raises.ipynb",
        "01_loops.ipynb",
        "notes.txt",
        "sub/01_broken.ipynb",
    }
    header = next(csv.reader(graded["out"].open()))
    assert header == ["submission", *IDS, "score", "of", "flags", "error"]


def test_all_right_and_all_wrong(graded):
    right, wrong = graded["rows"]["01_all_right.ipynb"], graded["rows"]["01_all_wrong.ipynb"]
    assert (_marks(right), right["score"], right["of"], right["flags"], right["error"]) == (["1"] * 4, "4", "4", "", "")
    assert (_marks(wrong), wrong["score"], wrong["of"], wrong["error"]) == (["0"] * 4, "0", "4", "")


def test_a_patched_checker_that_prints_correct_gains_nothing(graded):
    row = graded["rows"]["01_patches_the_checker.ipynb"]
    assert (_marks(row), row["score"], row["error"]) == (["0"] * 4, "0", "")
    assert graded["core_unchanged"], "a submission changed the grader's own mnlib"


def test_a_failure_keeps_the_credit_before_it_and_flags_solution(graded):
    row = graded["rows"]["01_raises.ipynb"]
    assert (_marks(row), row["score"], row["flags"]) == (["1", "0", "0", "0"], "1", "01.1:solution")
    assert row["error"] == f"failed in cell {graded['where']['raises']}: RuntimeError: stopped on purpose"


def test_a_timeout_keeps_the_credit_before_it(graded):
    row = graded["rows"]["01_loops.ipynb"]
    assert (_marks(row), row["score"], row["error"]) == (["1", "0", "0", "0"], "1", f"timed out after {TIMEOUT} s")


def test_files_that_are_not_notebooks(graded):
    for name in ("notes.txt", "sub/01_broken.ipynb"):
        row = graded["rows"][name]
        assert (_marks(row), row["score"], row["of"], row["error"]) == (["0"] * 4, "0", "4", "not a notebook")


def test_feedback_in_the_checkers_words_without_the_reference(graded):
    feedback = graded["out"].parent / "grades_feedback"
    wrong = (feedback / "01_all_wrong.md").read_text()
    for exercise_id, answer in WRONG.items():
        item = exercises.exercise(exercise_id)
        kind = answer.split()[0]
        given = eval(answer.split("=", 1)[1]) if kind == "answer" else _function(answer)  # noqa: S307
        assert f"> {item.judge(given)[1]}" in wrong
    for reference in (exercises.solution("01.3"), exercises.solution("01.4")):
        for shown in (f"{reference:.3g}", f"{reference:.4g}", repr(reference)):
            assert shown not in wrong
    assert "**Score: 4 of 4**" in (feedback / "01_all_right.md").read_text()
    assert "did not run to the end" in (feedback / "01_loops.md").read_text()


def _function(source):
    namespace = {}
    exec(source, namespace)  # noqa: S102
    return namespace["answer"]


def test_class_summary_hardest_first(graded):
    feedback = graded["out"].parent / "grades_feedback"
    table = [line for line in (feedback / "summary.md").read_text().splitlines() if line.startswith("| 01.")]
    shares = [int(line.split("|")[5].strip().rstrip("%")) for line in table]
    assert len(table) == 4 and shares == sorted(shares)
    assert table[-1].startswith("| 01.1 ")  # answered by three of seven: the easiest
    assert (feedback / "summary.png").stat().st_size > 1000
