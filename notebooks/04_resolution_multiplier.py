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
# # 4. Smaller images: the resolution multiplier
#
# The resolution multiplier ρ leaves the network alone and feeds it smaller
# images: every feature map shrinks by ρ, the Mult-Adds by about $\rho^2$, and
# the parameters not at all (chapter 1). The paper trained MobileNet at 224,
# 192, 160 and 128 px (its Table 7). The report, starting from Tiny ImageNet's
# 64-px images, trained at 64, 52, 44 and 36 px (its Table 4 and Figure 6).
#
# This chapter trains the same network at each size, builds the table and the
# figure from the result records, and relates the report's sizes to the
# paper's.
#
# ```{note}
# With the default `PROFILE = "smoke"` the networks train for a few epochs on
# the **synthetic stand-in** for Tiny ImageNet (chapter 0). Half of what tells
# its classes apart is fine stripes that shrinking the image blurs away, the
# other half shapes and colours that survive: it was built to show the
# resolution effect, so its numbers show the stand-in's trend, not MobileNet's
# accuracy on real images. Set `PROFILE = "full"` (on a GPU) for the real
# experiment on Tiny ImageNet.
# ```

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you will be able to:
# * train MobileNet at several input sizes and read the accuracy against cost from records;
# * say why Mult-Adds fall by about ρ² while the parameters do not change, and where ρ² is not exact;
# * choose α and ρ together for a Mult-Adds budget;
# * work out the input sizes at which the last feature maps become 2 × 2 or a single pixel.
#
# **Prerequisites**: chapter 3 (the width study and its records); chapter 2's feature-map sizes.
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
# "smoke": a few epochs on the synthetic stand-in (minutes on a 2-core CPU);
# "full": 30 epochs on Tiny ImageNet, three seeds per size (use a GPU)
PROFILE = "smoke"
# "synthetic" (stand-in, written to DATA_DIR) or "tiny-imagenet"
# (downloaded to DATA_DIR); None: the profile's choice
DATASET = None
# folder of the datasets (downloads, extracted archives, stand-ins);
# None: data/ at the course root, or ./data outside the repository
DATA_DIR = None
# folder of the result records; None: results/ at the course root (or
# ./results); a configuration already recorded there (e.g. by chapter 3)
# is loaded, not retrained
RESULTS_DIR = None
# number of Tiny ImageNet classes (the first k wnids), 2 to 200;
# the stand-in has 10
CLASSES = 10
# input sizes in pixels to train at, each at least 32 (the images are
# resized); None: the profile's ([64, 36] smoke, [64, 52, 44, 36] full)
RESOLUTIONS = None
# width multiplier α of every network, in (0, 1]
ALPHA = 1.0
# training epochs per network; None: the profile's (4 smoke, 30 full)
EPOCHS = None
# images per training step; None: the profile's (32 smoke, 64 full)
BATCH_SIZE = None
# one run per seed and size; None: the profile's ([0] smoke,
# [0, 1, 2] full); several seeds give each accuracy a mean and an interval
SEEDS = None

# %%
from mnlib import costs, data, plots, reference, study_verdicts, tables, train
from mnlib.models import mobilenet

import matplotlib.pyplot as plt
import pandas as pd

settings = train.study_settings(
    profile=PROFILE, dataset=DATASET, epochs=EPOCHS, batch_size=BATCH_SIZE,
    data_dir=DATA_DIR, results_dir=RESULTS_DIR,
)
full = settings.profile == "full"
seeds = SEEDS or ([0, 1, 2] if full else [0])
sizes = RESOLUTIONS or ([64, 52, 44, 36] if full else [64, 36])
print(f"{settings.dataset}{settings.caption}: {settings.epochs} epochs, "
      f"batches of {settings.batch_size}, seeds {seeds}, sizes {sizes} px")

# %% [markdown]
# ## 4.1 The report's sizes and the paper's
#
# The report chose its sizes so that $\rho = r / 64$ would echo the paper's
# ratios $192/224$, $160/224$ and $128/224$. They are close, not equal; the
# table puts them side by side (`costs.closest_paper_resolution` finds the
# paper's size of nearest ρ), with the last feature map each size leaves
# (read from the built network) and the cost of one image:

