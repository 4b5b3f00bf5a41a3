"""One experiment, one record: :func:`run` trains a configuration once and keeps its result.

:func:`run` checks its parameters, builds the model, streams the data through
:func:`mnlib.data.pipeline`, trains it with :func:`~mnlib.train.fit` (with a
backup that survives a disconnect), evaluates it and writes a result record
(:mod:`mnlib.results`). A record's identity is its configuration, not the
chapter that ran it: a configuration already in the results folder is loaded,
not retrained, by any chapter. Introduced in chapter 3.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import pathlib
import shutil
import time
from numbers import Real

import keras
import tensorflow as tf

from mnlib import results
from mnlib.train.loop import _count_batches, _is_int, accelerator, evaluate, fit
from mnlib.train.optim import LEARNING_RATES, OPTIMIZERS

__all__ = ["PROFILES", "StudySettings", "study_settings", "device_notice", "run", "check", "MODEL_ARGS"]

#: Arguments :func:`run` accepts in ``model_args`` for each model it builds by name
#: (input shape and classes come from ``resolution`` and ``classes``).
MODEL_ARGS = {
    "mobilenet": ("alpha", "shallow", "dropout", "weights", "hidden_units"),
    "vgg16": ("weights", "hidden_units", "dropout"),
    "inception_v3": ("weights", "hidden_units", "dropout"),
}

_MIN_RESOLUTION = 32  # five stride-2 stages leave a 1x1 map at 32 px


# --------------------------------------------------------------------------
# Study settings


#: What each profile means for a training chapter: its dataset, epochs and batch size.
PROFILES = {
    "smoke": {"dataset": "synthetic", "epochs": 5, "batch_size": 32},
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


def study_settings(profile: str, dataset=None, epochs=None, batch_size=None, data_dir=None, results_dir=None,
                   *, defaults: dict | None = None) -> StudySettings:
    """A training chapter's :class:`StudySettings`, with ``None`` replaced by the profile's choice.

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
    if device["gpu"]:
        return f"Training on {device['device']}."
    line = "Training on the CPU: no GPU found."
    if "google.colab" in sys.modules:
        line += " The full profile needs one: Runtime → Change runtime type → GPU, then run again."
    else:
        line += " Fine for the smoke profile; the full profile needs a GPU (e.g. on Colab)."
    return line


# --------------------------------------------------------------------------
# Checking parameters


def _check_dataset(name, dataset, resolution):
    """Raise unless ``dataset`` is a loader's dataset or batches of the right size; return True if batched."""
    from mnlib.data import FileDataset

    if isinstance(dataset, FileDataset):
        return False
    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(f"{name} must be a loader's dataset (mnlib.data.tiny_imagenet ...) or batches "
                        f"(a tf.data.Dataset); got {type(dataset).__name__}.")
    spec = dataset.element_spec
    if not (isinstance(spec, tuple) and len(spec) == 2) or spec[0].shape.rank != 4:
        raise ValueError(f"{name} must be a loader's dataset, or batches of (images [B, H, W, 3], labels [B]); "
                         f"it yields {spec}.")
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
            f"unknown model {model!r}; run() builds {tuple(MODEL_ARGS)}. For another model, pass a function "
            "builder(input_shape=(r, r, 3), classes=n, **model_args) -> keras.Model."
        )
    unknown = sorted(set(model_args) - set(MODEL_ARGS[model]))
    if unknown:
        raise ValueError(
            f"model_args {unknown} are not arguments of {model} that run() sets; allowed: "
            f"{MODEL_ARGS[model]} (resolution and classes set the input shape and the classifier)."
        )
    alpha = model_args.get("alpha", 1.0)
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 < alpha <= 1:
        raise ValueError(
            f"the width multiplier alpha (α) must be a number in (0, 1]; got {alpha!r}. "
            "The paper uses 1.0, 0.75, 0.5 and 0.25."
        )


def _check_number(p, name, test, allowed):
    value = p[name]
    if isinstance(value, bool) or not isinstance(value, Real) or not test(value):
        raise ValueError(f"{name} must be {allowed}; got {value!r}.")


