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
# # 3. Thinner: the width multiplier
#
# The width multiplier α keeps MobileNet's structure and gives every layer
# $\alpha$ times its channels; chapter 1 showed that this divides the Mult-Adds
# and the parameters by about $\alpha^2$. What does it cost in accuracy? On
# ImageNet the paper's Table 6 finds that accuracy falls gradually as α
# shrinks, and that the fall steepens at the narrowest width (the table in §3.3
# computes the steps). The report repeated the study on 10 Tiny ImageNet
# classes at 64 px (its Table 3 and Figure 5) and compared a thinner network
# with a shallower one of similar size (its Table 2, the paper's Table 5).
#
# This chapter trains those networks the same way, writes one result record
# per run, and builds its tables and figures from the records.
#
# ```{note}
# With the default `PROFILE = "smoke"` the networks train for a few epochs on
# the **synthetic stand-in** for Tiny ImageNet (chapter 0): ten classes of
# striped shapes, built so that coarse cues (shape, colour) survive any
# downsampling and fine ones (the stripes' direction) need resolution. Its
# numbers check the code and show the stand-in's trends, not MobileNet's
# accuracy on real images. Set `PROFILE = "full"` (on a GPU) for the real
# experiment on Tiny ImageNet.
# ```

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you will be able to:
# * train MobileNets of several widths with one harness, and read their results from records;
# * say what the width multiplier α does to Mult-Adds, parameters and accuracy, and why the cost falls
#   by about α² but not exactly;
# * pick the widest network within a Mult-Adds budget;
# * compare a narrow network with a shallow one of the same cost, as the paper's Table 5 does.
#
# **Prerequisites**: chapters 1 and 2 (costs, the network); chapter 0's data and stand-ins; how "How
# the course trains" runs an experiment.
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
# "full": 30 epochs on Tiny ImageNet, three seeds per network (use a GPU)
PROFILE = "smoke"
# "synthetic" (stand-in, written to DATA_DIR) or "tiny-imagenet"
# (downloaded to DATA_DIR); None: the profile's choice
DATASET = None
# folder of the datasets (downloads, extracted archives, stand-ins);
# None: data/ at the course root, or ./data outside the repository
DATA_DIR = None
# folder of the result records; None: results/ at the course root (or
# ./results); a configuration already recorded there is loaded, not retrained
RESULTS_DIR = None
# number of Tiny ImageNet classes (the first k wnids), 2 to 200;
# the stand-in has 10
CLASSES = 10
# input size in pixels, at least 32 (Tiny ImageNet images are 64 px)
RESOLUTION = 64
# training epochs per network; None: the profile's (4 smoke, 30 full)
EPOCHS = None
# images per training step; None: the profile's (32 smoke, 64 full)
BATCH_SIZE = None
# one run per seed and network; None: the profile's ([0] smoke,
# [0, 1, 2] full); several seeds give each accuracy a mean and an interval
SEEDS = None
# values of α to train, each in (0, 1]; None: the profile's
# ([1.0, 0.5] smoke, [1.0, 0.75, 0.5, 0.25] full)
WIDTH_MULTIPLIERS = None
# when 0.75 is among the widths, also train the shallow MobileNet
# (the paper's Table 5)
SHALLOW = True
# also train the widest network without data augmentation;
# None: the profile's (smoke no, full yes)
AUGMENTATION_ABLATION = None

# %%
from mnlib import data, plots, reference, study_verdicts, tables, train

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

settings = train.study_settings(
    profile=PROFILE, dataset=DATASET, epochs=EPOCHS, batch_size=BATCH_SIZE,
    data_dir=DATA_DIR, results_dir=RESULTS_DIR,
)
full = settings.profile == "full"
seeds = SEEDS or ([0, 1, 2] if full else [0])
alphas = WIDTH_MULTIPLIERS or ([1.0, 0.75, 0.5, 0.25] if full
                               else [1.0, 0.5])
ablation = full if AUGMENTATION_ABLATION is None else AUGMENTATION_ABLATION
print(f"{settings.dataset}{settings.caption}: {settings.epochs} epochs, "
      f"batches of {settings.batch_size}, seeds {seeds}, α {alphas}")

