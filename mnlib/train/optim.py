"""The course's optimizers and learning-rate schedule.

Adam by default, the paper's RMSprop and SGD one argument away, all with a
linear warm-up then a cosine decay to zero (:class:`WarmupCosine`). Why these
choices: the book's page "How the course trains". Introduced in chapter 3.
"""

from __future__ import annotations

import math

import keras

__all__ = ["OPTIMIZERS", "LEARNING_RATES", "WarmupCosine", "make_optimizer"]

OPTIMIZERS = ("adam", "rmsprop", "sgd")

#: Default peak learning rate of each optimizer (run()'s default batch is 64).
LEARNING_RATES = {"adam": 1e-3, "rmsprop": 0.045, "sgd": 0.05}


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
        optimizer = keras.optimizers.RMSprop(schedule, rho=0.9, momentum=0.9, epsilon=1.0, weight_decay=decay)
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
