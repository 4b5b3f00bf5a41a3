# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. What a convolution costs
#
# MobileNet's one idea is to replace each standard convolution by a *depthwise
# separable* one, which does almost the same job for a fraction of the
# arithmetic. This lesson derives that fraction, checks every formula against
# layers that Keras actually builds, and then recounts the whole network to
# reproduce the paper's cost tables (Howard et al. 2017, Tables 2 to 7).
#
# Along the way we correct two things in the course report: the reduction
# factor it derives, and the parameter count it quotes.
#
# **Nothing is trained here**: every number below is counted from a built
# model, so the output is the same on any machine.

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you will be able to:
# * count the Mult-Adds and parameters of a standard, a depthwise and a pointwise convolution from
#   $D_K$, $M$, $N$, $D_F$;
# * derive the cost ratio $\frac{1}{N} + \frac{1}{D_K^2}$ of a separable convolution, and spot the
#   report's mistake in it;
# * count a whole network layer by layer and reproduce the paper's Tables 2 to 7;
# * say how the width multiplier α and the resolution multiplier ρ change those counts.
#
# **Prerequisites**: what a 2-D convolution computes (kernels, channels, stride, padding); chapter 0
# is not needed.
# ```

# %% tags=["remove-cell"]
# Colab: install the course package, at the version these outputs were
# made with, when running there; nothing happens elsewhere.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet",
         "mnlib @ git+https://github.com/mobilenets-reproduced/"
         "mobilenets-reproduced@1009eb1d2c16435560b37229aa55d106d7cf108a"],
        check=True,
    )

# %% tags=["parameters"]
# "smoke" counts the paper's 4 x 4 grid of alpha x resolution (16 models,
# seconds); "full" a fine 16 x 9 grid (144 models, about a minute).
# Nothing is trained in this lesson.
PROFILE = "smoke"
# D_K values drawn in the cost-ratio figure (odd integers, at least 1)
KERNEL_SIZES = [3, 5, 7]

# %%
import mnlib  # first: imports TensorFlow quietly

import matplotlib.pyplot as plt
import matplotlib.ticker as ticker
import numpy as np
import pandas as pd

import keras
from mnlib import costs, diagrams, models, reference
from mnlib.models import mobilenet

pd.set_option("display.precision", 2)
plain = ticker.FuncFormatter(
    lambda value, _: f"{value:g}"
)  # tick labels: 200, not 2 x 10²
if PROFILE not in ("smoke", "full"):
    raise ValueError(f'PROFILE must be "smoke" or "full"; got {PROFILE!r}')

# %% [markdown]
# ## 1.1 A standard convolution
#
# Write the input feature map as $F$, of size $D_F \times D_F \times M$ ($M$ input
# channels), and the output as $G$, of size $D_F \times D_F \times N$. (With a stride
# of 2 the output is smaller than the input; $D_F$ below always means the *output*
# side, because that is how many times the kernel is applied.) A standard
# convolution has a kernel $K$ of size $D_K \times D_K \times M \times N$ and computes
#
# $$
# G_{k,l,n} = \sum_{i,j,m} K_{i,j,m,n}\, F_{k+i-1,\,l+j-1,\,m}.
# $$
#
# Each of the $D_F \cdot D_F \cdot N$ outputs is a sum of $D_K \cdot D_K \cdot M$
# products, so one layer costs
#
# $$
# \underbrace{D_K \cdot D_K \cdot M \cdot N \cdot D_F \cdot D_F}_{\text{Mult-Adds}}
# \qquad\text{and}\qquad
# \underbrace{D_K \cdot D_K \cdot M \cdot N}_{\text{parameters}}.
# $$
#
# A *Mult-Add* is one multiplication and one addition (a multiply-accumulate).
# Like the paper, we do not count bias additions, batch normalisation or
# activations: they are a small, fixed cost per output value.
#
# Here is the formula next to a layer that Keras builds, counted by
# `mnlib.costs.model_cost`, which reads the shapes of each layer of a model
# (`costs.layer_cost` puts one layer into a model of its own and counts it):

