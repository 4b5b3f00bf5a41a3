"""Saved models beside their records: written atomically, checked before reuse, the best one found.

A run that keeps its network (:func:`mnlib.train.run` with ``save_model=True``,
the GAN's generator) saves it with :func:`save_model` and names the file in
its record's ``model_file``. Before a record is reused, :func:`unusable` says
whether it must not be (written by other code, model file missing or cut
short); :func:`set_aside` then keeps the old files under a ``stale`` name.
:func:`best_model` is the one policy by which a chapter picks another
chapter's network to build on. Introduced in chapter 5 (saved networks),
used by chapters 6 to 8.
"""

from __future__ import annotations

import datetime
import math
import os
import pathlib
import tempfile
import zipfile
from collections.abc import Mapping, Sequence

from mnlib import checks
from mnlib.results.jsonfiles import read_json
from mnlib.results.records import CODE_VERSION

__all__ = ["save_model", "unusable", "set_aside", "best_model"]

#: The file name endings Keras saves to: weights only, a whole model (zip), a legacy HDF5 model.
SUFFIXES = (".weights.h5", ".keras", ".h5")
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _suffix(path: pathlib.Path) -> str:
    """The Keras ending of ``path``'s name, or ValueError naming the allowed ones."""
    for suffix in SUFFIXES:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            return suffix
    raise ValueError(f"a model file's name ends with one of {SUFFIXES}; got {path.name!r}.")


def save_model(model, path) -> pathlib.Path:
    """Save a Keras model (or only its weights) to ``path``, atomically.

    Keras writes to a hidden temporary file in the same folder whose name
    keeps the ending Keras needs (``.<name>.<random>.keras``); the file is
    flushed to disk and renamed over ``path`` (:func:`os.replace`). A reader
    sees the old file or the new one, never half of one: if saving fails (an
    error in Keras, a full disk, an interrupt), the file that was at ``path``
    is unchanged and the temporary file is removed.

    Args:
        model: a ``keras.Model``.
        path: where to save; ``*.keras`` (the whole model), ``*.weights.h5``
            (weights only, ``model.save_weights``) or ``*.h5``. Its folder is
            created if needed.

    Returns:
        ``path``, as a :class:`pathlib.Path`.

    Raises:
        ValueError: ``path`` has none of those endings (nothing is written).
    """
    path = pathlib.Path(path)
    suffix = _suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[: -len(suffix)]}.", suffix=suffix)
    os.close(fd)
    try:
        if suffix == ".weights.h5":
            model.save_weights(temporary)
        else:
            model.save(temporary)
        with open(temporary, "rb") as f:
            os.fsync(f.fileno())
        os.chmod(temporary, 0o644)  # mkstemp's 0o600 would hide the model from other users
        os.replace(temporary, path)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _unreadable(path: pathlib.Path) -> str | None:
    """Why the model file ``path`` cannot be loaded (missing, not a whole zip / HDF5 file), or None."""
    if not path.is_file():
        return f"its model file {path.name} is missing"
    if path.name.endswith(".keras"):
        try:
            with zipfile.ZipFile(path) as archive:
                damaged = archive.testzip()
        except (OSError, zipfile.BadZipFile) as error:
            return f"its model file {path.name} is not a readable Keras file ({error})"
        return None if damaged is None else f"its model file {path.name} is damaged (in {damaged})"
    if path.name.endswith(".h5"):
        with open(path, "rb") as f:
            if f.read(len(_HDF5_SIGNATURE)) != _HDF5_SIGNATURE:
                return f"its model file {path.name} is not an HDF5 file"
    elif path.stat().st_size == 0:
        return f"its model file {path.name} is empty"
    return None


