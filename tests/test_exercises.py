"""mnlib.exercises, the course's answer checker, and the exercises in every chapter.

For every exercise: the reference solution passes, ``None`` says "not answered
yet", and each of its plausible wrong answers fails with a hint that does not
print the reference. Every chapter has at least three checked exercises, each
in a sphinx-exercise block of its notebook with an ``answer = None`` cell and a
folded, gated solution that calls ``check``.
"""

import re
from pathlib import Path

import nbformat
import pytest

from mnlib import exercises
from mnlib.exercises import core

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IDS = exercises.ids()


def _chapter(path: Path) -> int:
    return int(path.name[:2])


def test_ids_are_chapter_dot_number_in_order():
    assert IDS, "no exercises registered"
    assert all(re.fullmatch(r"\d\d\.\d+", i) for i in IDS), IDS
    assert IDS == sorted(IDS, key=lambda i: tuple(int(p) for p in i.split(".")))
    assert exercises.ids(1) == [i for i in IDS if i.startswith("01.")]


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_solution_passes(exercise_id, capsys):
    assert exercises.check(exercise_id, exercises.solution(exercise_id)) is True
    out = capsys.readouterr().out
    assert out.strip() == f"{exercise_id}: correct.", out


@pytest.mark.parametrize("exercise_id", IDS)
def test_none_is_not_answered_yet(exercise_id, capsys):
    assert exercises.check(exercise_id, None) is False
    assert "not answered yet" in capsys.readouterr().out


def _shown(value) -> list[str]:
    """How a reference number could appear in a hint (so a hint that prints it is caught)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return []
    return [f"{value:g}", f"{value:.3g}", f"{value:,}"] if value not in (0, 1) else []


@pytest.mark.parametrize("exercise_id", IDS)
def test_plausible_wrong_answers_fail_with_a_hint(exercise_id, capsys):
    item = exercises.exercise(exercise_id)
    wrong = item.mistakes()
    assert wrong, f"{exercise_id}: give at least one plausible wrong answer (mistakes=...)"
    for answer in wrong:
        assert exercises.check(exercise_id, answer) is False, f"{exercise_id}: {answer!r} was accepted"
        out = capsys.readouterr().out
        assert out.startswith(f"{exercise_id}: not yet:") and len(out.strip().splitlines()) == 1, out
        for text in _shown(item.solution()):
            assert text not in out, f"{exercise_id}: the hint gives the answer away: {out}"


@pytest.mark.parametrize("answer", ["seven", [1, 2], object(), float("nan"), lambda *a: 1 / 0])
@pytest.mark.parametrize("exercise_id", IDS)
def test_odd_answers_never_raise(exercise_id, answer, capsys):
    assert exercises.check(exercise_id, answer) is False
    assert capsys.readouterr().out.startswith(f"{exercise_id}: not yet:")


def test_unknown_id_lists_the_valid_ones():
    with pytest.raises(KeyError) as error:
        exercises.check("99.9", 1)
    assert "01.1" in str(error.value) and IDS[-1] in str(error.value)


def test_number_hints_say_how_far_off(capsys):
    item = core.Number("90.1", "a count", lambda: 200, hint="count again.")
    assert item.judge(100) == (
        False,
        "90.1: not yet: it is about 2 times too small (an exact answer is expected). Hint: count again.",
    )
    assert "10.0% too high" in item.judge(220)[1]
    assert item.judge(200)[0] and item.judge(200.0)[0]
    assert not item.judge(True)[0]
    tolerant = core.Number("90.2", "a ratio", lambda: 0.5, rel_tol=0.01)
    assert tolerant.judge(0.504)[0] and not tolerant.judge(0.52)[0]


def test_shape_hints_name_the_wrong_entries():
    item = core.Shape("90.3", "sizes", lambda: (26, 13, 6))
    assert item.judge([26, 13, 6])[0]
    assert "entry 3 (counting from 1) is wrong" in item.judge((26, 13, 7))[1]
    assert "2 entries; 3 are expected" in item.judge((26, 13))[1]
    assert "expected a tuple" in item.judge("26, 13, 6")[1]


def test_function_is_run_on_hidden_cases_and_its_errors_reported():
    item = core.Function("90.4", "square", lambda: lambda x: x * x, cases=lambda: [(2,), (3,), (-4,)])
    assert item.judge(lambda x: x**2)[0]
    assert "for (-4,) its sign is wrong" in item.judge(lambda x: abs(x) * x)[1]  # right on the first cases only
    message = item.judge(lambda x: {}[x])[1]
    assert "raised KeyError" in message
    assert "expected a function" in item.judge(4)[1]


def test_every_chapter_has_at_least_three_checked_exercises():
    missing = [path.name for path in NOTEBOOKS if len(exercises.ids(_chapter(path))) < 3]
    assert not missing, f"fewer than three exercises in mnlib.exercises (add mnlib/exercises/chapter_NN.py): {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_exercise_has_a_block_an_answer_cell_and_an_executed_gated_solution(path):
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    for exercise_id in exercises.ids(_chapter(path)):
        label = "ex-" + exercise_id.replace(".", "-")
        starts = [
            i
            for i, c in enumerate(cells)
            if c.cell_type == "markdown" and f":label: {label}\n" in c.source and "{exercise-start}" in c.source
        ]
        assert len(starts) == 1, f"{path.name}: exercise {exercise_id} needs one exercise-start block labelled {label}"
        answer = cells[starts[0] + 1]
        assert answer.cell_type == "code" and answer.source.startswith("answer = None  # your answer")
        assert f'exercises.check("{exercise_id}", answer)' in answer.source
        assert any("not answered yet" in o.get("text", "") for o in answer.outputs), f"{path.name}: {exercise_id}"
        gate = cells[starts[0] + 2]
        assert "{exercise-end}" in gate.source and f"{{solution-start}} {label}\n:class: dropdown" in gate.source
        end = next(i for i in range(starts[0] + 3, len(cells)) if "{solution-end}" in cells[i].source)
        solution = [c for c in cells[starts[0] + 3 : end] if c.cell_type == "code"]
        assert solution, f"{path.name}: the solution of {exercise_id} has no code"
        printed = "".join(o.get("text", "") for c in solution for o in c.outputs)
        assert f"{exercise_id}: correct." in printed, f"{path.name}: the solution of {exercise_id} did not pass"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_objectives_at_the_top_and_a_summary_at_the_end(path):
    markdown = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    assert "Learning objectives" in markdown[1] and "**Prerequisites**" in markdown[1], path.name
    summary = next((i for i, s in enumerate(markdown) if "## Summary" in s), None)
    first_exercise = next(i for i, s in enumerate(markdown) if "## Exercises" in s)
    assert summary is not None and summary <= first_exercise, f"{path.name}: a Summary, then the exercises"
