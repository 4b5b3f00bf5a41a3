# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 8. On the device: latency, int8, and whether Mult-Adds predict speed
#
# MobileNet exists to run on phones, and the paper argues in Mult-Adds: its
# Section 3 counts them, its Tables 4-9 trade accuracy against them, and it
# takes fewer Mult-Adds to mean a faster network. Neither the paper nor the
# report measures a latency. Mult-Adds do not map one to one onto time: a
# depthwise convolution does few multiplications for every number it reads,
# so it is limited by memory traffic rather than arithmetic, and every layer
# costs a little to launch whatever its size.
#
# This chapter closes that loop. It converts the course's networks to
# **LiteRT** (the new name of TensorFlow Lite, the runtime of Android
# phones), quantises them to 8-bit integers, and measures what a CPU
# pays for one image, one thread at a time, as a phone's big core would:
#
# 1. latency against Mult-Adds over the α × ρ grid, and where the points
#    leave the line, why (time per layer kind against the paper's Table 2);
# 2. float32 against dynamic-range against int8: size, latency, and top-1
#    accuracy of a trained network;
# 3. MobileNet against VGG16 and InceptionV3 at the same input.
#
# ```{note}
# Every time in this chapter is measured on the CPU that ran it (the
# printed lines name it), not on a phone: the ratios between networks and
# formats carry over better than the milliseconds. With the default
# `PROFILE = "smoke"` the grid is small, the comparison runs at a small input
# and, if no trained network is saved in the results folder, a small
# MobileNet is trained on the **synthetic stand-in** for Tiny ImageNet; its
# accuracies check the code and say nothing about ImageNet. `PROFILE =
# "full"` measures the paper's whole grid and the comparison at 224 px (some
# minutes on a CPU, an estimate) and trains, if it must, on Tiny ImageNet
# (use a GPU).
# ```

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you will be able to:
# * convert a Keras model to LiteRT in float32, dynamic-range and full-integer int8, and read what each stores;
# * measure single-image latency fairly on a shared CPU (interleaved rounds, medians and percentiles);
# * fit latency against Mult-Adds, predict a network's latency from the line, and say where the line fails;
# * explain why depthwise layers take a larger share of the time than of the Mult-Adds;
# * predict an int8 model's size from its parameters and turn int8 outputs back into probabilities.
#
# **Prerequisites**: chapter 1 (Mult-Adds of each layer kind, the paper's Table 2), chapters 3 and 4 (α and ρ),
# chapter 5 (the VGG16 and InceptionV3 builds); TensorFlow's post-training quantisation guide helps.
# ```

# %% tags=["remove-cell"]
# Colab: install the course package when running there; nothing happens elsewhere.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet",
         "mnlib @ git+https://github.com/mobilenets-reproduced/mobilenets-reproduced"],
        check=True,
    )

# %% tags=["parameters"]
PROFILE = "smoke"  # "smoke": a small grid and comparison, stand-in data (about 3 minutes on a 2-core CPU); "full": the paper's grid, the comparison at 224 px, Tiny ImageNet
RESULTS_DIR = None  # folder of the result records, None: results/ at the course root (or ./results); a saved network there is measured, else one is trained and saved
DATA_DIR = None  # folder of the datasets (stand-ins written, Tiny ImageNet downloaded here); None: data/ at the course root, or ./data outside the repository
WIDTH_MULTIPLIERS = None  # α of the latency grid, each in (0, 1]; None: the profile's ([1.0, 0.5, 0.25] smoke, [1.0, 0.75, 0.5, 0.25] full)
RESOLUTIONS = None  # input sizes of the latency grid in pixels, each at least 32; None: the profile's ([128, 64] smoke, [224, 192, 160, 128, 64] full)
COMPARISON_RESOLUTION = None  # input size of MobileNet against VGG16 and InceptionV3, at least 75; None: the profile's (128 smoke, 224 full)
THREADS = 1  # CPU threads of the LiteRT interpreter in every measurement, at least 1 (1: a single core, as on a phone)
RUNS = None  # timed single-image runs per model and measurement (after 5 untimed ones, spread over 5 interleaved rounds), at least 5; None: the profile's (20 smoke, 100 full)
SEED = 0  # seeds the fallback network's training and the choice of representative images

# %%
import mnlib  # noqa: F401  (first: imports TensorFlow quietly)

# isort: split
import os
import platform

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mnlib import baselines, costs, data, deploy, models, plots, reference, results, train

