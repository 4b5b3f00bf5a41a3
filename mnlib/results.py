"""Result records: one JSON file per training run, and a table of all of them.

Every training run of the course (:func:`mnlib.train.run`) writes one *record*
into a results folder. The studies' tables and plots are built from the
records with :func:`load`, never from numbers typed by hand, so rerunning an
experiment with other parameters updates every table that uses it.

A record is a JSON object with these fields (:data:`FIELDS`):

==============  ==============================================================
``id``          file name without ``.json``, from :func:`run_id`
``notebook``    the notebook (lesson) that ran the experiment, e.g. ``"03-width"``
``dataset``     ``"synthetic"``, ``"tiny-imagenet"``, ``"stanford-dogs"`` ...
``classes``     number of classes of the classifier
``resolution``  input images are ``resolution x resolution`` pixels
``model``       model name, e.g. ``"mobilenet"``
``model_args``  the model's arguments, e.g. ``{"alpha": 0.5}``
``params``      number of parameters (``model.count_params()``)
``mult_adds``   multiply-adds of one forward pass of one image, or ``None``
``epochs``      epochs trained
``seconds``     wall-clock seconds of training, validation included, summed
                over every session if the run was interrupted and resumed
``top1``        top-1 accuracy on the evaluation split, in [0, 1]
``top5``        top-5 accuracy, or ``None`` when there are 5 classes or fewer
``history``     per-epoch lists: ``loss``, ``top1``, ``val_loss``, ...,
                ``learning_rate`` and ``seconds`` (one value per epoch)
``profile``     ``"smoke"`` (a quick run that checks the code) or ``"full"``
``seed``        the random seed
``batch_size``  images per training step
``training``    how it was trained: optimizer, learning rate, schedule ...
``environment`` ``tensorflow``, ``keras``, ``python`` versions, ``device``
                (GPU name or ``"CPU"``), ``mixed_precision``, ``xla``
``created``     when the record was written, ISO 8601, UTC
==============  ==============================================================

Records are written atomically (a temporary file in the same folder, then a
rename), so an interrupted run never leaves half a record behind.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import pathlib
import platform
import re
import tempfile
import warnings

import pandas as pd

#: Fields of a record, in the order of :func:`load`'s columns.
FIELDS = (
    "id",
    "notebook",
    "dataset",
    "classes",
    "resolution",
    "model",
    "model_args",
    "params",
    "mult_adds",
    "epochs",
    "seconds",
    "top1",
    "top5",
    "history",
    "profile",
    "seed",
    "batch_size",
    "training",
    "environment",
    "created",
)

#: Fields a record must have to be written: all but those :func:`write`
#: fills in (``id``, ``created``, ``seed`` 0) and the optional descriptions.
REQUIRED = tuple(f for f in FIELDS if f not in ("id", "created", "seed", "batch_size", "training"))

#: The fields that identify an experiment: two runs that agree on all of them
#: write the same file, so rerunning a configuration replaces its record.
IDENTITY = ("notebook", "dataset", "classes", "resolution", "model", "model_args", "seed", "profile", "augment")

PROFILES = ("smoke", "full")


def _canonical(value):
    """``value`` as JSON-ready Python: numpy scalars to Python, NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (str, bool)) or value is None:
        return value
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:  # numpy / tf scalars
        value = value.item()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "tolist"):  # numpy arrays
        return _canonical(value.tolist())
    raise TypeError(f"a record holds only JSON values (numbers, strings, lists, dicts); got {type(value).__name__}")


def _slug(text: str) -> str:
    """Lower-case ``text`` with every run of characters outside ``[a-z0-9.]`` as one ``-``."""
    return re.sub(r"[^a-z0-9.]+", "-", str(text).lower()).strip("-")


def run_id(*, notebook, dataset, classes, resolution, model, model_args, seed, profile, augment=None) -> str:
    """The file name (without ``.json``) of an experiment's record.

    Readable and stable: the same configuration always gives the same name,
    e.g. ``03-width_mobilenet-alpha-0.5_tiny-imagenet-10_64px_seed0_full_3f2a9c1e``.
    The last part is a hash of all the identifying fields (:data:`IDENTITY`), so
    two configurations that differ only in characters the slug drops still get
    different files. ``augment`` (whether the training images were augmented;
    None when it does not apply) is part of the identity: an ablation with and
    without augmentation writes two records.
    """
    identity = _canonical(
        dict(
            notebook=notebook,
            dataset=dataset,
            classes=int(classes),
            resolution=int(resolution),
            model=model,
            model_args=dict(model_args or {}),
            seed=int(seed),
            profile=profile,
        )
    )
    if augment is not None:
        identity["augment"] = bool(augment)
    digest = hashlib.sha1(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:8]
    args = "-".join(f"{k}-{v}" for k, v in sorted(identity["model_args"].items()))
    parts = [
        _slug(notebook),
        _slug(f"{model}-{args}" if args else model),
        _slug(f"{dataset}-{classes}"),
        f"{int(resolution)}px",
        f"seed{int(seed)}",
        _slug(profile),
        "noaug" if augment is False else "",
    ]
    readable = "_".join(p for p in parts if p)[:150]
    return f"{readable}_{digest}"


