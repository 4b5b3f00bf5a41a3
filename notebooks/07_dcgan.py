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
# # 7. A DCGAN of dogs, judged by the course's MobileNet
#
# The report's last experiment trained a generative adversarial network (GAN)
# on Stanford Dogs. It showed samples from its 2nd and its 430th epoch, wrote
# that "the improvement of images stopped at a certain point because the
# classifier's network overpowered the generator", fed the samples to its
# MobileNet "to see if it can find the breed of the animal", and says in its
# abstract that it "attempted to use GAN to augment data and got mixed
# results". None of these statements comes with a measurement.
#
# This chapter trains a DCGAN (Radford et al. 2015,
# [arXiv:1511.06434](https://arxiv.org/abs/1511.06434)) as TensorFlow's DCGAN
# tutorial and the Keras GAN examples do, and measures each claim:
#
# - **the balance of the two networks**, as curves: both losses, the
#   discriminator's mean output on real images $D(x)$ and on generated ones
#   $D(G(z))$, and its accuracy;
# - **the quality of the samples**, as the Kernel Inception Distance (KID,
#   Bińkowski et al. 2018, [arXiv:1801.01401](https://arxiv.org/abs/1801.01401))
#   per epoch, and a memorisation check;
# - **what the course's MobileNet sees** in the samples (chapter 6's Stanford
#   Dogs classifier): which breeds, how confidently;
# - **the augmentation claim**: a classifier trained on real images alone
#   against one trained on real plus generated images, with the same budget.
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
# * build a DCGAN's generator and discriminator in Keras and count their parameters and feature maps at any
#   resolution;
# * train the two networks against each other with one `train_step`, resume a run from its checkpoint, and
#   read the balance of the game from its curves (losses, $D(x)$, $D(G(z))$, accuracy);
# * measure sample quality with the unbiased Kernel Inception Distance in a classifier's features, beside the
#   score of real held-out images, and check samples for copies of training images;
# * test a claim like "GAN data augmentation gave mixed results" with a controlled comparison and its
#   standard error.
#
# **Prerequisites**: chapter 0 (the Stanford Dogs loader and its stand-in), chapter 2 (Keras models and
# their parameter counts) and chapter 6 (the Stanford Dogs MobileNet that judges the samples); TensorFlow's
# DCGAN tutorial helps.
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
PROFILE = "smoke"  # "smoke": a small GAN for a few epochs on the synthetic stand-in (a few minutes on a 2-core CPU); "full": Stanford Dogs, 120 breeds (use a GPU)
DATASET = None  # "synthetic" (the stand-in in Stanford Dogs' layout, written to DATA_DIR) or "stanford-dogs" (downloaded to DATA_DIR); None: the profile's choice
DATA_DIR = None  # folder of the datasets; None: data/ at the course root, or ./data outside the repository
RESULTS_DIR = None  # folder of the result records, checkpoints and saved networks; None: results/ at the course root (or ./results)
EPOCHS = None  # GAN training epochs, at least 1; a checkpoint of the same configuration at an earlier epoch is continued, not restarted; None: the profile's (5 smoke, 100 full)
BATCH_SIZE = None  # images per GAN step, at least 2 (the paper's is 128); None: the profile's (32 smoke, 64 full)
LATENT_DIM = 100  # length of the noise vector z, at least 1 (100 in the paper)
RESOLUTION = 64  # side of the generated images in pixels: 32, 64 or 128
SEED = 0  # seeds the networks' initial weights, the data order and every noise draw
CLASSIFIER = None  # a .keras file of a trained classifier of the same classes; None: chapter 6's Stanford Dogs MobileNet from RESULTS_DIR (trained here if missing)
WIDTH = None  # channels of the last hidden stage of the generator and the first of the discriminator, at least 1 (128 in the paper's figure); None: the profile's (16 smoke, 64 full)
CLASSES = None  # breeds to train on (the first k), 2 to 120 (the stand-in has 10); None: the profile's (10 smoke, 120 full)

# %%
import mnlib  # noqa: F401  (first: imports TensorFlow quietly)

# isort: split
import io
import math
import textwrap
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Image as JPEG
from IPython.display import display
from PIL import Image

from mnlib import data, gan, plots, train