#: This chapter's profiles: the grid, the comparison's input size, the runs per measurement, and how the
#: fallback network trains (dataset, epochs, batch size, α, classes) and is calibrated for int8.
CHAPTER_PROFILES = {
    "smoke": {"dataset": "synthetic", "epochs": 4, "batch_size": 32, "alphas": [1.0, 0.5, 0.25],
              "resolutions": [128, 64], "comparison": 128, "runs": 20, "fallback_alpha": 0.5, "classes": 10,
              "representative": 100},
    "full": {"dataset": "tiny-imagenet", "epochs": 30, "batch_size": 64, "alphas": [1.0, 0.75, 0.5, 0.25],
             "resolutions": [224, 192, 160, 128, 64], "comparison": 224, "runs": 100, "fallback_alpha": 1.0,
             "classes": 10, "representative": deploy.REPRESENTATIVE_IMAGES},
}  # fmt: skip
settings = train.study_settings(PROFILE, None, None, None, DATA_DIR, RESULTS_DIR, defaults=CHAPTER_PROFILES)
chosen = CHAPTER_PROFILES[PROFILE]
alphas = list(WIDTH_MULTIPLIERS or chosen["alphas"])
resolutions = list(RESOLUTIONS or chosen["resolutions"])
comparison_size = COMPARISON_RESOLUTION or chosen["comparison"]
runs = RUNS or chosen["runs"]
if not all(isinstance(a, (int, float)) and 0 < a <= 1 for a in alphas):
    raise ValueError(f"WIDTH_MULTIPLIERS must be numbers in (0, 1]; got {alphas}.")
if not all(isinstance(r, int) and r >= 32 for r in resolutions):
    raise ValueError(f"RESOLUTIONS must be whole numbers of pixels, at least 32; got {resolutions}.")
if not isinstance(comparison_size, int) or comparison_size < baselines.INCEPTION_MIN_SIZE:
    raise ValueError(f"COMPARISON_RESOLUTION must be a whole number >= {baselines.INCEPTION_MIN_SIZE} (InceptionV3's "
                     f"smallest input); got {comparison_size!r}.")  # fmt: skip
if not isinstance(runs, int) or runs < 5 or not isinstance(THREADS, int) or THREADS < 1:
    raise ValueError(f"RUNS must be an integer >= 5 and THREADS >= 1; got {runs!r} and {THREADS!r}.")
ROUNDS = 5  # every measurement interleaves its models over this many rounds (mnlib.deploy.latencies)
cpu = f"{platform.machine()}, {os.cpu_count()} logical cores"
load = ", ".join(f"{value:.1f}" for value in os.getloadavg())  # processes wanting a core, over 1, 5 and 15 minutes
print(f"Load average now: {load} (on {os.cpu_count()} cores: above that, other work competes for the CPU).")
print(f"Latency: median of {runs} single-image runs per model, LiteRT on {THREADS} thread(s), this machine's CPU ({cpu}).")
print(f"Grid: α in {alphas} × {resolutions} px; comparison at {comparison_size} px.")

# %% [markdown]
# ## 8.1 From Keras to LiteRT
#
# `mnlib.deploy.convert` turns a Keras model into a LiteRT *flatbuffer*, the
# single file an app ships. With Keras 3 the route goes through a SavedModel
# (`model.export`), which TensorFlow's converter reads; `convert(model)`
# keeps float32, `convert(model, "dynamic")` stores the weights as 8-bit
# integers (activations stay float), and `convert(model, "int8",
# representative_data=images)` makes everything 8-bit, inputs and outputs
# included: the converter runs the representative images through the
# network to choose, for every tensor, the scale and zero point that map its
# range of values onto the integers -128 to 127.
#
# `mnlib.deploy.latency` times one image through a Keras model or a
# flatbuffer in the same way: a few untimed calls (tracing, memory
# allocation), then `RUNS` timed ones, each feeding the image and reading the
# output back. It reports the median and the 10th and 90th percentiles. The
# machine that ran this page is shared with other work, so its speed drifts:
# `mnlib.deploy.latencies` times several models together, in interleaved
# rounds, so that a slow minute slows all of them alike and their ratios
# hold. Every comparison below is measured that way.
#
# ## 8.2 Latency against Mult-Adds over α × ρ
#
# Each network of the grid, with the paper's 1000-class classifier, is
# converted to float32 LiteRT; then all are timed together.

# %%
grid_flat, rows = {}, []
for alpha in alphas:
    for size in resolutions:
        net = models.mobilenet(alpha=alpha, input_shape=(size, size, 3), classes=1000)
        grid_flat[alpha, size] = deploy.convert(net)
        rows.append({"α": alpha, "px": size, "M Mult-Adds": costs.model_cost(net)["mult_adds"].sum() / 1e6,
                     "M params": net.count_params() / 1e6, "float32 MB": len(grid_flat[alpha, size]) / 1e6})
grid = pd.DataFrame(rows)
timed = deploy.latencies({(a, s): (grid_flat[a, s], (s, s, 3)) for a, s in grid_flat}, threads=THREADS, runs=runs,
                         rounds=ROUNDS)  # fmt: skip
grid[["median ms", "p10 ms", "p90 ms"]] = [[timed[a, s][k] for k in ("median_ms", "p10_ms", "p90_ms")]
                                          for a, s in zip(grid["α"], grid["px"])]  # fmt: skip

# %% [markdown]
# A straight line, latency $= a + b \times$ Mult-Adds, fitted by least
# squares: $b$ is the time per Mult-Add the CPU achieves on average, $a$ what
# a network would cost with none (the fixed cost of a call and of the layers
# that do no Mult-Adds). Each network's *residual* says how far it sits from
# the line, as a share of its own latency.