# %%
# NBVAL_CHECK_OUTPUT
layer_cost = costs.layer_cost(
    keras.layers.Conv2D(64, 3, padding="same", use_bias=False), (14, 14, 32)
)
print(
    "counted from the Keras layer:",
    layer_cost[["mult_adds", "params"]].to_dict(),
)
print(
    "closed form:                 ",
    costs.standard_conv(
        kernel=3, in_channels=32, out_channels=64, feature_map=14
    ),
)

# %% [markdown]
# ## 1.2 Depthwise, then pointwise
#
# A standard convolution does two jobs at once: it filters space (the
# $D_K \times D_K$ window) and it mixes channels (the $M \to N$ sum). A depthwise
# separable convolution does them one after the other.
#
# **Depthwise convolution**: one $D_K \times D_K$ filter $\hat K$ per input channel,
# applied to that channel only:
#
# $$
# \hat G_{k,l,m} = \sum_{i,j} \hat K_{i,j,m}\, F_{k+i-1,\,l+j-1,\,m},
# \qquad
# \text{cost } D_K \cdot D_K \cdot M \cdot D_F \cdot D_F,
# \quad
# \text{parameters } D_K \cdot D_K \cdot M.
# $$
#
# **Pointwise convolution**: a $1 \times 1$ convolution that mixes the $M$ filtered
# channels into $N$ new ones:
#
# $$
# \text{cost } M \cdot N \cdot D_F \cdot D_F,
# \qquad
# \text{parameters } M \cdot N.
# $$
#
# The paper's Figure 2 draws the three kinds of filter. Drawn here by
# `mnlib.diagrams.convolution_filters` for a small layer ($D_K = 3$, $M = 8$,
# $N = 6$; any other values redraw it), with the weights each holds:

# %%
diagrams.convolution_filters(kernel=3, in_channels=8, out_channels=6)
plt.show()

# %% [markdown]
# Each is a layer that Keras builds; counting them gives the formulas above:

# %%
# NBVAL_CHECK_OUTPUT
for layer, closed_form in [
    (
        keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False),
        costs.depthwise_conv(3, 32, 14),
    ),
    (
        keras.layers.Conv2D(64, 1, use_bias=False),
        costs.pointwise_conv(32, 64, 14),
    ),
]:
    counted = costs.layer_cost(layer, (14, 14, 32))
    print(
        f"{counted['type']:16} counted {counted['mult_adds']:>8,} Mult-Adds "
        f"{counted['params']:>6,} params; closed form "
        f"{closed_form.mult_adds:>10,.0f} / {closed_form.params:>6,.0f}"
    )

# %% [markdown]
# ## 1.3 How much cheaper?
#
# Divide the separable cost by the standard one:
#
# $$
# \frac{D_K \cdot D_K \cdot M \cdot D_F \cdot D_F + M \cdot N \cdot D_F \cdot D_F}
#      {D_K \cdot D_K \cdot M \cdot N \cdot D_F \cdot D_F}
# = \frac{D_K^2 M D_F^2}{D_K^2 M N D_F^2} + \frac{M N D_F^2}{D_K^2 M N D_F^2}
# = \frac{1}{N} + \frac{1}{D_K^2}.
# $$
#
# The first term is the depthwise part, the second the pointwise part. The
# report writes the result as $\frac{1}{N} + \frac{1}{N^2}$ (its Section 2.1): the
# second term should be $\frac{1}{D_K^2}$, and the difference matters. With
# $D_K = 3$ the saving can never beat $\frac{1}{9}$, however wide the layer; the
# report's version would make a 512-channel layer almost 512 times cheaper.
# The same division on the parameter counts gives the same ratio.
#
# The ratio is exact for any layer, as a quick check over a few shapes shows:

# %%
# NBVAL_CHECK_OUTPUT
rows = []
for kernel, m, n, f in [
    (3, 32, 64, 112),
    (3, 512, 512, 14),
    (3, 1024, 1024, 7),
    (5, 64, 128, 28),
]:
    ratio = (
        costs.separable_conv(kernel, m, n, f).mult_adds
        / costs.standard_conv(kernel, m, n, f).mult_adds
    )
    rows.append(
        {
            "D_K": kernel,
            "M": m,
            "N": n,
            "D_F": f,
            "separable / standard": ratio,
            "1/N + 1/D_K²": 1 / n + 1 / kernel**2,
            "report: 1/N + 1/N²": 1 / n + 1 / n**2,
        }
    )
