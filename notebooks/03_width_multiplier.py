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
# # 3. Thinner: the width multiplier
#
# The width multiplier α keeps MobileNet's structure and gives every layer
# $\alpha$ times its channels; lesson 1 showed that this divides the Mult-Adds
# and the parameters by about $\alpha^2$. What does it cost in accuracy? The
# paper's answer on ImageNet (its Table 6) is "smoothly more as α falls". The
# report repeated the study on 10 Tiny ImageNet classes at 64 px (its Table 3
# and Figure 5) and compared a thinner network with a shallower one of similar
# size (its Table 2, the paper's Table 5).
#
# This lesson trains those networks the same way, writes one result record per
# run, and builds its tables and figures from the records. It also measures
# the effect the report credits with most of its accuracy: data augmentation.
#
# ```{note}
# With the default `PROFILE = "smoke"` the networks train for a few epochs on
# the **synthetic stand-in** for Tiny ImageNet (lesson "The datasets"), so the
# numbers below check the code, not MobileNet. Set `PROFILE = "full"` (on a GPU)
# for the real experiment on Tiny ImageNet.
# ```

# %%
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
PROFILE = "smoke"  # "smoke": 3 epochs on the synthetic stand-in (a few minutes on a 2-core CPU); "full": 30 epochs on Tiny ImageNet (use a GPU)
DATASET = None  # "synthetic" (stand-in, written to DATA_DIR) or "tiny-imagenet" (downloaded to DATA_DIR); None: the profile's choice
DATA_DIR = None  # folder of the datasets (downloads, extracted archives, stand-ins); None: data/ at the course root, or ./data outside the repository
RESULTS_DIR = None  # folder of the result records, None: results/ at the course root (or ./results); a configuration already recorded there is loaded, not retrained
CLASSES = 10  # number of Tiny ImageNet classes (the first k wnids), 2 to 200; the stand-in has 10
RESOLUTION = 64  # input size in pixels, at least 32 (Tiny ImageNet images are 64 px)
EPOCHS = None  # training epochs per network; None: the profile's (3 smoke, 30 full)
BATCH_SIZE = 64  # images per training step
SEED = 0  # seeds the initial weights, the data order and the augmentation
WIDTH_MULTIPLIERS = [1.0, 0.75, 0.5, 0.25]  # values of alpha to train, each in (0, 1]
SHALLOW = True  # when 0.75 is among the widths, also train the shallow MobileNet (paper Table 5)
AUGMENTATION_ABLATION = True  # also train the widest network without data augmentation

# %%
import mnlib  # first: imports TensorFlow quietly

import matplotlib.pyplot as plt
import pandas as pd

from mnlib import data, plots, reference, results, train
from mnlib.costs import model_cost
from mnlib.models import mobilenet

NOTEBOOK = "03_width_multiplier"
settings = train.study_settings(PROFILE, DATASET, EPOCHS, DATA_DIR, RESULTS_DIR)
DATASET, EPOCHS, DATA_DIR, RESULTS_DIR, STAND_IN = settings.values()

# %% [markdown]
# ## 3.1 The plan
#
# One run per width; the shallow network (α = 1 with the five
# $14 \times 14 \times 512$ blocks removed) if 0.75 is in the grid, since that
# is the width the paper and the report compare it with; and the widest network
# once more without augmentation. Every configuration is checked before the
# first one trains, so a typo in the grid fails now, not an hour from now.

# %%
# NBVAL_CHECK_OUTPUT
common = dict(notebook=NOTEBOOK, dataset=DATASET, classes=CLASSES, resolution=RESOLUTION, epochs=EPOCHS,
              batch_size=BATCH_SIZE, seed=SEED, profile=PROFILE, results_dir=RESULTS_DIR)
plan = [dict(model_args={"alpha": alpha}) for alpha in WIDTH_MULTIPLIERS]
if SHALLOW and 0.75 in WIDTH_MULTIPLIERS:
    plan.append(dict(model_args={"alpha": 1.0, "shallow": True}))
if AUGMENTATION_ABLATION and WIDTH_MULTIPLIERS:
    plan.append(dict(model_args={"alpha": max(WIDTH_MULTIPLIERS)}, augment=False))
for run in plan:
    train.check(**common, **run)
pd.DataFrame([{"shallow": False, **run["model_args"], "augment": run.get("augment", True)} for run in plan])