# %%
if len(grid) >= 2 and grid["M Mult-Adds"].nunique() >= 2:
    slope, intercept = np.polyfit(grid["M Mult-Adds"], grid["median ms"], 1)
    fitted = intercept + slope * grid["M Mult-Adds"]
    r2 = 1 - ((grid["median ms"] - fitted) ** 2).sum() / ((grid["median ms"] - grid["median ms"].mean()) ** 2).sum()
    grid["line ms"] = fitted
    grid["residual %"] = 100 * (grid["median ms"] - fitted) / grid["median ms"]
    print(f"latency ≈ {intercept:.2f} ms + {slope * 1000:.2f} ms per billion Mult-Adds; R² = {r2:.3f} over "
          f"{len(grid)} networks (this CPU, {THREADS} thread(s))")
    if intercept < 0:
        print("The intercept is negative, which no fixed cost can be: the large networks were slowed more than the "
              "small ones by other work on this machine (a long call is interrupted more often; see their spread).")
else:
    slope = intercept = r2 = None
    print("One network in the grid: no line to fit (give WIDTH_MULTIPLIERS or RESOLUTIONS two values or more).")
grid["G Mult-Adds / s"] = grid["M Mult-Adds"] / grid["median ms"]
grid.round(2)

# %%
with plt.rc_context(plots.STYLE):
    fig, ax = plt.subplots(figsize=(8, 4.5))
    markers = dict(zip(sorted(set(resolutions), reverse=True), "osD^vP*X"))
    colours = dict(zip(alphas, plt.cm.viridis(np.linspace(0, 0.85, len(alphas)))))
    for _, row in grid.iterrows():
        ax.errorbar(row["M Mult-Adds"], row["median ms"], fmt=markers[row["px"]], color=colours[row["α"]], ms=7,
                    yerr=[[row["median ms"] - row["p10 ms"]], [row["p90 ms"] - row["median ms"]]], capsize=3)
    if slope is not None:
        span = np.geomspace(grid["M Mult-Adds"].min() / 1.3, grid["M Mult-Adds"].max() * 1.3, 50)
        ax.plot(span, intercept + slope * span, color="grey", lw=1, ls="--",
                label=f"fit: {intercept:.2f} ms + {slope * 1000:.2f} ms per G Mult-Adds (R² {r2:.3f})")
    for alpha, colour in colours.items():
        ax.plot([], [], "o", color=colour, label=f"α = {alpha:g}")
    for size, marker in markers.items():
        ax.plot([], [], marker, color="black", mfc="none", label=f"{size} px")
    ax.set(xlabel="million Mult-Adds per image (1000 classes, log scale)", xscale="log", yscale="log",
           ylabel="latency (ms, log scale)\nmedian, bars: 10th-90th percentile")  # fmt: skip
    finding = f"a line in Mult-Adds explains R² = {r2:.2f} of the latency" if slope is not None else "one network"
    ax.set_title(f"LiteRT float32, {THREADS} thread(s), this CPU: {finding}")
    ax.legend(fontsize=9, ncol=2, loc="upper left")
    fig.tight_layout()
    plt.show()

# %% [markdown]
# Both axes are logarithmic, so that the small networks can be seen: the
# fitted straight line appears curved. The line is a good first answer when
# $R^2$ is close to 1, but the residuals of the table above show where it
# fails (on a shared machine, a network with a wide 10th-90th percentile bar
# was measured while something else ran, and its residual is partly noise): a network whose residual is
# positive is slower than its Mult-Adds predict. Both the intercept and
# the residuals come from the work that Mult-Adds leave out. To see it,
# split the time of one network by the layer kinds of the paper's Table 2:
# `mnlib.deploy.kind_latency` converts and times all the depthwise layers
# together, all the pointwise (1×1) layers together, the first full
# convolution and the classifier, each with its inputs at the sizes they
# have inside the network. A model that does next to nothing is timed with
# them: its latency is the fixed cost of a call ("call"), taken off each kind
# and counted once for the network. The time left, "rest", is the layers in
# between (padding, pooling, softmax), less what the whole network gains by
# running its layers back to back (each layer finds its input still in the
# CPU's cache, where a kind's model reads inputs of its own): it may be
# negative, which is why each kind's share of time is taken of the four
# kinds' sum.
#
# Two networks are split: the largest and the smallest of the grid.

# %%
def label(alpha, size):
    """The paper's name of a network: "0.75 MobileNet-224", "1.0 MobileNet-128"."""
    number = f"{alpha:.1f}" if alpha == round(alpha, 1) else f"{alpha:g}"
    return f"{number} MobileNet-{int(size)}"


largest = grid.loc[grid["M Mult-Adds"].idxmax()]
smallest = grid.loc[grid["M Mult-Adds"].idxmin()]
split_of = {}
for alpha, size in dict.fromkeys([(largest["α"], largest["px"]), (smallest["α"], smallest["px"])]):
    alpha, size = float(alpha), int(size)
    net = models.mobilenet(alpha=alpha, input_shape=(size, size, 3), classes=1000)
    split_of[label(alpha, size)] = deploy.kind_latency(net, threads=THREADS, runs=runs, rounds=ROUNDS,
                                                       tflite_model=grid_flat[alpha, size])
