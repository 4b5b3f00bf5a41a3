"""Chapter 8's exercises (on the device): int8 size, latency from a fitted power law, int8 outputs, depthwise share."""

from __future__ import annotations

import numpy as np

from .. import costs, models
from ._grid import cost_m
from .core import Function, Number, close_arrays, close_numbers

__all__ = ["EXERCISES"]

#: The paper's classes: every network of chapter 8's grid has its 1000-way classifier.
CLASSES = 1000


def _int8_mb(alpha: float = 1.0, size: int = 224) -> float:
    """Predicted int8 flatbuffer size (MB) of MobileNet at ``alpha``: one byte per parameter.

    Batch norm folds into the convolutions: its four numbers per channel become one 32-bit bias (four bytes),
    so one byte per parameter of the Keras model counts weights and biases alike.
    """
    return models.mobilenet(alpha, (size, size, 3), CLASSES).count_params() / 1e6


def _power_ms(scale_ms, exponent, alpha, size):
    """Latency (ms) that ``scale_ms × m ** exponent`` predicts for MobileNet at α and size px (m: million Mult-Adds)."""
    return scale_ms * cost_m(alpha, size, CLASSES)[0] ** exponent


def _power_cases():
    return [(0.05, 0.9, 0.75, 160), (0.2, 0.7, 0.5, 96), (0.01, 1.1, 1.0, 192)]


def _dequantize(outputs, scale, zero_point):
    """Real values of int8 outputs: ``(q - zero_point) × scale``, computed in float (no int8 overflow)."""
    return (np.asarray(outputs).astype(np.float32) - np.float32(zero_point)) * np.float32(scale)


def _int8_cases():
    """int8 outputs: a softmax's (scale 1/256, zero point -128, LiteRT's choice for [0, 1]) and two others."""
    rng = np.random.default_rng(8)
    draw = lambda shape: rng.integers(-128, 128, shape).astype(np.int8)  # noqa: E731
    return [(draw((2, 10)), 1 / 256, -128), (draw((3, 5)), 0.05, 3), (draw((1, 120)), 0.0123, -7)]


def _describe_int8(args):
    return f"int8 outputs of shape {args[0].shape}, scale {args[1]:.4g} and zero point {args[2]}"


def _dequantize_in_int8(outputs, scale, zero_point):
    """A plausible mistake: subtracting in int8, which wraps around (100 - (-128) is not 228 in int8)."""
    return (np.asarray(outputs) - zero_point) * scale


def _depthwise_share(alpha: float = 0.5, size: int = 224) -> float:
    """Depthwise layers' share (%) of the Mult-Adds of MobileNet at ``alpha``, 1000 classes (Table 2's kinds)."""
    table = costs.cost_by_kind(costs.model_cost(models.mobilenet(alpha, (size, size, 3), CLASSES)))
    return float(table.loc["conv dw", "mult_adds_%"])


EXERCISES = [
    Number(
        "08.1",
        "int8 size of 1.0 MobileNet-224 (MB), from its parameters",
        _int8_mb,
        rel_tol=0.1,
        hint="int8 stores one byte per weight where float32 stores four; batch norm folds into a 32-bit bias per "
        "channel. A megabyte is a million bytes.",
        mistakes=lambda: [4 * _int8_mb(), 8 * _int8_mb(), _int8_mb() / 4],
    ),
    Function(
        "08.2",
        "the latency a fitted power law predicts for MobileNet at α and px",
        lambda: _power_ms,
        cases=_power_cases,
        compare=close_numbers(1e-6),
        describe=lambda args: "a law of {} ms × (million Mult-Adds) ** {}, α = {}, {} px".format(*args),
        hint="count the Mult-Adds of MobileNet at that α and size with the paper's 1000 classes (mnlib.costs), "
        "in millions, then raise them to the exponent and multiply by the scale.",
        mistakes=lambda: [
            lambda c, b, alpha, size: c * (cost_m(alpha, size, CLASSES)[0] / 1000) ** b,
            lambda c, b, alpha, size: c * cost_m(alpha, size, CLASSES)[0] * b,
            lambda c, b, alpha, size: c * cost_m(alpha, size, 10)[0] ** b,
        ],
    ),
    Function(
        "08.3",
        "int8 outputs back to probabilities, from scale and zero point",
        lambda: _dequantize,
        cases=_int8_cases,
        compare=close_arrays(1e-6),
        describe=_describe_int8,
        hint="real value = (q - zero point) × scale; an int8 array minus a Python int stays int8 in numpy, "
        "where it wraps around.",
        mistakes=lambda: [
            _dequantize_in_int8,
            lambda q, s, z: (np.asarray(q, np.float32) + z) * s,
            lambda q, s, z: np.asarray(q, np.float32) * s - z,
        ],
    ),
    Number(
        "08.4",
        "depthwise share (%) of the Mult-Adds of 0.5 MobileNet-224",
        _depthwise_share,
        rel_tol=0.03,
        hint="the depthwise layers' Mult-Adds scale with α, the pointwise layers' with α², the first convolution's "
        "and the classifier's with α; the share is of the new total.",
        mistakes=lambda: [3.06, 3.06 * 0.5, 3.06 * 2, 3.06 / 0.25],
    ),
]
