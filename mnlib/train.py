"""Training and evaluation: one way to train any model of the course.

Two levels:

* :func:`fit` trains a Keras classifier on a batched dataset and returns its
  per-epoch history; :func:`evaluate` gives its top-1 and top-5 accuracy.
  Both work on any model whose output is ``[batch, classes]`` probabilities.
* :func:`run` is one experiment of a study: it checks its parameters, builds
  the model, trains it with a backup that survives a disconnect, evaluates
  it and writes a result record (:mod:`mnlib.results`). A notebook's study
  is a loop over :func:`run`; its tables come from :func:`mnlib.results.load`.

Choices, and why
----------------

*Optimizer.* Adam (learning rate 1e-3, β₁ 0.9, β₂ 0.999) by default, and
the paper's optimizer one argument away: ``optimizer="rmsprop"`` is RMSprop
as the paper used it, "similar to Inception V3": decay (``rho``) 0.9,
ε = 1.0, learning rate 0.045, with the momentum 0.9 of the RMSprop defaults of
TF-slim's training script, the code MobileNet was published with. Such a
large ε makes RMSprop's step close to that of SGD with momentum while the
gradients are small, which suits the paper's millions of steps on many
machines; the course trains for hundreds to a few thousand steps from
scratch, and there, on the course's stand-in data, that step often leaves a
MobileNet at chance for the whole run while Adam's per-weight step sizes make
steady progress. ``"sgd"`` (Nesterov momentum 0.9, 0.05) is there for
comparison. :data:`LEARNING_RATES` holds the peak rate of each;
``learning_rate`` changes it.

*Schedule.* A linear warm-up over the first epoch (at most a tenth of the
run), then a cosine decay to zero at the last step (:class:`WarmupCosine`).
The paper's own schedule is not stated; Inception V3 decayed by 0.94 every
two epochs over a hundred or more epochs, which over the 10-30 epochs of the
course would never anneal. A cosine reaches zero at the end of whatever number
of epochs a run has, so a quick run and a long one both finish annealed and
are comparable, and it has no knob beyond its peak. It is a function of the
optimizer's step counter, which the backup saves, so a resumed run continues
on the same curve.

*Batch-norm statistics.* Before each validation and the final evaluation the
batch-norm moving averages are re-estimated from 20 training batches with the
weights held fixed (:func:`recalibrate_batch_norm`). Keras' moving averages
(momentum 0.99) lag the weights for the first few hundred steps, long enough
for a quick run to score chance in inference while it fits its training data;
re-estimated, the validation curve shows what the weights can do.

*Loss and metrics.* Labels are integer class indices: sparse categorical
cross-entropy; top-1 and top-5 accuracy (top-5 only with more than five
classes, where it says something).

*Speed.* On a GPU with tensor cores (compute capability 7.0 or newer: T4,
V100, A100, L4, H100), :func:`run` computes in ``mixed_float16`` (the
softmax output stays float32 and Keras scales the loss); on any GPU it
compiles the training step with XLA (``jit_compile``), as Keras'
``jit_compile="auto"`` does. On a CPU both are off: most CPUs have no fast
float16 arithmetic, and Keras itself leaves XLA off there. The record says
which were used.

*Interruptions.* Keras' ``BackupAndRestore`` saves the weights, the optimizer
state and the epoch at the end of each epoch into a backup folder; calling
:func:`run` (or :func:`fit` with the same ``backup_dir``) again after a
disconnect restores them and goes on from the next epoch. The per-epoch
history and the seconds already spent are saved beside it, so the record of a
resumed run is the same as that of an uninterrupted one.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import pathlib
import shutil
import time
import weakref
from numbers import Integral, Real

import keras
import tensorflow as tf

from mnlib import results

__all__ = [
    "DATASETS",
    "MODELS",
    "OPTIMIZERS",
    "LEARNING_RATES",
    "WarmupCosine",
    "make_optimizer",
    "recalibrate_batch_norm",
    "accelerator",
    "fit",
    "evaluate",
    "run",
    "check",
    "PROFILES",
    "study_settings",
]

#: Datasets of the course, the values of :func:`run`'s ``dataset``.
DATASETS = {
    "synthetic": "a generated stand-in in a real dataset's layout, no download (mnlib.data.synthetic)",
    "tiny-imagenet": "Tiny ImageNet, 200 classes of 64x64 images (mnlib.data.tiny_imagenet)",
    "stanford-dogs": "Stanford Dogs, 120 breeds (mnlib.data.stanford_dogs)",
}

#: Model names :func:`run` builds itself (any other model: pass a builder function).
MODELS = ("mobilenet",)

#: Arguments :func:`run` accepts in ``model_args`` for ``model="mobilenet"``
#: (input shape and classes come from ``resolution`` and ``classes``).
MOBILENET_ARGS = ("alpha", "shallow", "dropout", "weights")

OPTIMIZERS = ("adam", "rmsprop", "sgd")

#: Default peak learning rate of each optimizer (run()'s default batch is 64).
LEARNING_RATES = {"adam": 1e-3, "rmsprop": 0.045, "sgd": 0.05}

_MIN_RESOLUTION = 32  # five stride-2 stages leave a 1x1 map at 32 px
_HISTORY_FILE = "history.json"  # beside Keras' backup: per-epoch logs
_SETTINGS_FILE = "settings.json"  # what the backup was made for


# --------------------------------------------------------------------------
# Optimizer and schedule


@keras.saving.register_keras_serializable(package="mnlib")
class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up, then cosine decay to zero.

    For step ``t`` (0-based) of ``T`` steps with ``W`` warm-up steps and peak
    rate ``η``::

        lr(t) = η · (t + 1) / W                          for t < W
        lr(t) = η · ½ · (1 + cos(π · (t − W) / (T − W)))  for W <= t <= T

    Args:
        peak: the peak learning rate η, reached at the end of the warm-up.
        total_steps: ``T``, steps of the whole run (epochs x steps per epoch).
        warmup_steps: ``W``, 0 for none.
    """

    def __init__(self, peak: float, total_steps: int, warmup_steps: int = 0):
        self.peak = float(peak)
        self.total_steps = int(total_steps)
        self.warmup_steps = int(warmup_steps)

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        warmup = float(max(self.warmup_steps, 1))
        decay = float(max(self.total_steps - self.warmup_steps, 1))
        progress = keras.ops.clip((step - self.warmup_steps) / decay, 0.0, 1.0)
        cosine = 0.5 * self.peak * (1.0 + keras.ops.cos(math.pi * progress))
        warm = self.peak * (step + 1.0) / warmup
        return keras.ops.where(step < self.warmup_steps, warm, cosine)

    def get_config(self):
        return {"peak": self.peak, "total_steps": self.total_steps, "warmup_steps": self.warmup_steps}


