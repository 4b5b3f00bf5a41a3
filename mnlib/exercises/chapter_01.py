"""Chapter 1's exercises (what a convolution costs): closed forms, Table 3's ratio, Table 4's full convolutions."""

from __future__ import annotations

import numpy as np

from .. import costs, models
from .core import Function, Number

__all__ = ["EXERCISES"]


def _standard(kernel, in_channels, out_channels, feature_map):
    return kernel**2 * in_channels * out_channels * feature_map**2


def _separable(kernel, in_channels, out_channels, feature_map):
    return kernel**2 * in_channels * feature_map**2 + in_channels * out_channels * feature_map**2


def _cases():
    rng = np.random.default_rng(1)
    drawn = [
        tuple(int(v) for v in (rng.choice([1, 3, 5, 7]), *rng.integers(1, 600, 2), rng.integers(1, 120)))
        for _ in range(4)
    ]
    return [(3, 512, 512, 14), *drawn]


def _full_convolution_mult_adds_m() -> float:
    """The paper's Table 4 "Conv MobileNet": every separable block a full 3x3 convolution, at 224 px, 1000 classes."""
    total = costs.standard_conv(3, 3, 32, 112).mult_adds
    channels, side = 32, 112
    for filters, stride in models.TABLE_1:
        side //= stride
        total += costs.standard_conv(3, channels, filters, side).mult_adds
        channels = filters
    return (total + channels * 1000) / 1e6  # the fully connected layer


def _describe(args) -> str:
    return "D_K={}, M={}, N={}, D_F={}".format(*args)


EXERCISES = [
    Function(
        "01.1",
        "Mult-Adds of a standard convolution",
        lambda: _standard,
        cases=_cases,
        describe=_describe,
        hint="every output value of every output channel needs one Mult-Add per kernel weight.",
        mistakes=lambda: [lambda k, m, n, f: k * m * n * f * f, lambda k, m, n, f: k * k * m * n * f],
    ),
    Function(
        "01.2",
        "Mult-Adds of a depthwise separable convolution",
        lambda: _separable,
        cases=_cases,
        describe=_describe,
        hint="add the depthwise part (one D_K x D_K filter per input channel) and the 1x1 pointwise part.",
        mistakes=lambda: [lambda k, m, n, f: k * k * m * f * f, _standard],
    ),
    Number(
        "01.3",
        "separable over standard cost, Table 3's layer",
        lambda: costs.separable_ratio(3, 512),
        rel_tol=0.005,
        hint="divide the two counts of Table 3's layer (D_K = 3, M = N = 512), or use 1/N + 1/D_K².",
        mistakes=lambda: [1 / 512 + 1 / 512**2, 1 / 9],
    ),
    Number(
        "01.4",
        "million Mult-Adds of Table 4's full-convolution MobileNet",
        _full_convolution_mult_adds_m,
        rel_tol=0.01,
        hint="keep the first convolution and the classifier; each separable block becomes one 3x3 convolution "
        "from its M to its N channels, on its output map (112, 56, 28, 14 or 7 px).",
        mistakes=lambda: [569.0, _full_convolution_mult_adds_m() * 1.1],
    ),
]
