"""One experiment, one record: :func:`run` trains a configuration once and keeps its result.

:func:`run` checks its parameters, builds the model, streams the data through
:func:`mnlib.data.pipeline`, trains it with :func:`~mnlib.train.fit` (with a
backup that survives a disconnect), evaluates it and writes a result record
(:mod:`mnlib.results`). A record's identity is its configuration, not the
chapter that ran it: a configuration already in the results folder is loaded,
not retrained, by any chapter. A transfer model can be fine-tuned after its
frozen phase (``fine_tune``, the comparison chapter). Introduced in chapter 3.
"""

from __future__ import annotations

import functools
import inspect
import math
import pathlib
import shutil
import time

import keras
import tensorflow as tf

from mnlib import results, streams
from mnlib.device import accelerator
from mnlib.train.loop import Diverged, count_batches, evaluate
from mnlib.train.optim import LEARNING_RATES
from mnlib.train.phases import check_fine_tune_layers, train_phases
from mnlib.train.settings import FINE_TUNE_LEARNING_RATE, check_batches, check_run_parameters

__all__ = ["run", "check"]

# --------------------------------------------------------------------------
# run


def _family(model, family):
    from mnlib.baselines import FAMILY

    if family is not None:
        return family
    return FAMILY.get(model, "mobilenet") if isinstance(model, str) else "mobilenet"


def _build(model, model_args, resolution, classes, mixed):
    """The network, built under the mixed-precision policy when asked."""
    from mnlib import baselines, models

    previous = keras.mixed_precision.global_policy()
    if mixed:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        shape = (resolution, resolution, 3)
        if callable(model) and not isinstance(model, str):
            return model(input_shape=shape, classes=classes, **model_args)
        if model == "mobilenet" and model_args.get("weights") is None and "hidden_units" not in model_args:
            return models.mobilenet(input_shape=shape, classes=classes, **model_args)
        return baselines.baseline(model, shape, classes, **model_args)
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
    """The saved record of this configuration (and its model file, if one is wanted), or None.

    A record that :func:`mnlib.results.unusable` refuses (another code
    version, a model file missing or damaged), or that has no model when one
    is wanted, is set aside (:func:`mnlib.results.set_aside` prints why) and
    None returned: the run trains again.
    """
    saved = results.find(results_dir, record_id)
    if saved is None:
        return None
    why = results.unusable(saved, results_dir)
    if why is None and save_model and not saved.get("model_file") and not saved.get("diverged"):
        why = "it has no saved model, and this run keeps one"
    if why is not None:
        results.set_aside(results_dir, record_id, why)
        return None
    if verbose:
        print(
            f"Loaded the saved result {record_id}.json ({saved['epochs']} epochs in "
            f"{_duration(saved['seconds'])} on {saved['environment'].get('device')}); "
            "pass force=True to train again."
        )
    saved["path"] = str(results_dir / f"{record_id}.json")
    return saved


def _batches(train, val, *, resolution, family, batch_size, augment, seed, train_batched, val_batched):
    """Training batches (a function of the first epoch, or a dataset), batches per epoch, validation batches."""
    from mnlib import data

    if train_batched:
        stream, steps = train, count_batches(train)
    else:
        options = dict(
            resolution=resolution,
            family=family,
            batch_size=batch_size,
            augment=augment,
            shuffle=True,
            seed=seed,
            epochs=None,
        )
        stream = functools.partial(_epochs_from, data.pipeline, train, options)
        steps = data.batches_per_epoch(train, batch_size)
    if not val_batched:
        val = data.pipeline(val, resolution=resolution, family=family, batch_size=batch_size, shuffle=False)
    return stream, steps, val


def _epochs_from(pipeline, dataset, options, first_epoch):
    return pipeline(dataset, epoch=first_epoch, **options)


def _input_side(val, resolution) -> int:
    """The side of the images the model gets: the validation batches' (the pipeline raises InceptionV3's to 75)."""
    side = val.element_spec[0].shape[1]
    return resolution if side is None else int(side)


