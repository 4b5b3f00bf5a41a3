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
# # 8. On the device: latency, int8, and whether Mult-Adds predict speed
#
# MobileNet exists to run on phones, and the paper argues mostly in
# Mult-Adds: its Section 3 counts them and its Tables 4-9 trade accuracy
# against them. The paper itself warns that the count is not the whole
# story: in §3 it says that a small number of Mult-Adds is not enough, the
# operations must also be efficiently implementable, and it credits
# MobileNet's speed to putting nearly all of its work into dense 1×1
# convolutions, which run as highly optimised general matrix multiplies
# (GEMM). Neither the paper nor the report measures a latency.
#
# This chapter measures one. It converts the course's networks to
# **LiteRT** (the new name of TensorFlow Lite, the runtime of Android
# phones), quantises them to 8-bit integers, and measures what a CPU
# pays for one image, one thread at a time, as a phone's big core would:
#
# 1. latency against Mult-Adds over the α × ρ grid, how well a power law
#    predicts it, and the time per layer kind against the paper's Table 2;
# 2. float32 against dynamic-range against int8: size, latency, and the
#    predictions of a trained network, image by image;
# 3. accuracy against milliseconds: the α × ρ networks of chapters 3 and 4
#    with their measured latency, and which of them no other beats;
# 4. MobileNet against VGG16 and InceptionV3 at the same input.
#
# ```{note}
# Every time in this chapter is measured on the CPU that ran it (the
# printed lines name it), not on a phone: the ratios between networks and
# formats carry over better than the milliseconds. With the default
# `PROFILE = "smoke"` the grid is small, the comparison runs at a small
# input and, if no saved network above chance is found in the results
# folder, a small MobileNet is trained on the **synthetic stand-in** for
# Tiny ImageNet; its accuracies check the code and say nothing about
# ImageNet. `PROFILE = "full"` measures the paper's whole grid and the
# comparison at 224 px and trains, if it must, on Tiny ImageNet (use a GPU).
# ```

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you will be able to:
# * convert a Keras model to LiteRT in float32, dynamic-range and full-integer int8, and read what each stores;
# * measure single-image latency fairly on a shared CPU (interleaved rounds, medians and percentiles, nothing but the work inside the timed call);
# * fit latency against Mult-Adds where the fit is fair (log space), judge it by its leave-one-out error, and say where it fails;
# * compare a quantised network with its original image by image, with a paired test;
# * predict an int8 model's size from its parameters and turn int8 outputs back into probabilities.
#
# **Prerequisites**: chapter 1 (Mult-Adds of each layer kind, the paper's Table 2), chapters 3 and 4 (α and ρ),
# chapter 5 (the VGG16 and InceptionV3 builds); TensorFlow's post-training quantisation guide helps.
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
# "smoke": a small grid and comparison, stand-in data (about 3 minutes on a
# 2-core CPU); "full": the paper's grid, the comparison at 224 px
PROFILE = "smoke"
# folder of the result records; None: results/ at the course's root. The
# records of chapters 3 and 4 and a saved network are read from there.
RESULTS_DIR = None
# folder of the datasets; None: data/ at the course's root
DATA_DIR = None
# α of the latency grid, each in (0, 1]; None: the profile's
# ([1.0, 0.5, 0.25] smoke, [1.0, 0.75, 0.5, 0.25] full)
WIDTH_MULTIPLIERS = None
# input sizes of the grid in pixels, each >= 32; None: the profile's
# ([128, 64] smoke, [224, 192, 160, 128, 64] full)
RESOLUTIONS = None
# input size of MobileNet against VGG16 and InceptionV3, >= 75; None: the
# profile's (128 smoke, 224 full)
COMPARISON_RESOLUTION = None
# CPU threads of the LiteRT interpreter, >= 1 (1: one core, as on a phone)
THREADS = 1
# timed single-image runs per model and measurement (after 5 untimed
# ones, over 5 interleaved rounds), >= 5; None: the profile's (20 / 100)
RUNS = None
# seeds the fallback network's training and the representative images
SEED = 0

# %%
import mnlib

import os
import platform

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mnlib import (
    baselines, checks, costs, data, deploy, kinds, latency_fit, models,
    pareto, plots, quantised, reference, stats, train,
)

# The grid, the comparison's size and the runs of each profile, and how
# the fallback network trains (used only if no saved network learnt).
CHAPTER_PROFILES = {
    "smoke": {
        "dataset": "synthetic", "epochs": 4, "batch_size": 32,
        "alphas": [1.0, 0.5, 0.25], "resolutions": [128, 64],
        "comparison": 128, "runs": 20, "fallback_alpha": 0.5,
        "classes": 10, "representative": 100,
    },
    "full": {
        "dataset": "tiny-imagenet", "epochs": 30, "batch_size": 64,
        "alphas": [1.0, 0.75, 0.5, 0.25],
        "resolutions": [224, 192, 160, 128, 64],
        "comparison": 224, "runs": 100, "fallback_alpha": 1.0,
        "classes": 10, "representative": deploy.REPRESENTATIVE_IMAGES,
    },
}
settings = train.study_settings(
    profile=PROFILE, data_dir=DATA_DIR, results_dir=RESULTS_DIR,
    defaults=CHAPTER_PROFILES,
)
profile_table = CHAPTER_PROFILES[PROFILE]
alphas = [checks.number("WIDTH_MULTIPLIERS", a, above=0, maximum=1)
          for a in WIDTH_MULTIPLIERS or profile_table["alphas"]]
resolutions = [checks.integer("RESOLUTIONS", r, minimum=32)
               for r in RESOLUTIONS or profile_table["resolutions"]]
