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
# # 4. Smaller images: the resolution multiplier
#
# The resolution multiplier ρ leaves the network alone and feeds it smaller
# images: every feature map shrinks by ρ, the Mult-Adds by about $\rho^2$, and
# the parameters not at all (lesson 1). The paper trained MobileNet at 224,
# 192, 160 and 128 px (its Table 7). The report, starting from Tiny ImageNet's
# 64-px images, trained at 64, 52, 44 and 36 px (its Table 4 and Figure 6).
#
# This lesson trains the same network at each size, builds the table and the
# figure from the result records, and relates the report's sizes to the
# paper's.
#
# ```{note}
# With the default `PROFILE = "smoke"` the networks train for a few epochs on
# the **synthetic stand-in** for Tiny ImageNet, so the numbers below check the
# code, not MobileNet. Set `PROFILE = "full"` (on a GPU) for the real
# experiment on Tiny ImageNet.
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
RESOLUTIONS = [64, 52, 44, 36]  # input sizes in pixels to train at, each at least 32 (the images are resized)
ALPHA = 1.0  # width multiplier alpha of every network, in (0, 1]
EPOCHS = None  # training epochs per network; None: the profile's (3 smoke, 30 full)
BATCH_SIZE = 64  # images per training step
SEED = 0  # seeds the initial weights, the data order and the augmentation

# %%
import mnlib  # first: imports TensorFlow quietly

import matplotlib.pyplot as plt
import pandas as pd

from mnlib import data, plots, reference, results, train
from mnlib.costs import model_cost
from mnlib.models import mobilenet

NOTEBOOK = "04_resolution_multiplier"
settings = train.study_settings(PROFILE, DATASET, EPOCHS, DATA_DIR, RESULTS_DIR)
DATASET, EPOCHS, DATA_DIR, RESULTS_DIR, STAND_IN = settings.values()

# %% [markdown]
# ## 4.1 The report's sizes and the paper's
#
# The report chose its sizes so that $\rho = r / 64$ would echo the paper's
# ratios $192/224$, $160/224$ and $128/224$. They are close, not equal; the
# table puts them side by side, with the last feature map each size leaves
# (read from the built network) and the cost of one image:

# %%
# NBVAL_CHECK_OUTPUT
paper_sizes = [224, 192, 160, 128]
rows = []
for size in sorted(set(RESOLUTIONS) | {64, 52, 44, 36}, reverse=True):
    body = mobilenet(alpha=ALPHA, input_shape=(size, size, 3), include_top=False)
    rho = size / 64
    nearest = min(paper_sizes, key=lambda p: abs(p / 224 - rho))
    rows.append({"resolution": size, "rho = r / 64": round(rho, 4), "paper size with closest rho": nearest,
                 "paper rho": round(nearest / 224, 4), "last feature map": tuple(body.output.shape[1:3]),
                 "million Mult-Adds": round(model_cost(mobilenet(alpha=ALPHA, input_shape=(size, size, 3),
                                                                 classes=CLASSES))["mult_adds"].sum() / 1e6, 1),
                 "trained here": size in RESOLUTIONS})
pd.DataFrame(rows).set_index("resolution")

# %% [markdown]
# Look at the last feature map. At 64 px the network ends on a $2 \times 2$
# map; at every smaller size of the report it ends on a single pixel. A
# stride-2 depthwise layer pads one row and one column and then convolves
# without padding, so an odd-sized map is rounded *down*: from 52 px the sides
# go 26, 13, 6, 3 and finally 1. The last blocks then see one pixel, and their
# $3 \times 3$ depthwise filters reduce to their centre weight. Smaller inputs
# therefore lose spatial detail twice: in the images themselves (lesson "The
# datasets" shows the fine texture that tells some classes apart fading), and
# in the network, whose late layers no longer see any layout at all.
#
# ## 4.2 Training
#
# One network per size, all with the same width, trained exactly as in lesson
# 3 (`mnlib.train.run`); the pipeline resizes the 64-px images to each size.
# Every configuration is checked before the first trains.

