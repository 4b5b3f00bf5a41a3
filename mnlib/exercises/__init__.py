"""The course's answer checker: every chapter's exercises, checked on the spot.

    from mnlib import exercises
    exercises.ids()                    # every exercise id, e.g. "01.2" (chapter 1, exercise 2)
    answer = None  # your answer
    exercises.check("01.2", answer)    # prints one line; True when correct
    exercises.solution("01.2")         # the reference answer (for instructors)

:func:`check` never raises for a wrong or missing answer: it prints "correct"
or a hint that says how the answer is off (by how much, which entries, for
which hidden case a function fails) without giving the answer away. ``None``
means "not answered yet". An unknown id raises a ``KeyError`` listing the
valid ones. In a run that the course's grader re-executes, every check and
every call of :func:`solution` is also written down for the grader
(:mod:`mnlib.exercises.recorded`), which judges the answers itself.

Each chapter's exercises live in their own module, ``chapter_NN.py``, which
defines ``EXERCISES``, a list of :mod:`mnlib.exercises.core` exercises
(:class:`~mnlib.exercises.core.Number`, :class:`~mnlib.exercises.core.Shape`,
:class:`~mnlib.exercises.core.Function`) whose ids start with ``"NN."``. This
package finds every such module by itself: a new chapter adds one file.

Introduced in chapter 0 (the exercises at its end).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re

from . import recorded
from .core import Exercise, Function, Number, Shape

__all__ = ["ids", "check", "solution", "exercise", "chapters", "Exercise", "Number", "Shape", "Function"]

_MODULE = re.compile(r"^chapter_(\d\d)$")
_REGISTRY: dict[str, Exercise] | None = None


def _registry() -> dict[str, Exercise]:
    """Every chapter module's exercises by id (imported on first use)."""
    global _REGISTRY
    if _REGISTRY is None:
        found: dict[str, Exercise] = {}
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
            match = _MODULE.match(info.name)
            if not match:
                continue
            module = importlib.import_module(f"{__name__}.{info.name}")
            for item in module.EXERCISES:
                if not item.id.startswith(f"{match.group(1)}."):
                    raise ValueError(
                        f"{info.name} defines exercise {item.id!r}: its ids must start with {match.group(1)!r}."
                    )
                if item.id in found:
                    raise ValueError(f"exercise {item.id!r} is defined twice")
                found[item.id] = item
        _REGISTRY = dict(sorted(found.items(), key=lambda kv: tuple(int(p) for p in kv[0].split("."))))
    return _REGISTRY


def ids(chapter: int | None = None) -> list[str]:
    """Every exercise id (``"CC.N"``) in order, or only those of ``chapter`` (an int, e.g. 1)."""
    every = list(_registry())
    return every if chapter is None else [i for i in every if int(i.split(".")[0]) == int(chapter)]


def chapters() -> list[int]:
    """The chapters that have checked exercises, in order."""
    return sorted({int(i.split(".")[0]) for i in _registry()})


def exercise(exercise_id: str) -> Exercise:
    """The exercise object of an id; a ``KeyError`` listing the valid ids if there is none."""
    registry = _registry()
    if exercise_id not in registry:
        raise KeyError(f"no exercise {exercise_id!r}; the exercises are: {', '.join(registry)}")
    return registry[exercise_id]


def check(exercise_id: str, answer) -> bool:
    """Check an answer: print one line (correct, or a hint), return True when correct.

    Args:
        exercise_id: ``"CC.N"``, as printed in the exercise (see :func:`ids`).
        answer: a number, a tuple, or a function, as the exercise asks;
            ``None`` means "not answered yet".

    Returns:
        True for a correct answer; False otherwise (never raises for an answer).

    Raises:
        KeyError: for an unknown id, listing the valid ones.
    """
    item = exercise(exercise_id)
    if recorded.LOG_VARIABLE in os.environ:  # a graded run: record the answer for the grader
        record = item.record(answer)
        context = recorded.encode(item.context())
        recorded.append({"event": "check", "id": exercise_id, "record": record, "context": context})
        correct, message = item.judge_record(record)  # what the grader will say
    else:
        correct, message = item.judge(answer)
    print(message)
    return correct


def solution(exercise_id: str):
    """The reference answer of an exercise (a number, a tuple or a function).

    In a graded run (see :mod:`mnlib.exercises.recorded`) the call is recorded:
    the grader flags the exercise.
    """
    item = exercise(exercise_id)
    recorded.append({"event": "solution", "id": exercise_id})
    return item.solution()