def environment(*, device: str | None = None, mixed_precision: bool = False, xla: bool = False) -> dict:
    """Where a run ran: library versions and device.

    Args:
        device: the device's name; by default the first GPU's name, or ``"CPU"``.
        mixed_precision: whether the run computed in ``mixed_float16``.
        xla: whether the training step was compiled with XLA.

    Returns:
        ``{"tensorflow", "keras", "python", "mnlib", "device", "mixed_precision", "xla"}``.
    """
    import keras
    import tensorflow as tf

    import mnlib

    if device is None:
        device = "CPU"
        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            device = details.get("device_name", "GPU")
    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "python": platform.python_version(),
        "mnlib": mnlib.__version__,
        "device": device,
        "mixed_precision": bool(mixed_precision),
        "xla": bool(xla),
    }


def _check(record: dict) -> None:
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
    if not isinstance(record["history"], dict):
        raise ValueError("history must be a dict of per-epoch lists, e.g. {'loss': [2.3, 1.9]}.")
    if not isinstance(record["model_args"], dict):
        raise ValueError(f"model_args must be a dict; got {type(record['model_args']).__name__}.")


def _identity(record: dict) -> dict:
    """The :data:`IDENTITY` fields of a record (``augment`` is read from ``training``)."""
    found = {k: record[k] for k in IDENTITY if k != "augment"}
    found["augment"] = (record.get("training") or {}).get("augment")
    return found


def write(record: dict, folder) -> pathlib.Path:
    """Write one record as ``<folder>/<id>.json``, atomically.

    Args:
        record: a dict with at least the fields in :data:`REQUIRED`. Missing
            ``id`` is computed with :func:`run_id` (``seed`` defaults to 0)
            and missing ``created`` is set to now (UTC).
        folder: the results folder; created if needed.

    Returns:
        The path of the record. A record with the same ``id`` is replaced.

    Raises:
        ValueError: a required field is missing or has a wrong value.
        TypeError: a field holds something that is not JSON (e.g. a model).
    """
    _check(record)
    record = dict(record)
    record.setdefault("seed", 0)
    if not record.get("id"):
        record["id"] = run_id(**_identity(record))
    if not record.get("created"):
        record["created"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    ordered = {k: record[k] for k in FIELDS if k in record}
    ordered.update({k: v for k, v in record.items() if k not in ordered})
    text = json.dumps(_canonical(ordered), indent=1, allow_nan=False) + "\n"

    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record['id']}.json"
    # Same folder, so that the rename below is atomic; a dot name, so that
    # load() never reads a half-written file.
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{record['id']}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise
    return path


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
    path = pathlib.Path(folder) / f"{record_id}.json"
    if not path.is_file():
        return None
    try:
        return read(path)
    except (OSError, ValueError):
        return None


def load(folder) -> pd.DataFrame:
    """All records of a results folder, one row per record.

    Args:
        folder: the results folder (a missing folder holds no records).

    Returns:
        A DataFrame with the columns :data:`FIELDS` (in that order), then
        ``device`` (from ``environment``), ``augment`` (from ``training``), then one column per model argument
        found in any record (e.g. ``alpha``, ``shallow``; missing where a
        model lacks it), then ``file`` (the record's file name). Rows are
        sorted by file name. With no records it is empty but has the
        :data:`FIELDS` columns, so code that filters it still runs.

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
    extra = [c for c in frame.columns if c not in FIELDS and c != "file"]
    frame["device"] = [(env or {}).get("device") if isinstance(env, dict) else None for env in frame["environment"]]
    frame["augment"] = [t.get("augment") if isinstance(t, dict) else None for t in frame["training"]]
    arg_names = []
    for args in frame["model_args"]:
        for name in args if isinstance(args, dict) else ():
            if name not in arg_names and name not in frame.columns:
                arg_names.append(name)
    for name in arg_names:
        frame[name] = [args.get(name) if isinstance(args, dict) else None for args in frame["model_args"]]
    columns = list(FIELDS) + [c for c in extra if c != "augment"] + ["device", "augment"] + arg_names + ["file"]
    return frame[columns].reset_index(drop=True)


def study(folder, **where) -> pd.DataFrame:
    """The records of one study: :func:`load`, filtered and ready for tables and plots.

    Args:
        folder: the results folder.
        **where: field values a record must have, e.g. ``notebook="03_width_multiplier",
            dataset="synthetic", classes=10, profile="smoke"``.

    Returns:
        The matching rows of :func:`load`, with ``alpha`` (1.0 where a model
        has no such argument), ``shallow`` and ``augment`` as booleans,
        ``params_m`` and ``mult_adds_m`` (millions), and ``label``, a short
        name of the model such as ``"0.75 MobileNet-64"``, ``"shallow 1
        MobileNet-64"`` or ``"1 MobileNet-64, no augmentation"``.
    """
    frame = load(folder)
    for field, value in where.items():
        if field not in frame.columns:
            raise ValueError(f"records have no field {field!r}; they have {list(frame.columns)}.")
        frame = frame[frame[field] == value]
    frame = frame.copy()
    for column, default in (("alpha", 1.0), ("shallow", False), ("augment", True)):
        values = frame[column] if column in frame.columns else pd.Series(default, index=frame.index)
        frame[column] = values.where(values.notna(), default).astype(type(default))
    frame["params_m"] = frame["params"].astype(float) / 1e6
    frame["mult_adds_m"] = frame["mult_adds"].astype(float) / 1e6
    frame["label"] = [
        ("shallow " if shallow else "") + f"{alpha:g} MobileNet-{resolution}" + ("" if augment else ", no augmentation")
        for alpha, shallow, augment, resolution in zip(
            frame["alpha"], frame["shallow"], frame["augment"], frame["resolution"]
        )
    ]
    return frame.reset_index(drop=True)