paper_shares = {kind: shares[0] for kind, shares in reference.PAPER["table_2"].items()}
kinds = pd.concat({name: frame for name, frame in split_of.items()}, names=["network", "kind"])
kinds["paper: Mult-Adds %"] = [paper_shares.get(kind) for _, kind in kinds.index]
kinds[["layers", "paper: Mult-Adds %", "mult_adds_%", "time_%", "median_ms", "gmult_adds_per_s"]].rename(columns={
    "mult_adds_%": "ours: Mult-Adds %", "time_%": "time %", "median_ms": "median ms",
    "gmult_adds_per_s": "G Mult-Adds / s"}).round(2)  # fmt: skip

# %% [markdown]
# The paper's Table 2 is for 1.0 MobileNet-224; our Mult-Adds shares are
# counted on the networks measured (`mnlib.costs.model_cost`). The
# milliseconds of one network here and in the grid's table were measured at
# different moments of a shared machine and need not agree; the shares and
# ratios within one table are what carries over. The last
# column is the speed at which each kind works: billions of Mult-Adds per
# second. A kind that works more slowly than the pointwise layers takes a
# larger share of the time than of the Mult-Adds. The figure sets the two
# shares side by side:

# %%
with plt.rc_context(plots.STYLE):
    fig, axes = plt.subplots(1, len(split_of), figsize=(4.6 * len(split_of), 3.8), squeeze=False)
    for ax, (name, frame) in zip(axes[0], split_of.items()):
        shown = frame.loc[list(deploy.KINDS)]
        position = np.arange(len(shown))
        ax.barh(position - 0.27, [paper_shares[k] for k in shown.index], 0.27, color="lightgrey",
                label="paper's Table 2: Mult-Adds (1.0 MobileNet-224)")
        ax.barh(position, shown["mult_adds_%"], 0.27, color="tab:blue", label="Mult-Adds, this network")
        ax.barh(position + 0.27, shown["time_%"], 0.27, color="tab:orange", label="LiteRT time, this network")
        ax.set(yticks=position, yticklabels=shown.index, xlabel="share (%)", xlim=(0, 105), title=name)
        ax.invert_yaxis()
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=3, fontsize=9, frameon=False)
    dw = {name: frame.loc["conv dw", "time_%"] / frame.loc["conv dw", "mult_adds_%"] for name, frame in split_of.items()}
    fig.suptitle("Depthwise layers' share of time is " + ", ".join(f"{v:.1f}×" for v in dw.values())
                 + " their share of Mult-Adds (" + ", ".join(dw) + ")")  # fmt: skip
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    plt.show()

# %%
for name, frame in split_of.items():
    pw, dwk = frame.loc["conv 1x1"], frame.loc["conv dw"]
    print(f"{name}: depthwise layers do {dwk['mult_adds_%']:.1f}% of the Mult-Adds in {dwk['time_%']:.1f}% of the "
          f"kinds' time ({dwk['gmult_adds_per_s']:.1f} G Mult-Adds/s), pointwise {pw['mult_adds_%']:.1f}% in "
          f"{pw['time_%']:.1f}% ({pw['gmult_adds_per_s']:.1f} G/s); network {frame.loc['network', 'median_ms']:.3f} ms "
          f"= kinds {frame.loc[list(deploy.KINDS), 'median_ms'].sum():.3f} + call {frame.loc['call', 'median_ms']:.3f} "
          f"+ rest {frame.loc['rest', 'median_ms']:.3f} ms")  # fmt: skip

# %% [markdown]
# Why a depthwise layer is slow for its Mult-Adds: a 3×3 depthwise filter
# does 9 Mult-Adds for every input value it reads, a pointwise layer with
# $M$ input channels does $M$ (64 to 1024 in MobileNet) — it does far more
# arithmetic per byte moved, which a CPU's vector units turn into speed.
# When α shrinks, the share of depthwise work grows (it scales with
# $\alpha$, the pointwise work with $\alpha^2$), and when the whole network
# shrinks, the fixed cost of a call and of the layers without Mult-Adds
# weighs more: both make a small network slower than its Mult-Adds alone
# predict. Whether, and by how much, on this CPU is in the lines just
# printed and in the grid's last column (billions of Mult-Adds per second
# of each whole network).
#
# ## 8.3 Float32, dynamic range, int8: size, latency, accuracy
#
# Quantisation needs a trained network: the accuracy cost of int8 is only
# meaningful for weights that have learnt something. The chapter takes one
# saved in the results folder (chapter 6 saves its Stanford Dogs MobileNet
# there); if there is none, it trains a small MobileNet with the course's
# harness and saves it, so a rerun loads it.

# %%
def saved_network(folder):
    """The record of a saved MobileNet in the results folder, chapter 6's first; None if there is none."""
    found = results.study(folder, model="mobilenet")
    found = found[[isinstance(f, str) and (folder / f).is_file() for f in found.get("model_file", [None] * len(found))]]
    if found.empty:
        return None
    found = found.assign(first=[0 if n == "06_stanford_dogs" else 1 for n in found.get("notebook", [None] * len(found))])
    order = ["first", "created"] if "created" in found.columns else ["first"]
    return found.sort_values(order, ascending=[True, False][: len(order)]).iloc[0]