def make_optimizer(
    name: str = "adam",
    learning_rate: float | None = None,
    *,
    total_steps: int,
    warmup_steps: int = 0,
    weight_decay: float = 0.0,
    model: keras.Model | None = None,
) -> keras.optimizers.Optimizer:
    """The course's optimizer, with its :class:`WarmupCosine` schedule.

    Args:
        name: ``"adam"`` (the default), ``"rmsprop"`` (the paper's: ρ 0.9,
            momentum 0.9, ε 1.0) or ``"sgd"`` (Nesterov momentum 0.9).
        learning_rate: the peak learning rate; default
            ``LEARNING_RATES[name]``.
        total_steps: steps of the whole run, where the rate reaches zero.
        warmup_steps: steps of linear warm-up.
        weight_decay: decoupled weight decay: each step multiplies a weight by
            ``1 - learning_rate · weight_decay``. Default 0. The paper puts
            "very little or no" decay on the depthwise filters; with a
            ``model``, depthwise kernels, batch-norm parameters and biases
            get none.
        model: the model to be trained (only needed with weight decay).

    Returns:
        An unbuilt Keras optimizer.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}; got {name!r}.")
    peak = LEARNING_RATES[name] if learning_rate is None else float(learning_rate)
    schedule = WarmupCosine(peak, total_steps, warmup_steps)
    decay = float(weight_decay) or None
    if name == "rmsprop":
        optimizer = keras.optimizers.RMSprop(
            schedule, rho=0.9, momentum=0.9, epsilon=1.0, weight_decay=decay
        )
    elif name == "adam":
        optimizer = keras.optimizers.Adam(schedule, weight_decay=decay)
    else:
        optimizer = keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True, weight_decay=decay)
    if decay and model is not None:
        optimizer.exclude_from_weight_decay(var_list=_no_decay_variables(model))
    return optimizer


def _no_decay_variables(model):
    """Depthwise kernels, batch-norm parameters and biases of ``model``."""
    chosen = []
    for layer in model.layers:
        if hasattr(layer, "layers"):  # a nested model
            chosen.extend(_no_decay_variables(layer))
        elif isinstance(layer, (keras.layers.DepthwiseConv2D, keras.layers.BatchNormalization)):
            chosen.extend(layer.trainable_weights)
        else:
            chosen.extend(w for w in layer.trainable_weights if w.name.split("/")[-1].startswith("bias"))
    return chosen


# --------------------------------------------------------------------------
# Device


def accelerator() -> dict:
    """What this machine offers for training.

    Returns:
        ``{"device": GPU name or "CPU", "gpu": bool, "mixed_precision": bool,
        "xla": bool}``, where the last two say whether :func:`run` uses them by
        default: mixed precision on GPUs of compute capability 7.0 or newer
        (tensor cores), XLA on any GPU.
    """
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return {"device": "CPU", "gpu": False, "mixed_precision": False, "xla": False}
    details = tf.config.experimental.get_device_details(gpus[0])
    capability = details.get("compute_capability") or (0, 0)
    return {
        "device": details.get("device_name", "GPU"),
        "gpu": True,
        "mixed_precision": tuple(capability) >= (7, 0),
        "xla": True,
    }


# --------------------------------------------------------------------------
# fit and evaluate


def _layers(model):
    """Every layer of ``model``, those of nested models included."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _layers(layer)