pd.DataFrame(rows).round(4)

# %% [markdown]
# The figure shows where the saving comes from: as the layer gets wider the
# ratio falls quickly towards its floor $1/D_K^2$, the cost of the pointwise
# convolution relative to a full one. Every MobileNet layer has $N \ge 64$, so
# with $3 \times 3$ kernels each separable layer costs 8 to 9 times less than a
# standard one.

# %%
n = np.logspace(0, 11, 200, base=2)
fig, ax = plt.subplots(figsize=(7, 4))
for kernel in KERNEL_SIZES:
    (line,) = ax.plot(
        n,
        costs.separable_ratio(kernel, n),
        label=f"$D_K = {kernel}$:  $1/N + 1/D_K^2$",
    )
    ax.axhline(1 / kernel**2, color=line.get_color(), lw=0.8, ls=":")
ax.plot(
    n, 1 / n + 1 / n**2, color="grey", ls="--", label="report: $1/N + 1/N^2$"
)
ax.set(
    xscale="log",
    yscale="log",
    xlabel="output channels $N$",
    ylabel="separable cost / standard cost",
    title="Wider layers save more, down to a floor of $1/D_K^2$",
)
ax.set_xscale("log", base=2)
ax.legend()
plt.show()

# %% [markdown]
# ## 1.4 One layer with both multipliers (the paper's Table 3)
#
# The width multiplier $\alpha$ thins every layer, $M \to \alpha M$ and
# $N \to \alpha N$; the resolution multiplier $\rho$ shrinks every feature map,
# $D_F \to \rho D_F$. The separable cost becomes
#
# $$
# D_K \cdot D_K \cdot \alpha M \cdot \rho D_F \cdot \rho D_F + \alpha M \cdot \alpha N \cdot \rho D_F \cdot \rho D_F ,
# $$
#
# roughly $\alpha^2 \rho^2$ times the original, while the parameters shrink by
# about $\alpha^2$ and do not depend on $\rho$ at all. The paper's Table 3 applies
# this to one layer in the middle of MobileNet ($D_K = 3$, $M = N = 512$,
# $D_F = 14$); $\rho = 0.714$ is $10/14$, a $160$-px input instead of $224$:

# %%
# NBVAL_CHECK_OUTPUT
table_3 = {
    "Conv 14x14x512": costs.standard_conv(3, 512, 512, 14),
    "Depthwise separable conv 14x14x512": costs.separable_conv(
        3, 512, 512, 14
    ),
    "alpha = 0.75": costs.separable_conv(3, 512, 512, 14, alpha=0.75),
    "rho = 0.714": costs.separable_conv(
        3, 512, 512, 14, alpha=0.75, rho=10 / 14
    ),
}
pd.DataFrame(
    {
        "Million Mult-Adds": [c.mult_adds / 1e6 for c in table_3.values()],
        "paper": [reference.PAPER["table_3"][k][0] for k in table_3],
        "Million Parameters": [c.params / 1e6 for c in table_3.values()],
        "paper ": [reference.PAPER["table_3"][k][1] for k in table_3],
    },
    index=list(table_3),
)

# %% [markdown]
# ## 1.5 Counting the whole network
#
# For a whole model we let `mnlib.costs.model_cost` walk the layers: it gives one
# row per layer with its kind (the categories of the paper's Table 2), its
# Mult-Adds for one image and its parameters. Here are the first rows for the
# standard MobileNet (α = 1, 224 px, 1000 classes):

# %%
# NBVAL_CHECK_OUTPUT
model = mobilenet()
cost = costs.model_cost(model)
cost.head(8)

# %% [markdown]
# Its `params` column always sums to what Keras reports, and its Mult-Adds agree
# with the paper's 569 million (Table 4):

# %%
# NBVAL_CHECK_OUTPUT
print(f"Keras count_params(): {model.count_params():,}")
print(f"model_cost params:    {cost['params'].sum():,}")
print(f"Mult-Adds:            {cost['mult_adds'].sum() / 1e6:.1f} million")

