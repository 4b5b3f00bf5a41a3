"""Diagrams drawn by code: the convolutions of the paper's Figure 2, the block of its Figure 3, MobileNet's stages.

Each function draws from its arguments (channel counts, kernel size, a built
model), so a diagram follows a chapter's parameters, and returns the
Matplotlib ``Figure`` (at most 9 inches wide, text at 9 pt or more, in
:data:`mnlib.plots.STYLE`).

* :func:`convolution_filters`: a standard convolution's N filters of
  ``D_K x D_K x M`` beside the depthwise (M filters of ``D_K x D_K x 1``) and
  pointwise (N filters of ``1 x 1 x M``) ones that replace it (Figure 2);
* :func:`separable_block`: a standard 3x3 layer beside the depthwise
  separable block, with batch norm and ReLU (Figure 3);
* :func:`stages`: the feature map after each layer of a MobileNet, drawn to
  scale in side and channels, with its size written under it.

Introduced in chapter 1 (Figure 2) and chapter 2 (Figure 3, the stages).
"""

from __future__ import annotations

import math

import keras
import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch, Polygon

from mnlib import checks
from mnlib.plots import STYLE

__all__ = ["convolution_filters", "separable_block", "stages"]

_COLOURS = {"standard": "#9ecae1", "depthwise": "#fdae6b", "pointwise": "#a1d99b", "norm": "#dadaeb", "relu": "#fcbba1"}


def _box(ax, x, y, width, height, depth, colour):
    """A box seen from the front-right: front face at (x, y), ``depth`` drawn up and to the right."""
    dx, dy = depth * 0.5, depth * 0.35
    ax.add_patch(Polygon([(x, y), (x + width, y), (x + width, y + height), (x, y + height)], fc=colour, ec="k", lw=0.6))
    ax.add_patch(
        Polygon(
            [(x, y + height), (x + dx, y + height + dy), (x + width + dx, y + height + dy), (x + width, y + height)],
            fc=colour,
            ec="k",
            lw=0.6,
            alpha=0.8,
        )
    )
    ax.add_patch(
        Polygon(
            [(x + width, y), (x + width + dx, y + dy), (x + width + dx, y + height + dy), (x + width, y + height)],
            fc=colour,
            ec="k",
            lw=0.6,
            alpha=0.6,
        )
    )


def convolution_filters(kernel: int = 3, in_channels: int = 8, out_channels: int = 6, shown: int = 3) -> plt.Figure:
    """The paper's Figure 2: the filters of a standard, a depthwise and a pointwise convolution.

    Args:
        kernel: ``D_K``, the kernel side in pixels (default 3).
        in_channels: ``M`` (default 8); out_channels: ``N`` (default 6).
        shown: filters drawn per panel at most (default 3); the rest are
            written as "... N in all".

    Returns:
        The figure (9 x 3 inches), each panel titled with its filters and
        their weight count, the suptitle with the ratio of weights.
    """
    kernel, m, n, shown = (
        checks.integer(k, v, minimum=1)
        for k, v in (("kernel", kernel), ("in_channels", in_channels), ("out_channels", out_channels), ("shown", shown))
    )
    unit, depth_unit = 1.0, 0.3
    step = kernel * unit + 16 * depth_unit * 0.5 + 0.6  # one filter's slot, widest depth included
    panels = [
        (
            "(a) standard",
            n,
            kernel,
            m,
            _COLOURS["standard"],
            f"{n} filters of {kernel}×{kernel}×{m}",
            kernel * kernel * m * n,
        ),
        (
            "(b) depthwise",
            m,
            kernel,
            1,
            _COLOURS["depthwise"],
            f"{m} filters of {kernel}×{kernel}×1",
            kernel * kernel * m,
        ),
        ("(c) pointwise", n, 1, m, _COLOURS["pointwise"], f"{n} filters of 1×1×{m}", m * n),
    ]
    with mpl.rc_context(STYLE):
        fig, axes = plt.subplots(1, 3, figsize=(9, 3))
        for ax, (title, count, side, depth, colour, label, weights) in zip(axes, panels):
            for i in range(min(count, shown)):
                _box(ax, i * step, 0, side * unit, side * unit, min(depth, 16) * depth_unit, colour)
            if count > shown:
                ax.text(shown * step, side * unit / 2, f"… {count} in all", va="center", fontsize=9)
            ax.set_title(f"{title}\n{label}: {weights:,} weights", fontsize=10)
            ax.set_xlim(-0.5, (shown + 1.2) * step)
            ax.set_ylim(-0.5, kernel * unit + 16 * depth_unit * 0.35 + 0.8)
            ax.set_aspect("equal")
            ax.axis("off")
        ratio = (kernel * kernel * m + m * n) / (kernel * kernel * m * n)
        fig.suptitle(
            f"Depthwise + pointwise hold {ratio:.2f} of the standard layer's weights "
            f"(1/N + 1/D_K² = {1 / n + 1 / kernel**2:.2f})",
            y=1.02,
        )
    return fig


