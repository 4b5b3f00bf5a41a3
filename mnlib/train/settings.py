"""What a run may be asked, and a training chapter's settings.

* :func:`~mnlib.train.run`'s parameters are checked here, every one before
  any data is read or model built (:data:`MODEL_ARGS`, the fine-tuning
  phase's keys, :data:`FINE_TUNE_LEARNING_RATE`); :func:`~mnlib.train.check`
  runs the same checks over a study's grid.
* A chapter's parameters cell leaves ``DATASET``, ``EPOCHS``, ``BATCH_SIZE``,
  ``DATA_DIR`` and ``RESULTS_DIR`` at ``None`` to take its profile's choice;
  :func:`study_settings` fills them in (:data:`PROFILES`, or the chapter's
  own table) and :func:`device_notice` says where training will run.

Introduced in chapter 3; the fine-tuning phase in the comparison chapter.
"""

from __future__ import annotations

import dataclasses
import pathlib

import tensorflow as tf

from mnlib import checks
from mnlib.device import accelerator
from mnlib.train.optim import OPTIMIZERS

__all__ = [
    "PROFILES",
    "StudySettings",
    "study_settings",
    "device_notice",
    "imagenet_weights_available",
    "MODEL_ARGS",
    "FINE_TUNE_LEARNING_RATE",
    "check_run_parameters",
    "check_batches",
]


#: What each profile means for a training chapter: its dataset, epochs and batch size.
PROFILES = {
    "smoke": {"dataset": "synthetic", "epochs": 4, "batch_size": 32},
    "full": {"dataset": "tiny-imagenet", "epochs": 30, "batch_size": 64},
}


@dataclasses.dataclass(frozen=True)
class StudySettings:
    """A training chapter's settings, each ``None`` of its parameters cell resolved.

    Attributes:
        profile: ``"smoke"`` or ``"full"``.
        dataset: ``"synthetic"``, ``"tiny-imagenet"`` or ``"stanford-dogs"``.
        epochs: training epochs per network.
        batch_size: images per training step.
        data_dir: the datasets' folder.
        results_dir: the result records' folder.
        caption: a suffix for titles and captions that labels results on the
            synthetic stand-in (``" (synthetic stand-in, smoke run)"``; empty for real data).
    """

    profile: str
    dataset: str
    epochs: int
    batch_size: int
    data_dir: pathlib.Path
    results_dir: pathlib.Path
    caption: str


def study_settings(
    *,
    profile: str,
    dataset=None,
    epochs=None,
    batch_size=None,
    data_dir=None,
    results_dir=None,
    defaults: dict | None = None,
) -> StudySettings:
    """A training chapter's :class:`StudySettings`, with ``None`` replaced by the profile's choice.

    Every argument is a keyword (``study_settings(profile=PROFILE,
    dataset=DATASET, ...)``): a chapter's parameters cell names each one.

    Args:
        profile: ``"smoke"`` (the synthetic stand-in, a few epochs) or ``"full"``
            (the real dataset); see :data:`PROFILES`.
        dataset, epochs, batch_size: override the profile's.
        data_dir, results_dir: default ``data/`` and ``results/`` at the
            course's root (:func:`mnlib.course_folder`).
        defaults: another table like :data:`PROFILES` (a chapter with other needs).
    """
    import mnlib
    from mnlib.data import DATASETS

    table = PROFILES if defaults is None else defaults
    if profile not in table:
        raise ValueError(f"PROFILE must be one of {tuple(table)}; got {profile!r}.")
    dataset = dataset or table[profile]["dataset"]
    if dataset not in DATASETS:
        raise ValueError(f"DATASET must be one of {tuple(DATASETS)} or None; got {dataset!r}.")
    return StudySettings(
        profile=profile,
        dataset=dataset,
        epochs=epochs or table[profile]["epochs"],
        batch_size=batch_size or table[profile]["batch_size"],
        data_dir=pathlib.Path(data_dir or mnlib.course_folder("data")),
        results_dir=pathlib.Path(results_dir or mnlib.course_folder("results")),
        caption=" (synthetic stand-in, smoke run)" if dataset == "synthetic" else "",
    )