# %% [markdown]
# As an independent check, TensorFlow's own graph profiler counts the
# floating-point operations of the convolutions. It counts a multiply-accumulate
# as two operations, so its figures should be exactly twice ours:

# %%
# NBVAL_CHECK_OUTPUT
flops = costs.profiler_flops(model)
ours = cost.groupby("type")["mult_adds"].sum()
pd.DataFrame(
    {
        "profiler FLOPs": [flops["Conv2D"], flops["DepthwiseConv2dNative"]],
        "2 x our Mult-Adds": [2 * ours["Conv2D"], 2 * ours["DepthwiseConv2D"]],
    },
    index=["Conv2D (standard, pointwise, classifier)", "DepthwiseConv2D"],
)

# %% [markdown]
# ## 1.6 Where the cost goes (the paper's Table 2)
#
# Grouping the rows by kind shows where MobileNet spends its arithmetic: almost
# all of it in the $1 \times 1$ pointwise convolutions, which are a single large
# matrix multiplication each, the operation that linear-algebra libraries run
# fastest. The paper counts only the kernels of the convolutions and of the
# fully connected layer (no biases, no batch normalisation); so do we here.

# %%
# NBVAL_CHECK_OUTPUT
table_2 = costs.cost_by_kind(cost)[["mult_adds_%", "params_%"]]
table_2["paper Mult-Adds %"] = [
    reference.PAPER["table_2"][k][0] for k in table_2.index
]
table_2["paper params %"] = [
    reference.PAPER["table_2"][k][1] for k in table_2.index
]
table_2.loc["total"] = table_2.sum()
table_2

# %% [markdown]
# Every figure matches but one: the paper prints **1.19%** of the Mult-Adds for
# the first, standard $3 \times 3$ convolution, where the count gives **1.91%**.
# With 1.19 the paper's column does not add up to 100% (the total row); with
# 1.91 it does, so the paper's figure is almost certainly a transposition of
# the digits.
#
# ## 1.7 Full convolutions, narrower and smaller networks (the paper's Tables 4 to 7)
#
# The paper's Table 4 justifies the whole design: the same network built with
# full convolutions ("Conv MobileNet") is only slightly more accurate on
# ImageNet, for many times the cost. That network is not built anywhere in
# the course, and need not be: §1.1's formula counts it. Take Table 1 row by
# row, and put a full $3 \times 3$ convolution, with the same input channels,
# output channels and stride, in place of each separable block:

# %%
def conv_mobilenet_cost(resolution=224, classes=1000):
    """Table 4's Conv MobileNet: Table 1, a full 3x3 convolution for each
    separable block."""
    side, channels = resolution // 2, 32
    total = costs.standard_conv(
        3, 3, channels, side
    )  # the first convolution, stride 2
    for filters, stride in models.TABLE_1:
        side //= stride
        total += costs.standard_conv(
            3, channels, filters, side
        )  # D_K² · M · N · D_F²
        channels = filters
    return total + costs.standard_conv(
        1, channels, classes, 1
    )  # the classifier, on the pooled 1x1 map


# %% [markdown]
# The other networks of Tables 4 to 7 are built and counted as before: the
# width and resolution tables, and the shallow network of Table 5 (the five
# $14 \times 14 \times 512$ separable blocks removed). "Parameters" in the paper
# are the kernels of the convolutions and the classifier, so we report those
# in millions next to the paper's figures:

# %%
# NBVAL_CHECK_OUTPUT
paper = reference.paper_models()
paper = paper[
    paper["table"].isin([4, 5, 6, 7]) & paper["alpha"].notna()
].drop_duplicates("model")
rows = []
for _, row in paper.iterrows():
    if row["model"] == "Conv MobileNet":
        counted = conv_mobilenet_cost(row["resolution"])
    else:
        cost_table = costs.model_cost(
            mobilenet(
                alpha=row["alpha"],
                input_shape=(row["resolution"],) * 2 + (3,),
                shallow=row["shallow"],
            )
        )
        counted = costs.Cost(
            cost_table["mult_adds"].sum(), cost_table["kernel_params"].sum()
        )
    rows.append(
        {
            "model": row["model"],
            "table": row["table"],
            "Million Mult-Adds": counted.mult_adds / 1e6,
            "paper": row["mult_adds_m"],
            "Million Parameters": counted.params / 1e6,
            "paper ": row["params_m"],
        }
    )