#: This chapter's profiles. Smoke: a narrow GAN (WIDTH 16) for a few epochs, KID on 200 samples every epoch.
CHAPTER_PROFILES = {
    "smoke": {"dataset": "synthetic", "epochs": 5, "batch_size": 32, "width": 16, "classes": 10,
              "kid_samples": 200, "kid_every": 1, "judge_epochs": 3, "augmentation_epochs": 2},
    "full": {"dataset": "stanford-dogs", "epochs": 100, "batch_size": 64, "width": 64, "classes": 120,
             "kid_samples": 1000, "kid_every": 5, "judge_epochs": 30, "augmentation_epochs": 30},
}


def show_jpeg(fig):
    """Show a figure of images as a small JPEG (noise-like pixels make huge PNGs), and close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="jpeg", dpi=80, pil_kwargs={"quality": 80})
    plt.close(fig)
    display(JPEG(buffer.getvalue()))


settings = train.study_settings(PROFILE, DATASET, EPOCHS, BATCH_SIZE, DATA_DIR, RESULTS_DIR, defaults=CHAPTER_PROFILES)
chapter = CHAPTER_PROFILES[PROFILE]
width = WIDTH or chapter["width"]
classes = CLASSES or chapter["classes"]
gan.check_latent_dim(LATENT_DIM), gan.check_resolution(RESOLUTION)
print(f"{settings.dataset}{settings.caption}: {classes} classes at {RESOLUTION} px, {settings.epochs} epochs, "
      f"batches of {settings.batch_size}, z of {LATENT_DIM}, width {width}")

# %% [markdown]
# ## 7.1 The two networks
#
# Radford et al.'s recipe, as `mnlib.gan` builds it. The **generator** turns a
# vector $z$ of `LATENT_DIM` numbers drawn from $\mathcal N(0, 1)$ into an
# image: a dense projection to a $4 \times 4$ map, then transposed
# convolutions (kernel 4, stride 2) that double the side and halve the
# channels, with batch norm and ReLU, and a `tanh` output in $[-1, 1]$. The
# **discriminator** mirrors it: strided convolutions (kernel 4, stride 2),
# LeakyReLU with slope 0.2, batch norm on every block but the first, and one
# logit. Every kernel starts from $\mathcal N(0, 0.02)$.

# %%
# NBVAL_CHECK_OUTPUT
networks = {"generator": gan.generator(LATENT_DIM, RESOLUTION, width),
            "discriminator": gan.discriminator(RESOLUTION, width)}
pd.DataFrame([{"network": name, "layer": layer.name, "output": str(layer.output.shape[1:]),
               "parameters": layer.count_params()}
              for name, network in networks.items() for layer in network.layers
              if layer.name.startswith(("project", "up", "down", "logit")) and not layer.name.endswith(("relu", "bn"))])

# %% [markdown]
# Both are trained by `mnlib.gan.DCGAN`, a `keras.Model` whose `train_step`
# alternates two updates on each batch: the discriminator learns to give real
# images the label 1 and generated ones 0 (binary cross-entropy on its
# logits), then the generator learns to make the discriminator say 1 on new
# samples. Both use Adam at $2 \cdot 10^{-4}$ with $\beta_1 = 0.5$, the paper's
# settings. Label smoothing and label noise, common tricks the paper does not
# use, are arguments of `DCGAN`, off here.
#
# ## 7.2 The judge: the course's MobileNet
#
# Sample quality needs a feature extractor. The standard one, InceptionV3
# trained on ImageNet, needs weights that are not available offline; the
# course has its own: chapter 6's MobileNet, trained on the same breeds. Its
# features (the global average pool before its classifier) serve the KID and
# the memorisation check, its outputs say which breed it sees.

# %%
train_images, val_images, class_names = data.splits(settings.dataset, settings.data_dir, classes, layout="stanford-dogs")
readable = list(class_names.readable)


def fits(judge):
    """Whether a classifier knows exactly this chapter's classes, in this order."""
    return judge is not None and list(judge.class_names) == readable


judge = gan.load_classifier(CLASSIFIER) if CLASSIFIER else gan.find_classifier(settings.results_dir, dataset=settings.dataset)
if CLASSIFIER and not fits(judge):
    raise ValueError(f"CLASSIFIER {CLASSIFIER} knows {judge.class_names}, not this chapter's classes {readable}.")
if fits(judge):
    print(f"The judge: chapter 6's classifier {judge.source} at {judge.resolution} px, top-1 "
          f"{judge.top1:.1%} on its {judge.dataset} test split (chance: {1 / classes:.0%}){settings.caption}.")
