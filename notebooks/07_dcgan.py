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
# # 7. A DCGAN of dogs, judged by the course's MobileNet
#
# The report's last experiment trained a generative adversarial network (GAN).
# It showed samples from its 2nd and its 430th epoch, wrote that "the
# improvement of images stopped at a certain point because the classifier's
# network overpowered the generator", fed the samples to its MobileNet "to see
# if it can find the breed of the animal", and says in its abstract that it
# "attempted to use GAN to augment data and got mixed results". None of these
# statements comes with a measurement. The report does not name the GAN's
# training images; that they were Stanford Dogs is an inference from its
# reference [7] and from the breeds it asks the MobileNet about.
#
# This chapter trains a DCGAN (Radford et al. 2015,
# [arXiv:1511.06434](https://arxiv.org/abs/1511.06434)) as the Keras GAN
# examples do, and measures each claim:
#
# - **the balance of the two networks**, as curves: both losses, the
#   discriminator's mean output on real images $D(x)$ and on generated ones
#   $D(G(z))$, and its accuracy;
# - **the quality of the samples**, as the Kernel Inception Distance (KID,
#   Bińkowski et al. 2018, [arXiv:1801.01401](https://arxiv.org/abs/1801.01401))
#   per epoch with its spread, beside images that carry no dog, and a
#   memorisation check;
# - **what the course's MobileNet sees** in the samples (chapter 6's Stanford
#   Dogs classifier): which breeds, how confidently;
# - **the augmentation claim**: a classifier trained on real images alone,
#   on real plus generated images, and on real images for as many steps,
#   compared image by image on the same test photos.
#
# ```{note}
# With the default `PROFILE = "smoke"` everything runs in a few minutes on a
# CPU on the **synthetic stand-in** of Stanford Dogs (chapter 0): striped
# geometric shapes, not dogs, 40 training images per class, and a GAN far
# smaller and far shorter-trained than any that makes recognisable images.
# Its numbers check the code; they say nothing about GANs or dogs. Set
# `PROFILE = "full"` (on a GPU, e.g. Colab) for Stanford Dogs itself.
# ```

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you will be able to:
# * build a DCGAN's generator and discriminator in Keras and count their
#   parameters and feature maps at any resolution;
# * train the two networks against each other with one `train_step`, resume
#   a run from its checkpoint, and read the balance of the game from its
#   curves (losses, $D(x)$, $D(G(z))$, accuracy);
# * measure sample quality with the unbiased Kernel Inception Distance in a
#   classifier's features, with its spread over subsets, beside the scores of
#   real held-out images and of images that carry no dog, and check samples
#   for copies of training images;
# * test a claim like "GAN data augmentation gave mixed results" with a
#   controlled, paired comparison, and say what it cannot show.
#
# **Prerequisites**: chapter 0 (the Stanford Dogs loader and its stand-in),
# chapter 2 (Keras models and their parameter counts) and chapter 6 (the
# Stanford Dogs MobileNet that judges the samples; run it first, into the
# same results folder); TensorFlow's DCGAN tutorial helps.
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
# "smoke": a small GAN for a few epochs on the synthetic stand-in (a few
# minutes on a 2-core CPU); "full": Stanford Dogs, 120 breeds (use a GPU)
PROFILE = "smoke"
# "synthetic" (the stand-in in Stanford Dogs' layout, written to DATA_DIR)
# or "stanford-dogs" (downloaded to DATA_DIR); None: the profile's choice
DATASET = None
# folder of the datasets; None: data/ at the course root, or ./data
DATA_DIR = None
# folder of the records, checkpoints and saved networks (chapter 6's too);
# None: results/ at the course root (or ./results)
RESULTS_DIR = None
# GAN training epochs, at least 1; a checkpoint of the same configuration at
# an earlier epoch is continued; None: the profile's (5 smoke, 100 full)
EPOCHS = None
# images per GAN step, at least 2 (the paper's is 128);
# None: the profile's (32 smoke, 64 full)
BATCH_SIZE = None
# length of the noise vector z, at least 1 (100 in the paper)
LATENT_DIM = 100
# side of the generated images in pixels: 32, 64 or 128
RESOLUTION = 64
# seeds the initial weights, the data order and every noise draw
SEED = 0
# channels of the generator's last hidden stage and the discriminator's
# first, at least 1 (128 in the paper's figure); None: the profile's
# (16 smoke, 64 full)
WIDTH = None
# breeds to train on (the first k), 2 to 120 (the stand-in has 10);
# None: the profile's (10 smoke, 120 full)
CLASSES = None

