"""Chapter 2's exercises (building MobileNet): feature maps at 52 px, a separable block, its parameters."""

from __future__ import annotations

import keras

from .. import models
from .core import Function, Number, Shape

__all__ = ["EXERCISES"]


def _sides_at(size: int) -> tuple[int, ...]:
    """Height of the output of the first convolution and of each of the 13 blocks, at ``size`` px."""
    model = models.mobilenet(1.0, (size, size, 3), include_top=False)
    names = ["conv1_relu"] + [f"conv_pw_{i}_relu" for i in range(1, 14)]
    return tuple(int(model.get_layer(name).output.shape[1]) for name in names)


def _reference_block(x, filters, stride):
    return models.depthwise_separable_block(x, filters, stride, block_id=99)


def _summarise(block, args):
    """Build ``block`` on an input of ``args[0]`` and describe the result (shape, parameters, layer kinds)."""
    shape, filters, stride = args
    inputs = keras.Input(shape=shape)
    model = keras.Model(inputs, block(inputs, filters, stride))
    kinds = [type(layer).__name__ for layer in model.layers[1:] if type(layer).__name__ != "ZeroPadding2D"]
    return tuple(model.output.shape[1:]), model.count_params(), kinds


def _compare_blocks(got, expected):
    if got[0] != expected[0]:
        return f"the output has shape {got[0]}, expected {expected[0]} (check the stride and the filters)"
    if got[2] != expected[2]:
        return f"the layers are {got[2]}; the paper's block has {len(expected[2])} layers (its Figure 3)"
    if got[1] != expected[1]:
        return f"it has {got[1]:,} parameters, {got[1] - expected[1]:+,} against the paper's block (biases?)"
    return None


def _block_cases():
    return [((16, 16, 8), 16, 1), ((15, 15, 12), 24, 2), ((7, 7, 32), 8, 1)]


def _block_with_biases(x, filters, stride):
    """A plausible mistake: the block with biases (batch norm makes them redundant)."""
    if stride == 2:
        x = keras.layers.ZeroPadding2D(((0, 1), (0, 1)))(x)
    x = keras.layers.DepthwiseConv2D(3, strides=stride, padding="same" if stride == 1 else "valid")(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU(6.0)(x)
    x = keras.layers.Conv2D(filters, 1)(x)
    x = keras.layers.BatchNormalization()(x)
    return keras.layers.ReLU(6.0)(x)


def _block_without_norm(x, filters, stride):
    """A plausible mistake: no batch normalisation, ReLU after each convolution."""
    x = keras.layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False, activation="relu")(x)
    return keras.layers.Conv2D(filters, 1, use_bias=False, activation="relu")(x)


def _block_7_params() -> int:
    model = models.mobilenet(1.0, (64, 64, 3), include_top=False)
    names = ["conv_dw_7", "conv_dw_7_bn", "conv_pw_7", "conv_pw_7_bn"]
    return sum(model.get_layer(name).count_params() for name in names)


EXERCISES = [
    Shape(
        "02.1",
        "feature-map sides at 52 px",
        lambda: _sides_at(52),
        hint="a stride-2 block pads one row and column at the bottom and right, then convolves with 'valid' "
        "padding: an odd side does not round up.",
        mistakes=lambda: [(26, 26, 13, 13, 7, 7, 4, 4, 4, 4, 4, 4, 2, 2), _sides_at(52)[1:]],
    ),
    Function(
        "02.2",
        "a depthwise separable block in Keras",
        lambda: _reference_block,
        cases=_block_cases,
        compare=_compare_blocks,
        call=_summarise,
        describe=lambda args: "an input of shape {}, {} filters, stride {}".format(*args),
        hint="Figure 3: 3x3 depthwise conv, batch norm, ReLU6, 1x1 conv, batch norm, ReLU6, no biases.",
        mistakes=lambda: [_block_with_biases, _block_without_norm],
    ),
    Number(
        "02.3",
        "parameters of block 7 (α = 1), batch norm included",
        _block_7_params,
        hint="the depthwise kernels, the pointwise kernels, and four numbers per channel for each batch norm.",
        mistakes=lambda: [3 * 3 * 512 + 512 * 512, 3 * 3 * 512 + 512 * 512 + 2 * 512 + 2 * 512],
    ),
]
