"""Where a network's LiteRT time goes: its latency split by the layer kinds of the paper's Table 2.

The paper counts Mult-Adds by layer kind (its Table 2: 95% in the 1x1
convolutions, 3% in the depthwise ones); :func:`kind_latency` measures the
time by the same kinds, so the two shares can be set side by side.
:func:`kind_models` builds, for each kind, one model of all the network's
layers of that kind, side by side; they are converted and timed with
:mod:`mnlib.deploy` (which knows nothing of this module). Introduced in
chapter 8.
"""

from __future__ import annotations

import functools

import keras
import numpy as np
import pandas as pd

from mnlib import checks, deploy
from mnlib.costs import model_cost

__all__ = ["KINDS", "kind_models", "kind_latency"]

KINDS = ("conv", "conv dw", "conv 1x1", "fully connected")
"""The layer kinds of the paper's Table 2, as :func:`mnlib.costs.model_cost` names them."""


def _standalone(layer):
    """A fresh copy of ``layer`` as LiteRT runs it inside the network: batch norm folded into a bias, ReLU6 fused."""
    config = dict(layer.get_config())
    config.pop("name", None)
    if "use_bias" in config:
        config["use_bias"] = True  # the converter folds the following batch norm into the convolution's bias
    return type(layer).from_config(config)