tables_4_to_7 = pd.DataFrame(rows).set_index("model")
tables_4_to_7.round(1)

# %% [markdown]
# The separable networks' Mult-Adds all agree to the paper's rounding (290.7
# is printed as 290), and the resolution multiplier leaves the parameters
# untouched, as the formula said. The full-convolution count lands close to
# the paper's, though not to the last digit (first line below); the paper
# does not list that network's layers, so the small gap cannot be traced
# further. What matters is the ratio, the argument of Table 4:

# %%
# NBVAL_CHECK_OUTPUT
conv, separable = (
    tables_4_to_7.loc["Conv MobileNet"],
    tables_4_to_7.loc["MobileNet"],
)
mult_adds, params = "Million Mult-Adds", "Million Parameters"
print(
    "counted Conv MobileNet vs the paper: "
    f"{conv[mult_adds] / conv['paper'] - 1:+.2%} Mult-Adds, "
    f"{conv[params] / conv['paper '] - 1:+.2%} parameters"
)
print(
    f"full convolutions cost {conv[mult_adds] / separable[mult_adds]:.1f}x "
    f"the Mult-Adds and {conv[params] / separable[params]:.1f}x the "
    "parameters of separable ones"
)
accuracy = (
    reference.paper_models()
    .set_index("model")
    .loc[["Conv MobileNet", "MobileNet"], "top1"]
)
gain = accuracy["Conv MobileNet"] - accuracy["MobileNet"]
print(f"for {gain:.1f} points more ImageNet top-1 (paper, Table 4)")

# %% [markdown]
# The whole network saves a little less than a single wide layer would
# ($1/N + 1/D_K^2$ of §1.3): the first convolution and the classifier are
# not separable, and the early blocks have few channels.
#
# ## 1.8 Which parameter count did the report quote?
#
# The report's width table gives 3.23, 1.83, 0.83 and 0.22 million parameters
# for α = 1, 0.75, 0.5 and 0.25, not the paper's 4.2, 2.6, 1.3 and 0.5. There
# are several honest ways to count the parameters of the same network, and they
# differ by a lot:

# %%
# NBVAL_CHECK_OUTPUT
def parameter_counts(alpha):
    full = costs.model_cost(mobilenet(alpha=alpha))
    ten = mobilenet(alpha=alpha, input_shape=(64, 64, 3), classes=10)
    body = mobilenet(alpha=alpha, input_shape=(64, 64, 3), include_top=False)
    return {
        "kernels, 1000 classes (paper)": full["kernel_params"].sum() / 1e6,
        "Keras count, 1000 classes": full["params"].sum() / 1e6,
        "Keras count, 10 classes": ten.count_params() / 1e6,
        "Keras count, no classifier": body.count_params() / 1e6,
        "report": reference.REPORT["width"][alpha][1],
    }


pd.DataFrame(
    {alpha: parameter_counts(alpha) for alpha in (1.0, 0.75, 0.5, 0.25)}
).T.rename_axis("alpha")

# %% [markdown]
# The report's column is exactly Keras' count of the network **without its
# classifier** (`include_top=False`, batch-normalisation scales, offsets and
# running statistics included). Its models had a new 10-class classifier on
# top, which is small; the paper's 1000-class classifier is large. The sizes of
# the two classifiers at α = 1:

# %%
# NBVAL_CHECK_OUTPUT
for classes in (10, 1000):
    head = (
        costs.model_cost(mobilenet(classes=classes))
        .set_index("layer")
        .loc["conv_preds", "params"]
    )
    print(f"{classes:>4}-class classifier: {head:>9,} parameters")
body = mobilenet(include_top=False).count_params()
print(f"network without classifier: {body:,} parameters")