# %% [markdown]
# ## 3.1 The plan
#
# One run per width and seed; the shallow network (α = 1 with the five
# $14 \times 14 \times 512$ blocks removed) if 0.75 is in the grid, since that
# is the width the paper and the report compare it with; and, in the full
# profile, the widest network once more without augmentation. The smoke
# profile trains two widths, α = 1 and 0.5, with one seed, to stay within a
# few minutes on a laptop; the full profile trains the whole grid with three
# seeds. Every
# configuration is checked before the first one trains, so a typo in the grid
# fails now, not an hour from now.

# %%
common = dict(
    notebook="03_width_multiplier", dataset=settings.dataset,
    classes=CLASSES, resolution=RESOLUTION, epochs=settings.epochs,
    batch_size=settings.batch_size, profile=PROFILE,
    results_dir=settings.results_dir,
)
plan = [dict(model_args={"alpha": alpha}) for alpha in alphas]
if SHALLOW and 0.75 in alphas:
    plan.append(dict(model_args={"alpha": 1.0, "shallow": True}))
if ablation and alphas:
    plan.append(dict(model_args={"alpha": max(alphas)}, augment=False))
for run in plan:
    for seed in seeds:
        train.check(**common, **run, seed=seed)
pd.DataFrame([{"shallow": False, **run["model_args"],
               "augment": run.get("augment", True)} for run in plan])

# %% [markdown]
# ## 3.2 Training
#
# `mnlib.train.run` builds each network (`mnlib.models.mobilenet`), streams the
# images through the input pipeline (`mnlib.data.pipeline`: resized to
# `RESOLUTION`, scaled to $[-1, 1]$ as MobileNet expects, augmented with random
# crops, flips and colour changes), trains from scratch with Adam and a cosine
# learning-rate schedule, evaluates top-1 and top-5 accuracy on the validation
# split, and writes a record into the results folder, with which validation
# images the network got right. How and why it trains this way: the page "How
# the course trains". If a run is interrupted (a Colab disconnect), running the
# cell again resumes it from its last epoch, with the same result as an
# uninterrupted run; a configuration already recorded, by this chapter or
# another, is loaded instead of retrained.

# %%
train_images, val_images, class_names = data.study_data(
    settings.dataset, settings.data_dir, CLASSES)
print(train.device_notice())

# %%
for run in plan:
    for seed in seeds:
        train.run(train_images, val_images, **common, **run, seed=seed,
                  class_names=class_names)

# %% [markdown]
# ## 3.3 Results, from the records
#
# The table reads every record in the results folder with this dataset, class
# count, resolution and training budget: the runs above, and any other widths
# or seeds run before (for example by a sweep). Each accuracy comes with its
# 95 % interval: for one seed, Wilson's interval over the validation images
# (how much the figure could move on another draw of test images of the same
# kind); for several seeds, Student's t interval over the seeds' accuracies
# (how much it moves from one training run to another). Beside each width are
# the paper's ImageNet top-1 (224 px, 1000 classes) and the report's accuracy
# (64 px, 10 classes), where they exist. They measure other tasks: compare the
# *trends*, not the values.

# %%
records = tables.study(
    settings.results_dir, dataset=settings.dataset, classes=CLASSES,
    resolution=RESOLUTION, profile=PROFILE, epochs=settings.epochs,
    batch_size=settings.batch_size, model="mobilenet",
)
summary = tables.summarize(records)
by_width = summary[~summary["shallow"] & summary["augment"]]
by_width = by_width.sort_values("alpha", ascending=False).set_index("label")
intervals = study_verdicts.accuracies(records, by_width.index)
by_width = by_width.join(intervals[["top1_low", "top1_high", "interval",
                                    "chance"]])
paper_6 = reference.paper_models().query("table == 6")
table = by_width[["alpha", "params_m", "mult_adds_m", "interval", "seeds",
                  "seconds"]]
table = tables.with_reference(
    table, "paper top-1 (ImageNet)", paper_6.set_index("alpha")["top1"],
    key="alpha", scale=0.01)
table = tables.with_reference(
    table, "report accuracy",
    reference.report_width().set_index("alpha")["accuracy"], key="alpha")
table.round(3)

# %% [markdown]
# Is each network above chance? A network whose interval reaches the
# accuracy of guessing has learnt nothing these images can show, and
# comparing it with another says nothing:

# %%
for label, verdict in by_width["chance"].items():
    print(f"{label}: {verdict}")

