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
# # 0. The datasets
#
# Before any network, the data. The course report that this book reproduces
# runs its experiments on two datasets: Tiny ImageNet, small pictures of 200
# everyday classes, and Stanford Dogs, larger photos of 120 dog breeds. This
# first chapter says what each one is, how to get it, how the course reads
# it, and what goes wrong on the way from files to a model. It ends with a
# caveat about Stanford Dogs and with what the report gets wrong about both
# datasets. Nothing here needs MobileNet yet: chapter 1 starts on the
# network itself, and chapters 3 and 4 train it on these datasets.
#
# Two problems in the report shape the code. Its authors ran out of RAM because
# they loaded every image at once, and they lost accuracy when they changed
# how images were scaled. The course therefore streams images from their
# files, a batch at a time, and gives each model the scaling it was built for.
# Everything below comes from one module, `mnlib.data`, which the training
# chapters also use.
#
# In the default `"smoke"` profile this page runs offline in about a minute
# on stand-in data (described below). With `PROFILE = "full"` it downloads
# and reads the real archives: about 1 GB for both datasets, so run it on
# Colab.

# %% [markdown]
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you will be able to:
# * say what Tiny ImageNet and Stanford Dogs contain, and fetch and check them with `mnlib.data`;
# * explain why the course's smoke runs use synthetic stand-ins, and what their numbers can and cannot show;
# * follow an image from its file to a model's input batch (decoding, resizing, preprocessing, augmentation);
# * predict how many batches an epoch has, and make any image three-channel RGB.
#
# **Prerequisites**: Python and NumPy; what an image classifier's training and evaluation splits are.
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
# "smoke" (stand-in data, about a minute on a 2-core CPU) or "full"
# (the real archives)
PROFILE = "smoke"
# folder of the datasets (downloads, extracted archives, stand-ins);
# None: data/ at the course root, or ./data outside the repository
DATA_DIR = None
# which dataset(s) to show: "tiny-imagenet", "stanford-dogs" or "both"
# (the first is used from "From files to model input" on)
DATASET = "both"
# classes the small probe CNN learns, 2 to 120 (the stand-ins have 10;
# the report used 10 Tiny ImageNet classes)
PROBE_CLASSES = 10
# training epochs of the probe CNN at each resolution, 1 to 50
PROBE_EPOCHS = 6
# input sizes in pixels at which the probe CNN is trained, each at least 8
PROBE_RESOLUTIONS = [64, 32]

# %%
import mnlib  # first: imports TensorFlow quietly

import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import tensorflow as tf

from mnlib import data, stats

# this chapter's figures are photos: JPEG keeps the page light
# %config InlineBackend.figure_formats = ["jpeg"]

if PROFILE not in ("smoke", "full"):
    raise ValueError(f'PROFILE must be "smoke" or "full"; got {PROFILE!r}')
if DATASET not in ("both", *data.NAMES):
    raise ValueError(
        f'DATASET must be "both" or one of {data.NAMES}; got {DATASET!r}'
    )
SHOWN = list(data.NAMES) if DATASET == "both" else [DATASET]
DATA_DIR = DATA_DIR or mnlib.course_folder("data")

# %% [markdown]
# ## 0.1 What the two datasets are
#
# | | Tiny ImageNet | Stanford Dogs |
# |---|---|---|
# | classes | 200 (ImageNet synsets, named by their WordNet id, e.g. `n01443537`) | 120 dog breeds |
# | training images | 100,000 (500 per class) | 12,000 (100 per breed) |
# | evaluation images | 10,000 labelled validation images (50 per class), and 10,000 unlabelled test images | 8,580 test images (the other photos of each breed) |
# | image size | 64 × 64 pixels | varies, typically a few hundred pixels a side |
# | also in the archive | a bounding box per image | a bounding box per dog (XML files) |
# | source | Stanford's CS231n course, from ImageNet | Khosla et al. (2011), from ImageNet |
#
# The counts are those of the official archives (Stanford Dogs: Khosla,
# Jayadevaprakash, Yao and Fei-Fei, *Novel dataset for fine-grained image
# categorization*, CVPR workshop on fine-grained visual categorization, 2011).
# Both datasets were made from ImageNet pictures, which matters at the end of
# this chapter. The report trains on 10 or all 200 Tiny ImageNet classes at
# 64 px, and on Stanford Dogs at 64 and 128 px.
#
# The archives, where they are published and the checksums that the download
# verifies:

# %%
# NBVAL_CHECK_OUTPUT
pd.DataFrame(
    [
        (
            name,
            a.filename,
            f"{a.size / 1e6:,.1f}",
            a.hash_algorithm,
            a.file_hash[:16] + "…",
            a.url,
        )
        for name, archives in data.ARCHIVES.items()
        for a in archives
    ],
    columns=["dataset", "archive", "MB", "checksum", "value (start)", "URL"],
)

# %% [markdown]
# ## 0.2 Getting them
#
# One call gives the root folder of a dataset: `data.prepare(name, DATA_DIR)`
# for the official archive, `data.prepare(name, DATA_DIR, synthetic=True)` for
# its synthetic stand-in (the smoke profile's choice). For the archive it calls
# `data.download`, which fetches the archives with Keras' `get_file` (progress
# bar; a file already downloaded is kept), checks each one against the
# checksum above, extracts it, and returns the dataset's root. A complete root
# is returned straight away, without the network. On Colab, keep the data on
# the runtime's own disk, which is faster than Google Drive:
#
# ```python
# from mnlib import data
# tiny_root = data.download("tiny-imagenet", "/content/data")   # 248 MB
# dogs_root = data.download("stanford-dogs", "/content/data")   # 816 MB in three files
# ```
#
# Without network access, `download` fails at once with a message naming the
# files to fetch by hand and the folder to put them in; the next call then
# checks and extracts them. With `synthetic=True`, `prepare` writes the
# stand-ins instead: the same layout, generated here in a few seconds.

# %%
roots = {
    name: data.prepare(name, DATA_DIR, synthetic=PROFILE == "smoke")
    for name in SHOWN
}
for name, root in roots.items():
    synthetic = data.is_synthetic(root)
    kind = "synthetic stand-in" if synthetic else "official archive"
    print(f"{name:14} {root}  ({kind})")

# %% [markdown]
# A loader pointed at the wrong folder says where it looked and how to get the
# data:

# %%
try:
    data.tiny_imagenet(Path(DATA_DIR) / "no-such-folder")
except FileNotFoundError as err:
    print(err)

# %% [markdown]
# ## 0.3 The stand-ins
#
# CI runs without network access, so the smoke profile cannot use the real
# images. Instead, `data.synthetic` writes small datasets in exactly the
# official layouts: for Tiny ImageNet `wnids.txt`, `words.txt`,
# `train/<wnid>/images/*.JPEG` with `<wnid>_boxes.txt`, and `val/images` with
# `val/val_annotations.txt`; for Stanford Dogs `Images/<wnid>-<breed>/*.jpg`,
# `Annotation/` and the three MATLAB lists. The same loaders read them as
# they read the real data.
#
# A stand-in is only useful if it behaves like the real thing where the
# chapters look. Each of its ten classes (`data.CLASSES`) is an object of one
# of five shapes, each shape in its own band of hues, filled with fine
# stripes, horizontal or vertical, over a smooth random background. Shape and
# colour are coarse cues that survive any shrinking; the stripes are a fine
# cue (a period of 2.2 to 5 pixels in a 64-pixel image) that blurs away when
# an image is shrunk. Two classes share each shape, so at full resolution
# every class can be told apart, and at low resolution only the shape is left:
# as with real photos, the task gets harder as the resolution falls, which
# gives the resolution study (chapter 4) a real effect to measure. The coarse
# cues let a MobileNet trained from scratch learn within a few minutes on a
# CPU (chapter 3). No class is the mirror image of another, so flipping an
# image for augmentation never changes its class. Stand-in class names say
# what they are: their wnids (`n90000000`…) lie outside WordNet's range, and
# the dog "breeds" are named after their shape and stripes. They are
# generated from a seed when needed and never committed.
#
# ## 0.4 Tiny ImageNet and Stanford Dogs, as loaded
#
# Each loader returns an unbatched `tf.data.Dataset` of `(uint8 image, int32
# label)` and the class names: `names[label]` is the wnid or breed folder, and
# `names.readable[label]` is the human-readable name. The `classes` argument
# selects a subset: an int `k` takes the first `k` wnids in sorted order (the
# same on every machine), and a list takes those classes in that order. The
# report does not say which 10 classes it used.