def _throughput(network, batch=64, repeats=3) -> float:
    """Inference images per second of ``network`` on random batches of 64 (after a warm-up call)."""
    images = tf.random.uniform([batch, *network.input_shape[1:]], -1, 1)
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
    fine_tune: dict | None = None,
    force: bool = False,
    verbose: int = 2,
) -> dict:
    """Run one experiment: build, train, evaluate, write its record (and, if asked, the trained model).

    Every parameter is checked before any data is read or model built. A
    record of the same configuration already in ``results_dir`` is returned
    without training (``force=True`` trains again), whichever chapter wrote it.
    A backup of this configuration in ``<results_dir>/backup/<id>`` (a session
    cut off) is resumed from its last epoch, and the record is then the same
    as an uninterrupted run's (with a fine-tuning phase too: it has its own
    backup inside that folder).

    Args:
        train, val: a loader's datasets (:class:`mnlib.data.FileDataset`:
            resized, preprocessed and, for ``train``, shuffled and augmented
            here by :func:`mnlib.data.pipeline`, every epoch a function of
            ``(seed, epoch)``), or batches ``(float32 [B, r, r, 3], int [B])``
            used as they are. ``top1``/``top5`` of the record are on ``val``.
        dataset: ``"synthetic"``, ``"tiny-imagenet"`` or ``"stanford-dogs"``.
        classes: number of classes (>= 2); labels are ``0 .. classes-1``.
        resolution: input size in pixels (>= 32); ρ = resolution / 224.
        epochs: epochs to train (>= 1); with ``fine_tune``, those of the
            first, frozen phase (the record's ``epochs``), before the fine-tuning ones.
        model: ``"mobilenet"``, ``"vgg16"`` or ``"inception_v3"`` (see
            :data:`MODEL_ARGS` and :func:`mnlib.baselines.baseline`), or a function
            ``builder(input_shape=(r, r, 3), classes=n, **model_args)``
            returning a Keras model with softmax output.
        model_args: the model's arguments, e.g. ``{"alpha": 0.5}`` (α in (0, 1]),
            ``{"shallow": True}`` or ``{"weights": "imagenet"}`` (transfer).
        model_name: name in the record for a builder function (default: its ``__name__``).
        batch_size: images per step (default 64; for a loader's datasets).
        augment: augment the training images (default True; for a loader's dataset).
        family: preprocessing (:data:`mnlib.data.FAMILIES`); default the model's own.
        optimizer, learning_rate, warmup_epochs, weight_decay, recalibrate: see :func:`~mnlib.train.fit`.
        seed: an integer >= 0 (default 0); the initial weights, the data order
            and the augmentation draws are its streams (:mod:`mnlib.streams`).
            The global random state is left as it was.
        profile: ``"smoke"`` (a quick run that checks the code) or ``"full"``.
        results_dir: the results folder (default ``"results"``).
        notebook: the chapter running it (provenance only, not part of the identity).
        class_names: the classes' names, kept in the record (e.g. a loader's ClassNames).
        save_model: also write the trained model as ``<id>.keras`` beside the
            record (its field ``model_file``); ``keras.models.load_model`` restores it.
        mixed_precision, jit_compile: default on GPUs only (:func:`mnlib.device.accelerator`).
        fine_tune: None, or a second phase after the frozen one for a
            pretrained model (``model_args["weights"]`` set), e.g. ``{"epochs":
            2, "layers": 20, "learning_rate": 1e-5}``: the top ``layers`` layers
            of the body are opened (:func:`mnlib.baselines.unfreeze`; batch norm
            stays frozen, with its ImageNet statistics), the model recompiled at
            ``learning_rate`` (default :data:`FINE_TUNE_LEARNING_RATE`, cosine
            decay, no warm-up), and trained ``epochs`` more epochs on the
            epochs of data that follow. The frozen phase is not trained
            twice: it is the run of the same configuration without
            ``fine_tune`` (its record and saved model are reused, or it is
            run first and its model saved), and fine-tuning starts from
            that saved model. Part of the configuration
            (``training["fine_tune"]``); the record's ``phases`` lists each
            phase's epochs, trainable parameters and seconds, and its
            ``history`` has one entry per epoch of both, with ``"phase"``.
        force: train again from scratch even if a record of this
            configuration exists: the old record (and its model file) and
            any backup are set aside under names that say so
            (:func:`mnlib.results.set_aside`), never deleted or resumed.
        verbose: 0 silent, 2 one line per epoch and a summary (default).

    Returns:
        The record (:mod:`mnlib.results` lists its fields), with ``"path"``
        added; also ``phases`` (see ``fine_tune``) and ``input_resolution``, the
        side of the images the model was fed (75 for InceptionV3 below 75 px,
        :func:`mnlib.data.pipeline`; ``mult_adds`` are counted there).

    Raises:
        ValueError: a parameter is outside what is allowed; nothing has been trained or written.
        TypeError: ``train`` or ``val`` is neither a loader's dataset nor batches.
    """
    arguments = dict(locals())  # for the frozen run of a fine-tuned configuration
    model_args = {} if model_args is None else dict(model_args)
    parameters = dict(
        notebook=notebook, dataset=dataset, classes=classes, resolution=resolution, epochs=epochs, model=model,
        model_args=model_args, batch_size=batch_size, optimizer=optimizer, learning_rate=learning_rate,
        warmup_epochs=warmup_epochs, weight_decay=weight_decay, recalibrate=recalibrate, seed=seed,
        family=family, profile=profile, fine_tune=fine_tune,
    )  # fmt: skip
    check_run_parameters(parameters)
    train_batched = check_batches("train", train, resolution)
    val_batched = check_batches("val", val, resolution)
    if train_batched:  # the record says the batch size actually used
        static = train.element_spec[0].shape[0]
        batch_size = int(static) if static is not None else int(next(iter(train.take(1)))[0].shape[0])
    family = _family(model, family)
    name = model if isinstance(model, str) else (model_name or getattr(model, "__name__", "model"))
    training = _training(
        parameters,
        augment=None if train_batched else bool(augment),
        family=None if (train_batched and val_batched) else family,
    )
    configuration = dict(
        dataset=dataset, classes=classes, resolution=resolution, model=name, model_args=model_args, seed=seed,
        profile=profile, epochs=int(epochs), batch_size=int(batch_size), training=training,
    )  # fmt: skip
    record_id = results.run_id(configuration)
    results_dir = pathlib.Path(results_dir)
    if force:
        _start_afresh(results_dir, record_id)
    saved = _saved(results_dir, record_id, save_model, verbose)
    if saved is not None:
        return saved
    frozen = None
    if fine_tune is not None:  # the frozen phase is the frozen run's: found, or trained once and saved
        frozen = run(**{**arguments, "fine_tune": None, "save_model": True})
        if frozen.get("diverged"):
            raise ValueError(f"the frozen run {frozen['id']} diverged; there is no model to fine-tune.")
    stream, steps, val = _batches(
        train, val, resolution=resolution, family=family, batch_size=batch_size, augment=augment, seed=seed,
        train_batched=train_batched, val_batched=val_batched,
    )  # fmt: skip
    return _train_and_record(
        configuration, record_id, stream, steps, val, model=model, side=_input_side(val, resolution),
        results_dir=results_dir, notebook=notebook, class_names=class_names, save_model=save_model,
        mixed_precision=mixed_precision, jit_compile=jit_compile, verbose=verbose, frozen=frozen,
    )  # fmt: skip