# %% [markdown]
# The paper's steps between neighbouring widths, in points of ImageNet top-1:

# %%
# NBVAL_CHECK_OUTPUT
steps = paper_6.sort_values("alpha", ascending=False)[["alpha", "top1"]]
steps = steps.reset_index(drop=True)
steps["drop from the next wider (points)"] = (-steps["top1"].diff()).round(1)
steps

# %% [markdown]
# Our steps, each narrower network against the next wider one on the same
# validation images. Two accuracies measured on the same images are compared
# image by image: only the images one network gets right and the other wrong
# tell them apart, and McNemar's test asks whether those split more unevenly
# than chance would split them (`mnlib.stats.paired`). The words of each line
# are chosen by the numbers:

# %%
for line in study_verdicts.steps(
        records, by_width.index, [f"α {a:g}" for a in by_width["alpha"]]):
    print(line)

# %% [markdown]
# Accuracy against cost, on log axes, with the paper's and the report's figures
# beside ours; our error bars are the intervals of the table. The report's
# parameter counts are those of chapter 1 (the network without classifier);
# its Mult-Adds are not given, so `reference.report_width()` places them at the
# Mult-Adds of its models at 64 px.

# %%
report_points = reference.report_width()
paper_points = paper_6.assign(top1=lambda d: d["top1"] / 100)
references = [
    plots.Series(report_points, "accuracy",
                 "report: 10 Tiny ImageNet classes, 64 px", annotate="alpha",
                 style={"marker": "s", "linestyle": "--"}),
    plots.Series(paper_points, "top1",
                 "paper: ImageNet, 1000 classes, 224 px", annotate="alpha",
                 style={"marker": "^", "linestyle": ":"}),
]
shallow = summary[summary["shallow"]]
if len(shallow):
    references.append(
        plots.Series(shallow, "top1", "ours: shallow MobileNet", line=False,
                     style={"marker": "*", "markersize": 12}))
widest, thinnest = by_width.iloc[0], by_width.iloc[-1]
saving = widest["mult_adds_m"] / thinnest["mult_adds_m"]
figure = plots.tradeoff_figure(
    by_width,
    references,
    label=f"ours: {CLASSES} classes, {RESOLUTION} px{settings.caption}",
    annotate="alpha", classes=CLASSES,
    title=f"α {widest['alpha']:g} → {thinnest['alpha']:g}: {saving:.0f}x "
          f"fewer Mult-Adds; our top-1 with its 95 % interval"
          f"{settings.caption}",
)
plt.show()

# %% [markdown]
# The validation accuracy after each epoch (solid), beside the accuracy on the
# training images (dashed), shows whether the runs had finished learning and
# whether they overfit: a curve still rising at the end means more epochs
# would help; a dashed curve pulling away above the solid one is memorisation.

# %%
fig, ax = plt.subplots(figsize=(8, 4.2))
plots.chance(ax, CLASSES)
first_seed = records[records["seed"] == seeds[0]].sort_values("label")
plots.learning_curves(ax, first_seed, label="label", train_metric="top1")
ax.set(ylabel="top-1 accuracy",
       title=f"Accuracy per epoch, seed {seeds[0]}{settings.caption}")
plt.show()

# %% [markdown]
# ## 3.4 Narrow or shallow?
#
# The paper's Table 5 asks which is the better way to shrink MobileNet to a
# given size: make it thinner (α = 0.75) or remove layers (the shallow
# network)? On ImageNet the thinner network won, 68.4% against 65.3% top-1 at
# similar cost; the report found 0.73 against 0.67 on its 10 classes (its
# Table 2). Chapter 1 (§1.8) showed which parameter counts the report's table
# compares: the narrow network without its classifier, the shallow one with it.
# The smoke profile leaves this comparison out to stay within a few minutes;
# the full profile runs it (or add 0.75 to `WIDTH_MULTIPLIERS`).

# %%
pair = summary[summary["augment"]
               & ((summary["alpha"] == 0.75) | summary["shallow"])]