# %% [markdown]
# So the report's parameter column is neither the paper's count (which includes
# the 1000-class classifier) nor exactly the count of the models it trained, and
# it is not comparable with the paper's. Note also that the count does not
# depend on the input size: a 64-px MobileNet has as many weights as a 224-px
# one.
#
# The report's narrow-versus-shallow table (its Table 2) puts the 0.75
# MobileNet at 1.83 M parameters beside the shallow MobileNet at 1.88 M.
# Counting both networks both ways shows which count each figure is:

# %%
# NBVAL_CHECK_OUTPUT
def counts_at_64(**model_args):
    shape = (64, 64, 3)
    return {
        "no classifier": mobilenet(
            input_shape=shape, include_top=False, **model_args
        ).count_params()
        / 1e6,
        "10-class classifier": mobilenet(
            input_shape=shape, classes=10, **model_args
        ).count_params()
        / 1e6,
    }


narrow_vs_shallow = pd.DataFrame(
    {
        "0.75 MobileNet-64": counts_at_64(alpha=0.75),
        "Shallow MobileNet-64": counts_at_64(shallow=True),
    }
).T
narrow_vs_shallow["report"] = [
    reference.REPORT["narrow_vs_shallow"][m][1]
    for m in narrow_vs_shallow.index
]
narrow_vs_shallow["the report's figure is"] = [
    next(
        (
            count
            for count in ("no classifier", "10-class classifier")
            if round(row[count], 2) == row["report"]
        ),
        "neither",
    )
    for _, row in narrow_vs_shallow.iterrows()
]
narrow_vs_shallow

# %% [markdown]
# The two figures are different counts: the narrow network's leaves the
# classifier out, the shallow network's includes a 10-class classifier. The
# comparison survives the mix-up, because a 10-class classifier is small and
# the two networks are close in size either way (as in the paper's Table 5,
# where the narrow network has 2.6 M parameters and the shallow one 2.9 M),
# but a table should count every row the same way.
#
# ## 1.9 The whole trade-off: α × ρ
#
# Finally, the cost of every combination of width and resolution. Mult-Adds
# fall with both multipliers (roughly as $\alpha^2\rho^2$); the parameters only with
# $\alpha$.

# %%
if PROFILE == "smoke":
    alphas, sizes = [0.25, 0.5, 0.75, 1.0], [128, 160, 192, 224]
else:
    alphas, sizes = (
        np.round(np.arange(0.25, 1.0001, 0.05), 2).tolist(),
        list(range(96, 225, 16)),
    )
grid = []
for alpha in alphas:
    for size in sizes:
        counted = costs.model_cost(
            mobilenet(alpha=alpha, input_shape=(size, size, 3))
        )
        grid.append(
            {
                "alpha": alpha,
                "resolution": size,
                "mult_adds_m": counted["mult_adds"].sum() / 1e6,
                "params_m": counted["kernel_params"].sum() / 1e6,
            }
        )
grid = pd.DataFrame(grid)
print(f"counted {len(grid)} models")

# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
for ax, column, label in [
    (axes[0], "mult_adds_m", "million Mult-Adds"),
    (axes[1], "params_m", "million parameters"),
]:
    table = grid.pivot(index="alpha", columns="resolution", values=column)
    image = ax.imshow(
        table.values,
        origin="lower",
        aspect="auto",
        cmap="viridis",
        norm=plt.matplotlib.colors.LogNorm(),
    )
    ax.set_xticks(
        range(len(table.columns)),
        table.columns,
        rotation=45 if len(table.columns) > 4 else 0,
    )
    ax.set_yticks(range(len(table.index)), [f"{a:g}" for a in table.index])
    if len(table.index) <= 4:
        for (i, j), value in np.ndenumerate(table.values):
            ax.text(
                j,
                i,
                f"{value:.0f}" if value >= 10 else f"{value:.1f}",
                ha="center",
                va="center",
                color="w",
            )
    ax.set(
        xlabel="input resolution (px)",
        ylabel="width multiplier α",
        title=label,
    )
    bar = fig.colorbar(
        image,
        ax=ax,
        ticks=ticker.LogLocator(subs=(1.0, 2.0, 5.0)),
        format=plain,
    )
    bar.ax.yaxis.set_minor_formatter(ticker.NullFormatter())