# %% [markdown]
# ## 3.2 Training
#
# `mnlib.train.run` builds each network (`mnlib.models.mobilenet`), streams the
# images through the input pipeline (`mnlib.data.pipeline`: resized to
# `RESOLUTION`, scaled to $[-1, 1]$ as MobileNet expects, augmented with random
# crops, flips and colour changes), trains from scratch with Adam and a cosine
# learning-rate schedule, evaluates top-1 and top-5 accuracy on the validation
# split, and writes a record into `RESULTS_DIR`. If a run is interrupted (a
# Colab disconnect), running the cell again resumes it from its last epoch;
# a configuration already recorded is loaded instead of retrained.

# %%
train_images, val_images, class_names = data.study_data(DATASET, DATA_DIR, CLASSES)
print(f"{DATASET}{STAND_IN}: {len(class_names)} classes, {EPOCHS} epochs per network")

# %%
for run in plan:
    train.run(train_images, val_images, **common, **run)

# %% [markdown]
# ## 3.3 Results, from the records
#
# The table reads every record of this lesson in `RESULTS_DIR` for this
# dataset, class count and resolution: the runs above, and any other widths
# run before (for example by a sweep). Beside each width are the paper's
# ImageNet top-1 (224 px, 1000 classes) and the report's accuracy (64 px, 10
# classes), where they exist. They measure other tasks: compare the *trend*,
# not the values.

# %%
records = results.study(RESULTS_DIR, notebook=NOTEBOOK, dataset=DATASET, classes=CLASSES,
                        resolution=RESOLUTION, profile=PROFILE)
widths = records[~records["shallow"] & records["augment"]].sort_values("alpha", ascending=False)

paper = reference.paper_models().query("table == 6").set_index("alpha")["top1"]
report = reference.report_width().set_index("alpha")["accuracy"]
table = widths.set_index("label")[["alpha", "params_m", "mult_adds_m", "top1", "top5", "epochs", "seconds"]]
table["paper top-1 (ImageNet)"] = [paper.get(a, float("nan")) / 100 for a in table["alpha"]]
table["report accuracy"] = [report.get(a, float("nan")) for a in table["alpha"]]
table.round(3)

# %% [markdown]
# Accuracy against cost, on log axes, with the paper's and the report's figures
# beside ours. The report's parameter counts are those of lesson 1 (the
# network without classifier); its Mult-Adds are not given, so they are placed
# at the Mult-Adds of its models at 64 px.

# %%
report_points = reference.report_width()
report_points["mult_adds_m"] = [
    model_cost(mobilenet(alpha=a, input_shape=(64, 64, 3), classes=10))["mult_adds"].sum() / 1e6
    for a in report_points["alpha"]]
paper_points = reference.paper_models().query("table == 6").assign(top1=lambda d: d["top1"] / 100)

fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
for ax, x, paper_x, label in [(axes[0], "params_m", "params_m", "million parameters (log scale)"),
                              (axes[1], "mult_adds_m", "mult_adds_m", "million Mult-Adds per image (log scale)")]:
    plots.tradeoff(ax, widths, x=x, y="top1", annotate="alpha",
                   label=f"ours: {CLASSES} classes, {RESOLUTION} px{STAND_IN}")
    plots.tradeoff(ax, report_points, x=x, y="accuracy", annotate="alpha", marker="s", linestyle="--",
                   label="report: 10 Tiny ImageNet classes, 64 px")
    plots.tradeoff(ax, paper_points, x=paper_x, y="top1", annotate="alpha", marker="^", linestyle=":",
                   label="paper: ImageNet, 1000 classes, 224 px")
    shallow = records[records["shallow"]]
    if len(shallow):
        plots.tradeoff(ax, shallow, x=x, y="top1", line=False, marker="*", markersize=12,
                       label="ours: shallow MobileNet")
    plots.chance(ax, CLASSES)
    ax.set(xlabel=label)
axes[0].set_ylabel("top-1 accuracy")
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8)
widest, thinnest = widths.iloc[0], widths.iloc[-1]
fig.suptitle(f"α {widest['alpha']:g} → {thinnest['alpha']:g}: {widest['mult_adds_m'] / thinnest['mult_adds_m']:.0f}x "
             f"fewer Mult-Adds, our top-1 {widest['top1']:.0%} → {thinnest['top1']:.0%}" + STAND_IN)
fig.tight_layout(rect=(0, 0.1, 1, 1))
plt.show()