if len(pair) == 2:
    paper_5 = reference.paper_models().query("table == 5")
    report_5 = reference.REPORT["narrow_vs_shallow"]
    comparison = pair.sort_values("shallow").set_index("label")
    comparison["interval"] = study_verdicts.accuracies(
        records, comparison.index)["interval"]
    comparison = comparison[["shallow", "params_m", "mult_adds_m",
                             "interval"]]
    comparison = tables.with_reference(
        comparison, "paper top-1", paper_5.set_index("shallow")["top1"],
        key="shallow", scale=0.01)
    comparison = tables.with_reference(
        comparison, "report accuracy",
        {False: report_5["0.75 MobileNet-64"][0],
         True: report_5["Shallow MobileNet-64"][0]}, key="shallow")
    display(comparison.round(3))
    narrow, deep = comparison.index
    for line in study_verdicts.compare(records, narrow, deep,
                                       title="narrow vs shallow"):
        print(line)
else:
    print("Not run: narrow vs shallow needs α 0.75 in WIDTH_MULTIPLIERS and "
          "SHALLOW = True (the full profile's default).")

# %% [markdown]
# Read this comparison with its budget in mind. The paper compares networks
# trained to convergence on ImageNet; a short run stops after a few hundred
# steps, and a network with fewer layers between its input and its loss
# usually learns faster at first (a prediction, which the learning curves of
# such a run can check). Whichever way the verdict above falls, at a few
# epochs it says how quickly each network learns on these images, not which
# would be ahead after full training; whether the order changes with more
# epochs is what `EPOCHS` (or the full profile) tests.

# %% [markdown]
# ## 3.5 Augmentation
#
# The report says that augmenting the training images raised its 10-class test
# accuracy from about 50% to about 90%: a far larger effect than any
# architecture change it studied. The full profile trains the widest network
# with and without augmentation (random crops, flips and colour jitter; see
# `mnlib.data.AUGMENTATION`); the smoke profile leaves it out to stay within
# a few minutes (`AUGMENTATION_ABLATION = True` adds it).

# %%
widest_runs = records[~records["shallow"]
                      & (records["alpha"] == records["alpha"].max())]
if widest_runs["augment"].nunique() == 2:
    arms = (tables.summarize(widest_runs).sort_values("augment",
                                                      ascending=False))
    ablation_table = study_verdicts.accuracies(records, arms["label"])
    display(ablation_table[["interval", "seeds"]])
    with_aug, without_aug = arms["label"]
    for line in study_verdicts.compare(records, with_aug, without_aug,
                                       title="augmentation"):
        print(line)
    fig, ax = plt.subplots(figsize=(8, 4))
    plots.learning_curves(ax, widest_runs[widest_runs["seed"] == seeds[0]],
                          label="label", train_metric="top1")
    ax.set(ylabel="top-1 accuracy",
           title=f"With and without augmentation, seed {seeds[0]}"
                 f"{settings.caption}")
    plt.show()
else:
    print("Not run: the ablation needs AUGMENTATION_ABLATION = True "
          "(the full profile's default).")

# %% [markdown]
# Augmentation pays off when the training set is small for the network: Tiny
# ImageNet has 500 training images per class, and MobileNet 1.0 has over three
# million weights. A network that sees the same images every epoch learns them
# by heart; the gap between its training and validation curves measures how
# far it has got. In a run of a few epochs the picture can be the reverse:
# augmentation makes the training task harder, so it slows early progress, and
# its benefit appears only once the network without it starts to memorise
# (a prediction: the verdict line above, in a full run, tests it). That is why
# the report's 50% → 90% needs the full profile to be checked.
#
# ## Running the full study
#
# Run this notebook with `PROFILE = "full"` on a GPU (on Colab: *Runtime →
# Change runtime type → GPU*): it downloads Tiny ImageNet (248 MB) once into
# `DATA_DIR` and trains the six networks with three seeds each, for 30 epochs
# on 10 classes (5,000 training images). Its time on a GPU has not been
# measured for this course; `benchmarks/study_times.py` prints each network's
# time per epoch on the machine it runs on.
#
# Headless, with papermill, for other widths (the table then shows exactly
# these), or other seeds:
#
# ```bash
# papermill notebooks/03_width_multiplier.ipynb /tmp/03.ipynb \
#     -y "WIDTH_MULTIPLIERS: [0.6, 0.35]" -p RESULTS_DIR /tmp/r
# papermill notebooks/03_width_multiplier.ipynb /tmp/03.ipynb \
#     -y "SEEDS: [0, 1, 2]"
# ```
#
# and for a whole grid of widths and resolutions, keeping every executed
# notebook and all records in one folder:
#
# ```bash
# python tools/sweep.py notebooks/03_width_multiplier.ipynb \
#     --grid 'WIDTH_MULTIPLIERS=[[1.0], [0.75], [0.5], [0.25]]' \
#     --grid 'RESOLUTION=[64, 52, 44, 36]' \
#     -p PROFILE full --out results/width-x-resolution
# ```
#
# ## Summary
#
# - α scales every layer's channels; Mult-Adds and parameters fall by about α².
# - The tables and figures of this chapter are built from result records, one
#   per configuration and seed; any chapter that needs the same configuration
#   loads it instead of training it again.
# - Every accuracy carries its interval, and every comparison is a paired
#   test on the same validation images: the verdict lines of §3.3 to §3.5,
#   not the prose, say which differences this run can tell from noise. With
#   one seed they leave seed variance out; the full profile's three seeds
#   bring it in. On ImageNet the paper's steps grow as α shrinks, most sharply
#   from 0.5 to 0.25.

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
# ```{exercise-start} 03.1 What α = 0.5 saves
# :label: ex-03-1
# :nonumber:
# ```
#
# At 64 px with 10 classes, what fraction of α = 1's Mult-Adds does α = 0.5 need? Predict it
# first from the cost formulas, then count both networks with `mnlib.costs.model_cost` and answer with
# the count.