# %%
from mnlib import data, gan, plots, stats

import math
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

settings = gan.gan_settings(
    profile=PROFILE, dataset=DATASET, epochs=EPOCHS, batch_size=BATCH_SIZE,
    data_dir=DATA_DIR, results_dir=RESULTS_DIR, classes=CLASSES,
    width=WIDTH, resolution=RESOLUTION, latent_dim=LATENT_DIM, seed=SEED,
    notebook="07_dcgan",
)
print(
    f"{settings.dataset}{settings.caption}: {settings.classes} classes at "
    f"{settings.resolution} px, {settings.epochs} epochs, batches of "
    f"{settings.batch_size}, z of {settings.latent_dim}, "
    f"width {settings.width}"
)

# %% [markdown]
# ## 7.1 The two networks
#
# The architecture of Radford et al., with the choices of the reference
# DCGAN code that most ports follow (Soumith Chintala's `dcgan.torch` and
# PyTorch's DCGAN example): the paper draws $z$ uniformly and uses
# $5 \times 5$ kernels; the code, and `mnlib.gan`, draw $z$ from
# $\mathcal N(0, 1)$ and use $4 \times 4$ kernels. The **generator** turns
# $z$, `LATENT_DIM` numbers, into an image: a dense projection to a
# $4 \times 4$ map, then transposed convolutions (kernel 4, stride 2) that
# double the side and halve the channels, with batch norm and ReLU, and a
# `tanh` output in $[-1, 1]$. A kernel divisible by its stride *reduces*
# the checkerboard artefacts of transposed convolutions (Odena et al. 2016);
# it does not remove them. The **discriminator** mirrors the generator:
# strided convolutions (kernel 4, stride 2), LeakyReLU with slope 0.2, batch
# norm on every block but the first, and one logit. Every kernel starts from
# $\mathcal N(0, 0.02)$, as the paper says.

# %%
networks = {
    "generator": gan.generator(
        settings.latent_dim, settings.resolution, settings.width
    ),
    "discriminator": gan.discriminator(settings.resolution, settings.width),
}
pd.DataFrame([
    {"network": name, "layer": layer.name,
     "output": str(layer.output.shape[1:]),
     "parameters": layer.count_params()}
    for name, network in networks.items() for layer in network.layers
    if layer.name.startswith(("project", "up", "down", "logit"))
    and not layer.name.endswith(("relu", "bn"))
])

# %% [markdown]
# Both are trained by `mnlib.gan.DCGAN`, a `keras.Model` whose `train_step`
# makes two updates per batch, each with its own gradient tape, as keras-io's
# DCGAN example does. First the discriminator: real images get the label 1
# and the generator's images $G(z)$ the label 0, and its loss `d_loss` is the
# **sum** of the two binary cross-entropies (each a mean over its batch).
# Then the generator: it generates from the same $z$ again and learns to make
# the *updated* discriminator say 1 on those images (`g_loss`). Both use
# Adam at $2 \cdot 10^{-4}$ with $\beta_1 = 0.5$, the paper's settings.
# Label smoothing and label noise, common tricks the paper does not use, are
# fields of the settings (`label_smoothing`, `label_noise`), off here.
#
# ## 7.2 The judge: the course's MobileNet
#
# Sample quality needs a feature extractor. The standard one, InceptionV3
# trained on ImageNet, needs weights that are not available offline; the
# course has its own: chapter 6's best saved MobileNet of exactly these
# classes (`mnlib.results.best_model`). Its features (the global average
# pool before its classifier) serve the KID and the memorisation check, its
# outputs say which breed it sees. A judge is only worth hearing if it is
# above chance on real test images: its accuracy here, with its interval,
# decides.

# %%
train_images, test_images, class_names = data.splits(
    settings.dataset, settings.data_dir, settings.classes,
    layout="stanford-dogs",
)
judge = gan.judge(settings.results_dir, class_names.readable)
if judge is None:
    raise FileNotFoundError(
        f"No saved network of chapter 6 for these {settings.classes} classes "
        f"in {settings.results_dir}: run chapter 6 (06_stanford_dogs) into "
        "the same RESULTS_DIR first."
    )
