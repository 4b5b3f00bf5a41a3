"""Training and evaluation of one classifier: :func:`fit` and :func:`evaluate`.

:func:`fit` compiles a Keras classifier with the course's optimizer and trains
it with a backup that survives a disconnect; :func:`evaluate` gives its top-1
and top-5 accuracy. Both work on any model whose output is ``[batch, classes]``
probabilities. The choices and their reasons: the book's page "How the course
trains". Introduced in chapter 3.
"""

from __future__ import annotations

import math
import pathlib
import time
import warnings
import weakref
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from mnlib import checks, compat
from mnlib.results import read_json, write_json
from mnlib.train.backup import Backup, epochs_done
from mnlib.train.batchnorm import RecalibrateBatchNorm, batch_signature
from mnlib.train.optim import make_optimizer

__all__ = ["fit", "evaluate", "count_batches", "Diverged", "StopOnDivergence"]

_HISTORY_FILE = "history.json"  # beside Keras' backup: per-epoch logs
_SETTINGS_FILE = "settings.json"  # what the backup was made for


def count_batches(dataset: tf.data.Dataset) -> int:
    """Batches in one pass over ``dataset`` (iterates it once if TensorFlow cannot tell).

    Raises:
        ValueError: the dataset repeats forever (pass ``steps_per_epoch`` to :func:`fit` instead).
    """
    cardinality = int(dataset.cardinality())
    if cardinality == tf.data.INFINITE_CARDINALITY:
        raise ValueError("the training dataset repeats forever; pass steps_per_epoch to say how long an epoch is.")
    if cardinality >= 0:
        return cardinality
    return int(dataset.reduce(0, lambda count, _: count + 1))


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
        saved = read_json(self.folder / _HISTORY_FILE) if self.folder else None
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
        row = {k: float(v) for k, v in (logs or {}).items() if _loggable(v)}
        row["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        row["seconds"] = time.perf_counter() - self._started
        del self.rows[epoch:]
        self.rows.append(row)
        if self.folder:
            write_json(self.folder / _HISTORY_FILE, self.rows)

    def history(self) -> dict:
        keys = []
        for row in self.rows:
            keys.extend(k for k in row if k not in keys)
        return {k: [row.get(k) for row in self.rows] for k in keys}


def _loggable(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


class Diverged(RuntimeError):
    """Training stopped because the loss became NaN or infinite (:class:`StopOnDivergence`).

    Attributes:
        epoch: the epoch (1-based) in which it happened.
        loss: the loss Keras reported.
        history: the epochs done before it, as :func:`fit` returns them
            (added by :func:`fit`).
        seconds: their seconds (added by :func:`fit`).
    """

    def __init__(self, epoch: int, loss: float):
        self.epoch, self.loss = int(epoch), float(loss)
        self.history, self.seconds = {}, 0.0
        super().__init__(
            f"Training diverged in epoch {self.epoch}: the loss became {self.loss}. Likely causes: a learning "
            "rate too high for this optimizer and batch size, no warm-up (warmup_epochs=0), or inputs not scaled "
            "as the model expects (the family's preprocessing)."
        )


class StopOnDivergence(keras.callbacks.Callback):
    """Stop training at the first batch whose loss is NaN or infinite, raising :class:`Diverged`.

    Keras' running loss of the epoch stays NaN once one batch was, so one
    check per batch catches it at once; the epoch is counted from 1.
    """

    def __init__(self):
        super().__init__()
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True
            raise Diverged(self._epoch + 1, float(loss))


def _prepare_backup(folder: pathlib.Path, settings: dict, verbose: int) -> None:
    """Keep a backup made with ``settings``; set any other one aside (renamed, never deleted)."""
    if folder.exists():
        saved = read_json(folder / _SETTINGS_FILE)
        if saved == settings:
            return
        stamp, number = time.strftime("%Y%m%d-%H%M%S"), 0
        aside = folder.with_name(f"{folder.name}.set-aside-{stamp}")
        while aside.exists():
            number += 1
            aside = folder.with_name(f"{folder.name}.set-aside-{stamp}-{number}")
        folder.rename(aside)
        why = "settings that cannot be read" if saved is None else "other settings"
        warnings.warn(
            f"The backup in {folder} was made with {why}; it is kept as {aside.name} "
            "and this run starts from the first epoch.",
            UserWarning,
            stacklevel=3,
        )
    write_json(folder / _SETTINGS_FILE, settings)


def _compile(model, *, optimizer, learning_rate, total, warmup, weight_decay, jit_compile):
    classes = int(model.output_shape[-1])
    metrics = [keras.metrics.SparseCategoricalAccuracy(name="top1")]
    if classes > 5:
        metrics.append(keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5"))
    model.compile(
        optimizer=make_optimizer(
            optimizer, learning_rate, total_steps=total, warmup_steps=warmup, weight_decay=weight_decay, model=model
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=metrics,
        jit_compile=bool(jit_compile),
    )


def fit(
    model: keras.Model,
    train: tf.data.Dataset | Callable[[int], tf.data.Dataset],
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
    data_settings: dict | None = None,
    jit_compile: bool = False,
    recalibrate: int = 20,
    verbose: int = 2,
    callbacks=(),
) -> tuple[dict, float]:
    """Train a classifier; resume from ``backup_dir`` if a backup is there.

    Compiles ``model`` with the optimizer of :func:`~mnlib.train.make_optimizer`,
    sparse categorical cross-entropy, and the metrics ``top1`` and (with more
    than five classes) ``top5``, then calls ``model.fit``.

    Args:
        model: a built Keras model, input ``[batch, H, W, 3]`` float images,
            output ``[batch, classes]`` probabilities (softmax).
        train: the training batches ``(images [B, H, W, 3] float32, labels [B]
            int)``, either a dataset of which one pass is one epoch (Keras'
            way), or a function ``train(first_epoch)`` returning the batches of
            every epoch from ``first_epoch`` on, as
            ``functools.partial(mnlib.data.pipeline, ..., epochs=None)`` with
            ``epoch=first_epoch`` does; then ``steps_per_epoch`` is needed, and a
            resumed run sees exactly the data an uninterrupted one would.
        val: validation batches after each epoch, or None.
        epochs: number of epochs of the whole run (a resumed run trains only
            the ones left).
        optimizer: ``"adam"`` (default), ``"rmsprop"`` (the paper's) or ``"sgd"``.
        learning_rate: peak learning rate; default ``LEARNING_RATES[optimizer]``.
        warmup_epochs: epochs of linear warm-up (default 1), at most a tenth
            of the run.
        weight_decay: decoupled weight decay (default 0).
        steps_per_epoch: batches per epoch; default: the size of ``train``.
        backup_dir: folder for the backup (:class:`~mnlib.train.Backup`) and the history so
            far; None for no backup. A backup made with other settings (these
            arguments, the model's size, ``data_settings``) or whose settings
            cannot be read is set aside (renamed) with a warning, never deleted.
        keep_backup: keep the backup after the last epoch (default False).
        data_settings: what else identifies the training data for the backup,
            e.g. ``{"seed": 0, "augment": True, "family": "mobilenet"}``.
        jit_compile: compile the training step with XLA.
        recalibrate: before each validation and at the end, re-estimate the
            batch-norm statistics from this many training batches (those of
            epoch 0, the same in every session; 0 to keep Keras' averages).
        verbose: 0 silent, 1 progress bar, 2 one line per epoch (default).
        callbacks: more Keras callbacks.

    Returns:
        ``(history, seconds)``: ``history`` maps each metric (``loss``,
        ``top1``, ``top5``, ``val_loss``, ``val_top1``, ``val_top5``,
        ``learning_rate`` at the end of the epoch, ``seconds`` of the epoch) to
        one value per epoch, earlier sessions' epochs included; ``seconds`` is
        their sum.
    """
    checks.integer("epochs", epochs, 1)
    stream = callable(train) and not isinstance(train, tf.data.Dataset)
    if stream and not steps_per_epoch:
        raise ValueError("train is a function of the epoch: pass steps_per_epoch, the batches of one epoch.")
    steps = int(steps_per_epoch) if steps_per_epoch else count_batches(train)
    if steps < 1:
        raise ValueError("the training dataset is empty: one epoch has no batch.")
    total = int(epochs) * steps
    warmup = min(int(round(warmup_epochs * steps)), total // 10)
    folder = pathlib.Path(backup_dir) if backup_dir else None
    if folder is not None:
        settings = dict(
            epochs=int(epochs), steps_per_epoch=steps, optimizer=optimizer, learning_rate=learning_rate,
            warmup_steps=warmup, weight_decay=float(weight_decay), params=int(model.count_params()),
            classes=int(model.output_shape[-1]), recalibrate=int(recalibrate), data=data_settings,
        )  # fmt: skip
        _prepare_backup(folder, settings, verbose)
    _compile(model, optimizer=optimizer, learning_rate=learning_rate, total=total, warmup=warmup,
             weight_decay=weight_decay, jit_compile=jit_compile)  # fmt: skip

    log = _EpochLog(folder, verbose=verbose, epochs=epochs)
    every = [StopOnDivergence(), log]  # the log before the backup: saved first, never behind
    if folder is not None:
        every.append(Backup(folder, keep=keep_backup))
    if recalibrate:
        every.append(RecalibrateBatchNorm(train(0) if stream else train, int(recalibrate)))
    every.extend(callbacks)
    start = min(epochs_done(folder), int(epochs))
    batches = train(start) if stream else train
    compat.reset_initial_epoch(model)  # a new run of the same model must not inherit a restored epoch
    endless = stream or int(batches.cardinality()) == tf.data.INFINITE_CARDINALITY
    try:
        model.fit(
            batches,
            validation_data=val,
            epochs=int(epochs),
            initial_epoch=start,
            # Given steps, Keras goes on through one iterator across epochs; without,
            # it goes through a finite dataset once per epoch.
            steps_per_epoch=steps if endless else None,
            callbacks=every,
            verbose=verbose,
            shuffle=False,  # a dataset is shuffled by its pipeline
        )
    except Diverged as diverged:
        diverged.history = log.history()
        diverged.seconds = float(sum(diverged.history.get("seconds", [])))
        raise
    history = log.history()
    return history, float(sum(history.get("seconds", [])))


_EVALUATION_STEPS = weakref.WeakKeyDictionary()  # model -> {signature: traced step}


def _evaluation_step(model, signature):
    """Summed loss, each image's top-1 hit and summed top-5 hits of one batch; traced once per model and input kind."""
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
        return tf.reduce_sum(loss), hits[:, 0] > 0, tf.reduce_sum(hits)

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
        fraction or None with 5 classes or fewer, "examples": count,
        "correct": bool array [examples]}``: ``correct`` says which images
        were right at top-1, in the dataset's order (a validation pipeline
        with ``shuffle=False`` keeps the loader's fixed order), for a paired
        comparison of two networks (:func:`mnlib.stats.paired`).
    """
    classes = int(model.output_shape[-1])
    step = _evaluation_step(model, batch_signature(dataset)[:2])
    loss = top5 = 0.0
    correct = []
    for images, labels in dataset:
        batch = step(images, labels)
        loss += float(batch[0])
        correct.append(batch[1].numpy())
        top5 += float(batch[2])
    examples = int(sum(len(c) for c in correct))
    if examples == 0:
        raise ValueError("the evaluation dataset is empty.")
    correct = np.concatenate(correct).astype(bool)
    return {
        "loss": loss / examples,
        "top1": float(correct.sum()) / examples,
        "top5": top5 / examples if classes > 5 else None,
        "examples": examples,
        "correct": correct,
    }