comparison_size = checks.integer(
    "COMPARISON_RESOLUTION",
    COMPARISON_RESOLUTION or profile_table["comparison"],
    minimum=baselines.INCEPTION_MIN_SIZE,
)
runs = checks.integer("RUNS", RUNS or profile_table["runs"], minimum=5)
checks.integer("THREADS", THREADS, minimum=1)
ROUNDS = 5  # each measurement interleaves its models over 5 rounds
cpu = f"{platform.machine()}, {os.cpu_count()} logical cores"
print(f"Load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} "
      "cores (above that, other work competes for the CPU).")
print(f"Latency: median of {runs} single-image runs per model, LiteRT on "
      f"{THREADS} thread(s), this machine's CPU ({cpu}).")
print(f"Grid: α in {alphas} × {resolutions} px; "
      f"comparison at {comparison_size} px.")

# %% [markdown]
# ## 8.1 From Keras to LiteRT
#
# `mnlib.deploy.convert` turns a Keras model into a LiteRT *flatbuffer*, the
# single file an app ships. With Keras 3 the route goes through a SavedModel
# (`model.export`), which TensorFlow's converter reads; `convert(model)`
# keeps float32, `convert(model, "dynamic")` stores the weights as 8-bit
# integers, and `convert(model, "int8", representative_data=images)` makes
# everything 8-bit, inputs and outputs included: the converter runs the
# representative images through the network to choose, for every tensor,
# the scale and zero point that map its range of values onto the integers
# -128 to 127.
#
# `mnlib.deploy.latency` times one image through a Keras model or a
# flatbuffer: a few untimed calls (tracing, memory allocation), then `RUNS`
# timed ones. For a flatbuffer the timed call is the interpreter's
# `invoke` alone: the image is set once before, so the time is the
# network's work and nothing else. It reports the median and the 10th and
# 90th percentiles. The machine that ran this page is shared with other
# work, so its speed drifts: `mnlib.deploy.latencies` times several models
# together, in interleaved rounds, so that a slow minute slows all of them
# alike and their ratios hold. Every comparison below is measured that way.
#
# ## 8.2 Latency against Mult-Adds over α × ρ
#
# Each network of the grid, with the paper's 1000-class classifier, is
# converted to float32 LiteRT; then all are timed together.

# %%
name = pareto.mobilenet_name
grid_flat, rows = {}, []
for alpha in alphas:
    for size in resolutions:
        net = models.mobilenet(
            alpha=alpha, input_shape=(size, size, 3), classes=1000)
        grid_flat[name(alpha, size)] = deploy.convert(net)
        rows.append({
            "network": name(alpha, size), "α": alpha, "px": size,
            "M Mult-Adds": costs.model_cost(net)["mult_adds"].sum() / 1e6,
            "M params": net.count_params() / 1e6,
        })
grid = pd.DataFrame(rows).set_index("network")
timed = deploy.latencies(
    {label: (flat, None) for label, flat in grid_flat.items()},
    threads=THREADS, runs=runs, rounds=ROUNDS,
)
for column in ("median", "p10", "p90"):
    grid[f"{column} ms"] = [timed[label][f"{column}_ms"]
                            for label in grid.index]

# %% [markdown]
# How should latency follow Mult-Adds? A straight line fitted in
# milliseconds is ruled by the largest networks (their errors, in ms, are
# the largest) and can end with an intercept larger than a small
# network's whole latency. A fair fit weighs every network by its
# *relative* error: a power law, latency $= c \times \text{Mult-Adds}^b$,
# fitted as a straight line between the logarithms (`mnlib.latency_fit`).
# Its test is the *leave-one-out* error: each network's latency predicted
# by the fit of all the others. A second fit adds the weights' size (the
# parameters, which a network reads from memory for every image) as a
# second predictor.

# %%
fits = {}
if len(grid) >= 4:
    fits["Mult-Adds"] = latency_fit.fit(
        grid["median ms"], mult_adds=grid["M Mult-Adds"])
    fits["Mult-Adds and weights"] = latency_fit.fit(
        grid["median ms"], mult_adds=grid["M Mult-Adds"],
        params=grid["M params"])
    for what, fit in fits.items():
        print(f"{what}: {fit}")
    grid["residual %"] = fits["Mult-Adds"].residual_percent
    grid["leave-one-out %"] = fits["Mult-Adds"].loo_percent
else:
    print("Fewer than 4 networks in the grid: no fit (give "
          "WIDTH_MULTIPLIERS and RESOLUTIONS more values).")
grid["G Mult-Adds / s"] = grid["M Mult-Adds"] / grid["median ms"]
grid.round(2)

# %%
with plt.rc_context(plots.STYLE):
    fig, ax = plt.subplots(figsize=(8, 4.5))
    markers = dict(zip(sorted(set(resolutions), reverse=True), "osD^vP*X"))
    colours = dict(zip(alphas, plt.cm.viridis(
        np.linspace(0, 0.85, len(alphas)))))
    for _, row in grid.iterrows():
        bar = [[row["median ms"] - row["p10 ms"]],
               [row["p90 ms"] - row["median ms"]]]
        ax.errorbar(row["M Mult-Adds"], row["median ms"], yerr=bar,
                    fmt=markers[row["px"]], color=colours[row["α"]],
                    ms=7, capsize=3)
    if fits:
        fit = fits["Mult-Adds"]
        span = np.geomspace(grid["M Mult-Adds"].min() / 1.3,
                            grid["M Mult-Adds"].max() * 1.3, 50)
        ax.plot(span, [fit.predict(mult_adds=m) for m in span],
                color="grey", lw=1, ls="--",
                label=f"power law, exponent {fit.exponents[0]:.2f}")
    for alpha, colour in colours.items():
        ax.plot([], [], "o", color=colour, label=f"α = {alpha:g}")
    for size, marker in markers.items():
        ax.plot([], [], marker, color="black", mfc="none",
                label=f"{size} px")
    ax.set(xscale="log", yscale="log",
           xlabel="million Mult-Adds per image (1000 classes, log scale)",
           ylabel="latency (ms, log scale)\n"
                  "median, bars: 10th-90th percentile")
    finding = "too few networks to fit"
    if fits:
        error = fits["Mult-Adds"].loo_median_percent
        finding = f"a median leave-one-out error of {error:.0f} %"
    ax.set_title(f"LiteRT float32, {THREADS} thread(s), this CPU: "
                 f"Mult-Adds predict latency with {finding}")
    ax.legend(fontsize=9, ncol=2, loc="upper left")
    fig.tight_layout()
    plt.show()