# %%
answer = None  # your answer
exercises.check("03.1", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-03-1
# :class: dropdown
# ```

# %%
from mnlib import costs, models

# costs.model_total sums model_cost's rows: (Mult-Adds, kernel parameters)
half = costs.model_total(models.mobilenet(0.5, (64, 64, 3), 10))
whole = costs.model_total(models.mobilenet(1.0, (64, 64, 3), 10))
exercises.check("03.1", half.mult_adds / whole.mult_adds);

# %% [markdown]
# Not quite α² = 0.25: the first convolution's input (3 colour channels) is not narrowed, so it costs
# α times less, not α² times; the depthwise layers also scale with α only.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 03.2 The widest network within a budget
# :label: ex-03-2
# :nonumber:
# ```
#
# Write `largest_alpha(budget_m)`: of α in (1.0, 0.75, 0.5, 0.25), the largest whose
# MobileNet at 64 px with 10 classes needs at most `budget_m` million Mult-Adds, or `None` if none
# does. Set `answer = largest_alpha`.

# %%
answer = None  # your answer
exercises.check("03.2", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-03-2
# :class: dropdown
# ```

# %%
# each width counted once, in million Mult-Adds
grid = {
    alpha: costs.model_total(
        models.mobilenet(alpha, (64, 64, 3), 10)).mult_adds / 1e6
    for alpha in (1.0, 0.75, 0.5, 0.25)
}


def largest_alpha(budget_m):
    fitting = [alpha for alpha, cost in grid.items() if cost <= budget_m]
    return max(fitting, default=None)


exercises.check("03.2", largest_alpha);

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 03.3 The shallow network's size
# :label: ex-03-3
# :nonumber:
# ```
#
# How many million parameters does the shallow MobileNet (α = 1, blocks 7 to 11 removed) have
# at 64 px with 10 classes? The report's narrow-versus-shallow table gives it 1.88 million; §3.4
# compares it with 0.75 MobileNet.

# %%
answer = None  # your answer
exercises.check("03.3", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-03-3
# :class: dropdown
# ```

# %%
shallow = models.mobilenet(1.0, (64, 64, 3), 10, shallow=True)
exercises.check("03.3", shallow.count_params() / 1e6);

# %% [markdown]
# It is within rounding of the report's 1.88 million, which counts the classifier for the shallow
# network (chapter 1, §1.8).
#
# ```{solution-end}
# ```

# %% [markdown]
# ### Open questions
#
# ```{exercise} Open question
# :label: ex-03-open-1
# :nonumber:
# The smoke run trains each width for a few epochs on the stand-in. Using the table of §3.3, say which
# differences between widths you would trust, and what you would change (seeds, epochs, data) before
# drawing a conclusion about α.
# ```
#
# ```{exercise} Open question
# :label: ex-03-open-2
# :nonumber:
# The paper's accuracy falls most sharply from α = 0.5 to 0.25 (Table 6). Give one reason a very
# narrow network could lose more than its share of accuracy, and how you would test it.
# ```