def splits_of(record):
    """The training and validation splits a record's network was trained on (None if they cannot be had)."""
    layout = "stanford-dogs" if "stanford" in f"{record['dataset']}{record['notebook']}" else "tiny-imagenet"
    train_split, val_split, names = data.splits(record["dataset"], settings.data_dir, int(record["classes"]),
                                                layout=layout)
    recorded = record.get("class_names")
    if isinstance(recorded, list) and list(getattr(names, "readable", names)) != recorded:
        return None  # other classes than the network's: its accuracy could not be measured here
    return train_split, val_split


record = saved_network(settings.results_dir)
splits = splits_of(record) if record is not None else None
if splits is None:
    train_split, val_split, names = data.splits(settings.dataset, settings.data_dir, chosen["classes"])
    record = pd.Series(train.run(
        train_split, val_split, class_names=names, notebook="08_on_device", dataset=settings.dataset,
        classes=chosen["classes"], resolution=64, epochs=settings.epochs, batch_size=settings.batch_size,
        model_args={"alpha": chosen["fallback_alpha"]}, seed=SEED, profile=PROFILE,
        results_dir=settings.results_dir, save_model=True))  # fmt: skip
    splits = (train_split, val_split)
network = keras.models.load_model(settings.results_dir / record["model_file"])
on_standin = " (synthetic stand-in, smoke run)" if record["dataset"] == "synthetic" else ""
print(f"Measured: {record['id']} (trained by {record['notebook']}), {record['classes']} classes of "
      f"{record['dataset']}{on_standin}, {record['resolution']} px, top-1 {record['top1']:.1%} in its record.")

# %% [markdown]
# The validation images and about a hundred to a few hundred training images
# for the int8 calibration go through the network's own input pipeline
# (resized, scaled as in training, not augmented):

# %%
family = record["training"].get("family") or "mobilenet"
side = int(record.get("input_resolution") or record["resolution"])


def arrays(split, count=None, shuffle=False):
    """Images ``[N, side, side, 3]`` and labels of a split, as the network takes them."""
    batches = data.pipeline(split, resolution=side, family=family, batch_size=64, shuffle=shuffle, seed=SEED)
    images, labels = zip(*[(x.numpy(), y.numpy()) for x, y in batches])
    images, labels = np.concatenate(images), np.concatenate(labels)
    return (images, labels) if count is None else (images[:count], labels[:count])


val_images, val_labels = arrays(splits[1])
representative, _ = arrays(splits[0], chosen["representative"], shuffle=True)
print(f"{len(val_images)} validation images, {len(representative)} representative images, {side} px")

# %%
variants = {
    "Keras float32": network,
    "LiteRT float32": deploy.convert(network),
    "LiteRT dynamic range": deploy.convert(network, "dynamic"),
    "LiteRT int8": deploy.convert(network, "int8", representative_data=representative),
}
keras_predictions = network.predict(val_images, batch_size=64, verbose=0)
timed = deploy.latencies({name: (model, (side, side, 3)) for name, model in variants.items()}, threads=THREADS,
                         runs=runs, rounds=ROUNDS)  # fmt: skip
rows = {}
for name, model in variants.items():
    probabilities = keras_predictions if name.startswith("Keras") else deploy.predict(model, val_images)
    timing = timed[name]
    rows[name] = {
        "MB": deploy.size_bytes(model) / 1e6,
        "median ms": timing["median_ms"], "p10 ms": timing["p10_ms"], "p90 ms": timing["p90_ms"],
        "top-1": float(np.mean(probabilities.argmax(axis=1) == val_labels)),
        "same top-1 as Keras": float(np.mean(probabilities.argmax(axis=1) == keras_predictions.argmax(axis=1))),
        "max |Δp| vs Keras": float(np.abs(probabilities - keras_predictions).max()),
    }  # fmt: skip
quantised = pd.DataFrame(rows).T
quantised["× float32 size"] = quantised["MB"] / quantised.loc["LiteRT float32", "MB"]
quantised["speed-up vs float32"] = quantised.loc["LiteRT float32", "median ms"] / quantised["median ms"]
quantised.round(3)

# %% [markdown]
# The Keras size is the `.keras` file (weights and the optimizer's state);
# the others are the flatbuffers an app would ship. The Keras latency is
# TensorFlow's, on its own thread pool (all cores): TensorFlow is built for
# batches on servers, LiteRT's interpreter for one image on a small CPU, and
# for a single image most of TensorFlow's time goes into dispatching the
# call. The accuracy columns are
# on the validation images; "same top-1 as Keras" counts the images whose
# predicted class did not change, which says more than the difference of two
# accuracies when there are few images. The accuracy change of int8, in
# images:

# %%
float_top1, int8_top1 = quantised.loc["LiteRT float32", "top-1"], quantised.loc["LiteRT int8", "top-1"]
changed = round((1 - quantised.loc["LiteRT int8", "same top-1 as Keras"]) * len(val_images))
print(f"int8 top-1 {int8_top1:.1%} against float32 {float_top1:.1%}: {100 * (int8_top1 - float_top1):+.1f} points "
      f"({round((int8_top1 - float_top1) * len(val_images)):+d} of {len(val_images)} images); {changed} images changed "
      f"their predicted class{on_standin}")  # fmt: skip