# %% [markdown]
# Both axes are logarithmic, so the power law is a straight line. The
# residuals of the table say, network by network, how far the measured
# latency sits from the fit, as a share of the fitted value (positive:
# slower than its Mult-Adds predict); the cell below prints which
# networks sit above and below it, and the pair of networks of nearly
# equal Mult-Adds, 1.0 MobileNet-64 and 0.5 MobileNet-128, where a
# single predictor cannot tell them apart.

# %%
if fits:
    order = grid.sort_values("M Mult-Adds")
    above = list(order.index[order["residual %"] > 0])
    below = list(order.index[order["residual %"] <= 0])
    print(f"Slower than the power law: {', '.join(above) or 'none'}.")
    print(f"Faster than the power law: {', '.join(below) or 'none'}.")
    one, two = fits["Mult-Adds"], fits["Mult-Adds and weights"]
    print(f"Median leave-one-out error: {one.loo_median_percent:.1f} % "
          f"with Mult-Adds alone, {two.loo_median_percent:.1f} % with "
          "the weights' size added.")
pair = [name(1.0, 64), name(0.5, 128)]
if set(pair) <= set(grid.index):
    grid.loc[pair, ["M Mult-Adds", "M params", "median ms"]].round(3)

# %% [markdown]
# The pair has about the same Mult-Adds, but 1.0 MobileNet-64 has several
# times the weights of 0.5 MobileNet-128 (the column "M params": the
# convolutions' weights grow with α², not with the input). A hypothesis,
# not a finding: reading more weights for every image costs time that
# Mult-Adds do not count. The
# fit with the weights' size as a second predictor is one test of it: if
# its leave-one-out error is clearly smaller than that of Mult-Adds
# alone, the weights explain part of what Mult-Adds leave out (with as
# few networks as the smoke grid has, a second predictor can also fit
# noise; the full profile's twenty networks test it better).
#
# ### Where the time goes, by layer kind
#
# To see what Mult-Adds leave out, split the time of one network by the
# layer kinds of the paper's Table 2: `mnlib.kinds.kind_latency` converts
# and times all the depthwise layers together, all the pointwise (1×1)
# layers together, the first full convolution and the classifier, each
# with its inputs at the sizes they have inside the network, set once
# before timing so that no kind pays for copying them. A model that does
# next to nothing is timed with them: its latency is the fixed cost of a
# call ("call"), taken off each kind and counted once. The row "kinds +
# call" is the parts added up as measured, beside the whole network:
# what is missing or extra is the layers in between (padding, pooling,
# softmax) and what the network gains by running its layers back to back.
#
# Two networks are split: 1.0 MobileNet-128 and the smallest of the grid.

# %%
split_names = [name(1.0, 128) if name(1.0, 128) in grid.index
               else grid["M Mult-Adds"].idxmax(),
               grid["M Mult-Adds"].idxmin()]
split_of = {}
for label in dict.fromkeys(split_names):
    alpha, size = float(grid.loc[label, "α"]), int(grid.loc[label, "px"])
    net = models.mobilenet(
        alpha=alpha, input_shape=(size, size, 3), classes=1000)
    split_of[label] = kinds.kind_latency(
        net, threads=THREADS, runs=runs, rounds=ROUNDS,
        tflite_model=grid_flat[label])
paper_shares = {kind: shares[0]
                for kind, shares in reference.PAPER["table_2"].items()}
recounted = costs.cost_by_kind(costs.model_cost(models.mobilenet(
    alpha=1.0, input_shape=(224, 224, 3), classes=1000)))["mult_adds_%"]
table = pd.concat(split_of, names=["network", "kind"])
table["paper: Mult-Adds %"] = [paper_shares.get(k) for _, k in table.index]
table["1.0-224 recounted %"] = [recounted.get(k) for _, k in table.index]
table = table.rename(columns={
    "mult_adds_%": "ours: Mult-Adds %", "time_%": "time % of network",
    "median_ms": "median ms", "gmult_adds_per_s": "G Mult-Adds / s"})
table[["layers", "paper: Mult-Adds %", "1.0-224 recounted %",
       "ours: Mult-Adds %", "median ms", "time % of network",
       "G Mult-Adds / s"]].round(2)

# %% [markdown]
# The paper's Table 2 is for 1.0 MobileNet-224 and prints 1.19 % for the
# first (full) convolution; counted from its own Table 1 that share is
# 1.90 % (the column "1.0-224 recounted"), and only then do the four
# shares add up to 100 %: the 1.19 is most likely a misprint. Our shares
# are counted on the networks measured. Each kind's share of time is taken
# of the whole network's measured median, not of the parts' sum, so the
# parts are free to add up to more or less than 100 % (the row "kinds +
# call"), and on a busy machine one kind can even come out above 100 %.
# The last column is the speed at which each kind works, billions of
# Mult-Adds per second. The parts as measured against the whole network:

# %%
for label, frame in split_of.items():
    whole = frame.loc["network", "median_ms"]
    parts = frame.loc["kinds + call", "median_ms"]
    dw, pw = frame.loc["conv dw"], frame.loc["conv 1x1"]
    print(f"{label}: kinds + call {parts:.3f} ms against the network's "
          f"{whole:.3f} ms ({100 * (parts / whole - 1):+.1f} %). "
          f"Depthwise {dw['mult_adds_%']:.1f} % of the Mult-Adds in "
          f"{dw['time_%']:.1f} % of the time "
          f"({dw['gmult_adds_per_s']:.1f} G/s); pointwise "
          f"{pw['mult_adds_%']:.1f} % in {pw['time_%']:.1f} % "
          f"({pw['gmult_adds_per_s']:.1f} G/s).")

# %%
with plt.rc_context(plots.STYLE):
    fig, axes = plt.subplots(1, len(split_of), squeeze=False,
                             figsize=(4.6 * len(split_of), 3.8))
    for ax, (label, frame) in zip(axes[0], split_of.items()):
        shown = frame.loc[[k for k in kinds.KINDS if k in frame.index]]
        y = np.arange(len(shown))
        ax.barh(y - 0.27, [recounted[k] for k in shown.index], 0.27,
                color="lightgrey",
                label="Mult-Adds, 1.0 MobileNet-224 (Table 2, recounted)")
        ax.barh(y, shown["mult_adds_%"], 0.27, color="tab:blue",
                label="Mult-Adds, this network")
        ax.barh(y + 0.27, shown["time_%"], 0.27, color="tab:orange",
                label="LiteRT time, this network")
        ax.set(yticks=y, yticklabels=shown.index, xlabel="share (%)",
               xlim=(0, 105), title=label)
        ax.invert_yaxis()
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=9,
               frameon=False)
    ratio = {label: frame.loc["conv dw", "time_%"]
             / frame.loc["conv dw", "mult_adds_%"]
             for label, frame in split_of.items()}
    fig.suptitle("Depthwise layers' share of time over their share of "
                 "Mult-Adds: " + ", ".join(
                     f"{v:.1f}× ({k})" for k, v in ratio.items()))
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    plt.show()

# %% [markdown]
# Why a depthwise layer can be slow for its Mult-Adds: a 3×3 depthwise
# filter does 9 Mult-Adds for every input value it reads, where a
# pointwise layer with $N$ output channels does $N$ Mult-Adds per input
# value (each value is multiplied into every one of the $N$ outputs; $N$
# is 64 to 1024 in MobileNet). The pointwise layer does far more
# arithmetic per byte moved, which is what a CPU's vector units and a
# GEMM kernel turn into speed: the paper's own §3 argument. Whether the
# depthwise layers here work more slowly per Mult-Add than the pointwise
# ones, and by how much, is in the "G Mult-Adds / s" column and the ratio
# in the figure's title: a ratio above 1 means the depthwise layers take
# a larger share of the time than of the Mult-Adds.
#
# ## 8.3 Float32, dynamic range, int8: size, latency, predictions
#
# Quantisation needs a trained network: the accuracy cost of int8 is only
# meaningful for weights that have learnt something. The chapter takes the
# best network saved in the results folder (`mnlib.results.best_model`,
# through `mnlib.quantised.saved_network`) if its accuracy is above chance
# by its interval; otherwise it trains a small MobileNet with the course's
# harness and saves it, so a rerun loads it.

# %%
record, learnt = quantised.saved_network(settings.results_dir)
splits = None
if record is None:
    print(f"No saved network in {settings.results_dir}.")
elif learnt is None or not learnt.above:
    print(f"Best saved network {record['id']}: "
          f"{learnt or 'no per-image results in its record'}.")
else:
    splits = quantised.splits_of(record, settings.data_dir)
if splits is None:
    classes = profile_table["classes"]
    print("Training a MobileNet to quantise, on "
          f"{settings.dataset}{settings.caption}.")
    train_split, val_split, names = data.splits(
        settings.dataset, settings.data_dir, classes)
    record = train.run(
        train_split, val_split, class_names=names,
        notebook="08_on_device", dataset=settings.dataset,
        classes=classes, resolution=64, epochs=settings.epochs,
        batch_size=settings.batch_size,
        model_args={"alpha": profile_table["fallback_alpha"]},
        seed=SEED, profile=PROFILE, results_dir=settings.results_dir,
        save_model=True, verbose=0)
    splits = (train_split, val_split)
# compile=False: the network alone, without the optimizer's state
network = keras.models.load_model(
    settings.results_dir / record["model_file"], compile=False)
on_standin = (" (synthetic stand-in, smoke run)"
              if record["dataset"] == "synthetic" else "")
print(f"Quantised: {record['id']} (trained by {record['notebook']}), "
      f"{record['classes']} classes of {record['dataset']}{on_standin}.")

# %% [markdown]
# The validation images, and about a hundred to a few hundred training
# images for the int8 calibration, go through the network's own input
# pipeline (resized, scaled as in training, not augmented):

# %%
family = record["training"].get("family") or "mobilenet"
side = int(record.get("input_resolution") or record["resolution"])
val_images, val_labels = quantised.images_of(
    splits[1], resolution=side, family=family)
representative, _ = quantised.images_of(
    splits[0], resolution=side, family=family,
    count=profile_table["representative"], shuffle=True, seed=SEED)
print(f"{len(val_images)} validation images, {len(representative)} "
      f"representative images, {side} px")

# %%
variants = {
    "Keras float32": network,
    "LiteRT float32": deploy.convert(network),
    "LiteRT dynamic range": deploy.convert(network, "dynamic"),
    "LiteRT int8": deploy.convert(
        network, "int8", representative_data=representative),
}
outputs = {"Keras float32": network.predict(
    val_images, batch_size=64, verbose=0)}
for label, flat in list(variants.items())[1:]:
    outputs[label] = deploy.predict(flat, val_images)
timed = deploy.latencies(
    {label: (model, (side, side, 3)) for label, model in variants.items()},
    threads=THREADS, runs=runs, rounds=ROUNDS)