# %%
# NBVAL_CHECK_OUTPUT
rows = []
for size in sorted(set(sizes) | {64, 52, 44, 36}, reverse=True):
    network = mobilenet(alpha=ALPHA, input_shape=(size, size, 3),
                        classes=CLASSES)
    last = network.get_layer("conv_pw_13_relu").output.shape[1:3]
    paper = costs.closest_paper_resolution(size)
    rows.append({
        "resolution": size,
        "rho = r / 64": round(size / 64, 4),
        "paper size with closest rho": paper,
        "paper rho": round(paper / 224, 4),
        "last feature map": tuple(last),
        "million Mult-Adds": round(
            costs.model_total(network).mult_adds / 1e6, 1),
        "trained here": size in sizes,
    })
pd.DataFrame(rows).set_index("resolution")

# %% [markdown]
# Look at the last feature map. At 64 px the network ends on a $2 \times 2$
# map; at every smaller size of the report it ends on a single pixel. A
# stride-2 depthwise layer pads one row and one column and then convolves
# without padding, so an odd-sized map is rounded *down*: from 52 px the sides
# go 26, 13, 6, 3 and finally 1. The last blocks then see one pixel, and their
# $3 \times 3$ depthwise filters reduce to their centre weight. Smaller inputs
# therefore lose spatial detail twice: in the images themselves (chapter 0
# shows the fine texture that tells some classes apart fading), and in the
# network, whose late layers no longer see any layout at all.
#
# ## 4.2 Training
#
# One network per size, all with the same width, trained exactly as in
# chapter 3 (`mnlib.train.run`); the pipeline resizes the 64-px images to each
# size. The smoke profile trains two sizes, 64 and 36 px (the report's largest
# and smallest), with one seed, to stay within a few minutes; the full profile
# trains all four with three seeds. Every configuration is checked before the
# first trains. The network at 64 px is the same configuration as chapter 3's
# α = 1: if chapter 3 ran first into the same results folder, its record is
# loaded here, not trained again.

# %%
common = dict(
    notebook="04_resolution_multiplier", dataset=settings.dataset,
    classes=CLASSES, epochs=settings.epochs, batch_size=settings.batch_size,
    profile=PROFILE, results_dir=settings.results_dir,
    model_args={"alpha": ALPHA},
)
for size in sizes:
    for seed in seeds:
        train.check(**common, resolution=size, seed=seed)
train_images, val_images, class_names = data.study_data(
    settings.dataset, settings.data_dir, CLASSES)
print(train.device_notice())

# %%
for size in sizes:
    for seed in seeds:
        train.run(train_images, val_images, **common, resolution=size,
                  seed=seed, class_names=class_names)

# %% [markdown]
# ## 4.3 Results, from the records
#
# Every record in the results folder for this dataset, class count, width and
# training budget, each accuracy with its 95 % interval (as in chapter 3:
# Wilson's over the validation images for one seed, Student's t over the
# seeds for several), with the report's accuracy at the same size and the
# paper's ImageNet top-1 at the paper size of closest ρ. As in chapter 3, the
# three columns measure different tasks: compare the trends.

# %%
records = tables.study(
    settings.results_dir, dataset=settings.dataset, classes=CLASSES,
    profile=PROFILE, epochs=settings.epochs, batch_size=settings.batch_size,
    model="mobilenet", alpha=ALPHA, shallow=False, augment=True,
)
summary = tables.summarize(records).sort_values("resolution",
                                                ascending=False)
summary = summary.set_index("label")
intervals = study_verdicts.accuracies(records, summary.index)
summary = summary.join(intervals[["top1_low", "top1_high", "interval",
                                  "chance"]])
paper_alpha_1 = reference.paper_models().query(
    "table in (6, 7) and alpha == 1.0").drop_duplicates("resolution")
paper_7 = paper_alpha_1.set_index("resolution")["top1"]
table = summary[["resolution", "params_m", "mult_adds_m", "interval",
                 "seeds", "seconds"]]
table = tables.with_reference(
    table, "report accuracy",
    reference.report_resolution().set_index("resolution")["accuracy"],
    key="resolution")
table = tables.with_reference(
    table, "paper top-1 at closest rho",
    lambda r: paper_7[costs.closest_paper_resolution(r)],
    key="resolution", scale=0.01)
table.round(3)

