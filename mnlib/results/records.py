"""Result records: one JSON file per experiment, written, read and loaded as a table.

Every training run of the course (:func:`mnlib.train.run`) writes one *record*
into a results folder. The studies' tables and plots are built from the
records (:mod:`mnlib.tables`), never from numbers typed by hand, so rerunning
an experiment with other parameters updates every table that uses it.

An experiment is its *configuration* (:data:`IDENTITY`, :func:`configuration`):
the data, the model and how it was trained. Its record is
``<results folder>/<run_id(configuration)>.json``; the same configuration run
from another chapter finds the same record instead of training again, and any
change of a setting writes another file.

A record is a JSON object with these fields (:data:`FIELDS`); those marked
* are optional:

============================== ==============================================================
``id``                         file name without ``.json``, from :func:`run_id`
``dataset``                    ``"synthetic"``, ``"tiny-imagenet"``, ``"stanford-dogs"`` ...
``classes``                    number of classes of the classifier
``resolution``                 input images are ``resolution x resolution`` pixels
``model``                      model name, e.g. ``"mobilenet"``
``model_args``                 the model's arguments, e.g. ``{"alpha": 0.5}``
``params``                     number of parameters (``model.count_params()``)
``trainable_params`` *         number of trainable parameters (fewer with a frozen base)
``mult_adds``                  multiply-adds of one forward pass of one image, or ``None``
``epochs``                     epochs trained
``seconds``                    wall-clock seconds of training, validation included, summed
                               over every session if the run was interrupted and resumed
``top1``                       top-1 accuracy on the evaluation split, in [0, 1]
``top5``                       top-5 accuracy, or ``None`` when there are 5 classes or fewer
``inference_images_per_second`` * images per second of a forward pass on the run's device
``history``                    per-epoch lists: ``loss``, ``top1``, ``val_loss``, ...,
                               ``learning_rate`` and ``seconds`` (one value per epoch)
``profile``                    ``"smoke"`` (a quick run that checks the code) or ``"full"``
``seed``                       the random seed (0 if not given)
``batch_size``                 images per training step
``training``                   how it was trained: ``optimizer``, ``learning_rate``,
                               ``warmup_epochs``, ``weight_decay``, ``augment`` (bool, or
                               ``None`` when it does not apply), ``phases`` ...
``environment``                ``tensorflow``, ``keras``, ``python`` versions, ``device``
                               (GPU name or ``"CPU"``), ``mixed_precision``, ``xla``
``created``                    when the record was written, ISO 8601, UTC
``notebook`` *                 the chapter that trained it (provenance, not identity)
``model_file`` *               the trained model saved beside the record, e.g.
                               ``"<id>.keras"``, relative to the results folder
``class_names`` *              the classes' names, in the order of the classifier's outputs
``code_version`` *             the :data:`CODE_VERSION` of the code that wrote it (:func:`write`
                               fills it in); a record of another version is stale
``correct`` *                  which evaluation images the network got right, in the split's
                               order, packed (:func:`pack_correct`; read with :func:`correct`)
``diverged`` *                 True when a loss became NaN or infinite and training stopped
``diverged_epoch`` *           the epoch (from 1) whose loss was not finite, or ``None``
============================== ==============================================================

Records are written atomically (:func:`mnlib.results.write_json`: a
temporary file in the same folder, then a rename), so an interrupted run never leaves half a record
behind.

Introduced in chapter 3 (the width multiplier).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import math
import numbers
import pathlib
import platform
import re
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from mnlib import checks
from mnlib.results.jsonfiles import jsonable, read_json, write_json

#: Fields of a record, in the order of :func:`load`'s columns.
FIELDS = tuple(
    "id dataset classes resolution model model_args params trainable_params mult_adds epochs seconds top1"
    " top5 inference_images_per_second history profile seed batch_size training environment created"
    " notebook model_file class_names code_version correct diverged diverged_epoch".split()
)

#: Fields a record may lack: :func:`write` fills in ``id``, ``created`` and
#: ``seed`` (0); the others are descriptions some runs do not have.
OPTIONAL = tuple(
    "id created seed notebook model_file class_names trainable_params inference_images_per_second"
    " code_version correct diverged diverged_epoch".split()
)

#: Fields a record must have to be written.
REQUIRED = tuple(f for f in FIELDS if f not in OPTIONAL)

#: The fields that identify an experiment, its configuration: two runs that
#: agree on all of them write the same file, so rerunning a configuration
#: replaces its record, and runs that differ in any of them never share one.
IDENTITY = tuple("dataset classes resolution model model_args seed profile epochs batch_size training".split())

PROFILES = ("smoke", "full")

#: The version of the code that trains, evaluates and records, stamped on every
#: record by :func:`write`. The rule: raise it (by one) in the same commit as any
#: change to mnlib that alters what a run computes (the model built, the data
#: and its order, the training, the evaluation) or what a record's field means.
#: A record of another version is stale: it is never reused (the run trains
#: again and sets the old one aside, :func:`mnlib.results.unusable`) and tables
#: mark it. A change that only renames, documents or speeds up leaves it.
CODE_VERSION = "3"

#: Columns of a study table that describe one run, not its configuration (:func:`mnlib.tables.summarize` drops them).
PER_RUN = ("id", "file", "created", "seed", "history", "environment", "device", "notebook", "model_file", "correct")
#: Measurements that :func:`mnlib.tables.summarize` averages over seeds (mean only).
AVERAGED = ("seconds", "inference_images_per_second")

_INTEGERS = ("classes", "resolution", "seed", "epochs", "batch_size")
_NAMES = ("dataset", "model", "profile")
_DICTS = ("model_args", "training")


def _same_number(value):
    """Canonical JSON with ``1.0`` written as ``1``, so ``alpha=1`` and ``alpha=1.0`` are one setting."""
    if isinstance(value, dict):
        return {k: _same_number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_same_number(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def canonical_key(value) -> str:
    """A canonical JSON string of ``value``: equal settings give equal strings (dict order, numpy, 1 vs 1.0).

    Used to group records by settings (:func:`mnlib.tables.summarize`) and in :func:`run_id`'s hash.
    """
    return json.dumps(_same_number(jsonable(value)), sort_keys=True, separators=(",", ":"))


def _slug(text: str) -> str:
    """Lower-case ``text`` with every run of characters outside ``[a-z0-9.]`` as one ``-``."""
    return re.sub(r"[^a-z0-9.]+", "-", str(text).lower()).strip("-")


def _text(value) -> str:
    """A model argument's value as it reads in a file name: ``0.5``, ``1``, ``true``."""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return f"{value:g}"
    return str(value)