# %% [markdown]
# The validation accuracy after each epoch shows whether the runs had finished
# learning; a curve still rising at the end means more epochs would help.

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
plots.learning_curves(ax, records.sort_values("label"), label="label")
plots.chance(ax, CLASSES)
ax.set(ylabel="validation top-1", title=f"Validation accuracy per epoch{STAND_IN}")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## 3.4 Narrow or shallow?
#
# The paper's Table 5 asks which is the better way to shrink MobileNet to a
# given size: make it thinner (α = 0.75) or remove layers (the shallow
# network)? On ImageNet the thinner network won, 68.4% against 65.3% top-1 at
# similar cost; the report found 0.73 against 0.67 on its 10 classes (its
# Table 2).

# %%
narrow_shallow = records[records["augment"] & ((records["alpha"] == 0.75) | records["shallow"])]
if len(narrow_shallow) == 2:
    comparison = narrow_shallow.set_index("label")[["params_m", "mult_adds_m", "top1"]]
    paper_5 = reference.paper_models().query("table == 5").set_index("shallow")
    comparison["paper top-1"] = [paper_5.loc[s, "top1"] / 100 for s in narrow_shallow["shallow"]]
    comparison["paper M params"] = [paper_5.loc[s, "params_m"] for s in narrow_shallow["shallow"]]
    comparison["report accuracy"] = [reference.REPORT["narrow_vs_shallow"]["Shallow MobileNet-64" if s else
                                                                           "0.75 MobileNet-64"][0]
                                     for s in narrow_shallow["shallow"]]
    display(comparison.round(3))
else:
    print("Narrow vs shallow needs alpha 0.75 in WIDTH_MULTIPLIERS and SHALLOW = True.")

# %% [markdown]
# ## 3.5 Augmentation
#
# The report says that augmenting the training images raised its 10-class test
# accuracy from about 50% to about 90%: a far larger effect than any
# architecture change it studied. Here is the same network trained with and
# without augmentation (random crops, flips and colour jitter; see
# `mnlib.data.AUGMENTATION`):

# %%
widest = records[~records["shallow"] & (records["alpha"] == records["alpha"].max())]
if widest["augment"].nunique() == 2:
    ablation = widest.set_index("label")[["top1", "top5", "epochs"]]
    ablation["final training top-1"] = [h["top1"][-1] for h in widest["history"]]
    display(ablation.round(3))
    fig, ax = plt.subplots(figsize=(7, 3.5))
    plots.learning_curves(ax, widest, label="label", metric="val_top1")
    gap = widest.set_index("augment")["top1"]
    ax.set(ylabel="validation top-1", title=f"Augmentation changes validation top-1 by "
           f"{100 * (gap[True] - gap[False]):+.0f} points{STAND_IN}")
    ax.legend(fontsize=8)
    plt.show()
else:
    print("The ablation needs AUGMENTATION_ABLATION = True.")

# %% [markdown]
# Augmentation pays off when the training set is small for the network: Tiny
# ImageNet has 500 training images per class, and MobileNet 1.0 has over three
# million weights. A network that sees the same images every epoch learns them
# by heart; the gap between the final training accuracy and the validation
# accuracy in the table measures how far it has got. In a run of a few epochs
# the picture can be the reverse: augmentation makes the training task harder,
# so it slows early progress, and its benefit appears only once the network
# without it starts to memorise. That is why the report's 50% → 90% needs the
# full profile to be checked.
#
# ## What the full run shows, and how to get it
#
# Run this notebook with `PROFILE = "full"` on a GPU (on Colab: *Runtime →
# Change runtime type → GPU*): it downloads Tiny ImageNet (248 MB) once into
# `DATA_DIR` and trains the six networks for 30 epochs each on 10 classes
# (5,000 training images). We have not timed it on a GPU; the input pipeline
# alone sustains a few thousand augmented images per second on two CPU cores
# (`benchmarks/pipeline_throughput.py`), which bounds an epoch to a few seconds,
# so expect minutes per network rather than the report's 20.
#
# Headless, with papermill, for other widths (the table then shows exactly
# these):
#
# ```bash
# cd notebooks
# papermill 03_width_multiplier.ipynb /tmp/03.ipynb -y "WIDTH_MULTIPLIERS: [0.6, 0.35]" -p RESULTS_DIR /tmp/r
# ```
#
# and for a whole grid of widths and resolutions, keeping every executed
# notebook and all records in one folder:
#
# ```bash
# python tools/sweep.py notebooks/03_width_multiplier.ipynb \
#     --grid 'WIDTH_MULTIPLIERS=[[1.0], [0.75], [0.5], [0.25]]' --grid 'RESOLUTION=[64, 52, 44, 36]' \
#     -p PROFILE full --out results/width-x-resolution
# ```