# %% [markdown]
# Is each network above chance? A comparison with a network at chance says
# nothing:

# %%
for label, verdict in summary["chance"].items():
    print(f"{label}: {verdict}")

# %% [markdown]
# Each smaller size against the next larger one, on the same validation
# images (McNemar's test on the images one gets right and the other wrong,
# `mnlib.stats.paired`, as in chapter 3); the words are chosen by the numbers:

# %%
for line in study_verdicts.steps(
        records, summary.index, [f"{r} px" for r in summary["resolution"]]):
    print(line)

# %%
paper_points = paper_alpha_1.assign(top1=lambda d: d["top1"] / 100)
largest, smallest = summary.iloc[0], summary.iloc[-1]
saving = largest["mult_adds_m"] / smallest["mult_adds_m"]
figure = plots.tradeoff_figure(
    summary,
    [plots.Series(reference.report_resolution(), "accuracy",
                  "report: α 1, 10 Tiny ImageNet classes",
                  annotate="resolution",
                  style={"marker": "s", "linestyle": "--"}),
     plots.Series(paper_points, "top1",
                  "paper: α 1, ImageNet, 1000 classes",
                  annotate="resolution",
                  style={"marker": "^", "linestyle": ":"})],
    label=f"ours: α {ALPHA:g}, {CLASSES} classes{settings.caption}",
    xs=("mult_adds_m",), annotate="resolution", classes=CLASSES,
    xlabels={"mult_adds_m": "million Mult-Adds per image (log scale); "
                            "labels: input size in px"},
    title=f"{largest['resolution']} → {smallest['resolution']} px: "
          f"{saving:.1f}x fewer Mult-Adds; our top-1 with its 95 % "
          f"interval{settings.caption}",
)
plt.show()

# %%
fig, ax = plt.subplots(figsize=(8, 4.2))
plots.chance(ax, CLASSES)
first_seed = records[records["seed"] == seeds[0]]
plots.learning_curves(
    ax, first_seed.sort_values("resolution", ascending=False),
    label="label", train_metric="top1")
ax.set(ylabel="top-1 accuracy",
       title=f"Accuracy per epoch (validation solid, training dashed), "
             f"seed {seeds[0]}{settings.caption}")
plt.show()

# %% [markdown]
# ## Width or resolution?
#
# Both multipliers cut the Mult-Adds; only α cuts the parameters. The paper's
# Figure 4 and Tables 6-7 show that for the same Mult-Adds, the two cost
# ImageNet accuracy at similar rates (chapter 1 plots them together). Chapters
# 3 and 4 write their records into the same folder, so the table below is the
# whole $\alpha \times \rho$ grid trained so far, from every record there
# with this dataset, class count and budget (a sweep over both, see chapter 3,
# fills it in), each cell with its interval.

# %%
everything = tables.study(
    settings.results_dir, dataset=settings.dataset, classes=CLASSES,
    profile=PROFILE, epochs=settings.epochs, batch_size=settings.batch_size,
    model="mobilenet", shallow=False, augment=True,
)
grid = tables.summarize(everything).set_index("label")
grid["top-1 (95 % interval)"] = study_verdicts.accuracies(
    everything, grid.index)["interval"]
cells = grid.pivot_table(index="alpha", columns="resolution",
                         values="top-1 (95 % interval)", aggfunc="first")
cells.sort_index(ascending=False).fillna("not trained")

# %% [markdown]
# Headless, for other sizes:
#
# ```bash
# papermill notebooks/04_resolution_multiplier.ipynb /tmp/04.ipynb \
#     -y "RESOLUTIONS: [64, 48, 32]" -p PROFILE full
# ```
#
# ## Summary
#
# - ρ shrinks every feature map; Mult-Adds fall by about ρ², parameters not at all.
# - At the report's sizes below 64 px, MobileNet's last blocks see a single
#   pixel: the network loses layout as well as the image's detail.
# - Every accuracy carries its interval and every step of ρ is a paired test
#   on the same validation images: the verdict lines of §4.3, not the prose,
#   say which differences this run can tell from noise (with one seed, seed
#   variance is left out; the full profile's three seeds bring it in). The
#   paper's ImageNet figures fall steadily from 224 to 128 px.

