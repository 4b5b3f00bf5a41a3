"""Answers recorded for grading: written as plain data by a graded run, judged later by another process.

When the environment variable ``MNLIB_GRADE_LOG`` names a file (the course's
grader, ``tools/grade.py``, sets it for each submission it re-executes),
:func:`mnlib.exercises.check` appends one JSON line per check to it (the
exercise id and :meth:`~mnlib.exercises.core.Exercise.record` of the answer),
and :func:`mnlib.exercises.solution` one line per call. The grader judges the
lines with its own copy of the checker: nothing the graded run's checker
printed or returned is used.

Values are written as tagged JSON (:func:`encode`), never pickled, so reading
a log runs no code from the run that wrote it. A function answer is recorded
by what it returned on the checker's hidden cases (see
:meth:`~mnlib.exercises.core.Function.record`), with a digest of each case's
arguments (:func:`digest`), so the grader can tell that the cases were its own.

Introduced in chapter 0 (the exercises at its end); used by the course's grader.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["LOG_VARIABLE", "encode", "decode", "digest", "append", "read"]

#: The environment variable that names the log file of a graded run.
LOG_VARIABLE = "MNLIB_GRADE_LOG"

#: Arrays larger than this (elements) are recorded by their shape only.
_LARGEST_ARRAY = 1_000_000


def encode(value: Any) -> Any:
    """``value`` as JSON-able data that :func:`decode` turns back into an equal value; never raises.

    Numbers, strings, ``None``, booleans, tuples, lists, sets, dicts with string
    keys, NumPy scalars and arrays (and anything with ``__array__``, such as a
    tensor) keep their type; a function is kept as its name; anything else as
    its type's name (decoded as an empty object of a type of that name, so a
    hint that names the type reads the same).
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic):
        if isinstance(value, (np.number, np.bool_)):
            return {"scalar": value.dtype.str, "value": value.item()}
        return {"object": type(value).__name__}
    if isinstance(value, int):
        return value if type(value) is int else int(value)
    if isinstance(value, float):
        return value if type(value) is float else float(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return {"list": [encode(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"set": [encode(v) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"dict": {k: encode(v) for k, v in value.items()}}
    if callable(value):
        return {"function": getattr(value, "__qualname__", type(value).__name__)}
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
        return _encode_array(value)
    if isinstance(value, Sequence):
        return {"tuple": [encode(v) for v in value]}
    return {"object": type(value).__name__}


def _encode_array(value) -> dict:
    try:
        array = np.asarray(value)
    except Exception:
        return {"object": type(value).__name__}
    if array.dtype.kind not in "biufc?" or array.size > _LARGEST_ARRAY:
        return {"object": type(value).__name__, "shape": list(array.shape)}
    if array.dtype.kind == "c":
        return {"object": "complex array", "shape": list(array.shape)}
    return {"array": array.dtype.str, "shape": list(array.shape), "value": array.ravel().tolist()}


def decode(data: Any) -> Any:
    """The value that :func:`encode` wrote (a stand-in object for what it could not write)."""
    if not isinstance(data, dict):
        return data
    if "scalar" in data:
        return np.dtype(data["scalar"]).type(data["value"])
    if "array" in data:
        return np.array(data["value"], dtype=np.dtype(data["array"])).reshape(data["shape"])
    for kind, build in (("tuple", tuple), ("list", list), ("set", set)):
        if kind in data:
            return build(decode(v) for v in data[kind])
    if "dict" in data:
        return {k: decode(v) for k, v in data["dict"].items()}
    if "function" in data:
        return _stand_in(data["function"].rsplit(".", 1)[-1], callable_=True)
    return _stand_in(str(data.get("object", "object")))


def _stand_in(name: str, callable_: bool = False):
    """An empty object whose type is called ``name`` (what a hint names); callable if the answer was."""
    namespace = {"__call__": lambda self, *args: None} if callable_ else {}
    return type(name if name.isidentifier() else "object", (), namespace)()


def digest(args: Any) -> str:
    """A short fingerprint of a hidden case's arguments (SHA-256 of their encoding)."""
    text = json.dumps(encode(args), sort_keys=True, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def append(entry: dict) -> None:
    """Add one line to the log named by ``MNLIB_GRADE_LOG``; nothing when it is not set, never raises."""
    path = os.environ.get(LOG_VARIABLE)
    if not path:
        return
    try:
        line = json.dumps(entry, allow_nan=True) + "\n"
        with open(path, "a", encoding="utf-8") as log:
            log.write(line)
    except Exception:  # recording must never break a student's run
        pass


def read(path) -> list[dict]:
    """Every entry of a log, in order; lines that are not JSON objects are skipped."""
    entries = []
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        return entries
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            entries.append(entry)
    return entries