real_test = judge.view(test_images, settings.resolution)
judged = stats.chance(
    top1=float(real_test.correct.mean()), classes=settings.classes,
    images=len(real_test.correct),
)
print(f"The judge, {judge.source} ({judge.resolution} px), on this chapter's "
      f"{len(real_test.correct)} test images: {judged.verdict}"
      f"{settings.caption}")
if not judged.above:
    print("This judge cannot judge: its KID, labels and confidences below "
          "are shown as such, not as findings.")

# %% [markdown]
# ## 7.3 Training
#
# `mnlib.gan.run` takes the images and the settings, trains the GAN and
# keeps a checkpoint of both networks and both optimizers after every epoch:
# a run that is cut off, or run again with a larger `EPOCHS`, continues from
# there. Every random draw comes from its own stream of the seed
# (`mnlib.streams`): the initial weights, each epoch's order of the images,
# each step's noise, so a resumed run computes what an uninterrupted one
# would. A saved record is reused only if the code that made it is this
# code; `force=True` trains again from scratch, keeping the old record
# aside. A loss that becomes infinite or NaN stops the run and the record
# says so. After every epoch it measures the KID of samples from a fixed
# batch of noise against the training images, in the judge's features.
#
# The KID is the squared distance between the two sets of features after
# mapping them through the kernel $k(x, y) = (x \cdot y / d + 1)^3$ ($d$
# features), estimated without bias:
#
# $$
# \mathrm{KID} = \frac{1}{m(m-1)} \sum_{i \ne j} k(x_i, x_j)
#   + \frac{1}{n(n-1)} \sum_{i \ne j} k(y_i, y_j)
#   - \frac{2}{mn} \sum_{i, j} k(x_i, y_j).
# $$
#
# Lower is better; two samples of the same distribution score about 0. As
# Bińkowski et al. do, `gan.kid` also gives its standard deviation over
# random subsets of the images: how much the number moves with the images
# drawn.

# %%
real_train = judge.view(train_images, settings.resolution)
probe = gan.KIDProbe(
    judge.features, real_train.features, name=judge.source,
    samples=settings.kid_samples, every=settings.kid_every,
)
record = gan.run(train_images, settings, kid=probe)
history = pd.DataFrame(record["history"]).assign(
    epoch=lambda h: h.index + 1
)
if record["diverged"]:
    print(f"This run diverged in epoch {record['diverged_epoch']}: the "
          "figures below stop there.")

# %% [markdown]
# ## 7.4 Who wins: the balance of the two networks
#
# The report says the discriminator "overpowered the generator". Here that is
# a curve: if the discriminator wins, its accuracy goes to 1, $D(x)$ to 1,
# $D(G(z))$ to 0 and the generator's loss climbs. In a balanced game
# $D(x)$ and $D(G(z))$ stay apart but neither reaches its limit; keras-io's
# GAN-ADA example puts a healthy discriminator at 80-95 % accuracy. The
# figure's title calls the last epoch a win for the discriminator when it is
# right on at least 95 % of the images and $D(G(z)) \le 0.1$.

# %%
last = history.iloc[-1]
won = last["d_accuracy"] >= 0.95 and last["d_fake"] <= 0.1
state = (f"{last['d_accuracy']:.0%} right, "
         f"D(G(z)) = {last['d_fake']:.2f}")
finding = ("the discriminator wins: " if won
           else "no knock-out: the discriminator is ") + state
curves = (("d_real", "D(x), real images", "o-"),
          ("d_fake", "D(G(z)), generated", "s-"),
          ("d_accuracy", "discriminator accuracy", "^--"))
with plt.rc_context(plots.STYLE):
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(9.5, 3.6), layout="constrained"
    )
    left.plot(history["epoch"], history["d_loss"], "o-",
              label="discriminator")
    left.plot(history["epoch"], history["g_loss"], "s-", label="generator")
    left.set(xlabel="epoch", ylabel="mean loss (cross-entropy)",
             title="Losses")
    for column, label, marker in curves:
        right.plot(history["epoch"], history[column], marker, label=label)
    right.axhspan(0.8, 0.95, color="0.9",
                  label="80-95 % (GAN-ADA's healthy range)")
    right.set(xlabel="epoch", ylabel="mean over the epoch",
              ylim=(-0.02, 1.02), title="The discriminator's outputs")
    for ax in (left, right):
        ax.legend()
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    fig.suptitle(f"After {len(history)} epochs {finding}{settings.caption}")
plt.show()