# %%
# NBVAL_CHECK_OUTPUT
loaded = {}
rows = []
for name, root in roots.items():
    for split in data.SPLITS[name]:
        ds, names = data.load(name, root, split)
        loaded[name, split] = ds, names
        sizes = data.image_sizes(data.source_files(ds)[0])
        rows.append(
            (
                name,
                split,
                len(ds),
                len(names),
                f"{sizes.min(axis=0)[0]}-{sizes.max(axis=0)[0]}",
                f"{sizes.min(axis=0)[1]}-{sizes.max(axis=0)[1]}",
            )
        )
print("synthetic stand-ins" if PROFILE == "smoke" else "official archives")
pd.DataFrame(
    rows,
    columns=["dataset", "split", "images", "classes", "width px", "height px"],
)

# %% [markdown]
# The first few images of the first classes, with each class's readable
# name:

# %%
for name in roots:
    ds, names = loaded[name, "train"]
    stand_in = (
        " (synthetic stand-in)" if data.is_synthetic(roots[name]) else ""
    )
    data.example_grid(
        ds,
        names,
        per_class=4,
        max_classes=5,
        title=f"{name}{stand_in}:\nfirst training images of "
        f"{min(5, len(names))} classes",
    )
    plt.show()

# %% [markdown]
# ## 0.5 Not every file is a plain RGB JPEG
#
# The real archives contain a few files that an image loader might not
# expect. Tiny ImageNet has grayscale JPEGs (one channel) among its colour ones.
# Stanford Dogs, made from ImageNet's original photos, has grayscale JPEGs too,
# CMYK JPEGs (four channels, as print shops save them), and a PNG file with a
# `.jpg` name. A loader that trusts the file extension, or assumes three
# channels, fails on such files, sometimes hours into training. `data.decode`
# identifies the format from the file's content and always returns three RGB
# channels. The table counts each kind of file, reading only the file headers
# (the stand-ins plant a few of each kind):

# %%
# NBVAL_CHECK_OUTPUT
for name in roots:
    paths = np.concatenate(
        [data.source_files(loaded[name, s][0])[0] for s in data.SPLITS[name]]
    )
    synthetic = data.is_synthetic(roots[name])
    print(f"{name}{' (synthetic stand-in)' if synthetic else ''}:")
    print(data.image_formats(paths).to_string(index=False), end="\n\n")

# %% [markdown]
# Files that cannot be decoded at all (a truncated download, or an error page
# saved under an image's name) are a different matter. The loaders decode
# every file once, before any training starts, and skip the bad ones with a
# warning that names each one. With `bad_files="raise"` they refuse to
# continue instead. Either way, a long run cannot end on an anonymous decode
# error. Here is what the warning says for a small stand-in with two bad
# files planted:

# %%
with tempfile.TemporaryDirectory() as tmp:
    broken = data.synthetic(
        "tiny-imagenet",
        Path(tmp) / "tiny-imagenet-200",
        classes=2,
        images_per_class=5,
        eval_images_per_class=1,
        corrupt=2,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds, _ = data.tiny_imagenet(broken, "train")
    print(str(caught[0].message).replace(tmp, "<tmp>"))
    print(f"{len(ds)} images kept")

# %% [markdown]
# ## 0.6 From files to model input
#
# `data.pipeline(dataset, resolution=..., family=...)` turns a loader's
# dataset into batches for a model:
#
# 1. **shuffle** the file names (all of them, so each epoch is fully shuffled),
#    with a new order every epoch;
# 2. **read and decode** the files, several in parallel;
# 3. **resize** to the model's resolution ($\rho \times 224$ in the paper's
#    terms, with the resolution multiplier $\rho$ that chapter 1 explains),
#    averaging away detail finer than the new pixels (anti-aliasing).
#    InceptionV3 is given at least 75 px, the smallest input Keras accepts for
#    it;
# 4. **preprocess** as the model family expects: MobileNet and InceptionV3
#    want values in $[-1, 1]$; VGG16 wants "caffe" inputs, with the channels in
#    BGR order and ImageNet's mean pixel subtracted. A pretrained model given
#    the wrong scaling sees inputs unlike anything it was trained on;
# 5. **batch**, and **prefetch** the next batches while the model works on the
#    current one.
#
# Only the list of file names and a few batches are in memory at any time.
# The script `benchmarks/pipeline_memory.py` measures that memory stays flat
# when the dataset is ten times larger, and `benchmarks/pipeline_throughput.py`
# measures that the pipeline delivers images faster than MobileNet can train
# on them.
#
# One batch per family, at 64 px:

# %%
MAIN = SHOWN[0]
train, names = loaded[MAIN, "train"]
rows = []
for family in data.FAMILIES:
    x, y = next(
        iter(data.pipeline(train, resolution=64, family=family, batch_size=16))
    )
    rows.append(
        (
            family,
            tuple(x.shape),
            x.dtype.name,
            f"{float(tf.reduce_min(x)):.1f}",
            f"{float(tf.reduce_max(x)):.1f}",
            y.dtype.name,
        )
    )
pd.DataFrame(
    rows, columns=["family", "images", "dtype", "min", "max", "labels dtype"]
)

# %% [markdown]
# With `augment=True`, each training image is changed at random before use:
# a crop keeping 80 to 100 % of each side, a left-right flip half of the time,
# and small changes of brightness (±10 %), contrast and saturation (×0.8 to
# 1.2). The report credits augmentation with raising its 10-class test
# accuracy from about 50 % to about 90 %. Six draws for one image:

# %%
image, label = next(iter(train))
views = [
    data.augment_image(image, 64, tf.constant([1, k])).numpy() / 255
    for k in range(6)
]  # six seeds
fig, axes = plt.subplots(1, 7, figsize=(8, 1.9))
for ax, picture, title in zip(
    axes,
    [image.numpy() / 255, *views],
    ["stored", *[f"draw {k}" for k in range(1, 7)]],
):
    ax.imshow(picture)
    ax.set_title(title, fontsize=10)
    ax.axis("off")
stand_in = " (synthetic stand-in)" if data.is_synthetic(roots[MAIN]) else ""
fig.suptitle(
    f"{names.readable[int(label)]}{stand_in}:\n"
    "random crop, flip and colour change",
    y=1.12,
)
plt.show()

# %% [markdown]
# Shuffling and augmentation are random, but reproducible: the seed fixes the
# order and every random draw, epoch after epoch, so a rerun trains on the
# same batches.

# %%
# NBVAL_CHECK_OUTPUT
def first_batch(files, seed):
    """The first augmented batch that the pipeline makes of ``files``."""
    batches = data.pipeline(files, resolution=32, augment=True, seed=seed)
    images, labels = next(iter(batches))
    return images.numpy(), labels.numpy()


a, b = first_batch(train, seed=0), first_batch(train, seed=0)
c = first_batch(train, seed=1)
print(
    "same seed, same first batch:   ",
    all(np.array_equal(u, v) for u, v in zip(a, b)),
)
print(
    "another seed, same first batch:",
    all(np.array_equal(u, v) for u, v in zip(a, c)),
)

# %% [markdown]
# ## 0.7 What resolution does
#
# The paper's resolution multiplier $\rho$ shrinks the input image (chapter 1
# counts what that saves, chapter 4 what it costs in accuracy); the report
# tries 64, 52, 44 and 36 px (its Table 4), ρ = 1, 0.8125, 0.6875 and 0.5625
# of its 64-px images. Shrinking keeps the overall
# shape and colour of an image, but the finest detail is averaged away. One
# image at those sizes, resized as the pipeline resizes it:

# %%
sizes = [64, 52, 44, 36]
fig, axes = plt.subplots(1, len(sizes), figsize=(7, 2.4))
for ax, size in zip(axes, sizes):
    ax.imshow(data.resize(image, size).numpy().astype("uint8"))
    ax.set_title(f"{size} px (ρ = {size / 64:g})", fontsize=10)
    ax.axis("off")
fig.suptitle(
    f"{names.readable[int(label)]}{stand_in}:\n"
    "finer detail disappears as ρ falls",
    y=1.1,
)
plt.show()

# %% [markdown]
# How much class information survives? A small CNN (three convolutions, in
# `data.probe_accuracy`) is trained briefly on the training split at each
# resolution and scored on the evaluation split, each accuracy with its 95 %
# interval. This probe only asks whether the signal is learnable and whether
# it fades with the size; MobileNet's own resolution study, with a test of
# each step, is chapter 4.

# %%
probe_train, probe_names = data.load(
    MAIN, roots[MAIN], "train", classes=min(PROBE_CLASSES, len(names))
)
probe_eval, _ = data.load(MAIN, roots[MAIN], "eval", classes=len(probe_names))
probe = pd.DataFrame(
    [
        (
            r,
            data.probe_accuracy(
                probe_train, probe_eval, resolution=r, epochs=PROBE_EPOCHS
            ),
        )
        for r in PROBE_RESOLUTIONS
    ],
    columns=["resolution px", "accuracy"],
)
print(
    f"{MAIN}{stand_in}, {len(probe_names)} classes, "
    f"{PROBE_EPOCHS} epochs per resolution:"
)
# each accuracy with its 95 % Wilson interval over the evaluation images
probe["accuracy"] = [stats.accuracy_text(a, len(probe_eval))
                     for a in probe["accuracy"]]
print(probe.to_string(index=False))
print("One probe per size, one seed: the intervals show how far each figure "
      "could move on other test images, not what another seed would give.")

# %% [markdown]
# ## 0.8 A caveat: Stanford Dogs is part of ImageNet
#
# Stanford Dogs was built from ImageNet's pictures and labels, and its 120
# breeds are ImageNet classes. Keras' pretrained MobileNet, VGG16 and
# InceptionV3 were all trained on ImageNet, so they have very likely seen many
# Stanford Dogs test photos, with the right breed attached, before any
# fine-tuning starts. Test accuracy of a pretrained model on Stanford Dogs is
# therefore optimistic: part of the test set is not new to the model. The
# same holds, in a milder form, for Tiny ImageNet, whose images are shrunken
# ImageNet images. The report's pretrained results on both datasets (for
# example 49.4 % for MobileNet on Stanford Dogs, and 24.86 % for Keras'
# pretrained MobileNet on 200 Tiny ImageNet classes) carry this caveat, and
# so do the course's. A model trained from scratch, like the report's own
# MobileNet on Tiny ImageNet, does not. The paper's Stanford Dogs result
# (Table 10) comes from a model trained on a large, noisy set of web dog
# images and then fine-tuned, a different setting again.
#
# ## 0.9 What the report gets wrong about the data
#
# - **Stanford Dogs has 120 classes, not 200.** The report's Stanford Dogs
#   results table lists 200 classes for all three models, yet its text gives
#   120.
# - **Its image counts do not add up.** The report describes "about 150 images"
#   per breed and "about 21000" in total; 120 × 150 is 18,000. The dataset has
#   20,580 photos, about 171 per breed.
# - **"100k photos" for Tiny ImageNet counts only the training split.** The
#   10,000 test images have no public labels, so any test accuracy must come
#   from the 10,000 validation images or from held-out training images. The
#   report does not say which it used.
# - **Loading everything into RAM.** The report blames the data's size for the
#   crashes. Decoded as float32 arrays, the 100,000 Tiny ImageNet training
#   images alone take 100,000 × 64 × 64 × 3 × 4 bytes, about 4.9 GB, whereas streaming from the files needs
#   only a few batches at a time.
# - **"Normalising each image" made training slower and worse.** The report
#   does not say what it did, so the cause cannot be checked. A common way for
#   this to happen is to scale images differently from the way a pretrained
#   network was trained ($[-1, 1]$ for MobileNet and InceptionV3, caffe BGR mean
#   subtraction for VGG16). The pipeline applies each family's own
#   preprocessing, which rules that cause out here.
# - **Which 10 classes?** The 10-class results cannot be repeated exactly
#   without the class list. The course's `classes=10` is a documented choice:
#   the first 10 wnids in sorted order.
#
# ## Summary
#
# * Tiny ImageNet (200 classes, 64 px) and Stanford Dogs (120 breeds, larger
#   photos) both come from ImageNet; `mnlib.data` downloads them, checks them,
#   and streams them from their files a batch at a time.
# * The smoke profile uses synthetic stand-ins in exactly the official
#   layouts, so the same code runs offline and in CI.
# * Each model family gets its own preprocessing, and a fixed seed fixes the
#   order and the augmentation of every batch.
# * Shrinking the input removes the finest detail first, the effect that the
#   resolution multiplier trades against cost.
#
# Chapter 1 leaves the data aside and counts what a convolution costs;
# chapter 2 builds MobileNet; chapters 3 and 4 train it on these datasets,
# the smoke profile on the stand-ins and the full profile on the archives,
# with the same code.

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
# ```{exercise-start} 00.1 Batches in an epoch
# :label: ex-00-1
# :nonumber:
# ```
#
# The report trains on 10 Tiny ImageNet classes. With batches of 64 images, the last batch of
# an epoch kept even if it is not full, how many training steps does one epoch take? Use the counts of
# §0.1. Answer with an integer.

# %%
answer = None  # your answer
exercises.check("00.1", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-00-1
# :class: dropdown
# ```

# %%
import math

images = 10 * 500  # 10 classes of 500 training images (§0.1)
exercises.check("00.1", math.ceil(images / 64));

# %% [markdown]
# 5000 images make 78 full batches of 64 and one of 8.
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 00.2 Three channels from one
# :label: ex-00-2
# :nonumber:
# ```
#
# Some files of §0.5 are grayscale. Write `to_rgb(image)`: given a `uint8` NumPy array of
# shape `(H, W)`, `(H, W, 1)` or `(H, W, 3)`, return the `(H, W, 3)` RGB image (a gray pixel has equal
# red, green and blue). Set `answer = to_rgb`; the check runs it on arrays you have not seen.

# %%
answer = None  # your answer
exercises.check("00.2", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-00-2
# :class: dropdown
# ```

# %%
import numpy as np


def to_rgb(image):
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., np.newaxis]
    return np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image


exercises.check("00.2", to_rgb);

# %% [markdown]
# `data.decode` does the same inside TensorFlow (`expand_animations=False, channels=3`).
#
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise-start} 00.3 MobileNet's input scaling
# :label: ex-00-3
# :nonumber:
# ```
#
# §0.6 says that MobileNet wants its inputs in $[-1, 1]$. Write `mobilenet_scale(pixels)`
# that maps a `uint8` array of any shape to `float32` values, 0 to −1 and 255 to 1, linearly. Set
# `answer = mobilenet_scale`.

# %%
answer = None  # your answer
exercises.check("00.3", answer);

# %% [markdown]
# ```{exercise-end}
# ```
#
# ```{solution-start} ex-00-3
# :class: dropdown
# ```

# %%
def mobilenet_scale(pixels):
    return np.asarray(pixels, dtype=np.float32) / 127.5 - 1.0


exercises.check("00.3", mobilenet_scale);

# %% [markdown]
# This is `keras.applications.mobilenet.preprocess_input` (mode "tf"), which `data.pipeline` applies
# for the family `"mobilenet"`.
#
# ```{solution-end}
# ```

# %% [markdown]
# ### Open questions
#
# ```{exercise} Open question
# :label: ex-00-open-1
# :nonumber:
# The stand-in's classes differ by shape and by fine stripes (§0.3). Which of the two would you expect
# a network to lose first as the resolution falls, and what in §0.7's probe table supports or
# contradicts that?
# ```
#
# ```{exercise} Open question
# :label: ex-00-open-2
# :nonumber:
# Stanford Dogs' photos are part of ImageNet (§0.8). Design a check that would tell you whether an
# ImageNet-pretrained network's accuracy on Stanford Dogs owes something to having seen the test
# photos.
# ```