fig.suptitle("Mult-Adds fall with α and with ρ; parameters only with α")
fig.tight_layout()
plt.show()

# %% [markdown]
# The paper's accuracy results are the other half of this trade-off: its
# Figure 4 and 5 plot ImageNet accuracy against these Mult-Adds and parameters.
# Plotting its Tables 6 and 7 in the same way shows how gently accuracy falls
# while the cost falls steeply:

# %%
paper = reference.paper_models()
fig, ax = plt.subplots(figsize=(7, 4.2))
series = [
    (
        6,
        "o",
        "width α (Table 6), 224 px",
        "alpha",
        "α = {:g}",
        (-6, 6),
        "right",
    ),
    (
        7,
        "s",
        "resolution ρ (Table 7), α = 1",
        "resolution",
        "{:g} px",
        (8, -14),
        "left",
    ),
]
for table, marker, label, column, text, offset, align in series:
    rows = paper[paper["table"] == table]
    ax.plot(rows["mult_adds_m"], rows["top1"], marker=marker, label=label)
    for _, row in rows[
        rows["model"] != "1.0 MobileNet-224"
    ].iterrows():  # the shared point is labelled below
        ax.annotate(
            text.format(row[column]),
            (row["mult_adds_m"], row["top1"]),
            fontsize=9,
            xytext=offset,
            textcoords="offset points",
            ha=align,
        )
full = paper[paper["model"] == "1.0 MobileNet-224"].iloc[0]
ax.annotate(
    "α = 1, 224 px",
    (full["mult_adds_m"], full["top1"]),
    fontsize=9,
    xytext=(-6, 6),
    textcoords="offset points",
    ha="right",
)
widths = paper[paper["table"] == 6]
fewer = widths["mult_adds_m"].max() / widths["mult_adds_m"].min()
points = widths["top1"].max() - widths["top1"].min()
ax.set(
    xscale="log",
    xlim=(20, 800),
    ylim=(49, 72.5),
    xlabel="million Mult-Adds (log scale)",
    ylabel="ImageNet top-1 accuracy (%)",
    title=f"Paper: {fewer:.0f}x fewer Mult-Adds cost {points:.0f} points "
    "of top-1 accuracy",
)
ax.xaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
ax.xaxis.set_major_formatter(plain)
ax.xaxis.set_minor_formatter(ticker.NullFormatter())
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# ## Summary
#
# * A depthwise separable convolution costs $\frac{1}{N} + \frac{1}{D_K^2}$ of a
#   standard one (not $\frac{1}{N} + \frac{1}{N^2}$): about 8 to 9 times less
#   with $3 \times 3$ kernels.
# * Counting the built networks reproduces the paper's Mult-Adds and parameters
#   in Tables 2 to 7, and TensorFlow's profiler agrees with the count; the
#   paper's "1.19%" should read 1.91%. The same formulas, applied to Table 1
#   with full convolutions, reproduce Table 4's Conv MobileNet.
# * The report's parameter column counts the network without any classifier;
#   it is not the paper's count. Its narrow-versus-shallow table mixes two
#   counts: without a classifier for the narrow network, with one for the
#   shallow network.
#
# The next lesson builds the network these numbers describe, block by block.

# %% [markdown]
# ## Exercises
#
# Each exercise is checked on the spot by `mnlib.exercises`: replace `answer = None` with your answer
# (a number, a tuple or a function, as the exercise says) and run the cell. A wrong answer gets a hint
# that says how it is off, never the answer; a function is run on cases you have not seen. In the
# full edition of the book a reference answer is folded under each exercise. The open questions at the
# end have no checker.

# %%
from mnlib import (
    exercises,
)  # the course's answer checker: exercises.check(id, answer)

# %% [markdown]
# ```{exercise-start} 01.1 A standard convolution's Mult-Adds
# :label: ex-01-1
# :nonumber:
# ```
#
# Write `standard_mult_adds(kernel, in_channels, out_channels, feature_map)` returning the
# Mult-Adds of a standard convolution ($D_K$, $M$, $N$, $D_F$ as in §1.1; $D_F$ is the output side).
# Do not call `mnlib.costs`. Set `answer = standard_mult_adds`.