def _check_configuration(configuration) -> None:
    """Raise ValueError unless ``configuration`` has exactly the :data:`IDENTITY` fields, of the right kinds."""
    if not isinstance(configuration, Mapping):
        raise ValueError(f"a configuration is a dict of {list(IDENTITY)}; got {type(configuration).__name__}.")
    missing = [k for k in IDENTITY if k not in configuration]
    unknown = [k for k in configuration if k not in IDENTITY]
    if missing or unknown:
        raise ValueError(
            f"a configuration has exactly the fields {list(IDENTITY)}; missing {missing}, unknown {unknown}. "
            "For a record, pass results.configuration(record)."
        )
    for name in _INTEGERS:
        value = configuration[name]
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not float(value).is_integer():
            raise ValueError(f"{name} must be a whole number; got {value!r}.")
    for name in _NAMES:
        if not isinstance(configuration[name], str) or not configuration[name]:
            raise ValueError(f"{name} must be a non-empty string; got {configuration[name]!r}.")
    for name in _DICTS:
        if not isinstance(configuration[name], Mapping):
            raise ValueError(f"{name} must be a dict; got {type(configuration[name]).__name__}.")


def run_id(configuration: Mapping) -> str:
    """The file name (without ``.json``) of an experiment's record.

    Readable and stable: equal configurations always give the same name,
    e.g. ``mobilenet-alpha-0.5_tiny-imagenet-10_64px_seed0_full_3f2a9c1e``
    (``_noaug`` before the hash when ``training["augment"]`` is False).
    The last part is 8 hex digits of a SHA-256 hash of the canonical JSON of
    the whole configuration (keys sorted, ``1.0`` written as ``1``), so any
    change of a setting (learning rate, epochs, ...) gives another file.

    Args:
        configuration: a dict with exactly the :data:`IDENTITY` fields (see
            :func:`configuration`); ``classes``, ``resolution``, ``seed``,
            ``epochs`` and ``batch_size`` whole numbers, ``model_args`` and
            ``training`` dicts.

    Raises:
        ValueError: a field is missing, unknown or of the wrong kind.
        TypeError: a value is not JSON (e.g. a layer in ``model_args``).
    """
    _check_configuration(configuration)
    settings = _same_number(jsonable(configuration))
    digest = hashlib.sha256(canonical_key(settings).encode()).hexdigest()[:8]
    args = "-".join(f"{k}-{_text(v)}" for k, v in sorted(settings["model_args"].items()))
    model = settings["model"]
    parts = [
        _slug(f"{model}-{args}" if args else model),
        _slug(f"{settings['dataset']}-{settings['classes']}"),
        f"{settings['resolution']}px",
        f"seed{settings['seed']}",
        _slug(settings["profile"]),
        "noaug" if settings["training"].get("augment") is False else "",
    ]
    readable = "_".join(p for p in parts if p)[:150]
    return f"{readable}_{digest}"