# %% [markdown]
# ## Exercises
#
# Each exercise is checked on the spot by `mnlib.exercises`: replace `answer = None` with your answer
# (a number, a tuple or a function, as the exercise says) and run the cell. A wrong answer gets a hint
# that says how it is off, never the answer; a function is run on cases you have not seen. In the
# full edition of the book a reference answer is folded under each exercise. The open questions at the
# end have no checker.

# %%
# the course's answer checker: exercises.check(id, answer)
from mnlib import exercises

# %% [markdown]
# ```{exercise-start} 04.1 What 52 px saves
# :label: ex-04-1
# :nonumber:
# ```
#
# At α = 1 with 10 classes, what fraction of the 64 px network's Mult-Adds does the 52 px
# network need? $\rho^2 = (52/64)^2 \approx 0.66$ is the first guess; count both networks and answer
# with the count.

# %%
answer = None  # your answer
exercises.check("04.1", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-04-1
# :class: dropdown
# ```

# %%
at_52 = costs.model_total(mobilenet(1.0, (52, 52, 3), 10)).mult_adds
at_64 = costs.model_total(mobilenet(1.0, (64, 64, 3), 10)).mult_adds
exercises.check("04.1", at_52 / at_64);

# %% [markdown]
# Far below $\rho^2$: chapter 2's exercise 02.1 shows why. At 52 px the maps after block 4 are 6, 3
# and 1 pixels, not the 6.5, 3.25 and 1.6 that ρ predicts.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 04.2 α and ρ for a budget
# :label: ex-04-2
# :nonumber:
# ```
#
# Write `best_under(budget_m)`: among α in (1.0, 0.75, 0.5, 0.25) and input sizes (64, 52,
# 44, 36) px, 10 classes, return the pair `(alpha, size)` whose network has the most Mult-Adds not
# above `budget_m` million, or `None` if none fits. Set `answer = best_under`.

# %%
answer = None  # your answer
exercises.check("04.2", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-04-2
# :class: dropdown
# ```

# %%
# each pair (α, size) counted once, in million Mult-Adds
pairs = {
    (a, s): costs.model_total(mobilenet(a, (s, s, 3), 10)).mult_adds / 1e6
    for a in (1.0, 0.75, 0.5, 0.25) for s in (64, 52, 44, 36)
}


def best_under(budget_m):
    fitting = {pair: cost for pair, cost in pairs.items()
               if cost <= budget_m}
    return max(fitting, key=fitting.get) if fitting else None


exercises.check("04.2", best_under);

# %% [markdown]
# Which of the pairs within a budget is most accurate is an empirical question: the cost alone picks
# the costliest one, which the paper's Figure 4 suggests is a good first guess.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 04.3 When the last map is 2 × 2
# :label: ex-04-3
# :nonumber:
# ```
#
# What is the smallest square input side (px) for which MobileNet's last feature map is $2
# \times 2$? Work it out with the rounding of exercise 02.1, then confirm it by building the network
# just below and at your answer.

# %%
answer = None  # your answer
exercises.check("04.3", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-04-3
# :class: dropdown
# ```

# %%
import math

from mnlib import models


def last_side_by_rule(size):
    # the first convolution: 'same' padding, stride 2
    side = math.ceil(size / 2)
    for _, stride in models.TABLE_1:
        # a stride-2 block: pad bottom and right, 'valid' 3x3 window
        side //= stride
    return side


def last_side_built(size):
    body = mobilenet(input_shape=(size, size, 3), include_top=False)
    return body.output.shape[1]


smallest = next(size for size in range(32, 225)
                if last_side_by_rule(size) >= 2)
print({size: (last_side_by_rule(size), last_side_built(size))
       for size in (smallest - 1, smallest)})
exercises.check("04.3", smallest);

# %% [markdown]
# Every size of the report's grid below 64 px ends on a single pixel.
#
# ```{solution-end}
# ```

# %% [markdown]
# ### Open questions
#
# ```{exercise} Open question
# :label: ex-04-open-1
# :nonumber:
# Chapter 3's α = 0.5 at 64 px and this chapter's α = 1 at 36 px cost about the same. Which would you
# expect to be more accurate on Tiny ImageNet, and on the stand-in? Say what in chapters 0 and 2
# supports your prediction (it is a prediction until a full run checks it).
# ```