def unusable(record: Mapping, folder) -> str | None:
    """Why a saved record must not be reused, or None if it may be.

    A record is unusable when it was written by another :data:`CODE_VERSION`
    (its training or evaluation may differ from today's), or when it names a
    ``model_file`` that is missing, or is not a whole Keras file (a ``.keras``
    zip that does not open or fails its checksums, an ``.h5`` that is not
    HDF5), as a crash while saving could leave it.

    Args:
        record: a record (dict) as read from ``folder``.
        folder: the results folder its ``model_file`` is relative to.

    Returns:
        e.g. ``"written by code version 1, this is 2"``, ``"written before code
        versions were recorded, this is 2"`` or ``"its model file x.keras is
        missing"``; None for a record that may be reused.
    """
    version, model_file = _given(record.get("code_version")), _given(record.get("model_file"))
    if version is None:
        return f"written before code versions were recorded, this is {CODE_VERSION}"
    if version != CODE_VERSION:
        return f"written by code version {version}, this is {CODE_VERSION}"
    if model_file is not None:
        return _unreadable(pathlib.Path(folder) / model_file)
    return None


def _given(value) -> str | None:
    """A record's text field, or None where it has none (missing, empty, or NaN in a table's row)."""
    return value if isinstance(value, str) and value else None


def _free(path: pathlib.Path) -> pathlib.Path:
    """``path``, or ``path`` with ``-2``, ``-3``... added if that name is taken."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


def set_aside(folder, record_id: str, why: str) -> pathlib.Path:
    """Keep a stale record and its model file under names that say so, and print one line.

    ``<id>.json`` becomes ``<id>.json.stale-<UTC time>`` and its
    ``model_file`` (if any, and present) ``<model_file>.stale-<UTC time>``, in
    the same folder: neither ends in ``.json`` or ``.keras`` any more, so no
    table, search or reuse finds them, and nothing is deleted.

    Args:
        folder: the results folder.
        record_id: the record's ``id`` (its file name without ``.json``).
        why: the reason, e.g. :func:`unusable`'s.

    Returns:
        The record's new path.

    Raises:
        FileNotFoundError: there is no ``<folder>/<record_id>.json``.
    """
    folder = pathlib.Path(folder)
    path = folder / f"{record_id}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no record {path.name} in {folder} to set aside.")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    record = read_json(path)
    model_file = record.get("model_file") if isinstance(record, dict) else None
    if isinstance(model_file, str) and (folder / model_file).is_file():
        model = folder / model_file
        os.replace(model, _free(model.with_name(f"{model.name}.stale-{stamp}")))
    target = _free(path.with_name(f"{path.name}.stale-{stamp}"))
    os.replace(path, target)
    print(f"Set aside {path.name} as {target.name}: {why}.")
    return target


def _matches(record: Mapping, wanted: Mapping) -> bool:
    """Whether ``record`` has each of ``wanted``'s values (None: any)."""
    return all(value is None or record.get(name) == value for name, value in wanted.items())


def best_model(
    results_dir,
    *,
    dataset: str | None = None,
    class_names: Sequence[str] | None = None,
    resolution: int | None = None,
    notebook: str | None = None,
) -> dict | None:
    """The record of the best saved network that fits, or None: the one policy for building on another run.

    A record is a candidate when it names a ``model_file``, :func:`unusable`
    finds nothing against it (this code version, model file whole), it did
    not diverge, its ``top1`` is a number, and it matches every filter given:
    ``class_names`` exactly (the same names in the same order, so a network
    of other classes never stands in), ``dataset``, ``resolution`` and
    ``notebook`` (the chapter that trained it). Of the candidates, the one of
    highest ``top1`` wins (on a tie, the first by file name).

    Args:
        results_dir: the results folder (a missing folder has no records).
        dataset, class_names, resolution, notebook: the filters; None: any.

    Returns:
        The winning record (a dict, as read), or None when no record fits.
    """
    if class_names is not None:
        if isinstance(class_names, str) or not all(isinstance(n, str) for n in class_names):
            raise ValueError(f"class_names must be a list of strings, got {class_names!r}.")
        class_names = list(class_names)
    if resolution is not None:
        resolution = checks.integer("resolution", resolution, minimum=1)
    wanted = {"dataset": dataset, "class_names": class_names, "resolution": resolution, "notebook": notebook}
    folder = pathlib.Path(results_dir)
    best = None
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        record = None if path.name.startswith(".") else read_json(path)
        if not isinstance(record, dict) or not record.get("model_file") or record.get("diverged"):
            continue
        top1 = record.get("top1")
        if not checks.is_number(top1) or not math.isfinite(top1) or not _matches(record, wanted):
            continue
        if unusable(record, folder) is None and (best is None or top1 > best["top1"]):
            best = record
    return best