def device_notice() -> str:
    """One line that says where training will run, and what to do on Colab without a GPU."""
    import sys

    device = accelerator()
    if device.gpu:
        return f"Training on the GPU {device.name}."
    line = "Training on the CPU: no GPU found."
    if "google.colab" in sys.modules:
        line += " The full profile needs one: Runtime → Change runtime type → GPU, then run again."
    else:
        line += " Fine for the smoke profile; the full profile needs a GPU (e.g. on Colab)."
    return line


def imagenet_weights_available(name: str, resolution: int, *, weights_dir=None, alpha: float = 1.0) -> bool:
    """Whether Keras' ImageNet weights of ``name``'s body can be had for a pretrained run.

    Looks in Keras' cache (:func:`mnlib.models.imagenet_weights_folder`); then
    in ``weights_dir``, copying the file into the cache when found there; then
    tries to download it (failing within seconds when offline).

    Args:
        name: ``"mobilenet"``, ``"vgg16"`` or ``"inception_v3"``.
        resolution: the input size in pixels (MobileNet's file depends on it,
            :func:`mnlib.baselines.imagenet_file`).
        weights_dir: a folder that may hold Keras' weight files, or None.
        alpha: MobileNet's width multiplier α (default 1.0).

    Returns:
        True when the file is now in Keras' cache; False when it cannot be had
        (no network, not in ``weights_dir``): a chapter then marks the run
        "not run" instead of training it. Introduced in the comparison chapter
        (chapter 5); used by chapters 5 and 6.
    """
    import shutil

    from mnlib import baselines, models

    file = baselines.imagenet_file(name, resolution, alpha)
    cached = pathlib.Path(models.imagenet_weights_folder()) / file.file_name
    offered = pathlib.Path(weights_dir or ".") / file.file_name
    if weights_dir and offered.is_file() and not cached.is_file():
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(offered, cached)
    try:
        models.fetch_imagenet_weights(file.file_name, file.origin, file.md5)
    except ConnectionError:
        return False
    return True


#: Arguments :func:`run` accepts in ``model_args`` for each model it builds by name
#: (input shape and classes come from ``resolution`` and ``classes``).
MODEL_ARGS = {
    "mobilenet": ("alpha", "shallow", "dropout", "weights", "hidden_units"),
    "vgg16": ("weights", "hidden_units", "dropout"),
    "inception_v3": ("weights", "hidden_units", "dropout"),
}

_MIN_RESOLUTION = 32  # five stride-2 stages leave a 1x1 map at 32 px

#: Peak learning rate of a fine-tuning phase unless ``fine_tune`` says otherwise:
#: the Keras transfer-learning guide's Adam at 1e-5.
FINE_TUNE_LEARNING_RATE = 1e-5

_FINE_TUNE_KEYS = ("epochs", "layers", "learning_rate")


# --------------------------------------------------------------------------
# Checking parameters


def check_batches(name: str, dataset, resolution: int) -> bool:
    """Whether ``dataset`` is batches (True) or a loader's dataset (False); raise if it is neither.

    Batches must be ``(images [B, H, W, 3], labels [B])`` with ``H = W =
    resolution`` where the shape is known. ``name`` (``"train"``, ``"val"``)
    is used in the messages.

    Raises:
        TypeError: neither a :class:`mnlib.data.FileDataset` nor a ``tf.data.Dataset``.
        ValueError: batches of another structure or size.
    """
    from mnlib.data import FileDataset

    if isinstance(dataset, FileDataset):
        return False
    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(
            f"{name} must be a loader's dataset (mnlib.data.tiny_imagenet ...) or batches "
            f"(a tf.data.Dataset); got {type(dataset).__name__}."
        )
    spec = dataset.element_spec
    if not (isinstance(spec, tuple) and len(spec) == 2) or spec[0].shape.rank != 4:
        raise ValueError(
            f"{name} must be a loader's dataset, or batches of (images [B, H, W, 3], labels [B]); it yields {spec}."
        )
    shape = spec[0].shape
    if tuple(shape[1:3]) != (resolution, resolution) and None not in tuple(shape[1:3]):
        raise ValueError(
            f"{name} is batched with {shape[1]}x{shape[2]} images but resolution={resolution}; "
            "pass the loader's dataset (run() resizes it) or batches at the right size."
        )
    return True


