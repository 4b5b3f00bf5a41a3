"""JSON files written atomically: a reader sees the old file or the new one, never half of one.

Result records (:mod:`mnlib.results.records`), the training loop's per-epoch
log and the stand-in datasets' descriptions are written this way.
Introduced in chapter 3 (the width multiplier), with the first records.
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import tempfile
from collections.abc import Mapping

__all__ = ["jsonable", "write_json", "read_json"]


def jsonable(value):
    """``value`` as JSON-ready Python: numpy scalars and arrays to numbers and lists, NaN and infinities to None.

    Raises:
        TypeError: ``value`` holds something that is not JSON (a model, a layer...).
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (str, bool)) or value is None:
        return value
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:  # numpy / tf scalars
        value = value.item()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "tolist"):  # numpy arrays
        return jsonable(value.tolist())
    raise TypeError(f"a record holds only JSON values (numbers, strings, lists, dicts); got {type(value).__name__}")


def write_json(path, value, *, indent: int | None = 1) -> pathlib.Path:
    """Write ``value`` as JSON to ``path``, atomically.

    The text goes to a hidden temporary file in the same folder
    (``.<name>.<random>.tmp``), is flushed to disk, then renamed over
    ``path``: a reader sees the old file or the new one, never half of one,
    and an error (a full disk, an interrupt) leaves the old file as it was
    and no temporary file behind.

    Args:
        path: the file to write; its folder is created if needed.
        value: JSON values (dicts, lists, strings, numbers, None); numpy
            scalars and arrays become numbers and lists, NaN and infinities
            ``null``.
        indent: as for :func:`json.dumps` (None: one line).

    Returns:
        ``path``, as a :class:`pathlib.Path`.

    Raises:
        TypeError: ``value`` holds something that is not JSON (nothing is written).
    """
    path = pathlib.Path(path)
    text = json.dumps(jsonable(value), indent=indent, allow_nan=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), 0o644)  # mkstemp's 0o600 would hide records from other users
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_json(path):
    """The JSON value in ``path``, or None if the file is missing or is not valid JSON."""
    try:
        return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