def recalibrate_batch_norm(model: keras.Model, dataset: tf.data.Dataset, batches: int = 20) -> int:
    """Re-estimate the batch-norm statistics of ``model`` from ``dataset``.

    In training, batch normalisation normalises with each batch's mean and
    variance; in inference it uses moving averages of them kept during
    training (momentum 0.99 in Keras: an average over the last ~100 steps,
    which starts from mean 0 and variance 1). After a few hundred steps those
    averages still lag the weights, and a model with 100% training accuracy can
    predict a single class in inference. Here the weights stay fixed and each
    trainable batch-norm layer gets the average of the batch means and
    variances that its input has over ``batches`` batches, computed as in
    training ("precise BN", Wu & Johnson 2021, *Rethinking "Batch" in
    BatchNorm*). Only the moving averages change; trainable weights do not.

    Args:
        model: a built model.
        dataset: batched ``(images, labels)``, usually the training data.
        batches: how many batches to average over (default 20).

    Returns:
        The number of batch-norm layers updated (0: the model has none that
        train, and nothing was done).
    """
    return _BatchNormStatistics(model)(dataset, batches)


class _BatchNormStatistics:
    """:func:`recalibrate_batch_norm` for one model, traced once.

    Each batch-norm layer's input moments are read where the layer is called:
    while the pass over the model is traced, each layer's ``call`` is wrapped
    by one that also returns the mean and variance of its input. This works
    for any model, a model nested in another one included (the base model of
    transfer learning), where a probe ``keras.Model(model.inputs,
    [layer.input ...])`` is not connected to the outer model's inputs.
    """

    def __init__(self, model):
        self.model = model
        self.norms, seen = [], set()
        for layer in _layers(model):
            if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable and id(layer) not in seen:
                seen.add(id(layer))
                self.norms.append(layer)
        self._traced = {}

    def moments(self, images):
        """The model in training mode on ``images``: for each layer of
        ``self.norms``, the mean and variance of its input per channel
        (``None`` for a layer that the model does not call)."""
        found = {id(layer): [] for layer in self.norms}

        def recording(layer, call):
            def record(inputs, *args, **kwargs):
                x = tf.cast(inputs, tf.float32)
                axis = layer.axis % len(x.shape)
                found[id(layer)].append(tf.nn.moments(x, [i for i in range(len(x.shape)) if i != axis]))
                return call(inputs, *args, **kwargs)

            return record

        own = [layer.__dict__.get("call") for layer in self.norms]
        for layer in self.norms:  # an attribute of the instance hides the class's call
            object.__setattr__(layer, "call", recording(layer, layer.call))
        try:
            self.model(images, training=True)
        finally:
            for layer, call in zip(self.norms, own):
                if call is None:
                    object.__delattr__(layer, "call")
                else:
                    object.__setattr__(layer, "call", call)
        pairs = []
        for layer in self.norms:
            calls = found[id(layer)]  # a layer called more than once: the average
            pairs.append(
                (tf.add_n([m for m, _ in calls]) / len(calls), tf.add_n([v for _, v in calls]) / len(calls))
                if calls
                else None
            )
        return pairs

    def __call__(self, dataset, batches):
        if not self.norms or batches < 1:
            return 0
        signature = _any_batch(dataset)[:1]
        key = repr(signature)
        if key not in self._traced:  # traced once per kind of input
            self._traced[key] = tf.function(self.moments, input_signature=signature)
        moments = self._traced[key]
        sums, count = None, 0
        for images, *_ in dataset.take(batches):
            size = int(tf.shape(images)[0])
            pairs = moments(images)
            if sums is None:
                sums = [None if pair is None else [pair[0] * size, pair[1] * size] for pair in pairs]
            else:
                for total, pair in zip(sums, pairs):
                    if pair is not None:
                        total[0] += pair[0] * size
                        total[1] += pair[1] * size
            count += size
        if count == 0:
            return 0
        updated = 0
        for layer, total in zip(self.norms, sums):
            if total is not None:
                layer.moving_mean.assign(tf.cast(total[0] / count, layer.moving_mean.dtype))
                layer.moving_variance.assign(tf.cast(total[1] / count, layer.moving_variance.dtype))
                updated += 1
        return updated


class _Recalibrate(keras.callbacks.Callback):
    """Run :func:`recalibrate_batch_norm` before each validation and at the end."""

    def __init__(self, dataset, batches):
        super().__init__()
        self.dataset = dataset
        self.batches = batches
        self._statistics = None
        self._fresh = False

    def on_train_batch_end(self, batch, logs=None):
        self._fresh = False

    def on_test_begin(self, logs=None):
        if not self._fresh:
            if self._statistics is None:
                self._statistics = _BatchNormStatistics(self.model)
            self._statistics(self.dataset, self.batches)
            self._fresh = True

    def on_train_end(self, logs=None):
        self.on_test_begin(logs)


def _any_batch(dataset):
    """Input signature of a dataset's elements, any batch size."""
    return [
        tf.TensorSpec([None, *spec.shape[1:]], spec.dtype)
        for spec in tf.nest.flatten(dataset.element_spec)
    ]


def _count_batches(dataset: tf.data.Dataset) -> int:
    """Batches in one pass over ``dataset`` (iterates it once if TensorFlow cannot tell)."""
    cardinality = int(dataset.cardinality())
    if cardinality == tf.data.INFINITE_CARDINALITY:
        raise ValueError(
            "the training dataset repeats forever; pass steps_per_epoch to say how long an epoch is."
        )
    if cardinality >= 0:
        return cardinality
    return int(dataset.reduce(0, lambda count, _: count + 1))


