"""The input pipeline: a loader's files to batches of model input.

:func:`pipeline` streams the files, decodes them in parallel, resizes them to
the model's resolution (the paper's resolution multiplier ρ sets it), applies
the model family's own preprocessing and optional augmentation, shuffles,
batches and prefetches. Only a few batches are in memory at any time.

Every epoch is a function of ``(seed, epoch)``: its order and its augmentation
draws are stateless random functions of them, the streams ``"data_order"``
and ``"augmentation"`` of :mod:`mnlib.streams`. Asking for epoch 3 gives the
same batches whether epochs 0-2 were just iterated or the process was
restarted (a training run resumed from a backup sees the data an
uninterrupted run would). Introduced in chapter 0.
"""

from __future__ import annotations

import tensorflow as tf

from mnlib import checks, streams
from mnlib.data.loaders import FileDataset, decode

__all__ = [
    "FAMILIES",
    "INCEPTION_MIN_RESOLUTION",
    "resize",
    "preprocess",
    "AUGMENTATION",
    "augment_image",
    "pipeline",
    "batches_per_epoch",
]

#: Model families whose preprocessing :func:`pipeline` applies.
FAMILIES: tuple[str, ...] = ("mobilenet", "vgg16", "inception_v3")

#: Keras' InceptionV3 refuses inputs smaller than 75 x 75 pixels.
INCEPTION_MIN_RESOLUTION = 75


def _model_resolution(resolution: int, family: str) -> int:
    checks.choice("family", family, FAMILIES)
    resolution = checks.integer("resolution", resolution, 8, unit="number of pixels")
    if family == "inception_v3":
        return max(int(resolution), INCEPTION_MIN_RESOLUTION)
    return int(resolution)


def resize(image: tf.Tensor, resolution: int) -> tf.Tensor:
    """Resize an image to ``resolution x resolution`` pixels, as float32 in [0, 255].

    Bilinear, with anti-aliasing when shrinking (so detail finer than the new
    pixel grid is averaged away, not aliased into false patterns); the aspect
    ratio is not kept (the photo is squeezed to a square), as Keras' image
    loaders do.
    """
    image = tf.image.resize(image, (resolution, resolution), antialias=True)
    return tf.clip_by_value(image, 0.0, 255.0)


def preprocess(images: tf.Tensor, family: str) -> tf.Tensor:
    """A model family's own input scaling, from float RGB in [0, 255].

    ``"mobilenet"`` and ``"inception_v3"``: ``x / 127.5 - 1``, in [-1, 1].
    ``"vgg16"``: "caffe" mode, RGB to BGR and the ImageNet mean pixel
    (103.939, 116.779, 123.68) subtracted, no scaling. These are
    ``keras.applications.<family>.preprocess_input``, called here.
    """
    from keras.applications import inception_v3, mobilenet, vgg16

    functions = {
        "mobilenet": mobilenet.preprocess_input,
        "inception_v3": inception_v3.preprocess_input,
        "vgg16": vgg16.preprocess_input,
    }
    if family not in functions:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}.")
    return functions[family](tf.cast(images, tf.float32))


#: What ``augment=True`` does, in order (see :func:`augment_image`).
AUGMENTATION = {
    "crop": (0.8, 1.0),  # random crop: each side scaled by one factor in this range
    "flip": 0.5,  # probability of a left-right flip
    "brightness": 0.1,  # +- this fraction of the full range (255)
    "contrast": (0.8, 1.2),  # factor range
    "saturation": (0.8, 1.2),  # factor range
}


def augment_image(image: tf.Tensor, resolution: int, seed: tf.Tensor) -> tf.Tensor:
    """Random crop, resize, flip and colour change of one image; float32 [r, r, 3] in [0, 255].

    The crop keeps a window whose sides are the same random fraction (0.8 to 1)
    of the image's sides, at a random position; it is resized to
    ``resolution``; a left-right flip follows with probability 1/2; brightness
    moves by up to 10 % of the range, contrast and saturation are scaled by 0.8
    to 1.2 (:data:`AUGMENTATION`). Every draw is a stateless function of
    ``seed`` (int ``[2]``), so the same seed gives the same result.
    """
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 6)
    shape = tf.shape(image)
    lo, hi = AUGMENTATION["crop"]
    scale = tf.random.stateless_uniform([], seeds[0], lo, hi)
    crop = tf.stack(
        [
            tf.maximum(1, tf.cast(tf.round(scale * tf.cast(shape[0], tf.float32)), tf.int32)),
            tf.maximum(1, tf.cast(tf.round(scale * tf.cast(shape[1], tf.float32)), tf.int32)),
            3,
        ]
    )
    image = tf.image.stateless_random_crop(image, crop, seeds[1])
    image = resize(image, resolution)
    flip = tf.random.stateless_uniform([], seeds[2]) < AUGMENTATION["flip"]
    image = tf.cond(flip, lambda: tf.image.flip_left_right(image), lambda: image)
    image = tf.image.stateless_random_brightness(image, AUGMENTATION["brightness"] * 255.0, seeds[3])
    image = tf.image.stateless_random_contrast(image, *AUGMENTATION["contrast"], seeds[4])
    image = tf.image.stateless_random_saturation(image, *AUGMENTATION["saturation"], seeds[5])
    return tf.clip_by_value(image, 0.0, 255.0)