# %% [markdown]
# Why dynamic range is about as small as int8: it stores the weights in 8
# bits, as int8 does, but computes in float32 (LiteRT dequantises the
# weights, or quantises each layer's activations on the fly), so it need
# not be faster than float32. Full-integer int8 computes in 8-bit integers
# end to end, which needs the representative images and costs the accuracy
# measured above. A network trained briefly, as the smoke profile's is, has
# small margins between its top classes, so rounding flips many of its
# predictions, right and wrong alike: the change of top-1 is the figure that
# counts.
# Whether int8 is faster than float32 on a given CPU depends on its integer
# vector instructions: phones' ARM cores have fast int8 dot products, and
# the speed-up column above is this CPU's.
#
# ## 8.4 MobileNet against VGG16 and InceptionV3
#
# Chapter 5 compared the three networks' accuracy; here their cost on the
# device, at the same input, with 1000 classes. VGG16 and InceptionV3 are
# the course's builds (`mnlib.baselines`: Keras' convolutional bodies under
# the report's two added layers, randomly initialised: weights' values do not
# change float32 latency), so their parameters are not exactly those of the
# paper's classifiers. Beside them, the paper's Mult-Adds at 224 px: Table 8
# for MobileNet and VGG16, Table 10 for InceptionV3 (5000 million Mult-Adds;
# the paper's Table 8 compares with GoogleNet, a different network, chapter 5).

# %%
PAPER_INCEPTION_V3_MULT_ADDS_M = 5000  # Howard et al. (2017), Table 10 (quoted, not measured)
paper = reference.paper_models().query("table in (4, 8)").set_index("model")["mult_adds_m"]
paper_m = {"MobileNet 1.0": paper["MobileNet"], "VGG16": paper["VGG 16"],
           "InceptionV3": PAPER_INCEPTION_V3_MULT_ADDS_M}  # fmt: skip
shape = (comparison_size, comparison_size, 3)
nets = {"MobileNet 1.0": models.mobilenet(alpha=1.0, input_shape=shape, classes=1000),
        "VGG16": baselines.baseline("vgg16", shape, 1000),
        "InceptionV3": baselines.baseline("inception_v3", shape, 1000)}  # fmt: skip
flats = {name: grid_flat.get((1.0, comparison_size)) if name.startswith("MobileNet") else None for name in nets}
flats = {name: flat or deploy.convert(nets[name]) for name, flat in flats.items()}  # MobileNet: the grid's, if there
timed = deploy.latencies({name: (flat, shape) for name, flat in flats.items()}, threads=THREADS, runs=runs,
                         rounds=ROUNDS)  # fmt: skip
rows = {}
for name, net in nets.items():
    timing = timed[name]
    rows[name] = {"M Mult-Adds": costs.model_cost(net)["mult_adds"].sum() / 1e6, "M params": net.count_params() / 1e6,
                  "float32 MB": len(flats[name]) / 1e6, "median ms": timing["median_ms"],
                  "p10 ms": timing["p10_ms"], "p90 ms": timing["p90_ms"],
                  "paper: M Mult-Adds (224 px)": paper_m[name]}  # fmt: skip
versus = pd.DataFrame(rows).T
versus["G Mult-Adds / s"] = versus["M Mult-Adds"] / versus["median ms"]
for column, what in (("M Mult-Adds", "Mult-Adds"), ("median ms", "latency"), ("float32 MB", "size"),
                     ("paper: M Mult-Adds (224 px)", "paper: Mult-Adds")):
    versus[f"{what} × MobileNet's"] = versus[column] / versus.loc["MobileNet 1.0", column]
print(f"{comparison_size} px, 1000 classes, float32 LiteRT, {THREADS} thread(s) on this CPU")
versus.round(2)

# %% [markdown]
# The paper's ratios are at 224 px for MobileNet and VGG16; its Table 10
# does not say at what size InceptionV3 was counted (Keras' InceptionV3
# takes 299 px), so that ratio compares unlike inputs. VGG16, a plain stack
# of convolutions like MobileNet, keeps about the same ratio at any size.
#
# Where a network's latency ratio falls short of its Mult-Adds ratio, it
# works faster per Mult-Add than MobileNet (the column "G Mult-Adds / s"):
# large, regular 3×3 convolutions are the kind of work a CPU does
# fastest, depthwise layers the kind it does slowest (§8.2). Where the
# latency ratio exceeds the Mult-Adds ratio, the network pays for work that
# Mult-Adds do not count (InceptionV3's many small branches, pooling and
# concatenations) or for less efficient layers. The size ratios follow the
# parameters, not the Mult-Adds: a convolution applies each weight at every
# position of its map, so VGG16 has many Mult-Adds per parameter, and the
# course's VGG16 has a 1024-unit hidden layer where the paper's has two of
# 4096 units (which hold most of its 138 million parameters, Table 8).
#
# ## Running the full measurement
#
# ```bash
# papermill notebooks/08_on_device.ipynb /tmp/08.ipynb -p PROFILE full
# papermill notebooks/08_on_device.ipynb out.ipynb -y "WIDTH_MULTIPLIERS: [0.5]" -y "RESOLUTIONS: [96]" -p RESULTS_DIR /tmp/o
# ```
#
# The full profile converts and times the paper's 20 networks of the grid
# and the three networks at 224 px: some minutes on a CPU (an estimate from
# the smoke run's times, not measured), no GPU needed, unless no saved network is found and it must
# first train one on Tiny ImageNet.
# `python benchmarks/latency.py` prints the same measurements as text. For a
# phone, write `deploy.convert(...)` to a `.tflite` file and time it with
# LiteRT's `benchmark_model` tool on the device.
#
# ## Closing note
#
# What this run measured, on this CPU (the numbers are printed by the cell
# below, from the tables above):