else:
    print("Chapter 6's classifier of these classes is not in RESULTS_DIR: this chapter trains a small one itself "
          "(MobileNet α = 0.25), a weaker judge than chapter 6's.")
    record = train.run(train_images, val_images, dataset=settings.dataset, classes=classes, resolution=RESOLUTION,
                       epochs=chapter["judge_epochs"], model_args={"alpha": 0.25}, batch_size=settings.batch_size,
                       seed=SEED, profile=PROFILE, results_dir=settings.results_dir, notebook="07_dcgan",
                       class_names=class_names, save_model=True, verbose=0)
    judge = gan.classifier_from_record(record, settings.results_dir)
    print(f"The judge: {judge.source}, top-1 {judge.top1:.1%} on the test split (chance: {1 / classes:.0%})"
          f"{settings.caption}.")

# %% [markdown]
# ## 7.3 Training
#
# `mnlib.gan.run` trains the GAN and keeps a checkpoint of both networks and
# both optimizers after every epoch: a run that is cut off, or run again with
# a larger `EPOCHS`, continues from there. Each step's noise and each epoch's
# order of the images are functions of the seed and the step, so a resumed run
# computes what an uninterrupted one would. After every epoch it measures the
# KID of samples from a fixed batch of noise against the training images, in
# the judge's features.
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
# Lower is better; two samples of the same distribution score about 0.

# %%
def images_of(split):
    """A split's images at RESOLUTION, in [-1, 1] (as the generator makes them), in the loader's order."""
    batches = data.pipeline(split, resolution=RESOLUTION, family="mobilenet", batch_size=128, shuffle=False)
    return np.concatenate([x for x, _ in batches.as_numpy_iterator()])


real_train, real_val = images_of(train_images), images_of(val_images)
train_features, val_features = judge.features(real_train), judge.features(real_val)
probe = gan.KIDProbe(judge.features, train_features, name=judge.source,
                     samples=chapter["kid_samples"], every=chapter["kid_every"])
print(train.device_notice())
record = gan.run(train_images, dataset=settings.dataset, classes=classes, epochs=settings.epochs,
                 resolution=RESOLUTION, latent_dim=LATENT_DIM, width=width, batch_size=settings.batch_size,
                 seed=SEED, profile=PROFILE, results_dir=settings.results_dir, notebook="07_dcgan", kid=probe)
history = pd.DataFrame(record["history"]).assign(epoch=lambda h: h.index + 1)

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
finding = (f"the discriminator wins: {last['d_accuracy']:.0%} right, D(G(z)) = {last['d_fake']:.2f}" if won else
           f"no knock-out: the discriminator is {last['d_accuracy']:.0%} right, D(G(z)) = {last['d_fake']:.2f}")
with plt.rc_context(plots.STYLE):
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.6), layout="constrained")
    left.plot(history["epoch"], history["d_loss"], "o-", label="discriminator")
    left.plot(history["epoch"], history["g_loss"], "s-", label="generator")
    left.set(xlabel="epoch", ylabel="mean loss (cross-entropy)", title="Losses")
    for column, label, marker in (("d_real", "D(x), real images", "o-"), ("d_fake", "D(G(z)), generated", "s-"),
                                  ("d_accuracy", "discriminator accuracy", "^--")):
        right.plot(history["epoch"], history[column], marker, label=label)
    right.axhspan(0.8, 0.95, color="0.9", label="80-95 % (GAN-ADA's healthy range)")
    right.set(xlabel="epoch", ylabel="mean over the epoch", ylim=(-0.02, 1.02), title="The discriminator's outputs")
    for ax in (left, right):
        ax.legend()
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    fig.suptitle(f"After {len(history)} epochs {finding}{settings.caption}")
plt.show()

# %% [markdown]
# ## 7.5 Sample quality: KID per epoch
#
# The dashed line is the KID of the held-out test images against the training
# images, in the same features: what a generator that draws from the real
# distribution would score with this many images.

# %%
floor = gan.kid(train_features, val_features)
measured = history.dropna(subset=["kid"])
with plt.rc_context(plots.STYLE):
    fig, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
    ax.plot(measured["epoch"], measured["kid"], "o-", label=f"{probe.samples} generated images")
    ax.axhline(floor, color="grey", ls="--", label=f"{len(real_val)} real test images")
    ax.set(xlabel="epoch", ylabel="KID in the judge's features",
           title=f"KID {measured['kid'].iloc[0]:.3f} after epoch {measured['epoch'].iloc[0]}, "
                 f"{measured['kid'].iloc[-1]:.3f} after {measured['epoch'].iloc[-1]}{settings.caption}")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend()
