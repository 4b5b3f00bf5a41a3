"""The argument checks: one behaviour for NumPy scalars and booleans, one message style."""

import math

import numpy as np
import pytest

from mnlib import checks


def test_integers_numpy_accepted_booleans_refused():
    assert checks.integer("epochs", np.int64(3), 1) == 3
    assert type(checks.integer("epochs", np.int32(3), 1)) is int
    for bad in (True, np.True_, 2.0, "2", None, np.float64(2)):
        with pytest.raises(ValueError, match=r"^epochs must be an integer >= 1, got "):
            checks.integer("epochs", bad, 1)
    assert checks.is_integer(np.uint8(1)) and not checks.is_integer(False) and not checks.is_integer(np.False_)


def test_integer_bounds_are_closed_and_named():
    assert checks.integer("n", 1, 1, 3) == 1 and checks.integer("n", 3, 1, 3) == 3
    with pytest.raises(ValueError, match=r"^n must be an integer in \[1, 3\], got 4\.$"):
        checks.integer("n", 4, 1, 3)
    with pytest.raises(ValueError, match=r"^n must be an integer <= 3, got 4\.$"):
        checks.integer("n", 4, maximum=3)
    with pytest.raises(ValueError, match=r"^side must be an integer number of pixels >= 8, got 4\.$"):
        checks.integer("side", 4, 8, unit="number of pixels")
    with pytest.raises(ValueError, match=r"^seed must be an integer, got 'a'\. Try 0\.$"):
        checks.integer("seed", "a", hint="Try 0.")


def test_numbers_numpy_accepted_booleans_and_nan_refused():
    assert checks.number("rate", np.float32(0.5), above=0) == 0.5
    assert type(checks.number("rate", np.int64(2))) is float
    for bad in (True, np.True_, math.nan, np.float32("nan"), math.inf, "0.1", None):
        with pytest.raises(ValueError, match=r"^rate must be a finite number"):
            checks.number("rate", bad)
    assert checks.number("rate", math.inf, finite=False) == math.inf
    assert not checks.is_number(np.bool_(True)) and not checks.is_number(math.nan) and checks.is_number(np.int8(1))


def test_number_open_and_closed_bounds():
    assert checks.number("alpha", 1.0, above=0, maximum=1) == 1.0
    with pytest.raises(ValueError, match=r"^alpha must be a finite number in \(0, 1\], got 0\.$"):
        checks.number("alpha", 0, above=0, maximum=1)
    with pytest.raises(ValueError, match=r"in \(0, 10\), got 10"):
        checks.number("learning_rate", 10, above=0, below=10)
    with pytest.raises(ValueError, match=r"^x must be a finite number >= 0, got -1\.$"):
        checks.number("x", -1, minimum=0)
    assert checks.number("x", 0, minimum=0) == 0.0


def test_choice_compares_by_value_not_truthiness():
    assert checks.choice("optimizer", "sgd", ("adam", "sgd")) == "sgd"
    with pytest.raises(ValueError, match=r"^optimizer must be one of \('adam', 'sgd'\), got 'adagrad'\.$"):
        checks.choice("optimizer", "adagrad", ("adam", "sgd"))
    with pytest.raises(ValueError, match="one of"):
        checks.choice("classes", True, (1, 2))  # True == 1, but a boolean is not a count
    with pytest.raises(ValueError, match="one of"):
        checks.choice("family", np.array(["a", "b"]), ("a",))
    assert checks.choice("resolution", np.int64(64), (32, 64)) == 64


def test_boolean_refuses_integers():
    assert checks.boolean("augment", np.True_) is True
    for bad in (1, 0, "yes", None):
        with pytest.raises(ValueError, match=r"^augment must be True or False, got "):
            checks.boolean("augment", bad)