def _check_model(model, model_args):
    if callable(model) and not isinstance(model, str):
        return
    if model not in MODEL_ARGS:
        raise ValueError(
            f"model must be one of {tuple(MODEL_ARGS)} or a builder function, got {model!r}. For another "
            "model, pass a function builder(input_shape=(r, r, 3), classes=n, **model_args) -> keras.Model."
        )
    unknown = sorted(set(model_args) - set(MODEL_ARGS[model]))
    if unknown:
        raise ValueError(
            f"model_args must be arguments of {model} that run() sets, {MODEL_ARGS[model]}, got {unknown} "
            "(resolution and classes set the input shape and the classifier)."
        )
    checks.number(
        "the width multiplier alpha (α)",
        model_args.get("alpha", 1.0),
        above=0,
        maximum=1,
        hint="The paper uses 1.0, 0.75, 0.5 and 0.25.",
    )


def check_run_parameters(p: dict) -> None:
    """Validate :func:`~mnlib.train.run`'s parameters (a dict of all of them), cheapest first.

    Called by :func:`~mnlib.train.run` before anything is read or built, and by
    :func:`~mnlib.train.check` for a whole grid. Each message says what is
    allowed (:mod:`mnlib.checks`' style).

    Raises:
        ValueError: the first parameter outside what is allowed.
    """
    from mnlib.data import DATASETS, FAMILIES

    if p["notebook"] is not None and (not isinstance(p["notebook"], str) or not p["notebook"].strip()):
        raise ValueError(f"notebook must be None or the chapter that runs it, e.g. '03_width', got {p['notebook']!r}.")
    checks.choice("dataset", p["dataset"], DATASETS, hint="; ".join(f"'{k}': {v}" for k, v in DATASETS.items()))
    checks.integer("classes", p["classes"], 2)
    checks.integer(
        "resolution",
        p["resolution"],
        _MIN_RESOLUTION,
        unit="number of pixels",
        hint="MobileNet halves the image five times: 32 px leaves a 1x1 map.",
    )
    if not isinstance(p["model_args"], dict):
        raise ValueError(f"model_args must be a dict, e.g. {{'alpha': 0.5}}, got {p['model_args']!r}.")
    _check_model(p["model"], p["model_args"])
    checks.integer("epochs", p["epochs"], 1)
    checks.integer("batch_size", p["batch_size"], 1)
    checks.choice("optimizer", p["optimizer"], OPTIMIZERS)
    if p["learning_rate"] is not None:
        checks.number("learning_rate", p["learning_rate"], above=0, below=10, hint="E.g. 0.01, or None.")
    checks.number("warmup_epochs", p["warmup_epochs"], 0)
    checks.number("weight_decay", p["weight_decay"], 0)
    checks.integer("recalibrate", p["recalibrate"], 0, hint="It counts batches; 0 keeps Keras' averages.")
    checks.integer("seed", p["seed"], 0)
    if p["family"] is not None:
        checks.choice("family", p["family"], FAMILIES, hint="None takes the model's own.")
    checks.choice("profile", p["profile"], PROFILES, hint="'smoke' is a quick run that checks the code.")
    _check_fine_tune(p["fine_tune"], p["model_args"])


def _check_fine_tune(fine_tune, model_args):
    """Raise ValueError unless ``fine_tune`` is None or a valid phase for a pretrained model."""
    if fine_tune is None:
        return
    example = "e.g. {'epochs': 2, 'layers': 20, 'learning_rate': 1e-5}"
    if not isinstance(fine_tune, dict) or not {"epochs", "layers"} <= set(fine_tune) <= set(_FINE_TUNE_KEYS):
        raise ValueError(
            f"fine_tune must be None or a dict of 'epochs', 'layers' and optionally 'learning_rate', "
            f"{example}, got {fine_tune!r}."
        )
    for name in ("epochs", "layers"):
        checks.integer(f"fine_tune[{name!r}]", fine_tune[name], 1)
    checks.number(
        "fine_tune['learning_rate']",
        fine_tune.get("learning_rate", FINE_TUNE_LEARNING_RATE),
        above=0,
        below=10,
        hint="The Keras guide uses 1e-5.",
    )
    if model_args.get("weights") is None:
        raise ValueError(
            "fine_tune opens the top of a pretrained body; it needs model_args={'weights': 'imagenet'} (or a "
            "weights file). A network from scratch trains every layer already: leave fine_tune=None."
        )