plt.show()

# %% [markdown]
# The usual feature extractor for the KID is InceptionV3 trained on ImageNet
# (Bińkowski et al.; keras-io's GAN-ADA example at 75 px). When its weights
# can be had, the last epoch's KID in its features:

# %%
inception = gan.inception_features()
if inception is None:
    print("InceptionV3 KID not run: ImageNet weights unavailable offline.")
else:
    samples = keras.models.load_model(Path(settings.results_dir) / record["model_file"], compile=False)(
        gan.noise(SEED, "kid", probe.samples, LATENT_DIM), training=False)
    print(f"KID in InceptionV3 features, epoch {len(history)}: {gan.kid(inception(real_train), inception(samples)):.4f} "
          f"(real test images: {gan.kid(inception(real_train), inception(real_val)):.4f}){settings.caption}")

# %% [markdown]
# ## 7.6 The samples, epoch by epoch
#
# The same 16 noise vectors after each epoch (every epoch's grid is saved
# beside the checkpoint). In the smoke profile the training images are the
# stand-in's striped shapes, not dogs, and a DCGAN needs thousands of steps
# before its samples take shape: the smoke run takes a few dozen (printed
# at the end of training above).

# %%
def show_grids(files, title):
    """Up to six saved grids side by side, evenly spread over the epochs."""
    picked = sorted({round(k) for k in np.linspace(0, len(files) - 1, min(6, len(files)))})
    with plt.rc_context(plots.STYLE):
        fig, axes = plt.subplots(1, len(picked), figsize=(1.6 * len(picked), 2.0), layout="constrained", squeeze=False)
        for ax, k in zip(axes[0], picked):
            ax.imshow(Image.open(Path(settings.results_dir) / files[k]))
            ax.set_title(f"epoch {k + 1}", fontsize=9)
            ax.axis("off")
        fig.suptitle(title)
    show_jpeg(fig)


show_grids(record["grids"], f"The generator's samples from fixed noise{settings.caption}")

# %% [markdown]
# ## 7.7 Walking through the latent space
#
# The saved generator, loaded from its `.keras` file, maps noise vectors on
# the straight line between two random $z$ to images. A generator that has
# learned a smooth map changes the image gradually; one that memorised
# images jumps between them.

# %%
generator = keras.models.load_model(Path(settings.results_dir) / record["model_file"], compile=False)
ends = np.asarray(gan.noise(SEED, "samples", 8, LATENT_DIM)).reshape(4, 2, LATENT_DIM)
steps = np.linspace(0, 1, 8)[None, :, None]
path = ends[:, :1] * (1 - steps) + ends[:, 1:] * steps  # [4 rows, 8 steps, z]
walk = np.asarray(generator(path.reshape(-1, LATENT_DIM), training=False))
with plt.rc_context(plots.STYLE):
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    ax.imshow(gan.image_grid(walk, columns=8))
    ax.set_title(f"Four straight lines in z, eight steps each{settings.caption}")
    ax.axis("off")
show_jpeg(fig)

# %% [markdown]
# ## 7.8 Memorisation: the nearest training images
#
# A generator can score well by copying its training images. For each
# sample, the training images closest to it in the judge's features (cosine
# distance); beside them, the same distance for the held-out test images,
# which are certainly not copies.

# %%
samples = np.asarray(generator(gan.noise(SEED, "kid", probe.samples, LATENT_DIM), training=False))
sample_features = judge.features(samples)
neighbours, distances = gan.nearest(sample_features, train_features, k=3)
_, val_distances = gan.nearest(val_features, train_features, k=1)
shown = np.argsort(distances[:, 0])[:3].tolist() + np.argsort(distances[:, 0])[-2:].tolist()
with plt.rc_context(plots.STYLE):
    fig, axes = plt.subplots(len(shown), 4, figsize=(4.4, 1.15 * len(shown)), layout="constrained")
    for row, k in zip(axes, shown):
        for ax, image, text in zip(row, [samples[k], *real_train[neighbours[k]]],
                                   ["sample", *[f"{d:.3f}" for d in distances[k]]]):
            ax.imshow(gan.to_pixels(image).numpy().astype("uint8"))
            ax.set_title(text, fontsize=9)
            ax.axis("off")
    fig.suptitle(f"Closest and farthest samples, 3 nearest training images{settings.caption}", fontsize=10)