def _read_json(path):
    try:
        return json.loads(pathlib.Path(path).read_text())
    except (OSError, ValueError):
        return None


def _write_json(path, value):
    """Write JSON atomically (temporary file, then rename)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(value))
    os.replace(temporary, path)


class _EpochLog(keras.callbacks.Callback):
    """Per-epoch logs, learning rate and seconds, kept across interruptions.

    With a ``folder``, the log is saved there after every epoch; a later
    session loads it and drops the epochs that the weights backup does not
    cover (it saves before the backup does, so it is never behind it).
    """

    def __init__(self, folder=None, verbose=0, epochs=None):
        super().__init__()
        self.folder = pathlib.Path(folder) if folder else None
        self.verbose = verbose
        self.epochs = epochs
        saved = _read_json(self.folder / _HISTORY_FILE) if self.folder else None
        self.rows = saved if isinstance(saved, list) else []
        self._started = None
        self._first = True

    def on_epoch_begin(self, epoch, logs=None):
        if self._first:
            self._first = False
            del self.rows[epoch:]
            if epoch > 0 and self.verbose:
                print(f"Resuming from the backup: epochs 1-{epoch} of {self.epochs} are done.")
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        row = {k: float(v) for k, v in (logs or {}).items() if _is_number(v)}
        row["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        row["seconds"] = time.perf_counter() - self._started
        del self.rows[epoch:]
        self.rows.append(row)
        if self.folder:
            _write_json(self.folder / _HISTORY_FILE, self.rows)

    def history(self) -> dict:
        keys = []
        for row in self.rows:
            keys.extend(k for k in row if k not in keys)
        return {k: [row.get(k) for row in self.rows] for k in keys}


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _backup_callback(folder, keep):
    """Keras' BackupAndRestore, keeping two states where this Keras can."""
    options = {"delete_checkpoint": not keep}
    if "double_checkpoint" in inspect.signature(keras.callbacks.BackupAndRestore).parameters:
        options["double_checkpoint"] = True  # survives a disconnect during a save
    return keras.callbacks.BackupAndRestore(str(folder), **options)


def _backed_up_epochs(folder, log, epochs):
    """Epochs the backup in ``folder`` holds (Keras restores the same number itself
    since 3.1; this is for Keras versions whose backup keeps only the weights)."""
    if folder is None or not (folder / "latest.weights.h5").exists():
        return 0
    metadata = _read_json(folder / "training_metadata.json")
    if isinstance(metadata, dict) and _is_int(metadata.get("epoch")):
        return min(metadata["epoch"], epochs)
    return min(len(log.rows), epochs)