# %%
common = dict(notebook=NOTEBOOK, dataset=DATASET, classes=CLASSES, epochs=EPOCHS, batch_size=BATCH_SIZE,
              seed=SEED, profile=PROFILE, results_dir=RESULTS_DIR, model_args={"alpha": ALPHA})
for size in RESOLUTIONS:
    train.check(**common, resolution=size)
train_images, val_images, class_names = data.study_data(DATASET, DATA_DIR, CLASSES)
print(f"{DATASET}{STAND_IN}: {len(class_names)} classes, {EPOCHS} epochs per network")

# %%
for size in RESOLUTIONS:
    train.run(train_images, val_images, **common, resolution=size)

# %% [markdown]
# ## 4.3 Results, from the records
#
# Every record of this lesson for this dataset, class count and width, with
# the report's accuracy at the same size and the paper's ImageNet top-1 at the
# paper size of closest ρ. As in lesson 3, the three columns measure different
# tasks: compare the trends.

# %%
records = results.study(RESULTS_DIR, notebook=NOTEBOOK, dataset=DATASET, classes=CLASSES, profile=PROFILE)
records = records[records["alpha"] == ALPHA].sort_values("resolution", ascending=False)
paper = reference.paper_models().query("table == 7").set_index("resolution")["top1"]
report = reference.report_resolution().set_index("resolution")["accuracy"]
table = records.set_index("label")[["resolution", "params_m", "mult_adds_m", "top1", "top5", "epochs", "seconds"]]
table["report accuracy"] = [report.get(r, float("nan")) for r in table["resolution"]]
table["paper top-1 at closest rho"] = [
    paper[min(paper_sizes, key=lambda p: abs(p / 224 - r / 64))] / 100 for r in table["resolution"]]
table.round(3)

# %%
report_points = reference.report_resolution()
report_points["mult_adds_m"] = [
    model_cost(mobilenet(input_shape=(r, r, 3), classes=10))["mult_adds"].sum() / 1e6
    for r in report_points["resolution"]]
paper_points = reference.paper_models().query("table == 7").assign(top1=lambda d: d["top1"] / 100)

fig, ax = plt.subplots(figsize=(8, 5))
plots.tradeoff(ax, records, x="mult_adds_m", y="top1", annotate="resolution",
               label=f"ours: α {ALPHA:g}, {CLASSES} classes{STAND_IN}")
plots.tradeoff(ax, report_points, x="mult_adds_m", y="accuracy", annotate="resolution", marker="s",
               linestyle="--", label="report: α 1, 10 Tiny ImageNet classes")
plots.tradeoff(ax, paper_points, x="mult_adds_m", y="top1", annotate="resolution", marker="^", linestyle=":",
               label="paper: α 1, ImageNet, 1000 classes")
plots.chance(ax, CLASSES)
largest, smallest = records.iloc[0], records.iloc[-1]
ax.set(xlabel="million Mult-Adds per image (log scale); labels: input size in px", ylabel="top-1 accuracy",
       title=f"{largest['resolution']} → {smallest['resolution']} px: "
             f"{largest['mult_adds_m'] / smallest['mult_adds_m']:.1f}x fewer Mult-Adds, "
             f"our top-1 {largest['top1']:.0%} → {smallest['top1']:.0%}{STAND_IN}")
ax.title.set_fontsize(10)
ax.legend(fontsize=8)
plt.show()

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
plots.learning_curves(ax, records, label="label")
plots.chance(ax, CLASSES)
ax.set(ylabel="validation top-1", title=f"Validation accuracy per epoch{STAND_IN}")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Width or resolution?
#
# Both multipliers cut the Mult-Adds; only α cuts the parameters. The paper's
# Figure 4 and Tables 6-7 show that for the same Mult-Adds, the two cost
# ImageNet accuracy at similar rates (lesson 1 plots them together). Lessons 3
# and 4 write their records into the same folder, so a sweep over both (see
# lesson 3) gives one table of the whole $\alpha \times \rho$ grid.
#
# Headless, for other sizes:
#
# ```bash
# cd notebooks
# papermill 04_resolution_multiplier.ipynb /tmp/04.ipynb -y "RESOLUTIONS: [64, 48, 32]" -p PROFILE full
# ```
