"""Argument checks: one set of validators for every public function of the course.

Each validator takes the argument's name and value, raises ``ValueError``
with one message style when the value is not allowed, and returns it in a
plain Python type::

    NAME must be WHAT IS ALLOWED, got VALUE. [HINT]

One behaviour for NumPy scalars and booleans everywhere: a NumPy integer
(``np.int64(3)``) is an integer and a NumPy float a number; a boolean (``True``,
``np.True_``) is neither, though Python counts it as ``1``; NaN is never a
number here. The shared checks follow keras.applications' habit (one helper
module that every builder imports). Introduced in chapter 3, where
:func:`mnlib.train.run` checks its parameters before anything trains.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np

__all__ = ["is_integer", "is_number", "integer", "number", "choice", "boolean"]


def is_integer(value) -> bool:
    """Whether ``value`` is an integer: a Python or NumPy integer, not a boolean."""
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def is_number(value) -> bool:
    """Whether ``value`` is a real number that is not NaN: an integer or a float (NumPy's too), not a boolean."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        return False
    return not math.isnan(float(value))


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def _fail(name, allowed, value, hint):
    message = f"{name} must be {allowed}, got {value!r}."
    raise ValueError(f"{message} {hint}" if hint else message)


def _range(minimum, maximum, above, below) -> str:
    """Words for the bounds: ``" >= 1"``, ``" in (0, 1]"``..."""
    low = (f"({above}", above) if above is not None else (f"[{minimum}", minimum) if minimum is not None else None
    high = (f"{below})", below) if below is not None else (f"{maximum}]", maximum) if maximum is not None else None
    if low and high:
        return f" in {low[0]}, {high[0]}"
    if low:
        return f" > {above}" if above is not None else f" >= {minimum}"
    if high:
        return f" < {below}" if below is not None else f" <= {maximum}"
    return ""


def _within(value, minimum, maximum, above, below) -> bool:
    return not (
        (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
        or (above is not None and value <= above)
        or (below is not None and value >= below)
    )


def integer(name: str, value, minimum=None, maximum=None, *, unit: str = "", hint: str = "") -> int:
    """``value`` as an ``int``, if it is an integer in ``[minimum, maximum]`` (either bound optional).

    ``unit`` names what it counts in the message (``"number of pixels"``:
    "resolution must be an integer number of pixels >= 32, got 16.").

    Raises:
        ValueError: e.g. ``"epochs must be an integer >= 1, got 0."``; ``hint``
            (a sentence) is added after the message.
    """
    if not is_integer(value) or not _within(value, minimum, maximum, None, None):
        _fail(name, "an integer" + (f" {unit}" if unit else "") + _range(minimum, maximum, None, None), value, hint)
    return int(value)


def number(
    name: str,
    value,
    minimum=None,
    maximum=None,
    *,
    above=None,
    below=None,
    finite: bool = True,
    hint: str = "",
) -> float:
    """``value`` as a ``float``, if it is a number within the bounds given.

    Args:
        name, value: the argument's name (for the message) and value.
        minimum, maximum: closed bounds (``value >= minimum``, ``value <= maximum``).
        above, below: open bounds (``value > above``, ``value < below``).
        finite: refuse infinities (default True; NaN is always refused).
        hint: a sentence added after the message (what to do, what is usual).

    Raises:
        ValueError: e.g. ``"learning_rate must be a number in (0, 10), got -1."``.
    """
    ok = is_number(value) and (not finite or math.isfinite(float(value)))
    if not ok or not _within(value, minimum, maximum, above, below):
        allowed = "a finite number" if finite else "a number"
        _fail(name, allowed + _range(minimum, maximum, above, below), value, hint)
    return float(value)


def choice(name: str, value, allowed: Iterable, *, hint: str = ""):
    """``value`` itself, if it is one of ``allowed`` (compared with ``==``, never by truthiness).

    Raises:
        ValueError: e.g. ``"optimizer must be one of ('adam', 'rmsprop', 'sgd'), got 'adagrad'."``.
    """
    allowed = tuple(allowed)
    try:
        found = any(bool(value == option) and _is_bool(value) == _is_bool(option) for option in allowed)
    except (TypeError, ValueError):  # an array compared with a string...
        found = False
    if not found:
        _fail(name, f"one of {allowed}", value, hint)
    return value


def boolean(name: str, value, *, hint: str = "") -> bool:
    """``value`` as a ``bool``, if it is ``True`` or ``False`` (NumPy's too); ``0`` and ``1`` are refused.

    Raises:
        ValueError: e.g. ``"augment must be True or False, got 1."``.
    """
    if not isinstance(value, (bool, np.bool_)):
        _fail(name, "True or False", value, hint)
    return bool(value)