def _start_afresh(results_dir, record_id):
    """For ``force=True``: the record of this configuration and its backup are set aside, not reused."""
    if results.find(results_dir, record_id) is not None:
        results.set_aside(results_dir, record_id, "force=True: this configuration is trained again from scratch")
    backup = results_dir / "backup" / record_id
    if backup.exists():
        aside = backup.with_name(f"{record_id}.set-aside-{time.strftime('%Y%m%d-%H%M%S')}")
        backup.rename(aside)
        print(f"Set aside the backup {backup.name} as {aside.name}: force=True starts from the first epoch.")


def _training(p, *, augment, family) -> dict:
    """How a run trains: the ``training`` part of its configuration."""
    training = {
        "optimizer": p["optimizer"],
        "learning_rate": LEARNING_RATES[p["optimizer"]] if p["learning_rate"] is None else float(p["learning_rate"]),
        "schedule": "linear warm-up, cosine decay to 0",
        "warmup_epochs": float(p["warmup_epochs"]),
        "weight_decay": float(p["weight_decay"]),
        "batch_norm_recalibration": int(p["recalibrate"]),
        "augment": augment,
        "family": family,
        "loss": "sparse categorical cross-entropy",
        "evaluated_on": "val",
    }
    if p["fine_tune"] is not None:  # absent otherwise: records without it keep their identity
        tune = p["fine_tune"]
        training["fine_tune"] = {
            "epochs": int(tune["epochs"]),
            "layers": int(tune["layers"]),
            "learning_rate": float(tune.get("learning_rate", FINE_TUNE_LEARNING_RATE)),
            "schedule": "cosine decay to 0, no warm-up",
            "batch_norm": "frozen",
        }
    return training