def fit(
    model: keras.Model,
    train: tf.data.Dataset,
    val: tf.data.Dataset | None = None,
    *,
    epochs: int,
    optimizer: str = "adam",
    learning_rate: float | None = None,
    warmup_epochs: float = 1.0,
    weight_decay: float = 0.0,
    steps_per_epoch: int | None = None,
    backup_dir=None,
    keep_backup: bool = False,
    jit_compile: bool = False,
    recalibrate: int = 20,
    verbose: int = 2,
    callbacks=(),
) -> tuple[dict, float]:
    """Train a classifier; resume from ``backup_dir`` if a backup is there.

    Compiles ``model`` with the optimizer of :func:`make_optimizer`, sparse
    categorical cross-entropy, and the metrics ``top1`` and (with more than
    five classes) ``top5``, then calls ``model.fit``.

    Args:
        model: a built Keras model, input ``[batch, H, W, 3]`` float images,
            output ``[batch, classes]`` probabilities (softmax).
        train: batched dataset of ``(images [B, H, W, 3] float32, labels [B]
            int)``, one pass = one epoch.
        val: the same for validation after each epoch, or None.
        epochs: number of epochs of the whole run (a resumed run trains only
            the ones left).
        optimizer: ``"adam"`` (default), ``"rmsprop"`` (the paper's) or ``"sgd"``.
        learning_rate: peak learning rate; default ``LEARNING_RATES[optimizer]``.
        warmup_epochs: epochs of linear warm-up (default 1), at most a tenth
            of the run.
        weight_decay: decoupled weight decay (default 0), see :func:`make_optimizer`.
        steps_per_epoch: batches per epoch; default: the size of ``train``
            (counted by iterating it once if TensorFlow does not know it).
        backup_dir: folder for Keras' ``BackupAndRestore`` and the history so
            far; None for no backup. A backup made with other settings
            (epochs, optimizer, learning rate, steps, model size) is discarded.
        keep_backup: keep the backup after the last epoch (default False:
            delete it). :func:`run` keeps it until its record is written.
        jit_compile: compile the training step with XLA.
        recalibrate: before each validation and at the end, re-estimate the
            batch-norm statistics from this many training batches
            (:func:`recalibrate_batch_norm`; default 20, 0 to keep Keras'
            moving averages). Without it, the validation accuracy of the
            first few hundred steps says little.
        verbose: 0 silent, 1 progress bar, 2 one line per epoch (default;
            clean in executed notebooks).
        callbacks: more Keras callbacks.

    Returns:
        ``(history, seconds)``. ``history`` maps each metric (``loss``,
        ``top1``, ``top5``, ``val_loss``, ``val_top1``, ``val_top5``,
        ``learning_rate`` at the end of the epoch, ``seconds`` of the epoch)
        to a list with one value per epoch, epochs of earlier sessions
        included. ``seconds`` is their sum: wall-clock training time,
        validation included.
    """
    if not isinstance(epochs, Integral) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1; got {epochs!r}.")
    steps = int(steps_per_epoch) if steps_per_epoch else _count_batches(train)
    if steps < 1:
        raise ValueError("the training dataset is empty: one epoch has no batch.")
    total = int(epochs) * steps
    warmup = min(int(round(warmup_epochs * steps)), total // 10)
    classes = int(model.output_shape[-1])

    folder = pathlib.Path(backup_dir) if backup_dir else None
    if folder is not None:
        settings = {
            "epochs": int(epochs),
            "steps_per_epoch": steps,
            "optimizer": optimizer,
            "learning_rate": learning_rate,
            "warmup_steps": warmup,
            "weight_decay": float(weight_decay),
            "params": int(model.count_params()),
            "classes": classes,
            "recalibrate": int(recalibrate),
        }
        saved = _read_json(folder / _SETTINGS_FILE)
        if folder.exists() and saved != settings:
            if verbose and saved is not None:
                print(f"The backup in {folder} was made with other settings; starting afresh.")
            shutil.rmtree(folder)
        _write_json(folder / _SETTINGS_FILE, settings)

    metrics = [keras.metrics.SparseCategoricalAccuracy(name="top1")]
    if classes > 5:
        metrics.append(keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5"))
    model.compile(
        optimizer=make_optimizer(
            optimizer,
            learning_rate,
            total_steps=total,
            warmup_steps=warmup,
            weight_decay=weight_decay,
            model=model,
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=metrics,
        jit_compile=bool(jit_compile),
    )

    log = _EpochLog(folder, verbose=verbose, epochs=epochs)
    every = [log]  # before the backup: the log is saved first, never behind
    if folder is not None:
        every.append(_backup_callback(folder, keep_backup))
    if recalibrate:
        every.append(_Recalibrate(train, int(recalibrate)))
    every.extend(callbacks)
    # Keras keeps the epoch a backup restored on the model; a new run of the
    # same model object must not inherit it.
    if hasattr(model, "_initial_epoch"):
        model._initial_epoch = None
    model.fit(
        train,
        validation_data=val,
        epochs=int(epochs),
        initial_epoch=_backed_up_epochs(folder, log, int(epochs)),
        # Keras goes through a finite dataset once per epoch by itself; given
        # steps, it would not restart it.
        steps_per_epoch=steps if int(train.cardinality()) == tf.data.INFINITE_CARDINALITY else None,
        callbacks=every,
        verbose=verbose,
        shuffle=False,  # a dataset is shuffled by its pipeline
    )
    history = log.history()
    return history, float(sum(history.get("seconds", [])))


_EVALUATION_STEPS = weakref.WeakKeyDictionary()  # model -> {signature: traced step}


def _evaluation_step(model, signature):
    """Sums of loss, top-1 and top-5 hits of one batch; traced once per model and input kind."""
    steps = _EVALUATION_STEPS.setdefault(model, {})
    key = repr(signature)
    if key in steps:
        return steps[key]
    k = min(5, int(model.output_shape[-1]))
    owner = weakref.ref(model)  # the cache must not keep the model alive

    @tf.function(input_signature=signature)  # any batch size: the last batch needs no new trace
    def step(images, labels):
        probabilities = tf.cast(owner()(images, training=False), tf.float32)
        labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        loss = keras.losses.sparse_categorical_crossentropy(labels, probabilities)
        best = tf.math.top_k(probabilities, k=k).indices  # sorted, ties to lower index
        hits = tf.cast(tf.equal(best, labels[:, None]), tf.float32)
        return tf.reduce_sum(loss), tf.reduce_sum(hits[:, 0]), tf.reduce_sum(hits), tf.size(labels)

    steps[key] = step
    return step


def evaluate(model: keras.Model, dataset: tf.data.Dataset) -> dict:
    """Top-1 and top-5 accuracy and mean loss of ``model`` on ``dataset``.

    Runs the model in inference mode (batch norm uses its moving averages,
    no dropout). Ties between class probabilities are broken in favour of the
    lower class index, so a model that outputs the same probability for every
    class scores chance, not 100%.

    Args:
        model: output ``[batch, classes]`` probabilities.
        dataset: batched ``(images, labels [B] int)``.

    Returns:
        ``{"loss": mean cross-entropy, "top1": fraction in [0, 1], "top5":
        fraction or None with 5 classes or fewer, "examples": count}``.
    """
    classes = int(model.output_shape[-1])
    step = _evaluation_step(model, _any_batch(dataset)[:2])
    loss = top1 = top5 = 0.0
    examples = 0
    for images, labels in dataset:
        batch = step(images, labels)
        loss += float(batch[0])
        top1 += float(batch[1])
        top5 += float(batch[2])
        examples += int(batch[3])
    if examples == 0:
        raise ValueError("the evaluation dataset is empty.")
    return {
        "loss": loss / examples,
        "top1": top1 / examples,
        "top5": top5 / examples if classes > 5 else None,
        "examples": examples,
    }


# --------------------------------------------------------------------------
# run: one experiment, one record


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def _check_dataset(name, dataset, resolution):
    """Raise unless ``dataset`` yields (image, label) pairs; return True if batched."""
    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(f"{name} must be a tf.data.Dataset of (image, label) pairs; got {type(dataset).__name__}.")
    spec = dataset.element_spec
    if not (isinstance(spec, tuple) and len(spec) == 2):
        raise ValueError(f"{name} must yield (image, label) pairs; it yields {spec}.")
    shape = spec[0].shape
    if shape.rank not in (3, 4):
        raise ValueError(
            f"{name}'s images must be [H, W, 3] (unbatched) or [B, H, W, 3] (batched); got shape {shape}."
        )
    batched = shape.rank == 4
    if batched and tuple(shape[1:3]) != (resolution, resolution) and None not in tuple(shape[1:3]):
        raise ValueError(
            f"{name} is batched with {shape[1]}x{shape[2]} images but resolution={resolution}; "
            "pass the unbatched dataset (run() resizes it) or batches at the right size."
        )
    return batched


def _check_model(model, model_args):
    if callable(model) and not isinstance(model, str):
        return
    if model not in MODELS:
        raise ValueError(
            f"unknown model {model!r}; run() builds {MODELS}. For another model, pass a function "
            "builder(input_shape=(r, r, 3), classes=n, **model_args) -> keras.Model."
        )
    unknown = sorted(set(model_args) - set(MOBILENET_ARGS))
    if unknown:
        raise ValueError(
            f"model_args {unknown} are not arguments of mobilenet that run() sets; allowed: "
            f"{MOBILENET_ARGS} (resolution and classes set the input shape and the classifier)."
        )
    alpha = model_args.get("alpha", 1.0)
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 < alpha <= 1:
        raise ValueError(
            f"the width multiplier alpha (α) must be a number in (0, 1]; got {alpha!r}. "
            "The paper uses 1.0, 0.75, 0.5 and 0.25."
        )


def _check_parameters(p):
    """Validate :func:`run`'s parameters, cheapest first, before anything is built."""
    if not isinstance(p["notebook"], str) or not p["notebook"].strip():
        raise ValueError("notebook must name the notebook that runs the experiment, e.g. '03-width'.")
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
    if not _is_int(p["epochs"]) or p["epochs"] < 1:
        raise ValueError(f"epochs must be an integer >= 1; got {p['epochs']!r}.")
    if not _is_int(p["batch_size"]) or p["batch_size"] < 1:
        raise ValueError(f"batch_size must be an integer >= 1; got {p['batch_size']!r}.")
    if p["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}; got {p['optimizer']!r}.")
    lr = p["learning_rate"]
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, Real) or not 0 < lr < 10):
        raise ValueError(f"learning_rate must be a positive number (e.g. 0.01) or None; got {lr!r}.")
    if not isinstance(p["warmup_epochs"], Real) or p["warmup_epochs"] < 0:
        raise ValueError(f"warmup_epochs must be a number >= 0; got {p['warmup_epochs']!r}.")
    if not isinstance(p["weight_decay"], Real) or p["weight_decay"] < 0:
        raise ValueError(f"weight_decay must be a number >= 0; got {p['weight_decay']!r}.")
    if not _is_int(p["recalibrate"]) or p["recalibrate"] < 0:
        raise ValueError(f"recalibrate must be a number of batches >= 0; got {p['recalibrate']!r}.")
    if not _is_int(p["seed"]):
        raise ValueError(f"seed must be an integer; got {p['seed']!r}.")
    if p["profile"] not in results.PROFILES:
        raise ValueError(
            f"profile must be 'smoke' (a quick run that checks the code) or 'full'; got {p['profile']!r}."
        )


def _build(model, model_args, resolution, classes):
    if model == "mobilenet":
        from mnlib import models

        return models.mobilenet(input_shape=(resolution, resolution, 3), classes=classes, **model_args)
    return model(input_shape=(resolution, resolution, 3), classes=classes, **model_args)


def _mult_adds(model):
    """Mult-Adds of one image through ``model`` (mnlib.costs), or None if it cannot count them."""
    try:
        from mnlib import costs

        return int(costs.model_cost(model)["mult_adds"].sum())
    except (ImportError, NotImplementedError, ValueError):
        return None


def _describe(name, model_args):
    args = ", ".join(f"{k}={v}" for k, v in model_args.items())
    return f"{name}({args})"


def run(
    train: tf.data.Dataset,
    val: tf.data.Dataset,
    *,
    notebook: str,
    dataset: str,
    classes: int,
    resolution: int,
    epochs: int,
    model="mobilenet",
    model_args: dict | None = None,
    model_name: str | None = None,
    batch_size: int = 64,
    augment: bool = True,
    family: str = "mobilenet",
    optimizer: str = "adam",
    learning_rate: float | None = None,
    warmup_epochs: float = 1.0,
    weight_decay: float = 0.0,
    recalibrate: int = 20,
    seed: int = 0,
    profile: str = "smoke",
    results_dir="results",
    mixed_precision: bool | None = None,
    jit_compile: bool | None = None,
    force: bool = False,
    verbose: int = 2,
) -> dict:
    """Run one experiment: build, train, evaluate, write its record.

    Every parameter is checked before any data is read or model built. If the
    results folder already holds this experiment's record, trained with the
    same settings, it is returned without training (pass ``force=True`` to
    train again): a notebook that is run twice does not make its reader wait
    twice. If a backup of this experiment is in ``<results_dir>/backup/<id>``
    (the previous session was cut off), training resumes from it.

    Args:
        train, val: the training and evaluation data, either unbatched
            ``(uint8 image [H, W, 3], int label)`` as :mod:`mnlib.data`'s loaders
            give (batched, resized to ``resolution`` and, for ``train``,
            augmented here by ``mnlib.data.pipeline``), or already batched
            ``(float32 images [B, resolution, resolution, 3], int labels [B])``,
            used as they are. ``top1``/``top5`` of the record are on ``val``.
        notebook: the notebook running the experiment, e.g. ``"03-width"``.
        dataset: one of :data:`DATASETS`.
        classes: number of classes (>= 2); labels are ``0 .. classes-1``.
        resolution: input size in pixels (>= 32); ρ = resolution / 224.
        epochs: epochs to train (>= 1).
        model: ``"mobilenet"`` (:func:`mnlib.models.mobilenet`) or a function
            ``builder(input_shape=(r, r, 3), classes=n, **model_args)``
            returning a Keras model with softmax output.
        model_args: the model's arguments, e.g. ``{"alpha": 0.5}`` (α, the
            width multiplier, in (0, 1]) or ``{"shallow": True}``.
        model_name: name in the record for a builder function (default: its
            ``__name__``).
        batch_size: images per step (default 64; unbatched data only).
        augment: augment the training images (default True; unbatched data only).
        family: preprocessing of ``mnlib.data.pipeline`` (default ``"mobilenet"``).
        optimizer, learning_rate, warmup_epochs, weight_decay, recalibrate:
            see :func:`fit`.
        seed: seeds Python, NumPy, TensorFlow and the data order (default 0).
        profile: ``"smoke"`` (a quick run that checks the code) or ``"full"``.
        results_dir: the results folder (default ``"results"``).
        mixed_precision: compute in ``mixed_float16``; default: on GPUs with
            tensor cores only (see :func:`accelerator`).
        jit_compile: XLA-compile the training step; default: on a GPU only.
        force: train even if a record with the same settings exists.
        verbose: 0 silent, 2 one line per epoch and a summary (default).

    Returns:
        The record, as written by :func:`mnlib.results.write` (see
        :mod:`mnlib.results` for its fields), with ``"path"`` added.

    Raises:
        ValueError: a parameter is outside what is allowed (the message says
            what is); nothing has been trained or written.
        TypeError: ``train`` or ``val`` is not a ``tf.data.Dataset``.
    """
    model_args = {} if model_args is None else model_args
    parameters = dict(
        notebook=notebook, dataset=dataset, classes=classes, resolution=resolution, epochs=epochs,
        model=model, model_args=model_args, batch_size=batch_size, optimizer=optimizer,
        learning_rate=learning_rate, warmup_epochs=warmup_epochs, weight_decay=weight_decay,
        recalibrate=recalibrate, seed=seed, profile=profile,
    )  # fmt: skip
    _check_parameters(parameters)
    model_args = dict(model_args)
    train_batched = _check_dataset("train", train, resolution)
    val_batched = _check_dataset("val", val, resolution)
    if train_batched:  # the record says the batch size actually used
        static = train.element_spec[0].shape[0]
        batch_size = int(static) if static is not None else int(next(iter(train.take(1)))[0].shape[0])

    name = model if isinstance(model, str) else (model_name or getattr(model, "__name__", "model"))
    device = accelerator()
    mixed = device["mixed_precision"] if mixed_precision is None else bool(mixed_precision)
    xla = device["xla"] if jit_compile is None else bool(jit_compile)
    identity = dict(
        notebook=notebook, dataset=dataset, classes=classes, resolution=resolution,
        model=name, model_args=model_args, seed=seed, profile=profile,
    )  # fmt: skip
    record_id = results.run_id(**identity, augment=None if train_batched else augment)
    training = {
        "optimizer": optimizer,
        "learning_rate": LEARNING_RATES[optimizer] if learning_rate is None else float(learning_rate),
        "schedule": "linear warm-up, cosine decay to 0",
        "warmup_epochs": float(warmup_epochs),
        "weight_decay": float(weight_decay),
        "batch_norm_recalibration": int(recalibrate),
        "augment": bool(augment) if not train_batched else None,
        "family": family if not (train_batched and val_batched) else None,
        "loss": "sparse categorical cross-entropy",
        "evaluated_on": "val",
    }
    settings = dict(epochs=int(epochs), batch_size=int(batch_size), training=training)

    results_dir = pathlib.Path(results_dir)
    saved = results.find(results_dir, record_id)
    if saved is not None and not force:
        saved_training = {k: v for k, v in (saved.get("training") or {}).items() if k != "steps_per_epoch"}
        if dict(epochs=saved.get("epochs"), batch_size=saved.get("batch_size"), training=saved_training) == settings:
            if verbose:
                print(
                    f"Loaded the saved result {record_id}.json ({saved['epochs']} epochs in "
                    f"{_duration(saved['seconds'])} on {saved['environment'].get('device')}); "
                    "pass force=True to train again."
                )
            saved["path"] = str(results_dir / f"{record_id}.json")
            return saved

    keras.utils.set_random_seed(seed)
    if not (train_batched and val_batched):
        from mnlib import data

        if not train_batched:
            train = data.pipeline(
                train, resolution=resolution, family=family, batch_size=batch_size,
                augment=augment, shuffle=True, seed=seed,
            )  # fmt: skip
        if not val_batched:
            val = data.pipeline(
                val, resolution=resolution, family=family, batch_size=batch_size,
                augment=False, shuffle=False, seed=seed,
            )  # fmt: skip

    previous_policy = keras.mixed_precision.global_policy()
    if mixed:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        network = _build(model, model_args, resolution, classes)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)
    params = int(network.count_params())
    mult_adds = _mult_adds(network)
    trained = network
    if mixed:  # the loss wants float32 probabilities
        outputs = keras.layers.Activation("linear", dtype="float32", name="float32_output")(network.output)
        trained = keras.Model(network.input, outputs, name=network.name)

    if verbose:
        cost = f", {mult_adds / 1e6:.1f} M Mult-Adds" if mult_adds is not None else ""
        print(
            f"{_describe(name, model_args)} at {resolution}x{resolution} px on {dataset} "
            f"({classes} classes): {params / 1e6:.2f} M parameters{cost}; "
            f"{epochs} epochs on {device['device']}"
            + (", mixed precision" if mixed else "")
            + (", XLA" if xla else "")
            + "."
        )

    backup = results_dir / "backup" / record_id
    steps = _count_batches(train)
    history, seconds = fit(
        trained, train, val, epochs=epochs, optimizer=optimizer, learning_rate=learning_rate,
        warmup_epochs=warmup_epochs, weight_decay=weight_decay, steps_per_epoch=steps,
        backup_dir=backup, keep_backup=True, jit_compile=xla, recalibrate=recalibrate, verbose=verbose,
    )  # fmt: skip
    scores = evaluate(trained, val)

    record = dict(
        id=record_id,
        **{k: identity[k] for k in ("notebook", "dataset", "classes", "resolution", "model", "model_args")},
        params=params,
        mult_adds=mult_adds,
        epochs=len(history.get("loss", [])),
        seconds=round(seconds, 2),
        top1=scores["top1"],
        top5=scores["top5"],
        history=history,
        profile=profile,
        seed=seed,
        batch_size=int(batch_size),
        training=dict(training, steps_per_epoch=steps),
        environment=results.environment(device=device["device"], mixed_precision=mixed, xla=xla),
    )
    path = results.write(record, results_dir)
    shutil.rmtree(backup, ignore_errors=True)
    try:
        (results_dir / "backup").rmdir()  # only if no other run's backup is there
    except OSError:
        pass
    if verbose:
        top5 = f", top-5 {scores['top5']:.1%}" if scores["top5"] is not None else ""
        print(f"top-1 {scores['top1']:.1%}{top5} on val after {record['epochs']} epochs in {_duration(seconds)}; record {path.name}")
    record = results.read(path)
    record["path"] = str(path)
    return record


