"""Does adding a GAN's samples to the training images help a classifier? A controlled comparison.

:func:`compare` trains the same small MobileNet three times per seed, from
the same initial weights, with the same augmentation (:func:`mnlib.data.augment_image`
on every image, real or generated), and scores the three on the same test
images, image by image:

* ``"real"``: the real training images, ``epochs`` times;
* ``"real + generated"``: the same real images ``epochs`` times (each seen
  exactly as often as in ``"real"``) and as many generated images, mixed in
  a seeded order; each generated image is labelled with the class a trained
  classifier (the *judge*, :class:`~mnlib.gan.Classifier`) gives it
  (pseudo-labels: an unconditional DCGAN does not know classes). More
  steps than ``"real"``: the extra images add steps, they replace nothing;
* ``"real, as many steps"``: the control arm: the real images only, for as
  many steps as ``"real + generated"`` (what the extra steps do without a
  GAN).

The question "do the GAN's images help" is ``"real + generated"`` against
the control, paired on the same test images (:func:`mnlib.stats.paired`,
McNemar's test), per seed; over several seeds the differences get a mean
and an interval (:func:`mnlib.stats.spread`). What it cannot show: whether
a better GAN would help, or whether the judge's labels are right (a judge
near chance labels at random).

Generated images are kept as uint8 (a quarter of float32); the real ones
are read from their files each epoch. The result is kept as JSON in
``<results_dir>/gan/`` and loaded, not retrained, by a rerun with the same
settings. Introduced in chapter 7.
"""

from __future__ import annotations

import hashlib
import json
import pathlib

import numpy as np
import tensorflow as tf

from mnlib import results, streams

__all__ = ["compare", "ARMS"]

#: The three arms, in the order they are trained.
ARMS = ("real", "real + generated", "real, as many steps")


