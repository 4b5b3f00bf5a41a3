"""Batch-norm re-estimation ("precise BN"): statistics measured, not lagging.

Keras' moving averages lag the weights for the first few hundred steps, long
enough for a short run to score chance in inference while it fits its
training data. :func:`recalibrate_batch_norm` measures each layer's input
statistics over some training batches with the weights held fixed (Wu &
Johnson 2021); the book's page "How the course trains" explains it.
Introduced in chapter 3.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from mnlib import compat

__all__ = ["recalibrate_batch_norm", "RecalibrateBatchNorm", "batch_signature"]


def _layers(model):
    """Every layer of ``model``, those of nested models included."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _layers(layer)


def recalibrate_batch_norm(model: keras.Model, dataset: tf.data.Dataset, batches: int = 20) -> int:
    """Re-estimate the batch-norm statistics of ``model`` from ``dataset``, weights fixed.

    Each trainable batch-norm layer gets, as its moving mean and variance, the
    average of the per-batch mean and variance its input has over ``batches``
    batches in training mode. Only the moving averages change. Layers that do
    not train (a frozen base in transfer learning) keep their statistics.
    Why: the book's page "How the course trains".

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

        with compat.calls_intercepted(self.norms, recording):
            self.model(images, training=True)
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
        signature = batch_signature(dataset)[:1]
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


class RecalibrateBatchNorm(keras.callbacks.Callback):
    """A Keras callback: :func:`recalibrate_batch_norm` from ``batches`` batches of ``dataset``
    before each validation and at the end of training (never twice without a training step between).

    :func:`mnlib.train.fit` adds it unless ``recalibrate=0``.
    """

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


def batch_signature(dataset: tf.data.Dataset) -> list[tf.TensorSpec]:
    """The input signature of a batched dataset's elements, any batch size: one
    ``tf.TensorSpec([None, ...])`` per tensor of an element (for a ``tf.function``
    traced once for the last, smaller batch too)."""
    return [tf.TensorSpec([None, *spec.shape[1:]], spec.dtype) for spec in tf.nest.flatten(dataset.element_spec)]