# %%
print(f"CPU: {cpu}, {THREADS} thread(s), median of {runs} runs; load average at the end: "
      + ", ".join(f"{value:.1f}" for value in os.getloadavg()))
fastest, slowest = grid.loc[grid["median ms"].idxmin()], grid.loc[grid["median ms"].idxmax()]
print(f"Grid of {len(grid)} MobileNets: from {fastest['median ms']:.2f} ms ({label(fastest['α'], fastest['px'])}) to "
      f"{slowest['median ms']:.2f} ms ({label(slowest['α'], slowest['px'])}).")
if slope is not None:
    print(f"Latency ≈ {intercept:.2f} ms + {slope * 1000:.2f} ms per billion Mult-Adds, R² = {r2:.3f}.")
for name, frame in split_of.items():
    print(f"{name}: depthwise {frame.loc['conv dw', 'mult_adds_%']:.1f}% of the Mult-Adds, "
          f"{frame.loc['conv dw', 'time_%']:.1f}% of the time (paper's Table 2: {paper_shares['conv dw']}% of the "
          f"Mult-Adds of 1.0 MobileNet-224).")  # fmt: skip
print(f"{record['id']}{on_standin}: float32 {quantised.loc['LiteRT float32', 'MB']:.2f} MB, "
      f"{quantised.loc['LiteRT float32', 'median ms']:.2f} ms, top-1 {float_top1:.1%}; dynamic range "
      f"{quantised.loc['LiteRT dynamic range', 'MB']:.2f} MB, {quantised.loc['LiteRT dynamic range', 'median ms']:.2f} ms; "
      f"int8 {quantised.loc['LiteRT int8', 'MB']:.2f} MB, {quantised.loc['LiteRT int8', 'median ms']:.2f} ms, top-1 "
      f"{int8_top1:.1%} ({100 * (int8_top1 - float_top1):+.1f} points).")  # fmt: skip
times = "{} × MobileNet's".format
for other in ("VGG16", "InceptionV3"):
    row = versus.loc[other]
    print(f"{other} at {comparison_size} px: {row[times('latency')]:.1f}× MobileNet's latency, "
          f"{row[times('size')]:.1f}× its size, {row[times('Mult-Adds')]:.1f}× its Mult-Adds "
          f"(the paper's Mult-Adds: {row[times('paper: Mult-Adds')]:.1f}×).")  # fmt: skip

# %% [markdown]
# ## Summary
#
# - Mult-Adds predict much of a MobileNet's latency on one CPU thread, not
#   all of it: how much, this run's $R^2$ says, and the residuals say where
#   the line fails.
# - The layer kinds work at different speeds: the depthwise layers, 3% of
#   the Mult-Adds of the paper's Table 2, use the CPU less well than the
#   pointwise ones and take a larger share of the time than of the
#   Mult-Adds (§8.2 measures by how much). The paper's argument in Mult-Adds
#   is a first approximation of speed, not a measurement of it.
# - Full-integer int8 stores the network in about a quarter to a third of
#   float32's bytes; its accuracy cost and speed-up are measured numbers of
#   this run, for this network on this CPU.
# - Against VGG16 and InceptionV3, MobileNet's advantage in time is
#   measured beside its advantage in Mult-Adds, in the same run.

# %% [markdown]
# ## Exercises
#
# Each exercise is checked on the spot by `mnlib.exercises`: replace `answer = None` with your answer
# (a number or a function, as the exercise says) and run the cell. A wrong answer gets a hint that says
# how it is off, never the answer; a function is run on cases you have not seen. In the full edition of
# the book a reference answer is folded under each exercise. The open questions at the end have no
# checker.

# %%
from mnlib import exercises  # the course's answer checker: exercises.check(id, answer)

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
parameters = models.mobilenet(alpha=1.0, input_shape=(224, 224, 3), classes=1000).count_params()
exercises.check("08.1", parameters / 1e6);  # one byte per parameter: a 32-bit bias is the four numbers it replaces

# %% [markdown]
# The number of parameters does not depend on the input size, so the grid's float32 size of any 1.0
# MobileNet, divided by four, gives about the same answer. Against the network this chapter quantised
# (§8.3), measured:

# %%
int8_mb = quantised.loc["LiteRT int8", "MB"]
print(f"{record['id']}{on_standin}: {network.count_params() / 1e6:.3f} million parameters; int8 flatbuffer "
      f"{int8_mb:.3f} MB measured, {int8_mb / (network.count_params() / 1e6):.2f}× one byte per parameter, "
      f"{quantised.loc['LiteRT int8', '× float32 size']:.2f}× the float32 flatbuffer")  # fmt: skip