def pipeline(
    dataset,
    *,
    resolution: int,
    family: str = "mobilenet",
    batch_size: int = 32,
    augment: bool = False,
    shuffle: bool = True,
    seed: int = 0,
    epoch: int = 0,
    epochs: int | None = 1,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """Model input from a loader's dataset: batches of ``(float32 [B, r, r, 3], int32 [B])``.

    Steps, in order: shuffle the file names (when ``shuffle``); read and decode
    the files, in parallel; augment (when ``augment``, :func:`augment_image`) or
    just :func:`resize` to ``r``; apply the family's :func:`preprocess`; batch;
    prefetch. Batches never straddle two epochs.

    Args:
        dataset: a :class:`~mnlib.data.FileDataset`, as :func:`~mnlib.data.tiny_imagenet`
            and :func:`~mnlib.data.stanford_dogs` return it.
        resolution: side ``r`` of the square model input in pixels (ρ times the
            base resolution). For ``"inception_v3"`` at least 75
            (:data:`INCEPTION_MIN_RESOLUTION`): smaller values are raised to 75.
        family: ``"mobilenet"``, ``"vgg16"`` or ``"inception_v3"``: whose
            preprocessing to apply ([-1, 1] for MobileNet and InceptionV3,
            "caffe" BGR mean subtraction for VGG16).
        batch_size: images per batch.
        augment: random crop, flip and colour change (:data:`AUGMENTATION`),
            drawn anew for every image of every epoch; for training only.
        shuffle: shuffle the order, differently in every epoch; ``False`` keeps
            the loader's order (for evaluation).
        seed: an integer >= 0; with the epoch, it fixes each epoch's order
            and augmentation draws (:func:`mnlib.streams.key`).
        epoch: the first epoch to give (0-based).
        epochs: how many epochs to give, one after another; ``None`` for all
            epochs from ``epoch`` on, without end (for a training run, which
            stops after its own number of steps).
        drop_remainder: drop the last, smaller batch of each epoch.

    Returns:
        A batched, prefetched ``tf.data.Dataset``; :func:`batches_per_epoch`
        says how many of its batches make one epoch.
    """
    size = _model_resolution(resolution, family)
    checks.integer("batch_size", batch_size, 1)
    checks.integer("epoch", epoch, 0)
    checks.integer("seed", seed, 0)
    if epochs is not None:
        checks.integer("epochs", epochs, 1)
    if not isinstance(dataset, FileDataset):
        raise TypeError(
            "pipeline needs a loader's dataset (mnlib.data.tiny_imagenet, stanford_dogs or load), "
            f"which knows its files; got {type(dataset).__name__}."
        )
    paths = tf.constant(dataset.files.paths)
    labels = tf.constant(dataset.files.labels, tf.int32)
    count = len(dataset.files)
    seed = int(seed)
    parallel = dict(num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    def element(number, position, index):
        image = decode(tf.io.read_file(paths[index]))
        if augment:
            image = augment_image(image, size, streams.key(seed, "augmentation", number, position))
        else:
            image = resize(image, size)
        return tf.ensure_shape(preprocess(image, family), [size, size, 3]), labels[index]

    def one_epoch(number):
        if shuffle:
            order = tf.argsort(tf.random.stateless_uniform([count], seed=streams.key(seed, "data_order", number)))
        else:
            order = tf.range(count)
        ds = tf.data.Dataset.from_tensor_slices((tf.range(count, dtype=tf.int64), order))
        ds = ds.map(lambda position, index: element(number, position, index), **parallel)
        return ds.batch(batch_size, drop_remainder=drop_remainder)

    if epochs is None:
        numbers = tf.data.Dataset.counter(start=epoch)
    else:
        numbers = tf.data.Dataset.range(epoch, epoch + epochs)
    ds = numbers.flat_map(one_epoch)
    if epochs is not None:  # flat_map hides the size, which len() and Keras use
        per_epoch = count // batch_size if drop_remainder else -(-count // batch_size)
        ds = ds.apply(tf.data.experimental.assert_cardinality(per_epoch * epochs))
    options = tf.data.Options()
    options.deterministic = True
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)


def batches_per_epoch(dataset, batch_size: int, drop_remainder: bool = False) -> int:
    """Batches in one epoch of :func:`pipeline` over ``dataset`` (a :class:`~mnlib.data.FileDataset`)."""
    checks.integer("batch_size", batch_size, 1)
    count = len(dataset)
    return count // batch_size if drop_remainder else -(-count // batch_size)
