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
# # 2. Building MobileNet from its table
#
# The paper describes the whole network in one table (Howard et al. 2017,
# Table 1): a standard $3 \times 3$ convolution, thirteen depthwise separable
# blocks, average pooling and a classifier. This lesson builds it from that
# table, block by block, with Keras; regenerates the table from the built
# model; proves that it is the very network that `keras.applications.MobileNet`
# builds; and looks at what the width multiplier α, the resolution multiplier ρ
# and the report's 64-pixel images do to it.

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you will be able to:
# * read the paper's Table 1 as code, and write a depthwise separable block (its Figure 3) in Keras;
# * check a re-implementation against `keras.applications.MobileNet`, weight for weight;
# * predict every feature map's size for an input size, padding and rounding included;
# * count a block's parameters, batch normalisation included.
#
# **Prerequisites**: chapter 1 (the cost of a convolution); building a functional `keras.Model`.
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
# "smoke" or "full": nothing is trained here, both take seconds; "full" also
# compares with Keras at every alpha x resolution of the paper (16 models)
PROFILE = "smoke"
# width multiplier alpha of the model whose table is regenerated, in (0, 1]
ALPHA = 1.0
# input size in pixels of that model, at least 32 (rho is RESOLUTION / 224)
RESOLUTION = 224
# the report's input size (Tiny ImageNet images), at least 32
SMALL_RESOLUTION = 64

# %%
import mnlib  # first: imports TensorFlow quietly

import inspect

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import keras
from IPython.display import display
from mnlib import costs, diagrams, models
from mnlib.models import mobilenet

if PROFILE not in ("smoke", "full"):
    raise ValueError(f'PROFILE must be "smoke" or "full"; got {PROFILE!r}')

# %% [markdown]
# ## 2.1 The table, as data
#
# After the first convolution, Table 1 is a list of separable blocks, each
# described by two numbers: how many channels its pointwise convolution
# produces ($N$, at α = 1) and the stride of its depthwise convolution. A
# stride of 2 halves the feature map; there are five of them in the network
# (the first convolution and four blocks), so a $224$-px image ends as a
# $7 \times 7$ map. `mnlib.models.TABLE_1` holds that list:

# %%
# NBVAL_CHECK_OUTPUT
pd.DataFrame(
    models.TABLE_1,
    columns=["pointwise filters N", "depthwise stride"],
    index=pd.RangeIndex(1, len(models.TABLE_1) + 1, name="block"),
)

# %% [markdown]
# The paper prints the last depthwise layer as "Conv dw / s2" although its
# input and output are both $7 \times 7$. A stride of 2 would make the output
# $4 \times 4$: the table's stride is a misprint, and every implementation
# (Keras' included) uses stride 1 there.
#
# ## 2.2 One function per row
#
# The first row is a standard convolution with 32α filters and stride 2, then
# batch normalisation and a ReLU. The paper says only "batchnorm and ReLU"
# (Table 1 and its Figure 3). Its published TensorFlow code, and Keras' version
# after it, use ReLU6, a ReLU capped at 6; we follow the code, so that Keras'
# weights fit. The reason for the cap is given in the MobileNetV2 paper
# (Sandler et al. 2018, arXiv:1801.04381): ReLU6 is robust when used with
# low-precision computation, since its outputs stay in a small, known range.

# %%
print(inspect.getsource(models.standard_conv_block))

# %% [markdown]
# Each separable block is the pair "Conv dw" and "Conv 1×1" of the table, each
# followed by batch normalisation and the ReLU (ReLU6 here). Two details make it the same as
# Keras' version, weight for weight: no biases (batch normalisation adds its own
# offset), and stride-2 blocks pad one row and one column at the bottom right
# and then convolve without padding. The paper's Figure 3 sets the block
# beside the standard layer it replaces; `mnlib.diagrams.separable_block`
# draws it for Table 3's layer ($14 \times 14 \times 512$), with the weights
# of each side:

# %%
diagrams.separable_block(in_channels=512, out_channels=512, feature_map=14)
plt.show()