# %% [markdown]
# Part of what the flatbuffer holds beside the weights, the description of the graph, does not
# shrink with the network: it is a larger share of a small network's bytes.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 08.2 Latency from the fitted line
# :label: ex-08-2
# :nonumber:
# ```
#
# §8.2 fitted latency $= a + b \times$ Mult-Adds over the grid. Write
# `line_ms(intercept_ms, ms_per_billion, alpha, size)` that returns the latency (ms) such a line
# predicts for MobileNet at width multiplier `alpha` and input `size` px, with the paper's 1000
# classes (count its Mult-Adds with `mnlib.costs`). Set `answer = line_ms`; then use it with this
# chapter's own fit to predict 0.75 MobileNet-96, a network the grid did not measure.

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
def line_ms(intercept_ms, ms_per_billion, alpha, size):
    net = models.mobilenet(alpha=alpha, input_shape=(size, size, 3), classes=1000)
    return intercept_ms + ms_per_billion * costs.model_cost(net)["mult_adds"].sum() / 1e9


exercises.check("08.2", line_ms)
if slope is not None:
    print(f"This chapter's line ({intercept:.2f} ms + {slope * 1000:.2f} ms per billion Mult-Adds) predicts "
          f"{line_ms(intercept, slope * 1000, 0.75, 96):.2f} ms for {label(0.75, 96)} on this CPU, {THREADS} "
          "thread(s): a prediction, not a measurement.")  # fmt: skip

# %% [markdown]
# To test the prediction, time the network with `deploy.latencies` beside one of the grid's (the
# machine's speed drifts, so measure both together) and compare with the line; §8.2's residuals say
# how far off to expect it for a network of that size.
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
    return (np.asarray(outputs).astype(np.float32) - zero_point) * scale  # in float: int8 would wrap around


exercises.check("08.3", dequantize);

# %% [markdown]
# On this chapter's int8 network, with LiteRT's interpreter called directly (its built-in kernels,
# without the XNNPACK delegate that `mnlib.deploy` uses), on the validation image it is surest of:

# %%
from ai_edge_litert.interpreter import Interpreter, OpResolverType

surest = int(deploy.predict(variants["LiteRT int8"], val_images).max(axis=1).argmax())
interpreter = Interpreter(model_content=variants["LiteRT int8"],
                          experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
interpreter.allocate_tensors()
given, returned = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
in_scale, in_zero = given["quantization"]
image = val_images[surest : surest + 1]
interpreter.set_tensor(given["index"], np.clip(np.round(image / in_scale + in_zero), -128, 127).astype(np.int8))
interpreter.invoke()
raw = interpreter.get_tensor(returned["index"])
scale, zero_point = returned["quantization"]
probabilities = dequantize(raw, scale, zero_point)
wrapped = (raw - zero_point) * scale  # the subtraction done in int8 (zero_point is a Python int)
print(f"first int8 outputs: {raw[0, :10].tolist()} (scale {scale:.6g} = 1/{1 / scale:.0f}, zero point {zero_point})")
print(f"dequantised in float: sum {probabilities.sum():.3f}, largest {probabilities.max():.3f}; "
      f"subtracted in int8: sum {wrapped.sum():.3f}, largest {wrapped.max():.3f}")
print(f"largest difference from mnlib.deploy.predict (XNNPACK's int8 kernels) on the same image: "
      f"{np.abs(probabilities - deploy.predict(variants['LiteRT int8'], image)).max():.4f}")  # fmt: skip

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
# The paper's Table 2 gives each layer kind's share of the Mult-Adds of 1.0 MobileNet-224
# (`reference.PAPER["table_2"]`, first number of each pair). What share, in percent, do the
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
half = 0.5  # α: depthwise, first convolution and classifier scale with α, pointwise with α²
scaled = {kind: share * (half**2 if kind == "conv 1x1" else half) for kind, share in paper_shares.items()}
exercises.check("08.4", 100 * scaled["conv dw"] / sum(scaled.values()));

# %% [markdown]
# Halving α roughly doubles the depthwise layers' share: they are the part of the network that shrinks
# more slowly. The kinds table of §8.2 counts the shares of the smallest network of the grid and
# measures the share of time beside them.
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
# for a 3×3 depthwise layer and for a 1×1 layer with $M$ input channels, the Mult-Adds done per number
# read and written, and use them to explain the gap. Would you expect the gap to grow or shrink at a
# smaller α? Compare your answer with the two networks of the kinds table.
# ```
#
# ```{exercise} Open question
# :label: ex-08-open-2
# :nonumber:
# §8.3's last column gives int8's speed-up over float32 on this x86 CPU. Give reasons why full-integer
# int8 need not be faster here (the vector instructions LiteRT's kernels can use on this CPU, the
# rescaling between layers, one image at a time), and predict, labelled as a prediction, what a phone's
# ARM CPU with int8 dot-product instructions would change. How would you test the prediction
# (LiteRT's `benchmark_model` on the device)?
# ```
#
# ```{exercise} Open question
# :label: ex-08-open-3
# :nonumber:
# The line of §8.2 has an intercept $a$. Which costs does it stand for, and why can a fit on a shared
# machine give a negative one? Propose a way to measure $a$ directly.
# ```