def _train_and_record(
    configuration,
    record_id,
    stream,
    steps,
    val,
    *,
    model,
    side,
    results_dir,
    notebook,
    class_names,
    save_model,
    mixed_precision,
    jit_compile,
    verbose,
    frozen,
):
    """The part of :func:`run` that builds (or loads ``frozen``'s model), trains, evaluates and writes."""
    c, training = configuration, configuration["training"]
    device = accelerator()
    mixed, xla = device.choose(mixed_precision, jit_compile)
    if frozen is not None:  # the frozen run's trained model, fine-tuned here
        network = keras.models.load_model(results_dir / frozen["model_file"])
    else:
        with streams.seeded(c["seed"], "init"):  # the initial weights: the "init" stream of the run's seed
            network = _build(model, c["model_args"], side, c["classes"], mixed)
    check_fine_tune_layers(network, training.get("fine_tune"))
    counts = _counts(network)
    trained = network
    if mixed:  # the loss wants float32 probabilities
        outputs = keras.layers.Activation("linear", dtype="float32", name="float32_output")(network.output)
        trained = keras.Model(network.input, outputs, name=network.name)
    if verbose:
        print(_announce(c, counts, side, device.name, mixed, xla))
    backup = results_dir / "backup" / record_id
    record = dict(
        id=record_id, notebook=notebook, **{k: c[k] for k in ("dataset", "classes", "resolution", "model")},
        model_args=c["model_args"], **counts, epochs=c["epochs"], profile=c["profile"], seed=c["seed"],
        batch_size=c["batch_size"], training=training, steps_per_epoch=steps, input_resolution=side,
        environment=results.environment(device=device.name, mixed_precision=mixed, xla=xla),
    )  # fmt: skip
    if class_names is not None:
        record["class_names"] = [str(n) for n in getattr(class_names, "readable", class_names)]
    try:
        history, seconds, phases = train_phases(
            trained, network, c, stream, steps, val, backup=backup, xla=xla, verbose=verbose, frozen=frozen
        )
    except Diverged as diverged:
        record.update(seconds=round(diverged.seconds, 2), top1=None, top5=None, history=diverged.history)
        record.update(diverged=True, diverged_epoch=diverged.epoch)
        return _write(record, results_dir, backup, f"{diverged}\nThe record says so", verbose)
    scores = evaluate(trained, val)
    record.update(
        seconds=round(seconds, 2), top1=scores["top1"], top5=scores["top5"], history=history, phases=phases,
        diverged=False, correct=results.pack_correct(scores["correct"]),
        inference_images_per_second=round(_throughput(network), 1),
    )  # fmt: skip
    if save_model:
        results.save_model(network, results_dir / f"{record_id}.keras")
        record["model_file"] = f"{record_id}.keras"
    top5 = f", top-5 {scores['top5']:.1%}" if scores["top5"] is not None else ""
    summary = f"top-1 {scores['top1']:.1%}{top5} on val after {len(history.get('loss', []))} epochs in "
    return _write(record, results_dir, backup, summary + _duration(seconds), verbose)


def _write(record, results_dir, backup, summary, verbose) -> dict:
    """Write the record, remove the run's backup, print ``summary`` and the record's name; the record as read."""
    path = results.write(record, results_dir)
    shutil.rmtree(backup, ignore_errors=True)
    try:
        (results_dir / "backup").rmdir()  # only if no other run's backup is there
    except OSError:
        pass
    if verbose:
        print(f"{summary}; record {path.name}")
    record = results.read(path)
    record["path"] = str(path)
    return record


def _announce(c, counts, side, device, mixed, xla) -> str:
    args = ", ".join(f"{k}={v}" for k, v in c["model_args"].items())
    cost = f", {counts['mult_adds'] / 1e6:.1f} M Mult-Adds" if counts["mult_adds"] is not None else ""
    trainable = counts["trainable_params"]
    trainable = "" if trainable == counts["params"] else f" ({trainable / 1e6:.2f} M trainable)"
    fed = "" if side == c["resolution"] else f" (fed at {side}x{side})"
    tune = c["training"].get("fine_tune")
    epochs = f"{c['epochs']} + {tune['epochs']} fine-tuning" if tune else f"{c['epochs']}"
    return (
        f"{c['model']}({args}) at {c['resolution']}x{c['resolution']} px{fed} on {c['dataset']} "
        f"({c['classes']} classes): {counts['params'] / 1e6:.2f} M parameters{trainable}{cost}; {epochs} epochs "
        f"on {device}" + (", mixed precision" if mixed else "") + (", XLA" if xla else "") + "."
    )


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
    check_run_parameters(merged)


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