# %% [markdown]
# In code:

# %%
print(inspect.getsource(models.depthwise_separable_block))

# %% [markdown]
# The classifier pools the last map to $1 \times 1$, applies a little dropout
# and a fully connected layer, written as a $1 \times 1$ convolution (the same
# arithmetic), then softmax:

# %%
print(inspect.getsource(models.classifier_head))

# %% [markdown]
# `mnlib.models.mobilenet` chains them: the first convolution, then a loop over
# `TABLE_1` (skipping blocks 7 to 11 when `shallow=True`, the paper's shallow
# network), then the classifier. It checks its arguments before building
# anything, and says what is allowed:

# %%
# NBVAL_CHECK_OUTPUT
for bad in [
    {"alpha": 1.5},
    {"input_shape": (28, 28, 3)},
    {"weights": "imagenet", "alpha": 0.3},
]:
    try:
        mobilenet(**bad)
    except ValueError as error:
        print(f"{bad}: {error}")

# %% [markdown]
# ## 2.3 Table 1, regenerated from the model
#
# Reading the built model's layers back gives the paper's table, row for row
# (with the stride of the last depthwise layer corrected):

# %%
# NBVAL_CHECK_OUTPUT
model = mobilenet(alpha=ALPHA, input_shape=(RESOLUTION, RESOLUTION, 3))
with pd.option_context("display.max_rows", 40):
    display(models.architecture_table(model))

# %% [markdown]
# ## 2.4 The same network as `keras.applications.MobileNet`
#
# Keras ships its own MobileNet. If ours is the same network, layer for layer,
# then Keras' weights fit ours exactly and both compute the same function. We
# fill Keras' model with random weights (random batch-normalisation statistics
# included, so that nothing is left at a neutral default), copy them into ours
# and compare the outputs on random images:

# %%
def compare_with_keras(alpha, size, classes, seed=0):
    ours = mobilenet(alpha=alpha, input_shape=(size, size, 3), classes=classes)
    theirs = keras.applications.MobileNet(
        alpha=alpha, input_shape=(size, size, 3), classes=classes, weights=None
    )
    rng = np.random.default_rng(seed)
    theirs.set_weights(
        [
            np.abs(rng.normal(0.5, 0.2, w.shape))
            if "variance" in w.path
            else rng.normal(0, 0.2, w.shape)
            for w in theirs.weights
        ]
    )
    # fails unless every weight has the same shape, in the same order
    ours.set_weights(theirs.get_weights())
    images = rng.uniform(-1, 1, (4, size, size, 3)).astype("float32")
    difference = np.abs(
        np.asarray(ours(images, training=False))
        - np.asarray(theirs(images, training=False))
    ).max()
    return {
        "alpha": alpha,
        "resolution": size,
        "classes": classes,
        "layers": len(ours.layers),
        "Keras layers": len(theirs.layers),
        "parameters": ours.count_params(),
        "Keras parameters": theirs.count_params(),
        "outputs agree to 1e-5": bool(difference < 1e-5),
    }


if PROFILE == "smoke":
    configurations = [
        (1.0, 224, 1000),
        (0.5, SMALL_RESOLUTION, 10),
        (0.25, 128, 200),
    ]
else:
    configurations = [
        (a, r, 1000)
        for a in (0.25, 0.5, 0.75, 1.0)
        for r in (128, 160, 192, 224)
    ]

# %%
# NBVAL_CHECK_OUTPUT
pd.DataFrame([compare_with_keras(*each) for each in configurations])

# %% [markdown]
# That equivalence is what makes `mobilenet(weights="imagenet")` possible: it
# downloads Keras' published ImageNet weights (into Keras' own cache, with
# Keras' file names) and loads them into our model. They exist for α in
# {0.25, 0.5, 0.75, 1} at 128, 160, 192 and 224 px.
#
# ## 2.5 What α and ρ do to the shapes
#
# The width multiplier changes the number of channels of every layer; the
# resolution changes the size of every feature map. Neither changes the
# structure. Here is the shape of the last feature map, and the cost, for a few
# combinations:

