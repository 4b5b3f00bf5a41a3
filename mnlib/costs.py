"""The cost of convolutions and of whole models: Mult-Adds and parameters.

Notation of Howard et al. (2017), Section 3: a layer takes a
``D_F x D_F x M`` feature map to a ``D_F x D_F x N`` one (``D_F`` is the
*output* size here, which is what the cost depends on when the stride is 2)
with ``D_K x D_K`` kernels. A *Mult-Add* is one multiplication and one
addition (a multiply-accumulate); bias additions, batch normalisation,
activations and pooling are not counted, as in the paper.

Closed forms (all return :class:`Cost`):

* :func:`standard_conv`:  ``D_K² M N D_F²`` Mult-Adds, ``D_K² M N`` parameters;
* :func:`depthwise_conv`: ``D_K² M D_F²``, ``D_K² M``;
* :func:`pointwise_conv`: ``M N D_F²``, ``M N``;
* :func:`separable_conv`: depthwise + pointwise;

each with the width multiplier α (channels ``αM``, ``αN``) and the resolution
multiplier ρ (map ``ρD_F``). :func:`model_cost` counts a built Keras model
layer by layer (:func:`model_total` sums it, :func:`layer_cost` counts one layer); :func:`profiler_flops` asks
TensorFlow's own profiler, as an independent check.

Introduced in chapter 1 (what a convolution costs); chapter 2 adds
:func:`feature_map_sides`, chapters 3 and 4 :func:`model_total` and
:func:`closest_paper_resolution`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import keras
import pandas as pd

from mnlib import checks

__all__ = [
    "Cost",
    "standard_conv",
    "depthwise_conv",
    "pointwise_conv",
    "separable_conv",
    "separable_ratio",
    "model_cost",
    "model_total",
    "layer_cost",
    "feature_map_sides",
    "PAPER_RESOLUTIONS",
    "closest_paper_resolution",
    "cost_by_kind",
    "profiler_flops",
]


class Cost(NamedTuple):
    """Mult-Adds and parameters of a layer (weights only, no bias)."""

    mult_adds: float
    params: float

    def __add__(self, other):  # element-wise, not tuple concatenation
        return Cost(self.mult_adds + other.mult_adds, self.params + other.params)


def _scaled(channels, alpha):
    return alpha * channels


def standard_conv(kernel, in_channels, out_channels, feature_map, alpha=1.0, rho=1.0) -> Cost:
    """A standard ``D_K x D_K`` convolution: ``D_K² · αM · αN · (ρD_F)²``.

    Args:
        kernel: ``D_K``, the kernel's side in pixels.
        in_channels: ``M``; out_channels: ``N``.
        feature_map: ``D_F``, the side of the output feature map in pixels.
        alpha: width multiplier α (scales ``M`` and ``N``); rho: resolution
            multiplier ρ (scales ``D_F``). Both default to 1.
    """
    m, n, f = _scaled(in_channels, alpha), _scaled(out_channels, alpha), rho * feature_map
    return Cost(kernel * kernel * m * n * f * f, kernel * kernel * m * n)


def depthwise_conv(kernel, in_channels, feature_map, alpha=1.0, rho=1.0) -> Cost:
    """A depthwise convolution, one ``D_K x D_K`` filter per channel: ``D_K² · αM · (ρD_F)²``."""
    m, f = _scaled(in_channels, alpha), rho * feature_map
    return Cost(kernel * kernel * m * f * f, kernel * kernel * m)


def pointwise_conv(in_channels, out_channels, feature_map, alpha=1.0, rho=1.0) -> Cost:
    """A 1x1 (pointwise) convolution: ``αM · αN · (ρD_F)²``."""
    m, n, f = _scaled(in_channels, alpha), _scaled(out_channels, alpha), rho * feature_map
    return Cost(m * n * f * f, m * n)


def separable_conv(kernel, in_channels, out_channels, feature_map, alpha=1.0, rho=1.0) -> Cost:
    """A depthwise separable convolution: depthwise then pointwise (paper eq. 5-7)."""
    return depthwise_conv(kernel, in_channels, feature_map, alpha, rho) + pointwise_conv(
        in_channels, out_channels, feature_map, alpha, rho
    )


def separable_ratio(kernel, out_channels) -> float:
    """Cost of a separable convolution over a standard one: ``1/N + 1/D_K²``."""
    return 1 / out_channels + 1 / kernel**2


#: The categories of the paper's Table 2, in its order, plus the layers that
#: carry parameters but no Mult-Adds (batch normalisation) or neither.
KINDS = ("conv 1x1", "conv dw", "conv", "fully connected", "batch norm", "other")


def _spatial(shape) -> int:
    """Product of the spatial dimensions of ``[batch, *spatial, channels]``."""
    dims = tuple(shape[1:-1])
    if any(d is None for d in dims):
        raise ValueError(
            f"Cannot count Mult-Adds on a feature map of unknown size {tuple(shape)}: "
            "build the model with a fixed input_shape."
        )
    return math.prod(dims)


_CONVOLUTIONS = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)
_TRANSPOSED = (keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose, keras.layers.Conv3DTranspose)


def _kernel_params(layer) -> int:
    """Weights of a layer's convolution or dense kernel(s), without bias or batch norm."""
    if isinstance(layer, keras.layers.SeparableConv2D):
        return math.prod(layer.depthwise_kernel.shape) + math.prod(layer.pointwise_kernel.shape)
    if getattr(layer, "kernel", None) is not None:
        return math.prod(layer.kernel.shape)
    return 0


