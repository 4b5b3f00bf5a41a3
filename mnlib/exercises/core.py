"""The kinds of exercise the course's checker knows, and how each judges an answer.

Every exercise has an ``id`` (``"CC.N"``: chapter, number), a one-line
``topic``, and a ``reference`` (a callable, evaluated once and cached, since
some references build a model). :meth:`Exercise.judge` returns
``(correct, message)`` and never raises for a student's answer:

* :class:`Number`: a number, exact or within a stated relative tolerance;
  the hint says by how much and in which direction the answer is off;
* :class:`Shape`: a tuple of integers (a shape, a list of sizes); the hint
  says whether the length is wrong, or which entries;
* :class:`Function`: a function the student writes, run on cases the student
  did not see and compared with the reference function, case by case
  (``compare`` returns ``None`` when they agree, else a hint).

For grading, :meth:`Exercise.record` turns an answer into plain data (a
function: what it returned on each hidden case) and
:meth:`Exercise.judge_record` judges that data in another process, with the
same words as :meth:`Exercise.judge`.

Introduced in chapter 0 (the exercises at its end).
"""

from __future__ import annotations

import math
import numbers
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import recorded

__all__ = ["Exercise", "Number", "Shape", "Function", "close_numbers", "close_arrays"]


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) or isinstance(value, np.number)


def _off_by(answer: float, expected: float) -> str:
    """A hint that says how far a number is from the expected one, not what it is."""
    if expected == 0:
        return "it should be 0" if answer != 0 else ""
    ratio = answer / expected
    if ratio <= 0:
        return "its sign is wrong"
    if ratio >= 2 or ratio <= 0.5:
        factor = ratio if ratio >= 1 else 1 / ratio
        return f"it is about {factor:.3g} times too {'large' if ratio > 1 else 'small'}"
    return f"it is {abs(ratio - 1):.1%} too {'high' if ratio > 1 else 'low'}"


@dataclass(eq=False)
class Exercise:
    """One checked exercise. Subclasses define :meth:`_judge`.

    Args:
        id: ``"CC.N"``, the chapter (two digits) and the exercise's number.
        topic: what the exercise asks, in a few words (shown by ``exercises.ids``).
        reference: a function of no arguments that returns the reference answer.
        hint: a sentence added to every "not yet" message (optional).
        mistakes: a function of no arguments returning plausible wrong answers
            (at least one): the tests check that each is judged wrong, so a
            check that cannot fail is caught.
    """

    id: str
    topic: str
    reference: Callable[[], Any]
    hint: str = ""
    mistakes: Callable[[], list] = list
    _cached: Any = field(default=None, init=False, repr=False)
    _ready: bool = field(default=False, init=False, repr=False)

    def solution(self):
        """The reference answer (computed on first use, then cached)."""
        if not self._ready:
            self._cached, self._ready = self.reference(), True
        return self._cached

    def judge(self, answer) -> tuple[bool, str]:
        """``(True, message)`` for a correct answer, else ``(False, hint)``; never raises."""
        if answer is None:
            return False, f"{self.id}: not answered yet (replace `answer = None` with your answer)."
        return self._verdict(lambda: self._judge(answer))

    def _verdict(self, find_problem: Callable[[], str | None]) -> tuple[bool, str]:
        """The message of :meth:`judge` for what ``find_problem`` says (``None``: no problem)."""
        try:
            problem = find_problem()
        except Exception as error:  # a student's answer must never crash the checker
            problem = f"the checker could not use this answer ({type(error).__name__}: {error})"
        if problem:
            extra = f" Hint: {self.hint}" if self.hint else ""
            return False, f"{self.id}: not yet: {problem}.{extra}"
        return True, f"{self.id}: correct."

    def _judge(self, answer) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def record(self, answer) -> dict:
        """The answer as plain data (:mod:`~mnlib.exercises.recorded`), for :meth:`judge_record` elsewhere."""
        return {"answer": recorded.encode(answer)}

    def judge_record(self, record: dict) -> tuple[bool, str]:
        """:meth:`judge` of a recorded answer: the same verdict, in the same words; never raises."""
        return self.judge(recorded.decode(record.get("answer")))

    def context(self):
        """What the verdict depends on besides the answer, as plain data (``None``: nothing).

        An exercise judged on data that a chapter hands over at run time (such
        as a confusion matrix) returns it here, so that a graded run records it
        with each answer; :meth:`use_context` gives it back to the grader's copy.
        """
        return None

    def use_context(self, data) -> None:
        """Judge on ``data``, as :meth:`context` returned it in the graded run; ``None``: on the default.

        Does nothing unless :meth:`context` is overridden too.
        """


@dataclass(eq=False)
class Number(Exercise):
    """A number, exact (``rel_tol=0``, integers) or within ``rel_tol`` (relative)."""

    rel_tol: float = 0.0

    def _judge(self, answer):
        if not _is_number(answer):
            return f"expected a number, got {type(answer).__name__}"
        expected = self.solution()
        if self.rel_tol == 0:
            if answer == expected:
                return None
        elif math.isclose(answer, expected, rel_tol=self.rel_tol):
            return None
        off = _off_by(float(answer), float(expected))
        within = f" (within {self.rel_tol:.2%} counts as correct)" if self.rel_tol else " (an exact answer is expected)"
        return (off or "it is close but not equal") + within