# %%
# NBVAL_CHECK_OUTPUT
rows = []
for alpha in (1.0, 0.5):
    for size in (224, 160, 128, SMALL_RESOLUTION):
        body = mobilenet(
            alpha=alpha, input_shape=(size, size, 3), include_top=False
        )
        full = costs.model_cost(
            mobilenet(alpha=alpha, input_shape=(size, size, 3))
        )
        rows.append(
            {
                "alpha": alpha,
                "resolution": size,
                "rho": round(size / 224, 3),
                "first conv output": tuple(
                    body.get_layer("conv1").output.shape[1:]
                ),
                "last feature map": tuple(body.output.shape[1:]),
                "million Mult-Adds": round(full["mult_adds"].sum() / 1e6, 1),
                "parameters": body.count_params(),
            }
        )
pd.DataFrame(rows)

# %% [markdown]
# ## 2.6 At 64 pixels
#
# The report trained on Tiny ImageNet's $64 \times 64$ images. The network is the
# same, but every feature map is $64 / 224$ of the size it was designed for.
# The side of each layer's output map, for both inputs, next to the layer's
# stride:

# %%
# NBVAL_CHECK_OUTPUT
# costs.feature_map_sides reads each layer's output side from the built model
def map_sizes(size):
    model = mobilenet(input_shape=(size, size, 3), include_top=False)
    return costs.feature_map_sides(model)


sides = pd.DataFrame(
    {
        "stride": [2] + [stride for _, stride in models.TABLE_1],
        **{
            f"{size} px input": map_sizes(size)
            for size in (224, SMALL_RESOLUTION)
        },
    },
    index=pd.Index(
        ["conv1"] + [str(i) for i in range(1, len(models.TABLE_1) + 1)],
        name="layer",
    ),
).T
sides

# %% [markdown]
# At 64 px the last map is $2 \times 2$ instead of $7 \times 7$. The five
# 512-channel blocks 7 to 11 (the ones the shallow network drops) work on
# $4 \times 4$ maps instead of $14 \times 14$, and block 13, the only block
# after the last stride-2 block (block 12), works on a $2 \times 2$ map: more
# than half of each of its $3 \times 3$ depthwise windows falls on the zero
# padding around the map. The stages at the small input, drawn to scale by
# `mnlib.diagrams.stages` (each box a layer's output map: its height the
# map's side, its width the channels):

# %%
diagrams.stages(
    mobilenet(
        alpha=ALPHA,
        input_shape=(SMALL_RESOLUTION, SMALL_RESOLUTION, 3),
        include_top=False,
    )
)
plt.show()

# %% [markdown]
# And both inputs' sides on one axis:

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
for size in (224, SMALL_RESOLUTION):
    sizes = sides.loc[f"{size} px input"].tolist()
    ax.step(
        range(len(sizes)),
        sizes,
        where="mid",
        marker="o",
        label=f"{size} px input",
    )
    ax.annotate(
        f"{sizes[-1]}×{sizes[-1]}",
        (len(sizes) - 1, sizes[-1]),
        xytext=(6, 4),
        textcoords="offset points",
    )
ax.set(
    yscale="log",
    xticks=range(14),
    xticklabels=["conv1"] + [str(i) for i in range(1, 14)],
    xlabel="layer (first convolution, then separable block)",
    ylabel="feature-map side (px, log scale)",
    title=f"At {SMALL_RESOLUTION} px the last blocks see a "
    f"{sizes[-1]}×{sizes[-1]} map",
)
ax.legend()
plt.show()