show_jpeg(fig)
print(f"Median distance to the nearest training image: generated {np.median(distances[:, 0]):.3f}, "
      f"real test images {np.median(val_distances[:, 0]):.3f}{settings.caption}.")

# %% [markdown]
# ## 7.9 What the MobileNet sees in the samples
#
# The report "pass[ed] them through the MobileNet network to see if it can
# find the breed of the animal". Here the judge classifies the same generated
# images: which classes it sees, and how sure it is, beside the same
# numbers for the real test images.

# %%
sample_probs, real_probs = judge.predict(samples), judge.predict(real_val)
seen = pd.DataFrame({"generated": np.bincount(sample_probs.argmax(1), minlength=classes) / len(samples),
                     "real test images": np.bincount(real_probs.argmax(1), minlength=classes) / len(real_val)},
                    index=judge.class_names)
confidence = {"generated": sample_probs.max(1), "real test images": real_probs.max(1)}
with plt.rc_context(plots.STYLE):
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained",
                                      gridspec_kw={"width_ratios": [3, 2]})
    seen.plot.bar(ax=left, width=0.8)
    left.set(ylabel="share of the images", title="Predicted class")
    left.tick_params(axis="x", labelrotation=60, labelsize=9)
    for label, values in confidence.items():
        right.hist(values, bins=np.linspace(0, 1, 21), alpha=0.6, label=f"{label} (median {np.median(values):.2f})")
    right.set(xlabel="probability of the predicted class", ylabel="images", title="Confidence")
    right.legend()
    fig.suptitle(f"The judge's median confidence: {np.median(confidence['generated']):.2f} on generated images, "
                 f"{np.median(confidence['real test images']):.2f} on real ones{settings.caption}")
plt.show()

# %% [markdown]
# The sample the judge is most sure of, for each class it predicts at all:

# %%
best = {c: int(np.argmax(np.where(sample_probs.argmax(1) == c, sample_probs[:, c], -1)))
        for c in np.unique(sample_probs.argmax(1))}
with plt.rc_context(plots.STYLE):
    fig, axes = plt.subplots(1, len(best), figsize=(1.3 * len(best), 2.2), layout="constrained", squeeze=False)
    for ax, (c, k) in zip(axes[0], best.items()):
        ax.imshow(gan.to_pixels(samples[k]).numpy().astype("uint8"))
        ax.set_title(f"{textwrap.fill(judge.class_names[c], 14)}\n{sample_probs[k, c]:.2f}", fontsize=9)
        ax.axis("off")
    fig.suptitle(f"The most confidently classified sample per class{settings.caption}", fontsize=10)
show_jpeg(fig)

# %% [markdown]
# ## 7.10 Does the GAN help as data augmentation?
#
# The report's claim, measured. A MobileNet (α = 0.25) is trained twice from
# the same initial weights, for the same number of steps and batch size: on
# the real training images alone, and on the real images pooled with as many
# generated ones, each labelled with the class the judge gives it (the DCGAN
# does not know classes; these are pseudo-labels). Both are evaluated on the
# same test split. In the smoke profile, with samples that are still noise
# and one seed per arm, the comparison checks the code: the printed line
# says what was measured, nothing more.

# %%
extra = np.asarray(generator(gan.noise(SEED, "samples", len(real_train), LATENT_DIM, step=1), training=False))
compared = gan.compare(train_images, val_images, extra, judge, classes=classes, resolution=RESOLUTION,
                       epochs=chapter["augmentation_epochs"], batch_size=settings.batch_size, seed=SEED,
                       results_dir=settings.results_dir, key=record["id"])
pd.DataFrame({name: compared[name] for name in ("real", "real+generated")}).T.rename_axis("trained on").round(3)

# %%
a, b, n = compared["real"]["top1"], compared["real+generated"]["top1"], compared["validation_images"]
margin = 2 * math.sqrt(max(a * (1 - a), 1 / n) / n)  # two standard errors of one accuracy measured on n images
change = "helped" if b - a > margin else "hurt" if a - b > margin else "made no difference beyond the noise"
print(f"Adding {compared['generated']} generated images (judge's mean confidence {compared['mean_confidence']:.2f}) "
      f"{change}: top-1 {b:.1%} against {a:.1%} on real images alone, a difference of {100 * (b - a):+.1f} points; "
      f"two standard errors of one accuracy on {n} test images are {100 * margin:.1f} points. One seed each"
      f"{settings.caption}.")