# %%
answer = None  # your answer
exercises.check("01.1", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-01-1
# :class: dropdown
# ```

# %%
def standard_mult_adds(kernel, in_channels, out_channels, feature_map):
    return (
        kernel
        * kernel
        * in_channels
        * out_channels
        * feature_map
        * feature_map
    )


exercises.check("01.1", standard_mult_adds);

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 01.2 A separable convolution's Mult-Adds
# :label: ex-01-2
# :nonumber:
# ```
#
# Write `separable_mult_adds(kernel, in_channels, out_channels, feature_map)` for a depthwise
# convolution followed by a pointwise one (§1.2). Set `answer = separable_mult_adds`.

# %%
answer = None  # your answer
exercises.check("01.2", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-01-2
# :class: dropdown
# ```

# %%
def separable_mult_adds(kernel, in_channels, out_channels, feature_map):
    depthwise = kernel * kernel * in_channels * feature_map * feature_map
    pointwise = in_channels * out_channels * feature_map * feature_map
    return depthwise + pointwise


exercises.check("01.2", separable_mult_adds);

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 01.3 Table 3's ratio
# :label: ex-01-3
# :nonumber:
# ```
#
# For the paper's Table 3 layer ($D_K = 3$, $M = N = 512$, $D_F = 14$), what fraction of the
# standard convolution's Mult-Adds does the separable one need? Answer with a number between 0 and 1.

# %%
answer = None  # your answer
exercises.check("01.3", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-01-3
# :class: dropdown
# ```

# %%
exercises.check(
    "01.3",
    separable_mult_adds(3, 512, 512, 14) / standard_mult_adds(3, 512, 512, 14),
);

# %% [markdown]
# The same as $\frac{1}{N} + \frac{1}{D_K^2} = \frac{1}{512} + \frac{1}{9}$: it does not depend on $M$ or $D_F$.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 01.4 The full-convolution MobileNet
# :label: ex-01-4
# :nonumber:
# ```
#
# The paper's Table 4 compares MobileNet with a "Conv MobileNet" in which every separable
# block is one standard $3 \times 3$ convolution from the block's $M$ to its $N$ channels. Count its
# Mult-Adds at 224 px with 1000 classes, in millions (the first convolution and the fully connected
# layer included), using `models.TABLE_1` and your `standard_mult_adds`.

# %%
answer = None  # your answer
exercises.check("01.4", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-01-4
# :class: dropdown
# ```

# %%
total = standard_mult_adds(
    3, 3, 32, 112
)  # the first convolution: 224 px in, stride 2
channels, side = 32, 112
for filters, stride in models.TABLE_1:
    side //= stride
    total += standard_mult_adds(3, channels, filters, side)
    channels = filters
total += channels * 1000  # the fully connected layer
exercises.check("01.4", total / 1e6);

# %% [markdown]
# The paper prints 4866 million (Table 4): the count agrees to within rounding.
#
# ```{solution-end}
# ```

# %% [markdown]
# ### Open questions
#
# ```{exercise} Open question
# :label: ex-01-open-1
# :nonumber:
# The report derives a reduction of $\frac{1}{N} + \frac{1}{N^2}$ (§1.3). Find the step in its
# derivation where $D_K$ turns into $N$, and say what its formula would predict for $5 \times 5$
# kernels.
# ```
#
# ```{exercise} Where does α stop paying?
# :label: ex-alpha-floor
# :nonumber:
# With α = 0.25 the first standard convolution keeps 8 filters. Which kind of
# layer (Table 2's categories) takes a larger share of the Mult-Adds at α = 0.25
# than at α = 1, and why? Use `costs.cost_by_kind`.
# ```
#
# ```{solution} ex-alpha-floor
# :class: dropdown
# The pointwise layers cost $\alpha^2$ times less, but the depthwise layers and
# the first convolution's input side only $\alpha$ times less, so their share
# grows. Count it: `costs.cost_by_kind(costs.model_cost(mobilenet(alpha=0.25)))`.
# ```