# %% [markdown]
# ## 7.5 Sample quality: KID per epoch
#
# The band is the KID's standard deviation over subsets. Two reference
# lines say what "low" and "high" mean in these features: the held-out test
# images against the training images (what a generator that draws from the
# real distribution would score with this many images), and images that
# carry no dog at all, uniform noise and flat colours, through the same
# judge.

# %%
rng = np.random.default_rng(SEED)
side = settings.resolution
no_dog = np.concatenate([
    rng.uniform(-1, 1, (probe.samples // 2, side, side, 3)),
    np.ones((probe.samples - probe.samples // 2, side, side, 3))
    * rng.uniform(-1, 1, (probe.samples - probe.samples // 2, 1, 1, 3)),
]).astype("float32")
floor = gan.kid(real_train.features, real_test.features, seed=SEED)
ceiling = gan.kid(real_train.features, judge.features(no_dog), seed=SEED)
measured = history.dropna(subset=["kid"])
with plt.rc_context(plots.STYLE):
    fig, ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
    ax.plot(measured["epoch"], measured["kid"], "o-",
            label=f"{probe.samples} generated images")
    ax.fill_between(measured["epoch"],
                    measured["kid"] - measured["kid_std"],
                    measured["kid"] + measured["kid_std"], alpha=0.25,
                    label="± std over subsets")
    for score, label, style in (
        (floor, f"{len(real_test.correct)} real test images", "--"),
        (ceiling, "noise and flat colours (no dog)", ":"),
    ):
        ax.axhline(score.mean, color="grey", ls=style, label=label)
    # symmetric log: the no-dog line far above, the small KIDs (and an
    # unbiased estimate just below 0) still readable
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set(xlabel="epoch", ylabel="KID (symmetric log scale)",
           title=f"KID {measured['kid'].iloc[-1]:.3f} after epoch "
                 f"{measured['epoch'].iloc[-1]}: no-dog images "
                 f"{ceiling.mean:.3f}, real {floor.mean:.3f}"
                 f"{settings.caption}")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(fontsize=9)
plt.show()
if not judged.above:
    print("The judge is at chance: these KIDs are in the features of a "
          "network that has not learnt the classes, and say nothing.")

# %% [markdown]
# The usual feature extractor for the KID is InceptionV3 trained on ImageNet
# (Bińkowski et al.; keras-io's GAN-ADA example at 75 px). When its weights
# can be had, the last epoch's KID in its features:

# %%
import keras

generator = keras.models.load_model(
    settings.results_dir / record["model_file"], compile=False
)
samples = gan.generate(generator, gan.noise(
    SEED, "kid", probe.samples, settings.latent_dim
))
inception = gan.inception_features()
if inception is None:
    print("InceptionV3 KID not run: ImageNet weights unavailable offline.")
else:
    some = gan.images_at(train_images, range(1000), settings.resolution)
    print(f"KID in InceptionV3 features, epoch {len(history)}: "
          f"{gan.kid(inception(some), inception(samples))}{settings.caption}")

# %% [markdown]
# ## 7.6 The samples, epoch by epoch
#
# The same 16 noise vectors after each epoch (every epoch's grid is saved
# beside the checkpoint). In the smoke profile the training images are the
# stand-in's striped shapes, not dogs, and a DCGAN needs thousands of steps
# before its samples take shape: the smoke run takes a few dozen.

# %%
print(f"{record['steps_per_epoch']} steps per epoch, "
      f"{record['steps_per_epoch'] * len(history)} in all")
gan.jpeg(gan.grid_strip(
    record["grids"], settings.results_dir,
    f"The generator's samples from fixed noise{settings.caption}",
))

# %% [markdown]
# ## 7.7 Walking through the latent space
#
# The saved generator, loaded from its `.keras` file above, maps noise
# vectors on the straight line between two random $z$ to images. A generator
# that has learned a smooth map changes the image gradually; one that
# memorised images jumps between them.

# %%
ends = np.asarray(gan.noise(SEED, "samples", 8, settings.latent_dim))
ends = ends.reshape(4, 2, settings.latent_dim)
steps = np.linspace(0, 1, 8)[None, :, None]
# [4 lines, 8 steps, z]
path = ends[:, :1] * (1 - steps) + ends[:, 1:] * steps
walk = gan.generate(generator, path.reshape(-1, settings.latent_dim))
with plt.rc_context(plots.STYLE):
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    ax.imshow(gan.image_grid(walk, columns=8))
    ax.set_title(f"Four straight lines in z, eight steps each"
                 f"{settings.caption}")
    ax.axis("off")
gan.jpeg(fig)

# %% [markdown]
# ## 7.8 Memorisation: the nearest training images
#
# A generator can score well by copying its training images. For each
# sample, the training images closest to it in the judge's features (cosine
# distance); beside them, the same distance for the held-out test images,
# which are certainly not copies.

# %%
sample_features = judge.features(samples)
neighbours, distances = gan.nearest(
    sample_features, real_train.features, k=3
)
_, test_distances = gan.nearest(
    real_test.features, real_train.features, k=1
)
order = np.argsort(distances[:, 0])
shown = order[:3].tolist() + order[-2:].tolist()
pictures = gan.images_at(
    train_images, neighbours[shown].ravel(), settings.resolution
).reshape(len(shown), 3, side, side, 3)
with plt.rc_context(plots.STYLE):
    fig, axes = plt.subplots(len(shown), 4, figsize=(4.4, 1.15 * len(shown)),
                             layout="constrained")
    for row, k, near in zip(axes, shown, pictures):
        titles = ["sample", *[f"{d:.3f}" for d in distances[k]]]
        for ax, image, text in zip(row, [samples[k], *near], titles):
            ax.imshow(gan.to_pixels(image).numpy().astype("uint8"))
            ax.set_title(text, fontsize=9)
            ax.axis("off")
    fig.suptitle(f"Closest and farthest samples, 3 nearest training "
                 f"images{settings.caption}", fontsize=10)
display_nearest = gan.jpeg(fig)
print(f"Median distance to the nearest training image: generated "
      f"{np.median(distances[:, 0]):.3f}, real test images "
      f"{np.median(test_distances[:, 0]):.3f}{settings.caption}.")
display_nearest

# %% [markdown]
# ## 7.9 What the MobileNet sees in the samples
#
# The report "pass[ed] them through the MobileNet network to see if it can
# find the breed of the animal". Here the judge classifies the same
# generated images: which classes it sees, and how sure it is, beside the
# same numbers for the real test images. A judge at chance (§7.2) says
# nothing here either, and the title says so.

# %%
sample_probs = judge.predict(samples)
seen = pd.DataFrame({
    "generated": np.bincount(sample_probs.argmax(1),
                             minlength=settings.classes) / len(samples),
    "real test images": np.bincount(real_test.probabilities.argmax(1),
                                    minlength=settings.classes)
    / len(real_test.labels),
}, index=judge.class_names)
confidence = {"generated": sample_probs.max(1),
              "real test images": real_test.probabilities.max(1)}
medians = {name: np.median(values) for name, values in confidence.items()}
verdict = ("" if judged.above
           else " (a judge at chance: not a finding)")
with plt.rc_context(plots.STYLE):
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(10, 3.8), layout="constrained",
        gridspec_kw={"width_ratios": [3, 2]},
    )
    seen.plot.bar(ax=left, width=0.8)
    left.set(ylabel="share of the images", title="Predicted class")
    left.tick_params(axis="x", labelrotation=60, labelsize=9)
    for label, values in confidence.items():
        right.hist(values, bins=np.linspace(0, 1, 21), alpha=0.6,
                   label=f"{label} (median {medians[label]:.2f})")
    right.set(xlabel="probability of the predicted class",
              ylabel="images", title="Confidence")
    right.legend()
    fig.suptitle(f"The judge's median confidence: "
                 f"{medians['generated']:.2f} on generated images, "
                 f"{medians['real test images']:.2f} on real ones{verdict}"
                 f"{settings.caption}")
plt.show()

# %% [markdown]
# The sample the judge is most sure of, for each class it predicts at all:

# %%
predicted = sample_probs.argmax(1)
best = {c: int(np.argmax(np.where(predicted == c, sample_probs[:, c], -1)))
        for c in np.unique(predicted)}
with plt.rc_context(plots.STYLE):
    fig, axes = plt.subplots(1, len(best), figsize=(1.3 * len(best), 2.2),
                             layout="constrained", squeeze=False)
    for ax, (c, k) in zip(axes[0], best.items()):
        ax.imshow(gan.to_pixels(samples[k]).numpy().astype("uint8"))
        name = textwrap.fill(judge.class_names[c], 14)
        ax.set_title(f"{name}\n{sample_probs[k, c]:.2f}", fontsize=9)
        ax.axis("off")
    fig.suptitle(f"The most confidently classified sample per class"
                 f"{verdict}{settings.caption}", fontsize=10)
gan.jpeg(fig)

# %% [markdown]
# ## 7.10 Does the GAN help as data augmentation?
#
# The report's claim, measured. A MobileNet (α = 0.25) is trained three
# times per seed, from the same initial weights, with the same augmentation
# on every image: on the real training images alone; on the same real
# images, each seen as often, plus as many generated ones labelled with the
# class the judge gives them (the DCGAN does not know classes: these are
# pseudo-labels); and, as a control, on real images alone for as many steps
# as the second (what extra training does without a GAN). The question is
# the second against the control, scored image by image on the same test
# photos (McNemar's test, `stats.paired`).
#
# What the test can show: whether these generated images, with these
# labels, change the accuracy of this small network beyond what extra
# steps do. What it cannot show: whether a better GAN would help, whether
# the judge's labels are right (a judge at chance labels at random), or
# anything about images the judge itself may have seen: chapter 6's
# network was trained on the training split whose images the GAN learnt
# from, and only the test split is held out from both.

# %%
seeds = [SEED + k for k in range(settings.augmentation_seeds)]
compared = gan.compare(
    train_images, test_images, generator, judge,
    epochs=settings.augmentation_epochs, batch_size=settings.batch_size,
    seeds=seeds, results_dir=settings.results_dir, key=record["id"],
)
pd.DataFrame([
    {"seed": run["seed"], "trained on": arm, "steps": compared["steps"][arm],
     "top-1": stats.accuracy_text(run[arm]["top1"],
                                  compared["test_images"])}
    for run in compared["seeds"] for arm in gan.ARMS
])

# %%
def verdicts(a, b):
    """The paired verdict of arm a against arm b, for every seed."""
    return [stats.paired(run[a]["correct"], run[b]["correct"],
                         names=(a, b)) for run in compared["seeds"]]


for a, b in (("real + generated", "real, as many steps"),
             ("real, as many steps", "real")):
    found = verdicts(a, b)
    for run, one in zip(compared["seeds"], found):
        print(f"seed {run['seed']}: {one.verdict}")
    if len(found) > 1:
        spread = stats.spread([100 * one.difference for one in found])
        print(f"over {spread.n} seeds, {a} minus {b}: {spread.mean:+.1f} "
              f"points (95 % interval {spread.low:+.1f} to "
              f"{spread.high:+.1f})")
    else:
        print("One seed: the variance between seeds is not included.")
print(f"The judge labelled {compared['generated']} generated images with "
      f"mean confidence {compared['mean_confidence']:.2f}. The judge: "
      f"{judged.verdict}{settings.caption}")

# %% [markdown]
# ## Running the full experiment
#
# On Colab, with a GPU runtime, set `PROFILE = "full"`: it downloads
# Stanford Dogs (three archives, 816 MB in all, as in chapter 6),
# loads chapter 6's classifier from `RESULTS_DIR` (run chapter 6 first, into
# the same folder) and trains the GAN on all 12,000 training images of the
# 120 breeds at 64 px, with XLA; the augmentation test runs three seeds.
# Its time on a GPU has not been measured. The run keeps a checkpoint after
# every epoch; if the session ends, run the notebook again and it continues.
# Headless:
#
# ```bash
# papermill notebooks/07_dcgan.ipynb /tmp/07.ipynb -p PROFILE full \
#     -p RESULTS_DIR results
# # 100 more epochs
# papermill notebooks/07_dcgan.ipynb /tmp/07.ipynb -p PROFILE full \
#     -p EPOCHS 200
# ```
#
# ## Summary
#
# - "The discriminator overpowered the generator" is a curve (§7.4): the
#   discriminator's accuracy and its outputs on real and generated images,
#   epoch by epoch, and the title says which way this run went.
# - Sample quality is the KID per epoch in the course's own MobileNet
#   features, with its spread over subsets (§7.5), between two reference
#   lines: real held-out images, which a perfect generator would match, and
#   images with no dog at all. InceptionV3's KID is added where its weights
#   are available. None of it means anything when the judge is at chance
#   (§7.2 says which).
# - The nearest training images of the samples (§7.8) check for copying.
# - The MobileNet's view of the samples (§7.9) and the augmentation test
#   (§7.10) answer the report's two remaining claims with numbers; the
#   verdicts printed there are the test's, with their intervals. In the
#   smoke profile those numbers only check the code.

# %% [markdown]
# ## Exercises
#
# Each exercise is checked on the spot by `mnlib.exercises`: replace
# `answer = None` with your answer (a number, a tuple or a function, as the
# exercise says) and run the cell. A wrong answer gets a hint that says how
# it is off, never the answer; a function is run on cases you have not
# seen. In the full edition of the book a reference answer is folded under
# each exercise. The open questions at the end have no checker.

# %%
# the course's answer checker: exercises.check(id, answer)
from mnlib import exercises

# %% [markdown]
# ```{exercise-start} 07.1 The generator's parameters
# :label: ex-07-1
# :nonumber:
# ```
#
# Write `generator_parameters(latent_dim, resolution, width)` that returns
# the number of **trainable** parameters of
# `mnlib.gan.generator(latent_dim, resolution, width)`, counted from the
# recipe of §7.1 (do not build the network: count its layers). With a $z$
# of 100 projected to $4 \times 4 \times 1024$ and 64 px images (the
# paper's figure of the generator's maps) it is `width = 128`; the count is
# that of the course's kernel-4 generator, not of the paper's 5 × 5
# kernels. Set `answer = generator_parameters`; it is checked on
# configurations you have not seen.

# %%
answer = None  # your answer
exercises.check("07.1", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-07-1
# :class: dropdown
# ```

# %%
def generator_parameters(latent_dim, resolution, width):
    # 4 px doubled up to the resolution
    stages = {32: 3, 64: 4, 128: 5}[resolution]
    channels = width * 2 ** (stages - 1)
    # the projection (no bias), its batch norm's γ and β
    total = latent_dim * 4 * 4 * channels + 2 * channels
    # 4 x 4 transposed convolutions halving the channels (no bias),
    # each with a batch norm
    for _ in range(stages - 1):
        total += 4 * 4 * channels * (channels // 2) + 2 * (channels // 2)
        channels //= 2
    # the last one to RGB, with its bias
    return total + 4 * 4 * channels * 3 + 3


exercises.check("07.1", generator_parameters)
trainable = sum(int(np.prod(w.shape))
                for w in networks["generator"].trainable_weights)
counted = generator_parameters(
    settings.latent_dim, settings.resolution, settings.width
)
print(f"This chapter's generator (z of {settings.latent_dim}, "
      f"{settings.resolution} px, width {settings.width}): {counted:,} "
      f"counted, {trainable:,} in the built network; the course's kernel-4 "
      f"generator at width 128, 64 px: "
      f"{generator_parameters(100, 64, 128):,}.")

# %% [markdown]
# The projection and the first transposed convolution hold most of them;
# the transposed convolutions grow with the square of the width, the
# projection with the width times the length of $z$. Keras'
# `count_params()` is larger: it also counts each batch norm's moving mean
# and variance, which are not trained.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 07.2 The discriminator at 128 px
# :label: ex-07-2
# :nonumber:
# ```
#
# With `RESOLUTION = 128` and the smoke profile's `WIDTH = 16`, what is the
# shape of the map the discriminator flattens before its logit? Answer with
# a tuple `(height, width, channels)`.

# %%
answer = None  # your answer
exercises.check("07.2", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-07-2
# :class: dropdown
# ```

# %%
# stride-2 blocks from 128 px down to 4 px
blocks = int(math.log2(128 // 4))
last_map = (128 // 2**blocks, 128 // 2**blocks, 16 * 2 ** (blocks - 1))
exercises.check("07.2", last_map)
flattened = gan.discriminator(128, 16).get_layer("flatten").input.shape
print("Built:", tuple(flattened[1:]))

# %% [markdown]
# Five blocks, each halving the side and doubling the channels from the
# first block's 16: the logit always sees a $4 \times 4$ map, whose depth
# grows with the resolution.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 07.3 The KID, written out
# :label: ex-07-3
# :nonumber:
# ```
#
# Write `kid(real, fake)`, the unbiased estimator of §7.3 with the kernel
# $k(x, y) = (x \cdot y / d + 1)^3$, for two NumPy arrays of features
# `[m, d]` and `[n, d]` (with $m \ne n$ allowed). Set `answer = kid`; it is
# compared with the mean of `mnlib.gan.kid` on feature sets you have not
# seen (of at most 1000 rows, which it uses whole).

# %%
answer = None  # your answer
exercises.check("07.3", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-07-3
# :class: dropdown
# ```

# %%
def kid(real, fake):
    x, y = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    m, n, d = len(x), len(y), x.shape[1]
    kxx, kyy, kxy = ((a @ b.T / d + 1) ** 3
                     for a, b in ((x, x), (y, y), (x, y)))
    # i != j within a set, every pair across
    within = ((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
              + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)))
    return within - 2 * kxy.mean()


exercises.check("07.3", kid)
# at most 1000 real images of each split, drawn from every class
rng = np.random.default_rng(SEED)
train_rows, test_rows = (rng.permutation(len(f))[:1000]
                         for f in (real_train.features, real_test.features))
reference = real_train.features[train_rows]
print(f"With the chapter's features: generated against training images "
      f"{kid(reference, sample_features):.4f}, test against training "
      f"images {kid(reference, real_test.features[test_rows]):.4f}"
      f"{settings.caption}.")

# %% [markdown]
# Leaving out the diagonal ($i = j$) is what makes the estimator unbiased:
# $k(x_i, x_i)$ is a point's similarity with itself, not with another draw
# of the distribution. That is why two samples of one distribution score
# about 0, and sometimes a little below.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 07.4 The loss at the equilibrium
# :label: ex-07-4
# :nonumber:
# ```
#
# At the end of a perfectly balanced game the discriminator cannot tell the
# samples from real images and says $D = 1/2$ to every image. What is then
# its loss `d_loss`, as §7.1's `DCGAN` computes it (the sum of two
# cross-entropies, natural logarithms)? Within 0.1 % counts.

# %%
answer = None  # your answer
exercises.check("07.4", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-07-4
# :class: dropdown
# ```

# %%
# label 1 on real images + label 0 on samples
exercises.check("07.4", -math.log(1 / 2) - math.log(1 - 1 / 2))
print(f"Last epoch of this run: d_loss {last['d_loss']:.3f} "
      f"(log 4 = {math.log(4):.3f}), g_loss {last['g_loss']:.3f} "
      f"(log 2 = {math.log(2):.3f}){settings.caption}.")

# %% [markdown]
# $\log 4 \approx 1.386$: the two cross-entropies of $\log 2$ each are
# summed. The generator's loss at $D = 1/2$ is $\log 2$. A `d_loss` well
# below $\log 4$ with a `g_loss` well above $\log 2$ is a discriminator
# ahead; near those values the game is even, or neither network has learned
# anything yet (compare with $D(x)$ and $D(G(z))$ in §7.4).
#
# ```{solution-end}
# ```

# %% [markdown]
# ### Open questions
#
# ```{exercise} Open question
# :label: ex-07-open-1
# :nonumber:
# Read the curves of §7.4 for this run. Which of them would show the
# report's "the classifier's network overpowered the generator", and do
# they show it here? Predict how the curves would change with one-sided
# label smoothing (`gan.gan_settings(..., label_smoothing=0.1)`), then rerun
# with `EPOCHS` raised and check.
# ```
#
# ```{exercise} Open question
# :label: ex-07-open-2
# :nonumber:
# §7.10 prints McNemar's verdict for each seed. Which numbers of the
# verdict would have to change for it to call a difference of one point
# real: how many test images, or how many discordant ones? What does a
# second seed add that more test images do not?
# ```
#
# ```{exercise} Open question
# :label: ex-07-open-3
# :nonumber:
# The KID of §7.5 is measured in the features of a classifier trained on
# the same breeds. Describe samples that would score well in those features
# and still not look like dogs, and say what the InceptionV3 KID, the
# no-dog reference line or the nearest neighbours of §7.8 add.
# ```