#: What each profile means for the study notebooks (03, 04): their dataset and epochs.
PROFILES = {
    "smoke": {"dataset": "synthetic", "epochs": 3},
    "full": {"dataset": "tiny-imagenet", "epochs": 30},
}


def study_settings(profile: str, dataset=None, epochs=None, data_dir=None, results_dir=None) -> dict:
    """A study notebook's settings, with ``None`` replaced by the profile's choice.

    Args:
        profile: ``"smoke"`` (the synthetic stand-in, 3 epochs) or ``"full"``
            (Tiny ImageNet, 30 epochs); see :data:`PROFILES`.
        dataset, epochs: override the profile's.
        data_dir, results_dir: default ``data/`` and ``results/`` at the
            course's root (:func:`mnlib.course_folder`).

    Returns:
        ``{"dataset", "epochs", "data_dir", "results_dir", "stand_in"}``;
        ``stand_in`` is a caption suffix that labels results on the stand-in
        (empty for real data).
    """
    import mnlib

    if profile not in PROFILES:
        raise ValueError(f"profile must be 'smoke' or 'full'; got {profile!r}.")
    dataset = dataset or PROFILES[profile]["dataset"]
    return {
        "dataset": dataset,
        "epochs": epochs or PROFILES[profile]["epochs"],
        "data_dir": data_dir or mnlib.course_folder("data"),
        "results_dir": results_dir or mnlib.course_folder("results"),
        "stand_in": " (synthetic stand-in, smoke run)" if dataset == "synthetic" else "",
    }


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