# %% [markdown]
# ## Running the full experiment
#
# On Colab, with a GPU runtime, set `PROFILE = "full"`: it downloads Stanford
# Dogs (about 750 MB), loads chapter 6's classifier from `RESULTS_DIR` (run
# chapter 6 first, into the same folder) and trains the GAN on all 12,000
# training images of the 120 breeds at 64 px, with XLA. Its time on a GPU has
# not been measured. The run keeps a checkpoint after every epoch; if the
# session ends, run the notebook again and it continues. Headless:
#
# ```bash
# papermill notebooks/07_dcgan.ipynb /tmp/07.ipynb -p PROFILE full -p RESULTS_DIR results
# papermill notebooks/07_dcgan.ipynb /tmp/07.ipynb -p PROFILE full -p EPOCHS 200   # 100 more epochs
# ```
#
# ## Summary
#
# - "The discriminator overpowered the generator" is a curve (§7.4): the
#   discriminator's accuracy and its outputs on real and generated images,
#   epoch by epoch, and the title says which way this run went.
# - Sample quality is the KID per epoch in the course's own MobileNet
#   features (§7.5), beside the KID of real held-out images, which a perfect
#   generator would match; InceptionV3's KID is added where its weights are
#   available.
# - The nearest training images of the samples (§7.8) check for copying.
# - The MobileNet's view of the samples (§7.9) and the augmentation
#   experiment (§7.10) answer the report's two remaining claims with numbers;
#   in the smoke profile those numbers only check the code.

# %% [markdown]
# ## Exercises
#
# Each exercise is checked on the spot by `mnlib.exercises`: replace `answer = None` with your answer
# (a number, a tuple or a function, as the exercise says) and run the cell. A wrong answer gets a hint
# that says how it is off, never the answer; a function is run on cases you have not seen. In the
# full edition of the book a reference answer is folded under each exercise. The open questions at the
# end have no checker.

# %%
from mnlib import exercises  # the course's answer checker: exercises.check(id, answer)