def kind_models(model: keras.Model, kinds=KINDS) -> dict:
    """One Keras model per layer kind of ``model``: every layer of that kind, side by side, on inputs of its shapes.

    For each kind (:func:`mnlib.costs.model_cost`'s ``kind``: ``"conv"``,
    ``"conv dw"``, ``"conv 1x1"``, ``"fully connected"``) the model has one
    input per layer of that kind, shaped as that layer's input in ``model``
    (batch 1 added by the converter), and one output per layer: a fresh,
    randomly initialised copy of the layer with a bias (where the network's
    batch normalisation folds into the convolution on conversion), followed
    by ReLU6 for the convolutions (fused into them by LiteRT). Converted and
    timed, it measures what that kind of layer costs inside the network,
    without the padding, pooling, reshaping and softmax in between. Weights'
    values do not change float32 latency.

    Args:
        model: a built Keras model of plain (not nested) layers, e.g. :func:`mnlib.models.mobilenet`.
        kinds: which kinds, default :data:`KINDS`; a kind with no layer is left out.

    Returns:
        ``{kind: keras.Model}``, in the order of ``kinds``.

    Raises:
        TypeError: if ``model`` is not a Keras model.
        ValueError: for a kind not in :data:`KINDS`.

    Introduced in chapter 8.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise ValueError(f"kinds must be drawn from {KINDS}, got {unknown}")
    cost = model_cost(model)
    result = {}
    for kind in kinds:
        names = cost.loc[cost["kind"] == kind, "layer"]
        inputs, outputs = [], []
        for name in names:
            layer = model.get_layer(name)
            x = keras.Input(tuple(layer.input.shape[1:]), batch_size=1)
            y = _standalone(layer)(x)
            if kind != "fully connected":
                y = keras.layers.ReLU(6.0)(y)
            inputs.append(x)
            outputs.append(y)
        if inputs:
            result[kind] = keras.Model(inputs, outputs, name=kind.replace(" ", "_"))
    return result


@functools.lru_cache(maxsize=1)
def empty_call() -> bytes:
    """The float32 flatbuffer of a model that does next to nothing (a ReLU6 on one number).

    Timed as :mod:`mnlib.deploy` times every flatbuffer (``invoke`` alone,
    inputs set once before), it measures the fixed cost of one call of the
    interpreter, which every kind's model pays once.
    """
    x = keras.Input((1, 1, 1), batch_size=1)
    return deploy.convert(keras.Model(x, keras.layers.ReLU(6.0)(x)))


def kind_latency(
    model: keras.Model, *, threads: int = 1, runs: int = 50, warmup: int = 5, rounds: int = 5, tflite_model=None
) -> pd.DataFrame:
    """Float32 LiteRT latency of a network split by layer kind, beside each kind's share of Mult-Adds.

    Each kind's layers are converted together (:func:`kind_models`,
    :func:`mnlib.deploy.convert`) and timed with the whole network and a
    model that does next to nothing (:func:`empty_call`), all in the same
    interleaved rounds (:func:`mnlib.deploy.latencies`). Every timed call is
    ``invoke`` alone: the inputs of a kind's model (one per layer) are set
    once before timing, so no kind pays for copying them. The nearly empty
    model's median is the fixed cost of one call: it is taken off each kind
    and counted once, in the row ``"call"``. Nothing is clamped or
    rescaled: the row ``"kinds + call"`` is the sum of the parts as
    measured, to be compared with the row ``"network"`` (the layers in
    between, padding, pooling and softmax, are in the network only; running
    the layers back to back, each on the previous one's output still in the
    CPU's cache, can make the network faster than its parts).

    Args:
        model: a built Keras model of plain layers taking images ``[batch, H, W, 3]``.
        threads: CPU threads of the LiteRT interpreter, >= 1. Default 1.
        runs, warmup, rounds: as for :func:`mnlib.deploy.latencies` (defaults 50, 5 and 5).
        tflite_model: the float32 flatbuffer of ``model`` if already converted (saves a conversion).

    Returns:
        A DataFrame indexed by kind (:data:`KINDS` present, then ``"call"``,
        ``"kinds + call"`` and ``"network"``) with ``layers`` (how many;
        the network's row counts every layer but batch norm, folded into
        the convolutions), ``mult_adds``, ``mult_adds_%`` (of the
        network's), ``median_ms``, ``time_%`` (percent of the network's
        measured median) and ``gmult_adds_per_s`` (billion Mult-Adds per
        second: how well a kind uses the CPU).

    Raises:
        TypeError: if ``model`` is not a Keras model.
        ValueError: for bad counts, as :func:`mnlib.deploy.latencies`.

    Introduced in chapter 8.
    """
    for name, value, minimum in (("threads", threads, 1), ("runs", runs, 1), ("warmup", warmup, 0)):
        checks.integer(name, value, minimum=minimum)
    checks.integer("rounds", rounds, minimum=1)
    parts = kind_models(model)  # checks model
    cost = model_cost(model)
    subjects = {kind: (deploy.convert(part), None) for kind, part in parts.items()}
    subjects["call"] = (empty_call(), None)
    network = deploy.convert(model) if tflite_model is None else tflite_model
    subjects["network"] = (network, tuple(model.input_shape[1:]))
    timings = deploy.latencies(subjects, threads=threads, runs=runs, warmup=warmup, rounds=rounds)
    medians = {name: timing["median_ms"] for name, timing in timings.items()}
    return _split_table(parts, cost, medians)


def _split_table(parts, cost, medians):
    """The table of :func:`kind_latency` from the kinds' models, the cost table and the measured medians."""
    call = medians["call"]
    rows = {}
    for kind, part in parts.items():
        mult_adds = int(cost.loc[cost["kind"] == kind, "mult_adds"].sum())
        rows[kind] = {"layers": len(part.inputs), "mult_adds": mult_adds, "median_ms": medians[kind] - call}
    rows["call"] = {"layers": 0, "mult_adds": 0, "median_ms": call}
    rows["kinds + call"] = {key: sum(row[key] for row in rows.values()) for key in ("layers", "mult_adds", "median_ms")}
    total = int(cost["mult_adds"].sum())
    layers = int(((cost["kind"] != "other") | ~cost["type"].isin(["InputLayer", "BatchNormalization"])).sum())
    rows["network"] = {"layers": layers, "mult_adds": total, "median_ms": medians["network"]}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame["mult_adds_%"] = 100.0 * frame["mult_adds"] / total
    frame["time_%"] = 100.0 * frame["median_ms"] / medians["network"]
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = frame["mult_adds"] / (frame["median_ms"] * 1e6)
    frame["gmult_adds_per_s"] = speed.where((frame["mult_adds"] > 0) & (frame["median_ms"] > 0))
    return frame.rename_axis("kind")
