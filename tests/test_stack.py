"""The locked stack (constraints/local.txt): what `make setup` installs, what the book says it is.

These tests concern the course's own environment, .venv; `make test-colab` leaves them out (its
environment has Colab's versions on purpose).
"""

import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import lock  # noqa: E402  (a script of tools/, not a package)


def _requirements() -> list[Requirement]:
    """requirements.txt's and pyproject.toml's requirements (the editable mnlib itself left out)."""
    import tomllib

    lines = [line.split("#", 1)[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    found = [Requirement(line) for line in lines if line and not line.startswith("-")]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return found + [Requirement(text) for text in project["dependencies"]]


def test_the_lock_pins_every_requirement_within_its_range():
    locked = lock.locked_versions()
    assert "mnlib" not in locked, "the lock must not pin mnlib itself"
    outside = [
        f"{req}: {locked.get(lock.normalised(req.name), 'not locked')}"
        for req in _requirements()
        if lock.normalised(req.name) not in locked or locked[lock.normalised(req.name)] not in req.specifier
    ]
    assert not outside, f"constraints/local.txt is out of date (run `make lock`): {outside}"


def test_this_environment_is_the_locked_one():
    """`make setup` installs the lock exactly: `make test` and the committed outputs run on it."""
    differences = lock.differences_from_lock()
    assert not differences, "this environment differs from constraints/local.txt (run `make setup`):\n" + "\n".join(
        differences
    )


def test_the_books_stack_line_is_the_lock_files():
    line = lock.stack_line()
    assert line.startswith("Python 3.") and "TensorFlow " in line and "Keras " in line, line
    assert lock.configured_stack_line() == line, "_config.yml's stack line is stale: run `make lock`"


def test_the_stack_line_is_read_from_the_lock(tmp_path):
    other = tmp_path / "local.txt"
    other.write_text("# Python 3.13.0, 2026-01-01\nkeras==9.9.9\nnumpy==1.0\ntensorflow==8.8.8\n")
    assert lock.stack_line(other) == "Python 3.13, TensorFlow 8.8.8, Keras 9.9.9, NumPy 1.0"
    config = tmp_path / "_config.yml"
    config.write_text('parse:\n  myst_substitutions:\n    stack: "old"\n')
    lock.write_stack_line(config, other)
    assert lock.configured_stack_line(config) == lock.stack_line(other)
    with pytest.raises(ValueError, match="Python"):
        lock.locked_python(tmp_path / "_config.yml")