@dataclass(eq=False)
class Shape(Exercise):
    """A tuple (or list) of integers, compared entry by entry."""

    def _judge(self, answer):
        if isinstance(answer, (str, bytes)) or not isinstance(answer, Sequence | np.ndarray):
            return f"expected a tuple of integers, got {type(answer).__name__}"
        answer, expected = tuple(answer), tuple(self.solution())
        if len(answer) != len(expected):
            return f"it has {len(answer)} entries; {len(expected)} are expected"
        wrong = [i + 1 for i, (a, e) in enumerate(zip(answer, expected)) if a != e]
        if not wrong:
            return None
        which = ", ".join(str(i) for i in wrong)
        one = len(wrong) == 1
        return f"entr{'y' if one else 'ies'} {which} (counting from 1) {'is' if one else 'are'} wrong"


def close_numbers(rel_tol: float = 1e-9) -> Callable[[Any, Any], str | None]:
    """A ``compare`` for :class:`Function`: numbers equal within ``rel_tol``, with an "off by" hint."""

    def compare(got, expected):
        if not _is_number(got):
            return f"it returned {type(got).__name__}, not a number"
        if math.isclose(float(got), float(expected), rel_tol=rel_tol, abs_tol=1e-12):
            return None
        return _off_by(float(got), float(expected))

    return compare


def close_arrays(atol: float = 1e-5) -> Callable[[Any, Any], str | None]:
    """A ``compare`` for :class:`Function`: arrays of the same shape, equal within ``atol``."""

    def compare(got, expected):
        got = np.asarray(got)
        if got.shape != np.shape(expected):
            return f"it returned shape {got.shape}, expected {np.shape(expected)}"
        if not np.allclose(got.astype(float), np.asarray(expected, dtype=float), atol=atol):
            worst = float(np.max(np.abs(got.astype(float) - np.asarray(expected, dtype=float))))
            return f"the values differ from the reference by up to {worst:.3g}"
        return None

    return compare


@dataclass(eq=False)
class Function(Exercise):
    """A function the student writes, run on hidden cases against the reference.

    Args:
        cases: a function of no arguments returning a list of argument tuples;
            they are not shown to the student (only the first failing one is
            named in the hint).
        compare: ``compare(got, expected)`` → ``None`` when they agree, else a
            hint (default: :func:`close_numbers`). ``expected`` is the
            reference function's result on the same arguments.
        describe: how to show a case's arguments in a hint (default ``repr``).
        call: ``call(function, args)`` runs a function on one case (default
            ``function(*args)``); e.g. to build a model around a block.

    The reference answer (:meth:`solution`) is the reference function itself.
    """

    cases: Callable[[], list[tuple]] = list
    compare: Callable[[Any, Any], str | None] = field(default_factory=close_numbers)
    describe: Callable[[tuple], str] = repr
    call: Callable[[Callable, tuple], Any] | None = None

    def _run(self, function, args):
        return self.call(function, args) if self.call else function(*args)

    def _judge(self, answer):
        if not callable(answer):
            return f"expected a function, got {type(answer).__name__}"
        return self._compare_outcomes(self._outcomes(answer))

    def _outcomes(self, answer, digests: bool = False) -> list[dict]:
        """``answer`` run on each hidden case, in order, up to the first that raises.

        Each outcome is ``{"got": value}`` or ``{"raised": [type, message, line]}``,
        with ``"args"``, the digest of the case's arguments, when ``digests``.
        """
        outcomes = []
        for args in self.cases():
            outcome = {"args": recorded.digest(args)} if digests else {}
            try:
                outcome["got"] = self._run(answer, args)
            except Exception as error:
                where = traceback.extract_tb(error.__traceback__)[-1].line
                outcome["raised"] = [type(error).__name__, str(error), where]
                outcomes.append(outcome)
                break
            outcomes.append(outcome)
        return outcomes

    def _compare_outcomes(self, outcomes: list[dict]) -> str | None:
        """The first hidden case on which the outcomes differ from the reference's, as a hint."""
        reference = self.solution()
        for index, args in enumerate(self.cases()):
            outcome = outcomes[index] if index < len(outcomes) else None
            if outcome is None or ("args" in outcome and outcome["args"] != recorded.digest(args)):
                return "the recorded answer was not run on the checker's cases"
            if "raised" in outcome:
                name, message, where = outcome["raised"]
                return f"for {self.describe(args)} your function raised {name}: {message} (at `{where}`)"
            problem = self.compare(outcome["got"], self._run(reference, args))
            if problem:
                return f"for {self.describe(args)} {problem}"
        return None

    def record(self, answer) -> dict:
        """A function answer as what it returned (or raised) on each hidden case; any other answer as itself."""
        if not callable(answer):
            return super().record(answer)
        try:
            outcomes = self._outcomes(answer, digests=True)
        except Exception as error:  # the cases themselves could not be built
            return {"failed": f"{type(error).__name__}: {error}"}
        for outcome in outcomes:
            if "got" in outcome:
                outcome["got"] = recorded.encode(outcome["got"])
        return {"outcomes": outcomes}

    def judge_record(self, record: dict) -> tuple[bool, str]:
        if "outcomes" not in record:
            if "failed" in record:
                return self._verdict(lambda: f"the checker could not use this answer ({record['failed']})")
            return super().judge_record(record)
        outcomes = [
            {**outcome, "got": recorded.decode(outcome["got"])} if "got" in outcome else outcome
            for outcome in record["outcomes"]
        ]
        return self._verdict(lambda: self._compare_outcomes(outcomes))