def _check_parameters(p):
    """Validate :func:`run`'s parameters, cheapest first, before anything is built."""
    from mnlib.data import DATASETS, FAMILIES

    if p["notebook"] is not None and (not isinstance(p["notebook"], str) or not p["notebook"].strip()):
        raise ValueError("notebook, when given, names the chapter that runs the experiment, e.g. '03_width'.")
    if p["dataset"] not in DATASETS:
        known = "; ".join(f"'{k}': {v}" for k, v in DATASETS.items())
        raise ValueError(f"unknown dataset {p['dataset']!r}. Choose one of {known}.")
    if not _is_int(p["classes"]) or p["classes"] < 2:
        raise ValueError(f"classes must be an integer >= 2; got {p['classes']!r}.")
    if not _is_int(p["resolution"]) or p["resolution"] < _MIN_RESOLUTION:
        raise ValueError(
            f"resolution must be an integer number of pixels >= {_MIN_RESOLUTION} (MobileNet halves "
            f"the image five times; 32 px leaves a 1x1 map); got {p['resolution']!r}."
        )
    if not isinstance(p["model_args"], dict):
        raise ValueError(f"model_args must be a dict, e.g. {{'alpha': 0.5}}; got {p['model_args']!r}.")
    _check_model(p["model"], p["model_args"])
    for name in ("epochs", "batch_size"):
        if not _is_int(p[name]) or p[name] < 1:
            raise ValueError(f"{name} must be an integer >= 1; got {p[name]!r}.")
    if p["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}; got {p['optimizer']!r}.")
    if p["learning_rate"] is not None:
        _check_number(p, "learning_rate", lambda v: 0 < v < 10, "a positive number (e.g. 0.01) or None")
    _check_number(p, "warmup_epochs", lambda v: v >= 0, "a number >= 0")
    _check_number(p, "weight_decay", lambda v: v >= 0, "a number >= 0")
    if not _is_int(p["recalibrate"]) or p["recalibrate"] < 0:
        raise ValueError(f"recalibrate must be a number of batches >= 0; got {p['recalibrate']!r}.")
    if not _is_int(p["seed"]):
        raise ValueError(f"seed must be an integer; got {p['seed']!r}.")
    if p["family"] is not None and p["family"] not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES} or None (the model's own); got {p['family']!r}.")
    if p["profile"] not in PROFILES:
        raise ValueError(f"profile must be 'smoke' (a quick run that checks the code) or 'full'; got {p['profile']!r}.")


# --------------------------------------------------------------------------
# run


def _family(model, family):
    from mnlib.models import FAMILY

    if family is not None:
        return family
    return FAMILY.get(model, "mobilenet") if isinstance(model, str) else "mobilenet"


def _build(model, model_args, resolution, classes, mixed):
    """The network, built under the mixed-precision policy when asked."""
    from mnlib import models

    previous = keras.mixed_precision.global_policy()
    if mixed:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        shape = (resolution, resolution, 3)
        if callable(model) and not isinstance(model, str):
            return model(input_shape=shape, classes=classes, **model_args)
        if model == "mobilenet" and model_args.get("weights") is None and "hidden_units" not in model_args:
            return models.mobilenet(input_shape=shape, classes=classes, **model_args)
        return models.baseline(model, shape, classes, **model_args)
    finally:
        keras.mixed_precision.set_global_policy(previous)


def _counts(network) -> dict:
    """Parameters (all, trainable) and Mult-Adds of one image (None if mnlib.costs cannot count them)."""
    from mnlib import costs

    try:
        mult_adds = int(costs.model_cost(network)["mult_adds"].sum())
    except (NotImplementedError, ValueError):
        mult_adds = None
    trainable = int(sum(math.prod(w.shape) for w in network.trainable_weights))
    return {"params": int(network.count_params()), "trainable_params": trainable, "mult_adds": mult_adds}


def _saved(results_dir, record_id, save_model, verbose):
    """The saved record of this configuration (and its model file, if one is wanted), or None."""
    saved = results.find(results_dir, record_id)
    if saved is None or (save_model and not (results_dir / str(saved.get("model_file") or "-")).is_file()):
        return None
    if verbose:
        print(f"Loaded the saved result {record_id}.json ({saved['epochs']} epochs in "
              f"{_duration(saved['seconds'])} on {saved['environment'].get('device')}); pass force=True to train again.")
    saved["path"] = str(results_dir / f"{record_id}.json")
    return saved


def _batches(train, val, *, resolution, family, batch_size, augment, seed, train_batched, val_batched):
    """Training batches (a function of the first epoch, or a dataset), batches per epoch, validation batches."""
    from mnlib import data

    if train_batched:
        stream, steps = train, _count_batches(train)
    else:
        options = dict(resolution=resolution, family=family, batch_size=batch_size, augment=augment,
                       shuffle=True, seed=seed, epochs=None)
        stream = functools.partial(_epochs_from, data.pipeline, train, options)
        steps = data.batches_per_epoch(train, batch_size)
    if not val_batched:
        val = data.pipeline(val, resolution=resolution, family=family, batch_size=batch_size, shuffle=False)
    return stream, steps, val


def _epochs_from(pipeline, dataset, options, first_epoch):
    return pipeline(dataset, epoch=first_epoch, **options)


def _throughput(network, resolution, batch=64, repeats=3) -> float:
    """Inference images per second of ``network`` on random batches of 64 (after a warm-up call)."""
    images = tf.random.uniform([batch, resolution, resolution, 3], -1, 1)
    step = tf.function(lambda x: network(x, training=False))
    step(images)
    start = time.perf_counter()
    for _ in range(repeats):
        step(images).numpy()
    return batch * repeats / (time.perf_counter() - start)


def run(
    train,
    val,
    *,
    dataset: str,
    classes: int,
    resolution: int,
    epochs: int,
    model="mobilenet",
    model_args: dict | None = None,
    model_name: str | None = None,
    batch_size: int = 64,
    augment: bool = True,
    family: str | None = None,
    optimizer: str = "adam",
    learning_rate: float | None = None,
    warmup_epochs: float = 1.0,
    weight_decay: float = 0.0,
    recalibrate: int = 20,
    seed: int = 0,
    profile: str = "smoke",
    results_dir="results",
    notebook: str | None = None,
    class_names=None,
    save_model: bool = False,
    mixed_precision: bool | None = None,
    jit_compile: bool | None = None,
    force: bool = False,
    verbose: int = 2,
) -> dict:
    """Run one experiment: build, train, evaluate, write its record (and, if asked, the trained model).

    Every parameter is checked before any data is read or model built. A
    record of the same configuration already in ``results_dir`` is returned
    without training (``force=True`` trains again), whichever chapter wrote it.
    A backup of this configuration in ``<results_dir>/backup/<id>`` (a session
    cut off) is resumed from its last epoch, and the record is then the same
    as an uninterrupted run's.

    Args:
        train, val: a loader's datasets (:class:`mnlib.data.FileDataset`:
            resized, preprocessed and, for ``train``, shuffled and augmented
            here by :func:`mnlib.data.pipeline`, every epoch a function of
            ``(seed, epoch)``), or batches ``(float32 [B, r, r, 3], int [B])``
            used as they are. ``top1``/``top5`` of the record are on ``val``.
        dataset: ``"synthetic"``, ``"tiny-imagenet"`` or ``"stanford-dogs"``.
        classes: number of classes (>= 2); labels are ``0 .. classes-1``.
        resolution: input size in pixels (>= 32); ρ = resolution / 224.
        epochs: epochs to train (>= 1).
        model: ``"mobilenet"``, ``"vgg16"`` or ``"inception_v3"`` (see
            :data:`MODEL_ARGS` and :func:`mnlib.models.baseline`), or a function
            ``builder(input_shape=(r, r, 3), classes=n, **model_args)``
            returning a Keras model with softmax output.
        model_args: the model's arguments, e.g. ``{"alpha": 0.5}`` (α in (0, 1]),
            ``{"shallow": True}`` or ``{"weights": "imagenet"}`` (transfer).
        model_name: name in the record for a builder function (default: its ``__name__``).
        batch_size: images per step (default 64; for a loader's datasets).
        augment: augment the training images (default True; for a loader's dataset).
        family: preprocessing (:data:`mnlib.data.FAMILIES`); default the model's own.
        optimizer, learning_rate, warmup_epochs, weight_decay, recalibrate: see :func:`~mnlib.train.fit`.
        seed: seeds the initial weights and, with the epoch, the data order and augmentation (default 0).
        profile: ``"smoke"`` (a quick run that checks the code) or ``"full"``.
        results_dir: the results folder (default ``"results"``).
        notebook: the chapter running it (provenance only, not part of the identity).
        class_names: the classes' names, kept in the record (e.g. a loader's ClassNames).
        save_model: also write the trained model as ``<id>.keras`` beside the
            record (its field ``model_file``); ``keras.models.load_model`` restores it.
        mixed_precision, jit_compile: default on GPUs only (:func:`~mnlib.train.accelerator`).
        force: train even if a record of this configuration exists.
        verbose: 0 silent, 2 one line per epoch and a summary (default).

    Returns:
        The record (:mod:`mnlib.results` lists its fields), with ``"path"`` added.

    Raises:
        ValueError: a parameter is outside what is allowed; nothing has been trained or written.
        TypeError: ``train`` or ``val`` is neither a loader's dataset nor batches.
    """
    model_args = {} if model_args is None else dict(model_args)
    parameters = dict(
        notebook=notebook, dataset=dataset, classes=classes, resolution=resolution, epochs=epochs, model=model,
        model_args=model_args, batch_size=batch_size, optimizer=optimizer, learning_rate=learning_rate,
        warmup_epochs=warmup_epochs, weight_decay=weight_decay, recalibrate=recalibrate, seed=seed,
        family=family, profile=profile,
    )  # fmt: skip
    _check_parameters(parameters)
    train_batched = _check_dataset("train", train, resolution)
    val_batched = _check_dataset("val", val, resolution)
    if train_batched:  # the record says the batch size actually used
        static = train.element_spec[0].shape[0]
        batch_size = int(static) if static is not None else int(next(iter(train.take(1)))[0].shape[0])
    family = _family(model, family)
    name = model if isinstance(model, str) else (model_name or getattr(model, "__name__", "model"))
    training = {
        "optimizer": optimizer,
        "learning_rate": LEARNING_RATES[optimizer] if learning_rate is None else float(learning_rate),
        "schedule": "linear warm-up, cosine decay to 0",
        "warmup_epochs": float(warmup_epochs),
        "weight_decay": float(weight_decay),
        "batch_norm_recalibration": int(recalibrate),
        "augment": None if train_batched else bool(augment),
        "family": None if (train_batched and val_batched) else family,
        "loss": "sparse categorical cross-entropy",
        "evaluated_on": "val",
    }
    configuration = dict(dataset=dataset, classes=classes, resolution=resolution, model=name, model_args=model_args,
                         seed=seed, profile=profile, epochs=int(epochs), batch_size=int(batch_size), training=training)
    record_id = results.run_id(configuration)
    results_dir = pathlib.Path(results_dir)
    saved = None if force else _saved(results_dir, record_id, save_model, verbose)
    if saved is not None:
        return saved

    keras.utils.set_random_seed(seed)
    stream, steps, val = _batches(train, val, resolution=resolution, family=family, batch_size=batch_size,
                                  augment=augment, seed=seed, train_batched=train_batched, val_batched=val_batched)
    return _train_and_record(
        configuration, record_id, stream, steps, val, model=model, results_dir=results_dir, notebook=notebook,
        class_names=class_names, save_model=save_model, mixed_precision=mixed_precision, jit_compile=jit_compile,
        verbose=verbose,
    )


def _train_and_record(configuration, record_id, stream, steps, val, *, model, results_dir, notebook, class_names,
                      save_model, mixed_precision, jit_compile, verbose):
    """The part of :func:`run` that builds, trains, evaluates and writes."""
    c, training = configuration, configuration["training"]
    device = accelerator()
    mixed = device["mixed_precision"] if mixed_precision is None else bool(mixed_precision)
    xla = device["xla"] if jit_compile is None else bool(jit_compile)
    network = _build(model, c["model_args"], c["resolution"], c["classes"], mixed)
    counts = _counts(network)
    trained = network
    if mixed:  # the loss wants float32 probabilities
        outputs = keras.layers.Activation("linear", dtype="float32", name="float32_output")(network.output)
        trained = keras.Model(network.input, outputs, name=network.name)
    if verbose:
        print(_announce(c, counts, device["device"], mixed, xla))
    backup = results_dir / "backup" / record_id
    history, seconds = fit(
        trained, stream, val, epochs=c["epochs"], optimizer=training["optimizer"],
        learning_rate=training["learning_rate"], warmup_epochs=training["warmup_epochs"],
        weight_decay=training["weight_decay"], steps_per_epoch=steps, backup_dir=backup, keep_backup=True,
        data_settings={k: training[k] for k in ("augment", "family")} | {"seed": c["seed"]},
        jit_compile=xla, recalibrate=training["batch_norm_recalibration"], verbose=verbose,
    )  # fmt: skip
    scores = evaluate(trained, val)
    record = dict(
        id=record_id, notebook=notebook, **{k: c[k] for k in ("dataset", "classes", "resolution", "model")},
        model_args=c["model_args"], **counts, epochs=len(history.get("loss", [])), seconds=round(seconds, 2),
        top1=scores["top1"], top5=scores["top5"], history=history, profile=c["profile"], seed=c["seed"],
        batch_size=c["batch_size"], training=training, steps_per_epoch=steps,
        inference_images_per_second=round(_throughput(network, c["resolution"]), 1),
        environment=results.environment(device=device["device"], mixed_precision=mixed, xla=xla),
    )  # fmt: skip
    if class_names is not None:
        record["class_names"] = [str(n) for n in getattr(class_names, "readable", class_names)]
    if save_model:
        network.save(results_dir / f"{record_id}.keras")
        record["model_file"] = f"{record_id}.keras"
    path = results.write(record, results_dir)
    shutil.rmtree(backup, ignore_errors=True)
    try:
        (results_dir / "backup").rmdir()  # only if no other run's backup is there
    except OSError:
        pass
    if verbose:
        top5 = f", top-5 {scores['top5']:.1%}" if scores["top5"] is not None else ""
        print(f"top-1 {scores['top1']:.1%}{top5} on val after {record['epochs']} epochs in {_duration(seconds)}; "
              f"record {path.name}")
    record = results.read(path)
    record["path"] = str(path)
    return record


def _announce(c, counts, device, mixed, xla) -> str:
    args = ", ".join(f"{k}={v}" for k, v in c["model_args"].items())
    cost = f", {counts['mult_adds'] / 1e6:.1f} M Mult-Adds" if counts["mult_adds"] is not None else ""
    trainable = "" if counts["trainable_params"] == counts["params"] else f" ({counts['trainable_params'] / 1e6:.2f} M trainable)"
    return (f"{c['model']}({args}) at {c['resolution']}x{c['resolution']} px on {c['dataset']} ({c['classes']} classes): "
            f"{counts['params'] / 1e6:.2f} M parameters{trainable}{cost}; {c['epochs']} epochs on {device}"
            + (", mixed precision" if mixed else "") + (", XLA" if xla else "") + ".")


def check(**parameters) -> None:
    """Validate :func:`run`'s parameters (same names and defaults) without training anything.

    A study calls it for every configuration of its grid before the first
    run, so a bad value anywhere in the grid fails at once, not hours in.

    Raises:
        ValueError: as :func:`run` would, saying what is allowed.
        TypeError: for a name that :func:`run` does not take.
    """
    signature = inspect.signature(run)
    unknown = set(parameters) - set(signature.parameters)
    if unknown:
        raise TypeError(f"run() takes no parameter(s) {sorted(unknown)}; see help(mnlib.train.run).")
    defaults = {k: v.default for k, v in signature.parameters.items() if v.default is not inspect.Parameter.empty}
    merged = {**defaults, **parameters}
    if merged["model_args"] is None:  # as run() reads it
        merged["model_args"] = {}
    _check_parameters(merged)


def _duration(seconds: float) -> str:
    """``75`` -> ``"1 min 15 s"``."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
