"""Does adding a GAN's samples to the training images help a classifier? One controlled comparison.

:func:`compare` trains the same small MobileNet twice, from the same initial
weights, for the same number of steps of the same batch size (the same
budget), and evaluates both on the same validation images:

* on the real training images alone;
* on the real images pooled with generated ones, each labelled with the
  class a trained classifier (the *judge*, :class:`~mnlib.gan.Classifier`)
  gives it - pseudo-labels, since an unconditional DCGAN does not know
  classes. Every batch is drawn from the pool, so about ``generated / (real
  + generated)`` of each batch is generated.

The result is kept as JSON in ``<results_dir>/gan/`` and loaded, not
retrained, by a rerun with the same settings. Introduced in chapter 7.
"""

from __future__ import annotations

import pathlib

import numpy as np
import tensorflow as tf

from mnlib import results

__all__ = ["compare"]


def _model(resolution, classes, alpha, seed):
    import keras

    from mnlib.models import mobilenet

    keras.utils.set_random_seed(seed)
    return mobilenet(alpha=alpha, input_shape=(resolution, resolution, 3), classes=classes)


def compare(
    train,
    val,
    images,
    judge,
    *,
    classes: int,
    resolution: int,
    epochs: int,
    batch_size: int = 32,
    alpha: float = 0.25,
    seed: int = 0,
    results_dir="results",
    key: str = "",
    verbose: int = 0,
) -> dict:
    """Top-1 of a MobileNet trained on real images alone and on real + generated ones, same budget.

    Args:
        train, val: a loader's training and validation datasets (:class:`mnlib.data.FileDataset`).
        images: generated images ``[m, r, r, 3]`` in [-1, 1], at ``resolution``.
        judge: the :class:`~mnlib.gan.Classifier` that labels them (its
            classes must be the datasets' classes, in the same order).
        classes: number of classes. resolution: the side of the images (px).
        epochs: epochs of real images for the real-only run; both runs take
            ``epochs * ceil(len(train) / batch_size)`` steps of ``batch_size``.
        alpha: the MobileNet's width multiplier (default 0.25: quick).
        seed: initial weights and data order (the same for both runs).
        results_dir: where the result is kept (``gan/augmentation-<id>.json``).
        key: what else identifies the experiment (e.g. the GAN's record id).

    Returns:
        ``{"real": {"top1", "loss"}, "real+generated": {...}, "generated":
        m, "real_images": n, "steps": ..., "mean_confidence": of the
        judge's labels, "labels": counts per class, "validation_images": ...}``.
    """
    from mnlib import data
    from mnlib.train import evaluate, fit

    images = np.asarray(images, np.float32)
    settings = dict(key=key, classes=classes, resolution=resolution, epochs=epochs, batch_size=batch_size,
                    alpha=alpha, seed=seed, generated=len(images), real=len(train), judge=judge.source)  # fmt: skip
    path = pathlib.Path(results_dir) / "gan" / f"augmentation-{_digest(settings)}.json"
    saved = results.read_json(path)
    if isinstance(saved, dict) and saved.get("settings") == results._canonical(settings):
        return saved
    if judge.model.output_shape[-1] != classes:
        raise ValueError(f"the judge has {judge.model.output_shape[-1]} classes, the data {classes}; they must agree.")
    probabilities = judge.predict(images)
    labels = probabilities.argmax(axis=1).astype(np.int32)
    steps = -(-len(train) // batch_size)
    options = dict(resolution=resolution, family="mobilenet", augment=True, shuffle=True, seed=seed, epochs=None)
    val_batches = data.pipeline(val, resolution=resolution, family="mobilenet", batch_size=64, shuffle=False)

    def real(first):
        return data.pipeline(train, batch_size=batch_size, epoch=first, **options)

    def pooled(first):
        share = len(images) / (len(images) + len(train))
        real_images = data.pipeline(train, batch_size=64, epoch=first, **options).unbatch()
        fake = tf.data.Dataset.from_tensor_slices((images, labels)).repeat().shuffle(len(images), seed=seed + first)
        mixed = tf.data.Dataset.sample_from_datasets([real_images, fake], [1 - share, share], seed=seed + first)
        return mixed.batch(batch_size)

    scores = {}
    for name, stream in (("real", real), ("real+generated", pooled)):
        model = _model(resolution, classes, alpha, seed)
        fit(model, stream, None, epochs=epochs, steps_per_epoch=steps, recalibrate=5, verbose=verbose)
        found = evaluate(model, val_batches)
        scores[name] = {"top1": found["top1"], "loss": found["loss"]}
    result = {
        "settings": settings, **scores, "generated": len(images), "real_images": len(train), "steps": steps * epochs,
        "mean_confidence": float(probabilities.max(axis=1).mean()),
        "labels": np.bincount(labels, minlength=classes).tolist(), "validation_images": len(val),
    }  # fmt: skip
    results.write_json(path, result)
    return results.read_json(path)


def _digest(settings) -> str:
    import hashlib

    return hashlib.sha256(results._key(settings).encode()).hexdigest()[:12]