def configuration(record: Mapping | pd.Series) -> dict:
    """The configuration of a record (a dict, or a row of :func:`load`): its :data:`IDENTITY` fields.

    ``seed`` is 0 where the record has none (as :func:`write` assumes) and
    missing values are None, so ``run_id(configuration(record)) == record["id"]``
    for a record written by :func:`write` without an ``id`` of its own.
    """
    found = {}
    for name in IDENTITY:
        value = record.get(name, 0 if name == "seed" else None)
        if isinstance(value, float) and math.isnan(value):  # a missing field in a table
            value = None
        found[name] = value
    return found


def environment(*, device: str | None = None, mixed_precision: bool = False, xla: bool = False) -> dict:
    """Where a run ran: library versions and device.

    Args:
        device: the device's name; by default :func:`mnlib.device.accelerator`'s
            (the first GPU's name, or ``"CPU"``).
        mixed_precision: whether the run computed in ``mixed_float16``.
        xla: whether the training step was compiled with XLA.

    Returns:
        ``{"tensorflow", "keras", "python", "mnlib", "device", "mixed_precision", "xla"}``.
    """
    import keras
    import tensorflow as tf

    import mnlib
    from mnlib import device as devices

    if device is None:
        device = devices.accelerator().name
    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "python": platform.python_version(),
        "mnlib": mnlib.__version__,
        "device": device,
        "mixed_precision": bool(mixed_precision),
        "xla": bool(xla),
    }


def _check(record: Mapping) -> None:
    """Raise ValueError if ``record`` lacks a field or has one of the wrong kind."""
    missing = [f for f in REQUIRED if f not in record]
    if missing:
        raise ValueError(f"a result record needs the fields {list(REQUIRED)}; missing {missing}.")
    if record["profile"] not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}; got {record['profile']!r}.")
    for name in ("top1", "top5"):
        value = record[name]
        if value is not None and not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"{name} is an accuracy in [0, 1] (or None); got {value!r}.")
    if not isinstance(record["history"], Mapping):
        raise ValueError("history must be a dict of per-epoch lists, e.g. {'loss': [2.3, 1.9]}.")
    _check_configuration(configuration(record))
    if record.get("id") and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", str(record["id"])):
        raise ValueError(f"id is a file name of letters, digits, '.', '_' and '-'; got {record['id']!r}.")
    model_file = record.get("model_file")
    if model_file is not None:
        relative = pathlib.PurePosixPath(str(model_file))
        if not isinstance(model_file, str) or relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"model_file is a file name relative to the results folder; got {model_file!r}.")
    names = record.get("class_names")
    if names is not None and (isinstance(names, str) or not all(isinstance(n, str) for n in names)):
        raise ValueError(f"class_names is a list of strings; got {names!r}.")
    _check_run_fields(record)


def _check_run_fields(record: Mapping) -> None:
    """Raise ValueError if ``code_version``, ``correct``, ``diverged`` or ``diverged_epoch`` is malformed."""
    version = record.get("code_version")
    if version is not None and (not isinstance(version, str) or not version):
        raise ValueError(f"code_version is a non-empty string such as {CODE_VERSION!r}; got {version!r}.")
    if record.get("correct") is not None:
        correct(record)  # raises ValueError if it does not unpack
    if record.get("diverged") is not None:
        checks.boolean("diverged", record["diverged"])
    if record.get("diverged_epoch") is not None:
        checks.integer("diverged_epoch", record["diverged_epoch"], minimum=1)


def write(record: Mapping, folder) -> pathlib.Path:
    """Write one record as ``<folder>/<id>.json``, atomically (:func:`write_json`).

    Args:
        record: a dict with at least the fields in :data:`REQUIRED`. A missing
            ``seed`` is 0, a missing ``id`` is ``run_id(configuration(record))``,
            a missing ``created`` is now (UTC) and a missing ``code_version``
            is :data:`CODE_VERSION` (a record that names one keeps it, so
            rewriting an old record never passes it off as new). Fields
            outside :data:`FIELDS` are kept, after them.
        folder: the results folder; created if needed.

    Returns:
        The path of the record. A record with the same ``id`` is replaced.

    Raises:
        ValueError: a required field is missing or has a wrong value.
        TypeError: a field holds something that is not JSON (e.g. a model).
    """
    record = dict(record)
    record.setdefault("seed", 0)
    record.setdefault("code_version", CODE_VERSION)
    _check(record)
    if not record.get("id"):
        record["id"] = run_id(configuration(record))
    if not record.get("created"):
        record["created"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    ordered = {k: record[k] for k in FIELDS if k in record}
    ordered.update({k: v for k, v in record.items() if k not in ordered})
    return write_json(pathlib.Path(folder) / f"{record['id']}.json", ordered)


def read(path) -> dict:
    """Read one record file; raise ValueError if it is not a JSON object."""
    path = pathlib.Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path.name} is not valid JSON ({error})") from None
    if not isinstance(record, dict):
        raise ValueError(f"{path.name} holds a JSON {type(record).__name__}, not a record (an object)")
    return record