# %% [markdown]
# Two consequences for reading the report:
#
# * **Cost.** Mult-Adds scale with $\rho^2$: at 64 px the network does
#   $(64/224)^2 \approx 8\%$ of the arithmetic it does at 224 px (the table
#   above), with exactly the same parameters. The paper's Mult-Adds are for 224
#   px and do not describe the report's models.
# * **Accuracy.** The report's accuracies are for 10 (or 200) Tiny ImageNet
#   classes at 64 px, the paper's for 1000 ImageNet classes at 224 px. A 93%
#   on 10 classes and 70.6% on 1000 measure different tasks; the report's
#   "ImageNet accuracy" columns cannot be compared with the paper's. The study
#   lessons compare like with like: models trained the same way on the same
#   data, differing in one multiplier at a time.
#
# ## Summary
#
# * `mnlib.models.mobilenet` is the paper's Table 1 written as code, one
#   function per row type; reading it back reproduces the table.
# * It is the same network as `keras.applications.MobileNet`, weight for
#   weight, so Keras' ImageNet weights load into it.
# * α changes channels, ρ changes map sizes; at the report's 64 px the final
#   map is $2 \times 2$ and the cost a small fraction of the paper's.

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
# ```{exercise-start} 02.1 Feature maps at 52 px
# :label: ex-02-1
# :nonumber:
# ```
#
# The report also trains at 52 px (chapter 4). Before you build anything, predict the side of
# the output map of the first convolution and of each of the 13 blocks at a $52 \times 52$ input (α =
# 1), as a tuple of 14 integers, like the 64 px row of §2.6. Then check it.

# %%
answer = None  # your answer
exercises.check("02.1", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-02-1
# :class: dropdown
# ```

# %%
small = mobilenet(input_shape=(52, 52, 3), include_top=False)
exercises.check("02.1", tuple(costs.feature_map_sides(small)));

# %% [markdown]
# Halving 13 gives 6, not 7: a stride-2 block pads one row and one column at the bottom and right and
# convolves without padding, so the side becomes $\lfloor D / 2 \rfloor$. From block 6 on, a 52 px
# input has maps of 3 and then 1 pixel.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 02.2 A separable block
# :label: ex-02-2
# :nonumber:
# ```
#
# Write `separable_block(x, filters, stride)` that adds a depthwise separable block to the
# Keras tensor `x` (the paper's Figure 3, as in §2.2: no biases, ReLU6, Keras' padding for stride 2)
# and returns its output tensor. Do not call `mnlib.models`. Set `answer = separable_block`; the check
# builds it on inputs you have not seen and compares shapes, layers and parameters.

# %%
answer = None  # your answer
exercises.check("02.2", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-02-2
# :class: dropdown
# ```

# %%
def separable_block(x, filters, stride):
    if stride == 2:
        x = keras.layers.ZeroPadding2D(((0, 1), (0, 1)))(x)
    x = keras.layers.DepthwiseConv2D(
        3,
        strides=stride,
        padding="same" if stride == 1 else "valid",
        use_bias=False,
    )(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU(6.0)(x)
    x = keras.layers.Conv2D(filters, 1, use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    return keras.layers.ReLU(6.0)(x)


exercises.check("02.2", separable_block);

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 02.3 Parameters of one block
# :label: ex-02-3
# :nonumber:
# ```
#
# How many parameters does block 7 of MobileNet (α = 1) hold: its depthwise and pointwise
# kernels and its two batch normalisations (four numbers per channel each: scale, offset, moving mean
# and variance)? Work it out by hand from Table 1, then check.

# %%
answer = None  # your answer
exercises.check("02.3", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-02-3
# :class: dropdown
# ```

# %%
channels = 512  # block 7: 512 channels in, 512 out (Table 1)
block_7 = 3 * 3 * channels + channels * channels + 4 * channels + 4 * channels
exercises.check("02.3", block_7);

# %% [markdown]
# Three quarters of a percent of it is batch normalisation; almost all is the pointwise kernel.
#
# ```{solution-end}
# ```

# %% [markdown]
# ### Open questions
#
# ```{exercise} Open question
# :label: ex-02-open-1
# :nonumber:
# At 64 px, block 13 works on a $2 \times 2$ map (§2.6). What fraction of its depthwise kernel's 9
# taps fall on zero padding, averaged over the four output positions? What does that suggest about the
# last blocks at the report's input size?
# ```