def _stack(ax, x, labels, colours):
    """A column of rounded boxes joined by arrows, from top to bottom."""
    for i, (label, colour) in enumerate(zip(labels, colours)):
        y = -i * 1.0
        ax.add_patch(FancyBboxPatch((x - 1.6, y - 0.3), 3.2, 0.6, boxstyle="round,pad=0.05", fc=colour, ec="k", lw=0.7))
        ax.text(x, y, label, ha="center", va="center", fontsize=9)
        if i:
            ax.annotate("", (x, y + 0.36), (x, y + 0.64), arrowprops={"arrowstyle": "->", "lw": 0.8})


def separable_block(in_channels: int = 512, out_channels: int = 512, feature_map: int = 14) -> plt.Figure:
    """The paper's Figure 3: a standard 3x3 layer (left) and the depthwise separable block (right).

    Args:
        in_channels: ``M`` (default 512); out_channels: ``N`` (default 512);
        feature_map: ``D_F``, the side of the feature map in pixels (default 14).
        The default is the layer of the paper's Table 3.

    Returns:
        The figure (8 x 4.2 inches): each box names its layer and output
        shape; the column titles give each side's weight count.
    """
    m, n, f = (
        checks.integer(k, v, minimum=1)
        for k, v in (("in_channels", in_channels), ("out_channels", out_channels), ("feature_map", feature_map))
    )
    left = [f"3×3 Conv, {n} filters → {f}×{f}×{n}", "Batch norm", "ReLU6"]
    right = [
        f"3×3 Depthwise Conv → {f}×{f}×{m}",
        "Batch norm",
        "ReLU6",
        f"1×1 Conv, {n} filters → {f}×{f}×{n}",
        "Batch norm",
        "ReLU6",
    ]
    standard, separable = 9 * m * n, 9 * m + m * n
    with mpl.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 4.2))
        _stack(ax, 0, left, [_COLOURS["standard"], _COLOURS["norm"], _COLOURS["relu"]])
        _stack(
            ax,
            4.0,
            right,
            [
                _COLOURS["depthwise"],
                _COLOURS["norm"],
                _COLOURS["relu"],
                _COLOURS["pointwise"],
                _COLOURS["norm"],
                _COLOURS["relu"],
            ],
        )
        ax.text(0, 0.75, f"standard layer\n{standard:,} weights", ha="center", fontsize=10)
        ax.text(4.0, 0.75, f"depthwise separable block\n{separable:,} weights", ha="center", fontsize=10)
        ax.set_xlim(-1.9, 5.9)
        ax.set_ylim(-5.6, 1.6)
        ax.axis("off")
        ax.set_title(
            f"Two convolutions, each with batch norm and ReLU, replace one: "
            f"{standard / separable:.1f}× fewer weights ({f}×{f}×{m} input)",
            fontsize=10,
        )
    return fig


def stages(model: keras.Model) -> plt.Figure:
    """MobileNet's feature maps layer by layer, drawn to scale: side (height) and channels (width, log scale).

    Args:
        model: a network built by :func:`mnlib.models.mobilenet` (any α,
            input size, shallow or not; with or without its top).

    Returns:
        The figure (9 x 3.2 inches): one box per layer output (the input,
        the first convolution, each separable block), labelled with its
        ``side × side × channels``; the title gives the input and last sizes.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"stages() needs a keras.Model built by mnlib.models.mobilenet; got {type(model).__name__}.")
    names = ["conv1_relu"] + [
        layer.name for layer in model.layers if layer.name.startswith("conv_pw_") and layer.name.endswith("_relu")
    ]
    if names[0] not in [layer.name for layer in model.layers]:
        raise ValueError(
            "stages() draws a MobileNet built by mnlib.models.mobilenet: its layer 'conv1_relu' is missing."
        )
    shapes = [tuple(model.input.shape[1:])] + [tuple(model.get_layer(name).output.shape[1:]) for name in names]
    labels = ["input"] + ["conv 1"] + [f"block {name.split('_')[2]}" for name in names[1:]]
    largest = max(s[0] for s in shapes)
    with mpl.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(9, 3.2))
        x = 0.0
        for shape, label in zip(shapes, labels):
            height = 2.0 * shape[0] / largest
            width = 0.15 + 0.12 * math.log2(shape[2])
            colour = (
                "#bdbdbd"
                if label == "input"
                else (_COLOURS["standard"] if label == "conv 1" else _COLOURS["pointwise"])
            )
            ax.add_patch(
                Polygon(
                    [(x, -height / 2), (x + width, -height / 2), (x + width, height / 2), (x, height / 2)],
                    fc=colour,
                    ec="k",
                    lw=0.6,
                )
            )
            ax.text(
                x + width / 2,
                -1.15,
                f"{shape[0]}×{shape[1]}×{shape[2]}",
                rotation=90,
                ha="center",
                va="top",
                fontsize=9,
            )
            ax.text(x + width / 2, 1.1, label, rotation=90, ha="center", va="bottom", fontsize=9)
            x += width + 0.12
        ax.set_xlim(-0.1, x)
        ax.set_ylim(-2.6, 2.3)
        ax.axis("off")
        ax.set_title(
            f"{model.name}: {shapes[0][0]} px in, a {shapes[-1][0]}×{shapes[-1][1]} map of {shapes[-1][2]} "
            "channels out (height: side; width: channels, log)",
            fontsize=10,
        )
    return fig