def compare(train, val, generator, judge, *, epochs, batch_size=32, seeds=(0,), alpha=0.25, results_dir="results",
            key="", verbose=0) -> dict:  # fmt: skip
    """Top-1 and per-image correctness of three MobileNets (:data:`ARMS`), per seed.

    Args:
        train, val: a loader's training and test datasets (:class:`mnlib.data.FileDataset`).
        generator: the trained generator; it makes as many images as
            ``train`` has, from the ``"samples"`` noise of the first seed
            (step 1), kept as uint8; their side ``r`` is the resolution
            every arm trains at.
        judge: the :class:`~mnlib.gan.Classifier` that labels them (its
            classes are the datasets', in the same order).
        epochs: passes over the real images in every arm.
        batch_size: images per step. alpha: the MobileNet's width (0.25: quick).
        seeds: one run of each arm per seed (initial weights, order, augmentation).
        results_dir: where the result is kept (``gan/augmentation-<digest>.json``).
        key: what else identifies the experiment (e.g. the GAN's record id).

    Returns:
        ``{"settings", "seeds": [{"seed", arm: {"top1", "correct": [bool per
        test image]}...}], "steps": {arm: steps}, "generated": m,
        "real_images": n, "test_images", "labels": counts per class of the
        judge's labels, "mean_confidence": the judge's mean top probability}``.
    """
    from mnlib import checks

    resolution = int(generator.output_shape[1])
    classes = int(judge.model.output_shape[-1])
    settings = dict(key=key, classes=classes, resolution=resolution, epochs=checks.integer("epochs", epochs, 1),
                    batch_size=checks.integer("batch_size", batch_size, 2), alpha=float(alpha),
                    seeds=[checks.integer("seed", s, 0) for s in seeds], generated=len(train), real=len(train),
                    judge=judge.source)  # fmt: skip
    path = pathlib.Path(results_dir) / "gan" / f"augmentation-{_digest(settings)}.json"
    saved = results.read_json(path)
    if isinstance(saved, dict) and saved.get("settings") == settings and saved.get("code") == results.CODE_VERSION:
        return saved
    pixels, labels, confidence = _generated(generator, judge, len(train), settings["seeds"][0])
    steps = {"real": -(-len(train) // batch_size)}
    steps["real + generated"] = steps["real, as many steps"] = -(-(len(train) + len(pixels)) // batch_size)
    runs = [_one_seed(train, val, pixels, labels, settings, seed, steps, verbose) for seed in settings["seeds"]]
    result = {
        "settings": settings, "code": results.CODE_VERSION, "seeds": runs, "steps": steps,
        "generated": len(pixels), "real_images": len(train), "test_images": len(val),
        "labels": np.bincount(labels, minlength=classes).tolist(), "mean_confidence": confidence,
    }  # fmt: skip
    results.write_json(path, result)
    return results.read_json(path)


def _generated(generator, judge, count, seed, batch_size=256):
    """``count`` images of ``generator`` as uint8, their judge's labels and its mean confidence, batch by batch."""
    from mnlib.gan.quality import to_pixels
    from mnlib.gan.training import noise

    z = noise(seed, "samples", count, int(generator.input_shape[-1]), step=1)
    pixels, labels, confidence = [], [], 0.0
    for start in range(0, count, batch_size):
        images = generator(z[start : start + batch_size], training=False)
        probabilities = judge.predict(images)
        pixels.append(np.asarray(tf.round(to_pixels(images)), np.uint8))
        labels.append(probabilities.argmax(axis=1).astype(np.int32))
        confidence += float(probabilities.max(axis=1).sum())
    return np.concatenate(pixels), np.concatenate(labels), confidence / count


def _one_seed(train, val, pixels, labels, settings, seed, steps, verbose) -> dict:
    """The three arms at one seed, from the same initial weights."""
    from mnlib import data
    from mnlib.models import mobilenet
    from mnlib.train import fit

    r, batch = settings["resolution"], settings["batch_size"]
    with streams.seeded(seed, "init"):
        start = mobilenet(alpha=settings["alpha"], input_shape=(r, r, 3), classes=settings["classes"])
    initial = start.get_weights()
    options = dict(resolution=r, family="mobilenet", augment=True, shuffle=True, seed=seed, epochs=None)
    streams_of = {
        "real": lambda first: data.pipeline(train, batch_size=batch, epoch=first, **options),
        "real + generated": lambda first: _pooled(train, pixels, labels, seed, first, r).batch(batch),
        "real, as many steps": lambda first: data.pipeline(train, batch_size=batch, epoch=first, **options),
    }
    test = data.pipeline(val, resolution=r, family="mobilenet", batch_size=64, shuffle=False)
    row = {"seed": seed}
    for arm, stream in streams_of.items():
        start.set_weights(initial)
        fit(start, stream, None, epochs=settings["epochs"], steps_per_epoch=steps[arm], recalibrate=5,
            verbose=verbose)  # fmt: skip
        correct = np.concatenate([np.asarray(start(x, training=False)).argmax(1) == np.asarray(y) for x, y in test])
        row[arm] = {"top1": float(correct.mean()), "correct": correct.tolist()}
    return row


def _pooled(train, pixels, labels, seed, first, resolution) -> tf.data.Dataset:
    """Single images ``(x, label)`` without end: each epoch, every real image and every generated one once.

    The real images come from :func:`mnlib.data.pipeline` (the same order
    and augmentation as the ``"real"`` arm's epoch); the generated ones in
    the ``"data_order"`` stream's order (index 1), augmented from the
    ``"augmentation"`` stream (index 1); the two are interleaved in an
    order drawn from the ``"subset"`` stream.
    """
    from mnlib import data

    n, m = len(train), len(pixels)
    real = data.pipeline(train, resolution=resolution, family="mobilenet", batch_size=256, augment=True,
                         shuffle=True, seed=seed, epoch=first, epochs=None).unbatch()  # fmt: skip
    images, classes = tf.constant(pixels), tf.constant(labels)

    def generated_epoch(epoch):
        order = tf.argsort(tf.random.stateless_uniform([m], seed=streams.key(seed, "data_order", 1, epoch)))

        def one(position, index):
            key = streams.key(seed, "augmentation", 1, epoch, position)
            image = data.augment_image(tf.cast(images[index], tf.float32), resolution, key)
            return data.preprocess(image, "mobilenet"), classes[index]

        positions = tf.range(m, dtype=tf.int64)
        return tf.data.Dataset.from_tensor_slices((positions, order)).map(one, num_parallel_calls=tf.data.AUTOTUNE)

    def choices(epoch):
        draw = tf.random.stateless_uniform([n + m], seed=streams.key(seed, "subset", 1, epoch))
        return tf.data.Dataset.from_tensor_slices(tf.cast(tf.argsort(draw) >= n, tf.int64))

    epochs = tf.data.Dataset.counter(start=first)
    fake = epochs.flat_map(generated_epoch)
    return tf.data.Dataset.choose_from_datasets([real, fake], epochs.flat_map(choices))


def _digest(settings) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