# %% [markdown]
# ```{exercise-start} 07.1 The generator's parameters
# :label: ex-07-1
# :nonumber:
# ```
#
# Write `generator_parameters(latent_dim, resolution, width)` that returns the number of **trainable**
# parameters of `mnlib.gan.generator(latent_dim, resolution, width)`, counted from the recipe of §7.1
# (do not build the network: count its layers). The paper's figure, a $z$ of 100 projected to
# $4 \times 4 \times 1024$ and 64 px images, is `width = 128`. Set `answer = generator_parameters`; it is
# checked on configurations you have not seen.

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
    stages = {32: 3, 64: 4, 128: 5}[resolution]  # 4 px doubled up to the resolution
    channels = width * 2 ** (stages - 1)
    total = latent_dim * 4 * 4 * channels + 2 * channels  # the projection (no bias), its batch norm's γ and β
    for _ in range(stages - 1):  # 4 x 4 transposed convolutions halving the channels (no bias), batch norm
        total += 4 * 4 * channels * (channels // 2) + 2 * (channels // 2)
        channels //= 2
    return total + 4 * 4 * channels * 3 + 3  # the last one to RGB, with its bias


exercises.check("07.1", generator_parameters)
trainable = sum(int(np.prod(w.shape)) for w in networks["generator"].trainable_weights)
print(f"This chapter's generator (z of {LATENT_DIM}, {RESOLUTION} px, width {width}): "
      f"{generator_parameters(LATENT_DIM, RESOLUTION, width):,} counted, {trainable:,} in the built network; "
      f"the paper's (width 128, 64 px): {generator_parameters(100, 64, 128):,}.")

# %% [markdown]
# The projection and the first transposed convolution hold most of them; the transposed convolutions
# grow with the square of the width, the projection with the width times the length of $z$. Keras'
# `count_params()` is larger:
# it also counts each batch norm's moving mean and variance, which are not trained.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 07.2 The discriminator at 128 px
# :label: ex-07-2
# :nonumber:
# ```
#
# With `RESOLUTION = 128` and the smoke profile's `WIDTH = 16`, what is the shape of the map the
# discriminator flattens before its logit? Answer with a tuple `(height, width, channels)`.

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
blocks = int(math.log2(128 // 4))  # stride-2 blocks from 128 px down to 4 px
last_map = (128 // 2**blocks, 128 // 2**blocks, 16 * 2 ** (blocks - 1))
exercises.check("07.2", last_map)
print("Built:", tuple(gan.discriminator(128, 16).get_layer("flatten").input.shape[1:]))

# %% [markdown]
# Five blocks, each halving the side and doubling the channels from the first block's 16: the logit
# always sees a $4 \times 4$ map, whose depth grows with the resolution.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 07.3 The KID, written out
# :label: ex-07-3
# :nonumber:
# ```
#
# Write `kid(real, fake)`, the unbiased estimator of §7.3 with the kernel $k(x, y) = (x \cdot y / d + 1)^3$,
# for two NumPy arrays of features `[m, d]` and `[n, d]` (with $m \ne n$ allowed). Set `answer = kid`; it
# is compared with `mnlib.gan.kid` on feature sets you have not seen (of at most 1000 rows, which it uses
# whole).

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
    kxx, kyy, kxy = ((a @ b.T / d + 1) ** 3 for a, b in ((x, x), (y, y), (x, y)))
    within = (kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return within - 2 * kxy.mean()  # i != j within a set, every pair across


exercises.check("07.3", kid)
rng = np.random.default_rng(SEED)  # at most 1000 real images of each split, drawn from every class
train_rows, val_rows = (rng.permutation(len(f))[:1000] for f in (train_features, val_features))
print(f"With the chapter's features: generated against training images "
      f"{kid(train_features[train_rows], sample_features):.4f}, test against training images "
      f"{kid(train_features[train_rows], val_features[val_rows]):.4f}{settings.caption}.")

# %% [markdown]
# Leaving out the diagonal ($i = j$) is what makes the estimator unbiased: $k(x_i, x_i)$ is a point's
# similarity with itself, not with another draw of the distribution. That is why two samples of one
# distribution score about 0, and sometimes a little below.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 07.4 The loss at the equilibrium
# :label: ex-07-4
# :nonumber:
# ```
#
# At the end of a perfectly balanced game the discriminator cannot tell the samples from real images and
# says $D = 1/2$ to every image. What is then its loss `d_loss`, as §7.1's `DCGAN` computes it (natural
# logarithms)? Within 0.1 % counts.

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
exercises.check("07.4", -math.log(1 / 2) - math.log(1 - 1 / 2))  # label 1 on real images + label 0 on samples
print(f"Last epoch of this run: d_loss {last['d_loss']:.3f} (log 4 = {math.log(4):.3f}), "
      f"g_loss {last['g_loss']:.3f} (log 2 = {math.log(2):.3f}){settings.caption}.")

# %% [markdown]
# $\log 4 \approx 1.386$: the two cross-entropies of $\log 2$ each are summed. The generator's loss
# at $D = 1/2$ is $\log 2$. A `d_loss` well below $\log 4$ with a `g_loss` well above $\log 2$ is a
# discriminator ahead; near those values the game is even, or neither network has learned anything yet
# (compare with $D(x)$ and $D(G(z))$ in §7.4).
#
# ```{solution-end}
# ```

# %% [markdown]
# ### Open questions
#
# ```{exercise} Open question
# :label: ex-07-open-1
# :nonumber:
# Read the curves of §7.4 for this run. Which of them would show the report's "the classifier's network
# overpowered the generator", and do they show it here? Predict how the curves would change with one-sided
# label smoothing (`DCGAN(label_smoothing=0.1)`), then rerun with `EPOCHS` raised and check.
# ```
#
# ```{exercise} Open question
# :label: ex-07-open-2
# :nonumber:
# §7.10 prints the difference in top-1 between the two classifiers and two standard errors of one
# accuracy. Does this run's augmentation result say anything? How many test images, or how many seeds
# per arm, would it take to tell a difference of one point from noise?
# ```
#
# ```{exercise} Open question
# :label: ex-07-open-3
# :nonumber:
# The KID of §7.5 is measured in the features of a classifier trained on the same breeds. Describe
# samples that would score well in those features and still not look like dogs, and say what the
# InceptionV3 KID or the nearest neighbours of §7.8 add.
# ```