formats = pd.DataFrame({
    label: {"MB": deploy.size_bytes(model) / 1e6,
            "median ms": timed[label]["median_ms"],
            "threads": timed[label]["threads"],
            "top-1": np.mean(outputs[label].argmax(1) == val_labels)}
    for label, model in variants.items()}).T
reference_ms = formats.loc["LiteRT float32", "median ms"]
formats["× float32 size"] = (
    formats["MB"] / formats.loc["LiteRT float32", "MB"])
formats["speed-up vs float32"] = reference_ms / formats["median ms"]
formats.round(3)

# %% [markdown]
# The Keras size is the `.keras` file of the network alone (loaded with
# `compile=False`: no optimizer state); the others are the flatbuffers an
# app would ship. The Keras latency is not like with like: TensorFlow
# runs on its own thread pool (the column "threads": 0 is TensorFlow's
# default, every core), LiteRT on `THREADS` thread(s); it is shown for
# scale, not compared. First, is this network worth quantising, and what
# did int8 change, image by image? Two classifiers scored on the same
# images are compared on the images where they disagree (a paired test,
# `mnlib.stats.paired`). An int8 softmax takes steps of 1/256, so two
# classes can share the top score; such a tie is counted as a changed,
# wrong prediction, not settled by whichever class comes first.

# %%
float_correct = outputs["LiteRT float32"].argmax(1) == val_labels
print("LiteRT float32:", stats.chance(
    float(float_correct.mean()), int(record["classes"]), len(val_labels)))
effects = {}
for label in ("LiteRT dynamic range", "LiteRT int8"):
    short = label.removeprefix("LiteRT ")
    effects[short] = quantised.agreement(
        outputs["LiteRT float32"], outputs[label], val_labels,
        names=(short, "float32"))
    print(f"{short}: {effects[short]}{on_standin}")

# %% [markdown]
# The share of changed predictions and the paired verdict answer two
# different questions: how often quantisation changes what the network
# says, and whether it changes how often the network is right. Many
# changes can leave the accuracy level (right answers turned wrong and
# wrong ones turned right in equal numbers); the verdict line says which
# happened here, and its interval how large a difference these images
# can rule out.
#
# Dynamic range stores the weights in 8 bits, as int8 does, so it is about
# as small. It keeps float32 inputs, outputs and activations: its
# convolutions run *hybrid* kernels, which quantise each layer's
# activations to int8 on the fly, multiply with the int8 weights, and
# return float32. Full-integer int8 computes in 8-bit integers from end
# to end, which needs the representative images. Whether either is
# faster than float32 depends on which kernels run them: LiteRT hands the
# operators it can to the **XNNPACK** delegate, its optimised CPU
# kernels, and runs the rest with its own built-in ones. The same three
# flatbuffers, timed with and without XNNPACK, on one thread and on two:

# %%
thread_counts = sorted({1, min(2, os.cpu_count() or 1)})
kernels = {}
for threads in thread_counts:
    for xnnpack in (True, False):
        timed = deploy.latencies(
            {label: (flat, (side, side, 3))
             for label, flat in list(variants.items())[1:]},
            threads=threads, runs=max(5, runs // 2), rounds=ROUNDS,
            xnnpack=xnnpack)
        kind = "XNNPACK" if xnnpack else "built-in kernels"
        kernels[f"{kind}, {threads} thread(s)"] = {
            label: t["median_ms"] for label, t in timed.items()}
kernels = pd.DataFrame(kernels).T
kernels["int8 speed-up"] = (
    kernels["LiteRT float32"] / kernels["LiteRT int8"])
kernels.round(3)

# %% [markdown]
# Read the table by rows: the int8 speed-up with XNNPACK against the
# built-in kernels says how much of int8's speed (or lack of it) is the
# delegate's; the rows of two threads say whether a second core helps a
# network this small, on a machine whose other work competes for the
# cores (the load average is printed at the end). On a phone's ARM CPU
# with int8 dot-product instructions the numbers would differ: a
# prediction, to be tested with LiteRT's `benchmark_model` on the device.
#
# ## 8.4 Accuracy against milliseconds
#
# The paper draws accuracy against Mult-Adds (its Figure 4); on a device
# the cost that counts is time. Chapters 3 and 4 trained the α × ρ
# networks and kept their per-image results; each one is converted here
# (at its own classes and input size) and timed, all in the same rounds,
# and drawn at its measured latency with the Wilson interval of its
# accuracy. A network is on the *Pareto front* when no other is both as
# fast and as accurate, and better on one of the two
# (`mnlib.pareto.front`).

# %%
studied = pareto.accuracy_records(settings.results_dir)
if studied.empty:
    print(f"No records of chapters 3 and 4 in {settings.results_dir}: "
          "run 03_width_multiplier and 04_resolution_multiplier first, "
          "with the same RESULTS_DIR, then this chapter again.")
else:
    configs = studied[["alpha", "resolution", "classes"]].drop_duplicates()
    subjects = {}
    for alpha, size, classes in configs.itertuples(index=False):
        net = models.mobilenet(
            alpha=alpha, input_shape=(size, size, 3), classes=classes)
        subjects[alpha, size, classes] = (deploy.convert(net), None)
    timed = deploy.latencies(subjects, threads=THREADS, runs=runs,
                             rounds=ROUNDS)
    studied["median ms"] = [
        timed[a, s, c]["median_ms"] for a, s, c in zip(
            studied["alpha"], studied["resolution"], studied["classes"])]
    studied["network"] = [name(a, s) for a, s in
                          zip(studied["alpha"], studied["resolution"])]
    studied["on the front"] = pareto.front(
        studied["median ms"], studied["top1"])
shown = ["network", "notebook", "top1", "low", "high", "median ms",
         "on the front"]
studied[shown].round(3) if not studied.empty else studied

# %%
if not studied.empty:
    pareto.figure(studied, xlabel="LiteRT float32 latency (ms, log scale), "
                  f"{THREADS} thread(s), this CPU")
    plt.show()

# %% [markdown]
# Where the intervals of two neighbours overlap, the front's order between
# them is not established by these images: chapters 3 and 4 give the paired
# verdicts between networks, and the smoke profile runs one seed, so seed
# variance is not in these intervals.
#
# ## 8.5 MobileNet against VGG16 and InceptionV3
#
# Chapter 5 compared the three networks' accuracy; here their cost on the
# device, at the same input, with 1000 classes. VGG16 and InceptionV3 are
# the course's from-scratch builds (`mnlib.baselines.baseline`): Keras'
# convolutional bodies, global average pooling and a single softmax Dense
# classifier, randomly initialised (weights' values do not change float32
# latency). Their parameters, body and classifier, are counted below;
# they are not those of the paper's VGG16, whose two 4096-unit hidden
# layers hold most of its 138 million parameters (Table 8). Beside them,
# the paper's Mult-Adds at 224 px: Table 8 for MobileNet and VGG16, Table
# 10 for InceptionV3 (5000 million; the paper's Table 8 compares with
# GoogleNet, a different network, chapter 5).

# %%
# Howard et al. (2017), Table 10 (quoted, not measured)
PAPER_INCEPTION_V3_MULT_ADDS_M = 5000
paper = reference.paper_models().query("table in (4, 8)")
paper = paper.set_index("model")["mult_adds_m"]
paper_m = {"MobileNet 1.0": paper["MobileNet"], "VGG16": paper["VGG 16"],
           "InceptionV3": PAPER_INCEPTION_V3_MULT_ADDS_M}
shape = (comparison_size, comparison_size, 3)
nets = {
    "MobileNet 1.0": models.mobilenet(
        alpha=1.0, input_shape=shape, classes=1000),
    "VGG16": baselines.baseline("vgg16", shape, 1000),
    "InceptionV3": baselines.baseline("inception_v3", shape, 1000),
}
flats = {label: grid_flat.get(name(1.0, comparison_size))
         if label.startswith("MobileNet") else None for label in nets}
flats = {label: flat or deploy.convert(nets[label])
         for label, flat in flats.items()}
timed = deploy.latencies(
    {label: (flat, shape) for label, flat in flats.items()},
    threads=THREADS, runs=runs, rounds=ROUNDS)
classifiers = {label: [layer for layer in net.layers
                      if layer.count_params()][-1]
               for label, net in nets.items()}
versus = pd.DataFrame({label: {
    "M Mult-Adds": costs.model_cost(net)["mult_adds"].sum() / 1e6,
    "M params": net.count_params() / 1e6,
    "classifier M params": classifiers[label].count_params() / 1e6,
    "float32 MB": len(flats[label]) / 1e6,
    "median ms": timed[label]["median_ms"],
    "paper: M Mult-Adds (224 px)": paper_m[label],
} for label, net in nets.items()}).T
versus["body M params"] = versus["M params"] - versus["classifier M params"]
versus["G Mult-Adds / s"] = versus["M Mult-Adds"] / versus["median ms"]
for column, what in (("M Mult-Adds", "Mult-Adds"), ("median ms", "latency"),
                     ("float32 MB", "size"),
                     ("paper: M Mult-Adds (224 px)", "paper: Mult-Adds")):
    versus[f"{what} × MobileNet's"] = (
        versus[column] / versus.loc["MobileNet 1.0", column])
print(f"{comparison_size} px, 1000 classes, float32 LiteRT, {THREADS} "
      "thread(s) on this CPU; classifier of each: " + ", ".join(
          f"{label} {type(layer).__name__} {layer.name}"
          for label, layer in classifiers.items()))
versus.round(2)

# %% [markdown]
# The paper's ratios are at 224 px for MobileNet and VGG16; its Table 10
# does not say at what size InceptionV3 was counted (Keras' InceptionV3
# takes 299 px), so that ratio compares unlike inputs.
#
# Where a network's latency ratio falls short of its Mult-Adds ratio, it
# works faster per Mult-Add than MobileNet (the column "G Mult-Adds / s");
# where the latency ratio exceeds the Mult-Adds ratio, it pays for work
# that Mult-Adds do not count (InceptionV3's many small branches, pooling
# and concatenations) or runs less efficient layers. Which of the two
# holds for each network here is in its row. The size ratios follow the
# parameters, not the Mult-Adds: a convolution applies each weight at
# every position of its map, so VGG16's body does many Mult-Adds per
# parameter.
#
# ## Running the full measurement
#
# ```bash
# papermill notebooks/08_on_device.ipynb /tmp/08.ipynb -p PROFILE full
# papermill notebooks/08_on_device.ipynb out.ipynb \
#   -y "WIDTH_MULTIPLIERS: [0.5]" -y "RESOLUTIONS: [96]" -p RESULTS_DIR /tmp/o
# ```
#
# The full profile converts and times the paper's 20 networks of the grid
# and the three networks at 224 px: some minutes on a CPU (an estimate
# from the smoke run's times, not measured), no GPU needed, unless no
# saved network above chance is found and it must first train one on
# Tiny ImageNet. `python benchmarks/latency.py` prints the same
# measurements as text. For a phone, write `deploy.convert(...)` to a
# `.tflite` file and time it with LiteRT's `benchmark_model` tool on the
# device.
#
# ## Closing note
#
# What this run measured, on this CPU (printed from the tables above):

# %%
print(f"CPU: {cpu}, {THREADS} thread(s), median of {runs} runs; load "
      f"average at the end: {os.getloadavg()[0]:.1f}")
for what, fit in fits.items():
    print(f"Latency from {what}: {fit}.")
for label, frame in split_of.items():
    share = 100 * frame.loc["kinds + call", "median_ms"] / frame.loc[
        "network", "median_ms"]
    print(f"{label}: kinds + call = {share:.0f} % of the network; "
          f"depthwise {frame.loc['conv dw', 'mult_adds_%']:.1f} % of the "
          f"Mult-Adds, {frame.loc['conv dw', 'time_%']:.1f} % of the time.")
for short, effect in effects.items():
    print(f"{short} against float32{on_standin}: {effect}")
print("int8 speed-up over float32, by kernels: " + ", ".join(
    f"{row} {value:.2f}×"
    for row, value in kernels["int8 speed-up"].items()))
if not studied.empty:
    front_names = studied.loc[studied["on the front"], "network"]
    print(f"Pareto front of {len(studied)} networks: "
          + ", ".join(front_names))
for other in ("VGG16", "InceptionV3"):
    times = versus.loc[other, [f"{what} × MobileNet's" for what in
                               ("latency", "size", "Mult-Adds")]]
    print(f"{other} at {comparison_size} px: {times.iloc[0]:.1f}× "
          f"MobileNet's latency, {times.iloc[1]:.1f}× its size, "
          f"{times.iloc[2]:.1f}× its Mult-Adds; "
          f"{versus.loc[other, 'M params']:.2f} M parameters "
          f"({versus.loc[other, 'body M params']:.2f} M body + "
          f"{versus.loc[other, 'classifier M params']:.2f} M classifier).")

# %% [markdown]
# ## Summary
#
# - The paper's own §3 says Mult-Adds are not the whole story; here they
#   are measured against time: how well a power law in Mult-Adds predicts
#   a network's latency is its leave-one-out error, printed above, and the
#   residuals say which networks it misjudges.
# - Timed without copying inputs, the layer kinds and the call add up to
#   the whole network (the printed percentage); the depthwise layers'
#   share of the time, beside their share of the Mult-Adds, is measured,
#   not assumed.
# - Full-integer int8 stores each weight in one byte instead of four (the
#   flatbuffers' measured sizes are in §8.3); what it changes, image by
#   image, and whether the change in
#   accuracy is more than noise, are this run's verdict lines; its speed
#   depends on which kernels run it, as the kernels table shows.
# - Accuracy against milliseconds, with the records of chapters 3 and 4,
#   draws the paper's trade-off in the unit a device pays.

# %% [markdown]
# ## Exercises
#
# Each exercise is checked on the spot by `mnlib.exercises`: replace `answer = None` with your answer
# (a number or a function, as the exercise says) and run the cell. A wrong answer gets a hint that says
# how it is off, never the answer; a function is run on cases you have not seen. In the full edition of
# the book a reference answer is folded under each exercise. The open questions at the end have no
# checker.

# %%
# the course's answer checker: exercises.check(id, answer)
from mnlib import exercises

# %% [markdown]
# ```{exercise-start} 08.1 The int8 size, from the parameter count
# :label: ex-08-1
# :nonumber:
# ```
#
# Full-integer int8 stores each weight in one byte, where float32 takes four; batch normalisation
# folds into the convolutions before conversion (its four numbers per channel become one 32-bit bias).
# Predict, from its parameter count alone, the size in MB (millions of bytes) of the int8 flatbuffer
# of 1.0 MobileNet-224 with the paper's 1000 classes. Within 10% counts as correct: the flatbuffer
# also stores each tensor's scales and zero points and a description of the graph.

# %%
answer = None  # your answer
exercises.check("08.1", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-08-1
# :class: dropdown
# ```

# %%
parameters = models.mobilenet(
    alpha=1.0, input_shape=(224, 224, 3), classes=1000).count_params()
# one byte per parameter: a 32-bit bias is the four numbers it replaces
exercises.check("08.1", parameters / 1e6);

# %% [markdown]
# The number of parameters does not depend on the input size, so the grid's float32 size of any 1.0
# MobileNet, divided by four, gives about the same answer. Against the network this chapter quantised
# (§8.3), measured:

# %%
int8_mb = formats.loc["LiteRT int8", "MB"]
millions = network.count_params() / 1e6
print(f"{record['id']}{on_standin}: {millions:.3f} million parameters; "
      f"int8 flatbuffer {int8_mb:.3f} MB measured, "
      f"{int8_mb / millions:.2f}× one byte per parameter, "
      f"{formats.loc['LiteRT int8', '× float32 size']:.2f}× the float32 "
      "flatbuffer")

# %% [markdown]
# Part of what the flatbuffer holds beside the weights, the description of the graph, does not
# shrink with the network: it is a larger share of a small network's bytes.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 08.2 Latency from the fitted power law
# :label: ex-08-2
# :nonumber:
# ```
#
# §8.2 fitted latency $= c \times m^{b}$, with $m$ the Mult-Adds in millions. Write
# `power_ms(scale_ms, exponent, alpha, size)` that returns the latency (ms) such a law predicts
# ($c$ = `scale_ms`, $b$ = `exponent`) for MobileNet at width multiplier `alpha` and input `size`
# px, with the paper's 1000 classes (count its Mult-Adds with `mnlib.costs`). Set
# `answer = power_ms`; then use it with this chapter's own fit to predict 0.75 MobileNet-96, a
# network the grid did not measure.

# %%
answer = None  # your answer
exercises.check("08.2", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-08-2
# :class: dropdown
# ```

# %%
def power_ms(scale_ms, exponent, alpha, size):
    net = models.mobilenet(
        alpha=alpha, input_shape=(size, size, 3), classes=1000)
    millions = costs.model_cost(net)["mult_adds"].sum() / 1e6
    return scale_ms * millions**exponent


exercises.check("08.2", power_ms)
if fits:
    fit = fits["Mult-Adds"]
    scale_ms, exponent = np.exp(fit.log_scale), fit.exponents[0]
    print(f"This chapter's law ({scale_ms:.4f} ms × m^{exponent:.2f}) "
          f"predicts {power_ms(scale_ms, exponent, 0.75, 96):.2f} ms for "
          f"{name(0.75, 96)} on this CPU, {THREADS} thread(s): a "
          "prediction, not a measurement.")

# %% [markdown]
# To test the prediction, time the network with `deploy.latencies` beside one of the grid's (the
# machine's speed drifts, so measure both together) and compare with the law; §8.2's
# leave-one-out errors say how far off to expect it.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 08.3 From int8 outputs to probabilities
# :label: ex-08-3
# :nonumber:
# ```
#
# An int8 model returns integers $q$ from -128 to 127; the output tensor's scale $s$ and zero point
# $z$ (LiteRT's `get_output_details()[0]["quantization"]`) map them back to real values,
# $s\,(q - z)$. Write `dequantize(outputs, scale, zero_point)` that takes a numpy array of int8
# outputs and returns float32 probabilities of the same shape. Set `answer = dequantize`.

# %%
answer = None  # your answer
exercises.check("08.3", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-08-3
# :class: dropdown
# ```

# %%
def dequantize(outputs, scale, zero_point):
    # in float: int8 would wrap around
    return (np.asarray(outputs).astype(np.float32) - zero_point) * scale


exercises.check("08.3", dequantize);

# %% [markdown]
# On this chapter's int8 network, with LiteRT's interpreter called directly (its built-in kernels,
# without the XNNPACK delegate that `mnlib.deploy` uses), on the validation image it is surest of:

# %%
from ai_edge_litert.interpreter import Interpreter, OpResolverType

int8_flat = variants["LiteRT int8"]
surest = int(outputs["LiteRT int8"].max(axis=1).argmax())
interpreter = Interpreter(
    model_content=int8_flat,
    experimental_op_resolver_type=(
        OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES))
interpreter.allocate_tensors()
given = interpreter.get_input_details()[0]
returned = interpreter.get_output_details()[0]
in_scale, in_zero = given["quantization"]
image = val_images[surest : surest + 1]
quantised_image = np.round(image / in_scale + in_zero)
interpreter.set_tensor(
    given["index"], np.clip(quantised_image, -128, 127).astype(np.int8))
interpreter.invoke()
raw = interpreter.get_tensor(returned["index"])
scale, zero_point = returned["quantization"]
probabilities = dequantize(raw, scale, zero_point)
# the subtraction done in int8 (zero_point is a Python int)
wrapped = (raw - zero_point) * scale
print(f"first int8 outputs: {raw[0, :10].tolist()} (scale {scale:.6g} "
      f"= 1/{1 / scale:.0f}, zero point {zero_point})")
print(f"dequantised in float: sum {probabilities.sum():.3f}, largest "
      f"{probabilities.max():.3f}; subtracted in int8: sum "
      f"{wrapped.sum():.3f}, largest {wrapped.max():.3f}")
difference = np.abs(probabilities - deploy.predict(int8_flat, image)).max()
print("largest difference from mnlib.deploy.predict (XNNPACK's int8 "
      f"kernels) on the same image: {difference:.4f}")

# %% [markdown]
# With a zero point of -128, an output of 0 or more (a probability of one half or more) leaves the int8
# range once the zero point is taken off: done in int8, the subtraction wraps around to a negative
# number. The two interpreters run the same flatbuffer with different int8 kernels, whose outputs
# can differ by a few steps of the scale; the last line says by how much here.

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 08.4 The depthwise share at α = 0.5
# :label: ex-08-4
# :nonumber:
# ```
#
# The paper's Table 2 gives each layer kind's share of the Mult-Adds of 1.0 MobileNet-224; one of
# its numbers is misprinted (§8.2: the first convolution's share is 1.90 %, not 1.19 %), so start
# from the shares recounted from Table 1 (`recounted` in §8.2). What share, in percent, do the
# depthwise layers take of the Mult-Adds of 0.5 MobileNet-224 (1000 classes)? Within 3% (relative)
# counts as correct.

# %%
answer = None  # your answer
exercises.check("08.4", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-08-4
# :class: dropdown
# ```

# %%
# α scales the depthwise layers, the first convolution and the classifier
# by α, the pointwise layers by α²
half = 0.5
scaled = {kind: share * (half**2 if kind == "conv 1x1" else half)
          for kind, share in recounted.items()}
exercises.check("08.4", 100 * scaled["conv dw"] / sum(scaled.values()));

# %% [markdown]
# Halving α roughly doubles the depthwise layers' share: they are the part of the network that shrinks
# more slowly. The kinds table of §8.2 counts the shares of the networks it measures and sets the
# share of time beside them.
#
# ```{solution-end}
# ```

# %% [markdown]
# ### Open questions
#
# ```{exercise} Open question
# :label: ex-08-open-1
# :nonumber:
# §8.2 measured the depthwise layers' share of the time beside their share of the Mult-Adds. Count,
# for a 3×3 depthwise layer and for a 1×1 layer with $N$ output channels, the Mult-Adds done per
# number read and written, and use them to predict the gap. Would you expect the gap to grow or shrink
# at a smaller α? Compare your prediction with the two networks of the kinds table.
# ```
#
# ```{exercise} Open question
# :label: ex-08-open-2
# :nonumber:
# §8.3's kernels table gives int8's speed-up over float32 with and without the XNNPACK delegate.
# Which of its rows would you expect to change on a phone's ARM CPU with int8 dot-product
# instructions, and how? State it as a prediction and say how you would test it (LiteRT's
# `benchmark_model` on the device).
# ```
#
# ```{exercise} Open question
# :label: ex-08-open-3
# :nonumber:
# The power law of §8.2 has an exponent $b$. What would $b = 1$ mean, and what does a $b$ below 1
# say about how small networks use the CPU? Propose a measurement that separates a fixed cost per
# call from a cost per Mult-Add.
# ```