def find(folder, record_id: str) -> dict | None:
    """The record ``<folder>/<record_id>.json``, or None if there is none (or it is unreadable)."""
    record = read_json(pathlib.Path(folder) / f"{record_id}.json")
    return record if isinstance(record, dict) else None


def load(folder) -> pd.DataFrame:
    """All records of a results folder, one row per record.

    Args:
        folder: the results folder (a missing folder holds no records).

    Returns:
        A DataFrame with the columns :data:`FIELDS` (in that order; None where
        a record lacks an optional field), then any other field a record
        has, ``device`` (from ``environment``), ``augment`` (from
        ``training``), one column per model argument found in any record
        (e.g. ``alpha``, ``shallow``; missing where a model lacks it), and
        ``file`` (the record's file name). Rows are sorted by file name.
        With no records it is empty but has the :data:`FIELDS` columns, so
        code that filters it still runs.

    Files that are not valid records are skipped with a warning that names
    them. Only ``*.json`` files directly in ``folder`` are read; hidden files
    (temporary files of a write in progress) are ignored.
    """
    folder = pathlib.Path(folder)
    rows = []
    paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    for path in paths:
        if path.name.startswith("."):
            continue
        try:
            record = read(path)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            warnings.warn(f"skipping {path.name}: not a readable result record ({error}).", stacklevel=2)
            continue
        row = {k: record.get(k) for k in FIELDS}
        row.update({k: v for k, v in record.items() if k not in row})
        row["file"] = path.name
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=list(FIELDS))

    frame = pd.DataFrame(rows)
    extra = [c for c in frame.columns if c not in FIELDS and c not in ("file", "device", "augment")]
    frame["device"] = [env.get("device") if isinstance(env, dict) else None for env in frame["environment"]]
    frame["augment"] = [t.get("augment") if isinstance(t, dict) else None for t in frame["training"]]
    arg_names = []
    for args in frame["model_args"]:
        for name in args if isinstance(args, dict) else ():
            if name not in arg_names and name not in frame.columns:
                arg_names.append(name)
    for name in arg_names:
        frame[name] = [args.get(name) if isinstance(args, dict) else None for args in frame["model_args"]]
    columns = list(FIELDS) + extra + ["device", "augment"] + arg_names + ["file"]
    return frame[columns].reset_index(drop=True)


def pack_correct(correct_images) -> dict:
    """Per-image correctness, packed for a record's ``correct`` field.

    Args:
        correct_images: booleans, one per evaluation image in the split's
            order (e.g. ``predictions == labels``).

    Returns:
        ``{"images": n, "right": k, "bits": text}``: ``bits`` is the base64 text
        of :func:`numpy.packbits` (8 images a byte, about 34 characters per
        200 images); read it back with :func:`correct`.

    Raises:
        ValueError: ``correct_images`` is not a 1-D array of booleans.
    """
    array = np.asarray(correct_images)
    if array.dtype != np.bool_ or array.ndim != 1:
        raise ValueError(
            "correct_images must be a 1-D array of booleans, one per image; "
            f"got dtype {array.dtype}, shape {array.shape}."
        )
    bits = base64.b64encode(np.packbits(array).tobytes()).decode("ascii")
    return {"images": int(array.size), "right": int(array.sum()), "bits": bits}


def correct(record: Mapping | pd.Series) -> np.ndarray | None:
    """Which evaluation images a record's network got right: booleans, or None if the record has none.

    ``record`` is a dict or a row of :func:`load`; its ``correct`` field is
    :func:`pack_correct`'s. Records written before per-image correctness was
    kept have none.

    Raises:
        ValueError: the field is there but is not a packed array (wrong keys,
            bits that do not decode, a count that disagrees).
    """
    packed = record.get("correct")
    if packed is None or (isinstance(packed, float) and math.isnan(packed)):
        return None
    try:
        images = checks.integer("correct's images", packed["images"], minimum=0)
        raw = np.frombuffer(base64.b64decode(packed["bits"], validate=True), dtype=np.uint8)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"correct is a packed array from pack_correct ({error}); got {packed!r:.80}.") from None
    if raw.size != (images + 7) // 8:
        raise ValueError(f"correct's bits hold {raw.size} bytes, not the {(images + 7) // 8} of {images} images.")
    values = np.unpackbits(raw)[:images].astype(bool)
    if "right" in packed and packed["right"] != int(values.sum()):
        raise ValueError(f"correct says {packed['right']} images are right but its bits say {int(values.sum())}.")
    return values