def _layer_row(layer, prefix="", classifier=False):
    """Kind, Mult-Adds and parameters of one (non-nested) Keras layer.

    ``classifier`` says that the layer's input comes from a global pooling
    layer (see :func:`_classifier_inputs`): a 1x1 convolution there is the
    fully connected layer of the paper's Table 1, not a pointwise one.
    """
    params = layer.count_params() if layer.built else 0
    kind, mult_adds = "other", 0
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        kernel = math.prod(layer.kernel_size)
        out = layer.output.shape
        kind = "conv dw"
        mult_adds = kernel * layer.input.shape[-1] * layer.depth_multiplier * _spatial(out)
    elif isinstance(layer, keras.layers.SeparableConv2D):
        kernel = math.prod(layer.kernel_size)
        out, cin = layer.output.shape, layer.input.shape[-1]
        kind = "conv dw"
        mult_adds = (kernel * cin * layer.depth_multiplier + cin * layer.depth_multiplier * out[-1]) * _spatial(out)
    elif isinstance(layer, _CONVOLUTIONS + _TRANSPOSED):
        kernel = math.prod(layer.kernel_size)
        cin, out = layer.input.shape[-1], layer.output.shape
        if isinstance(layer, _TRANSPOSED):  # every input pixel meets the whole kernel
            mult_adds = kernel * cin * out[-1] * _spatial(layer.input.shape)
        else:
            mult_adds = kernel * (cin // layer.groups) * out[-1] * _spatial(out)
        if kernel > 1:
            kind = "conv"
        elif classifier:
            kind = "fully connected"  # a 1x1 convolution on the globally pooled map
        else:
            kind = "conv 1x1"  # even on a 1x1 map (MobileNet's last blocks below 64 px)
    elif isinstance(layer, keras.layers.Dense):
        in_shape = layer.input.shape
        kind = "fully connected"
        mult_adds = in_shape[-1] * layer.units * math.prod(in_shape[1:-1])
    elif isinstance(layer, keras.layers.BatchNormalization):
        kind = "batch norm"
    elif params:
        raise NotImplementedError(
            f"model_cost does not know how to count layer {layer.name!r} of type "
            f"{type(layer).__name__}, which has {params} parameters."
        )
    try:
        output_shape = tuple(layer.output.shape[1:])
    except (AttributeError, ValueError):
        output_shape = None
    return {
        "layer": prefix + layer.name,
        "type": type(layer).__name__,
        "kind": kind,
        "output_shape": output_shape,
        "mult_adds": int(mult_adds),
        "params": int(params),
        "kernel_params": int(_kernel_params(layer)),
    }


_GLOBAL_POOLING = (
    keras.layers.GlobalAveragePooling1D,
    keras.layers.GlobalAveragePooling2D,
    keras.layers.GlobalAveragePooling3D,
    keras.layers.GlobalMaxPooling1D,
    keras.layers.GlobalMaxPooling2D,
    keras.layers.GlobalMaxPooling3D,
)
#: Layers that leave a pooled vector a pooled vector: a 1x1 convolution after
#: them is still the classifier.
_PASS_THROUGH = (keras.layers.Dropout, keras.layers.Reshape, keras.layers.Flatten)


def _output_or_none(layer):
    try:
        return layer.output
    except (AttributeError, ValueError):  # not called yet, or called more than once
        return None


def _classifier_inputs(model) -> set:
    """Ids of the tensors of ``model`` that carry a globally pooled feature vector.

    A tensor does if a global pooling layer produced it, or a Dropout,
    Reshape or Flatten layer whose input does. Sizes do not matter: at 36 px
    MobileNet's last pointwise convolutions also see a 1x1 map, yet they are
    pointwise layers, and only the one after the pooling is the classifier.
    """
    pooled = set()
    for layer in model.layers:  # in topological order: inputs come first
        output = _output_or_none(layer)
        if output is None:
            continue
        if isinstance(layer, _GLOBAL_POOLING):
            pooled.add(id(output))
        elif isinstance(layer, _PASS_THROUGH) and id(getattr(layer, "input", None)) in pooled:
            pooled.add(id(output))
    return pooled


def _rows(model, prefix=""):
    pooled = _classifier_inputs(model)
    for layer in model.layers:
        if isinstance(layer, keras.Model):  # a model used as a layer: count inside it
            yield from _rows(layer, prefix=f"{prefix}{layer.name}/")
        else:
            classifier = _output_or_none(layer) is not None and id(layer.input) in pooled
            yield _layer_row(layer, prefix, classifier)


def model_cost(model: keras.Model) -> pd.DataFrame:
    """Count a built Keras model layer by layer (introduced in chapter 1, *What a convolution costs*).

    Convolutions (standard, depthwise, separable, transposed, with or
    without bias) and dense layers carry Mult-Adds; batch normalisation
    (with or without its scale), pooling, concatenation, reshaping,
    resizing, dropout and activations carry none, as in the paper. This
    covers MobileNet and ``keras.applications.VGG16`` and ``InceptionV3``.
    A 1x1 convolution is ``"fully connected"`` only when it is the
    classifier, i.e. its input comes from a global pooling layer (through
    Dropout, Reshape or Flatten only); otherwise it is ``"conv 1x1"``, even
    on a 1x1 feature map.

    Args:
        model: a built model with a fixed input size (nested models are
            counted layer by layer, their names prefixed ``outer/``).

    Returns:
        DataFrame, one row per layer, columns ``layer``, ``type`` (Keras
        class), ``kind`` (one of :data:`KINDS`: the categories of the paper's
        Table 2), ``output_shape`` (without the batch dimension), ``mult_adds``
        (multiply-accumulates for one image), ``params`` (all weights of
        the layer, batch-norm statistics and biases included; sums to
        ``model.count_params()``) and ``kernel_params`` (the convolution or
        dense kernel alone, the count the paper's Table 2 uses).

    Raises:
        NotImplementedError: for a layer with parameters whose Mult-Adds it
            cannot count (nothing is dropped silently).
    """
    return pd.DataFrame(list(_rows(model)))


def model_total(model: keras.Model) -> Cost:
    """A built model's Mult-Adds for one image and its kernel parameters, summed over :func:`model_cost`'s rows.

    The parameters are the kernels alone (``kernel_params``: no biases, no
    batch norm), the count of the paper's tables. Introduced in chapter 3,
    whose exercises count networks of several widths.
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a built Keras model; got {type(model).__name__}.")
    table = model_cost(model)
    return Cost(int(table["mult_adds"].sum()), int(table["kernel_params"].sum()))


def layer_cost(layer: keras.layers.Layer, input_shape) -> pd.Series:
    """One layer counted alone: :func:`model_cost`'s row for ``layer`` applied to an input of ``input_shape``.

    Args:
        layer: a Keras layer not yet built (e.g. ``keras.layers.Conv2D(64, 3)``).
        input_shape: one input's shape without the batch, e.g. ``(14, 14, 32)``.

    Returns:
        The row (``layer``, ``type``, ``kind``, ``output_shape``,
        ``mult_adds``, ``params``, ``kernel_params``). Introduced in chapter 1,
        which sets each layer beside its closed form.
    """
    if not isinstance(layer, keras.layers.Layer):
        raise ValueError(f"layer must be a Keras layer; got {type(layer).__name__}.")
    inputs = keras.Input(tuple(input_shape))
    table = model_cost(keras.Model(inputs, layer(inputs)))
    return table[table["layer"] == layer.name].iloc[0]


def feature_map_sides(model: keras.Model) -> list[int]:
    """The side ``D_F`` of a MobileNet's output map after its first convolution and after each block.

    Args:
        model: a MobileNet of :func:`mnlib.models.mobilenet` (layers
            ``conv1`` and ``conv_pw_1`` ... ``conv_pw_13``; with or without
            its classifier), built for a fixed input size.

    Returns:
        14 integers: ``conv1``'s side, then each block's, as Keras computes
        them (a stride-2 block rounds an odd side down). Introduced in
        chapter 2 (MobileNet at 64 px).

    Raises:
        ValueError: ``model`` lacks those layers.
    """
    names = ["conv1"] + [f"conv_pw_{block}" for block in range(1, 14)]
    present = {layer.name for layer in getattr(model, "layers", [])}
    missing = [name for name in names if name not in present]
    if missing:
        raise ValueError(f"model must be a MobileNet of mnlib.models.mobilenet; it lacks the layers {missing}.")
    return [int(model.get_layer(name).output.shape[1]) for name in names]


#: The input sizes of the paper's Table 7 (px), from ρ = 1 down.
PAPER_RESOLUTIONS = (224, 192, 160, 128)


def closest_paper_resolution(size: int, base: int = 64) -> int:
    """The paper's input size whose ρ = r / 224 is nearest ρ = ``size`` / ``base``.

    The report's sizes (64, 52, 44 and 36 px of Tiny ImageNet's 64-px
    images) echo the paper's ratios 224, 192, 160 and 128 / 224 without
    equalling them. Introduced in chapter 4 (the resolution multiplier).

    Args:
        size: an input size in pixels, >= 1.
        base: the size at which ρ = 1 (64 for Tiny ImageNet), >= 1.

    Returns:
        One of :data:`PAPER_RESOLUTIONS` (the larger on a tie).
    """
    size, base = checks.integer("size", size, minimum=1), checks.integer("base", base, minimum=1)
    return min(PAPER_RESOLUTIONS, key=lambda paper: abs(paper / 224 - size / base))


def cost_by_kind(cost: pd.DataFrame, kinds=("conv 1x1", "conv dw", "conv", "fully connected")) -> pd.DataFrame:
    """Share of Mult-Adds and of parameters by layer kind (the paper's Table 2).

    As in the paper, only the kernels of convolutional and fully connected
    layers are counted (``kernel_params``: no biases, no batch norm).

    Returns:
        DataFrame indexed by kind with ``mult_adds``, ``params`` and their
        shares in percent, ``mult_adds_%`` and ``params_%``.
    """
    table = cost[cost["kind"].isin(kinds)].groupby("kind")[["mult_adds", "kernel_params"]].sum()
    table = table.rename(columns={"kernel_params": "params"})
    table = table.reindex(list(kinds), fill_value=0)
    for column in ("mult_adds", "params"):
        table[f"{column}_%"] = 100 * table[column] / table[column].sum()
    return table


def profiler_flops(model: keras.Model, op_types=("Conv2D", "DepthwiseConv2dNative", "MatMul")) -> dict:
    """Floating-point operations of one forward pass, counted by TensorFlow's profiler.

    The model is traced for a batch of one image into a graph;
    ``tf.compat.v1.profiler`` then counts the operations of each op type
    from the graph's static shapes. It counts a multiply-accumulate as two
    operations, so convolution and matrix-multiply FLOPs are twice the
    Mult-Adds that :func:`model_cost` reports.

    Returns:
        ``{op type: FLOPs}`` for the requested ``op_types`` (ops absent from
        the graph are reported as 0).
    """
    import tensorflow as tf

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")  # the v1 profiler warns that it is a v1 API
    try:
        return _profile(tf, model, op_types)
    finally:
        logger.setLevel(level)


def _profile(tf, model, op_types):
    spec = tf.TensorSpec([1, *model.input_shape[1:]], model.inputs[0].dtype)
    # The traced graph itself: its shapes are static, which is all the profiler reads.
    graph = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec).graph
    flops = {}
    for op_type in op_types:
        options = (
            tf.compat.v1.profiler.ProfileOptionBuilder(tf.compat.v1.profiler.ProfileOptionBuilder.float_operation())
            .account_displayed_op_only(True)
            .with_empty_output()
            .build()
        )
        options["account_type_regexes"] = [f"^{op_type}$"]
        result = tf.compat.v1.profiler.profile(graph, options=options)
        flops[op_type] = int(result.total_float_ops) if result is not None else 0
    return flops
