"""Training a DCGAN as the course trains: per-epoch checkpoints, resume, one record.

:func:`run` trains :class:`~mnlib.gan.DCGAN` on a loader's images and leaves:

* a checkpoint after every epoch (both networks, both optimizers, the
  per-epoch history) in ``<results_dir>/gan/<line>/state``, where ``<line>``
  is the run's configuration without its number of epochs. A run cut off,
  or run again with a larger ``epochs``, goes on from the last checkpoint:
  asking for 3 epochs after 2 trains one more;
* an image grid per epoch, from one fixed batch of noise
  (``<results_dir>/gan/<line>/grids/epoch-NNN.png``);
* the trained generator as ``<id>-generator.keras`` beside the record;
* a record (:mod:`mnlib.results`) whose ``history`` holds the per-epoch
  lists: ``d_loss``, ``g_loss``, ``d_real``, ``d_fake``, ``d_accuracy``,
  ``kid`` (None where not measured) and ``seconds``.

Every random draw is a function of the seed and the step: the initial weights
(``keras.utils.set_random_seed``), each epoch's order of the images
(:func:`mnlib.data.pipeline`) and the noise of each step
(``tf.random.stateless_normal`` seeded by the step's number), so a resumed
run computes what an uninterrupted one does, and its record's per-epoch
history is the same. Introduced in chapter 7.
"""

from __future__ import annotations

import dataclasses
import math
import pathlib
import shutil
import time
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from mnlib import results
from mnlib.gan import quality
from mnlib.gan.model import BETA_1, DCGAN, LEARNING_RATE
from mnlib.gan.networks import check_latent_dim, check_resolution, discriminator, generator

__all__ = ["KIDProbe", "run", "noise", "image_grid", "line_folder"]

_METRICS = ("d_loss", "g_loss", "d_real", "d_fake", "d_accuracy")
GRID = 16  # images in each epoch's grid (4 x 4)


@dataclasses.dataclass
class KIDProbe:
    """Measures a generator's KID against fixed real features, every ``every`` epochs.

    Attributes:
        features: images ``[n, r, r, 3]`` in [-1, 1] -> features ``[n, d]``
            (e.g. :meth:`mnlib.gan.Classifier.features`).
        reference: the real images' features ``[m, d]``.
        name: what the features are (e.g. the classifier's record id); part
            of the run's configuration.
        samples: generated images per measurement (fixed noise; default 256).
        every: measure after every ``every``-th epoch and the last (default 1).
    """

    features: Callable
    reference: np.ndarray
    name: str
    samples: int = 256
    every: int = 1

    def score(self, network: keras.Model, seed: int) -> float:
        """KID between ``reference`` and ``samples`` images of ``network`` from the seed's fixed noise."""
        z = noise(seed, "kid", self.samples, int(network.input_shape[-1]))
        images = np.concatenate([np.asarray(network(z[i : i + 64], training=False)) for i in range(0, len(z), 64)])
        return quality.kid(self.reference, self.features(images))


def noise(seed: int, purpose: str, count: int, latent_dim: int, step: int = 0) -> tf.Tensor:
    """Noise ``[count, latent_dim]`` from N(0, 1), a function of ``(seed, purpose, step)`` only.

    ``purpose``: ``"train"`` (training step ``step``), ``"grid"`` (the fixed batch of the per-epoch grids), ``"kid"``,
    ``"samples"`` (a chapter's samples).
    """
    code = {"train": 0, "grid": 2, "kid": 3, "samples": 4}[purpose]
    key = tf.random.experimental.stateless_fold_in(tf.constant([int(seed), code], tf.int64), int(step))
    return tf.random.stateless_normal([int(count), int(latent_dim)], seed=key)


def _stream(train, *, resolution, batch_size, seed, latent_dim, first_epoch, steps):
    """Batches ``(real, z)`` of every epoch from ``first_epoch`` on; ``z`` is :func:`noise` of the step."""
    from mnlib import data

    images = data.pipeline(train, resolution=resolution, family="mobilenet", batch_size=batch_size, shuffle=True,
                           seed=seed, epoch=first_epoch, epochs=None, drop_remainder=True)  # fmt: skip
    base = tf.constant([int(seed), 0], tf.int64)

    def with_noise(step, batch):
        key = tf.random.experimental.stateless_fold_in(base, step)
        return batch[0], tf.random.stateless_normal([batch_size, latent_dim], seed=key)

    steps_from = tf.data.Dataset.counter(start=first_epoch * steps)
    return tf.data.Dataset.zip(steps_from, images).map(with_noise, num_parallel_calls=tf.data.AUTOTUNE)


def image_grid(images, columns: int = 4) -> np.ndarray:
    """Images ``[n, r, r, 3]`` in [-1, 1] as one uint8 picture, ``columns`` wide, 2-pixel white gaps."""
    pixels = np.asarray(quality.to_pixels(images)).round().astype(np.uint8)
    n, side = len(pixels), pixels.shape[1]
    rows = math.ceil(n / columns)
    grid = np.full((rows * (side + 2) - 2, columns * (side + 2) - 2, 3), 255, np.uint8)
    for k, image in enumerate(pixels):
        r, c = divmod(k, columns)
        grid[r * (side + 2) : r * (side + 2) + side, c * (side + 2) : c * (side + 2) + side] = image
    return grid


def line_folder(results_dir, configuration: dict) -> pathlib.Path:
    """Where a run keeps its checkpoint and grids: one folder per configuration without its epochs."""
    return pathlib.Path(results_dir) / "gan" / results.run_id({**configuration, "epochs": 0})


# --------------------------------------------------------------------------
# Checkpoints: <line>/state/epoch-NNNN/, written whole, then the older ones removed


def _save_state(folder: pathlib.Path, gan: DCGAN, epoch: int, rows: list) -> None:
    target = folder / f"epoch-{epoch:04d}"
    partial = folder / f".epoch-{epoch:04d}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    gan.generator.save_weights(partial / "generator.weights.h5")
    gan.discriminator.save_weights(partial / "discriminator.weights.h5")
    for name in ("d_optimizer", "g_optimizer"):
        np.savez(partial / f"{name}.npz", *[np.asarray(v) for v in getattr(gan, name).variables])
    results.write_json(partial / "history.json", {"epoch": epoch, "rows": rows})
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    for older in folder.glob("epoch-*"):
        if older != target:
            shutil.rmtree(older, ignore_errors=True)


def _last_state(folder: pathlib.Path):
    """``(epoch, rows, path)`` of the newest complete checkpoint, or ``(0, [], None)``."""
    for path in sorted(folder.glob("epoch-*"), reverse=True):
        saved = results.read_json(path / "history.json")
        if isinstance(saved, dict) and isinstance(saved.get("rows"), list):
            return int(saved["epoch"]), saved["rows"], path
    return 0, [], None


def _restore(gan: DCGAN, path: pathlib.Path) -> None:
    gan.generator.load_weights(path / "generator.weights.h5")
    gan.discriminator.load_weights(path / "discriminator.weights.h5")
    for name, network in (("d_optimizer", gan.discriminator), ("g_optimizer", gan.generator)):
        optimizer = getattr(gan, name)
        optimizer.build(network.trainable_variables)
        with np.load(path / f"{name}.npz") as saved:
            values = [saved[f"arr_{k}"] for k in range(len(saved.files))]
        if len(values) != len(optimizer.variables):
            raise ValueError(f"the checkpoint {path} holds another optimizer state; delete it to train afresh.")
        for variable, value in zip(optimizer.variables, values):
            variable.assign(value)


class _EpochEnd(keras.callbacks.Callback):
    """After each epoch: the history row (with KID), the image grid, the checkpoint."""

    def __init__(self, line, rows, *, seed, kid, epochs, verbose):
        super().__init__()
        self.line, self.rows, self.seed, self.kid, self.epochs, self.verbose = line, rows, seed, kid, epochs, verbose
        self.started = None

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        from PIL import Image

        gan = self.model
        row = {name: float(logs[name]) for name in _METRICS}
        due = self.kid is not None and ((epoch + 1) % self.kid.every == 0 or epoch + 1 == self.epochs)
        row["kid"] = self.kid.score(gan.generator, self.seed) if due else None
        z = noise(self.seed, "grid", GRID, gan.latent_dim)
        grid = self.line / "grids" / f"epoch-{epoch + 1:04d}.png"
        grid.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image_grid(gan.generator(z, training=False))).save(grid)
        row["seconds"] = time.perf_counter() - self.started
        del self.rows[epoch:]
        self.rows.append(row)
        _save_state(self.line / "state", gan, epoch + 1, self.rows)
        if self.verbose and row["kid"] is not None:
            print(f"epoch {epoch + 1}: KID {row['kid']:.4f}")


def run(
    train,
    *,
    dataset: str,
    classes: int,
    epochs: int,
    resolution: int = 64,
    latent_dim: int = 100,
    width: int = 64,
    batch_size: int = 64,
    seed: int = 0,
    profile: str = "smoke",
    results_dir="results",
    notebook: str | None = None,
    learning_rate: float = LEARNING_RATE,
    beta_1: float = BETA_1,
    label_smoothing: float = 0.0,
    label_noise: float = 0.0,
    kid: KIDProbe | None = None,
    jit_compile: bool | None = None,
    force: bool = False,
    verbose: int = 2,
) -> dict:
    """Train a DCGAN on a loader's images (or load its record); return the record.

    Args:
        train: a loader's dataset (:class:`mnlib.data.FileDataset`); its
            labels are ignored. Each epoch visits its images once in a
            seeded order, in batches of ``batch_size`` (the last, smaller
            batch is dropped), resized to ``resolution`` and scaled to [-1, 1].
        dataset, classes: what ``train`` is, for the record (e.g.
            ``"synthetic"``, 10).
        epochs: epochs of the whole run (>= 1); with a checkpoint of this
            configuration at epoch ``k < epochs``, only ``epochs - k`` train.
        resolution: 32, 64 or 128 px. latent_dim: length of z (>= 1).
        width: the networks' width (:func:`mnlib.gan.generator`).
        batch_size: images per step (the paper's 128; the course's default 64).
        seed: seeds the weights, the data order and the noise.
        profile: ``"smoke"`` or ``"full"``, for the record.
        results_dir: the results folder.
        notebook: the chapter that runs it (provenance).
        learning_rate, beta_1: Adam's, both networks (the paper's 2e-4 and 0.5).
        label_smoothing, label_noise: see :class:`~mnlib.gan.DCGAN` (0: off).
        kid: a :class:`KIDProbe`, or None for no KID.
        jit_compile: XLA for the training step; default on a GPU only.
        force: train again even if the record exists (the checkpoint is still used).
        verbose: 0 silent; 2 one line per epoch (Keras') and a summary.

    Returns:
        The record, with ``path`` added. Its ``model_file`` is the generator
        (``keras.models.load_model`` restores it: noise -> images in [-1, 1]),
        ``grids`` the per-epoch grid files, relative to ``results_dir``.

    Raises:
        ValueError: a parameter outside what is allowed (nothing trained).
    """
    from mnlib.data import DATASETS, FileDataset
    from mnlib.train import accelerator

    latent_dim, resolution = check_latent_dim(latent_dim), check_resolution(resolution)
    _check(train, dataset, DATASETS, classes, epochs, batch_size, seed, profile, learning_rate, beta_1, FileDataset)
    training = {
        "optimizer": "adam", "learning_rate": float(learning_rate), "beta_1": float(beta_1),
        "loss": "binary cross-entropy from logits, non-saturating generator loss",
        "label_smoothing": float(label_smoothing), "label_noise": float(label_noise),
        "images": len(train), "augment": False, "family": "mobilenet",
        "kid": None if kid is None else {"features": kid.name, "samples": kid.samples, "every": kid.every},
    }  # fmt: skip
    configuration = dict(dataset=dataset, classes=int(classes), resolution=resolution, model="dcgan",
                         model_args={"latent_dim": latent_dim, "width": int(width)}, seed=int(seed), profile=profile,
                         epochs=int(epochs), batch_size=int(batch_size), training=training)  # fmt: skip
    record_id = results.run_id(configuration)
    results_dir = pathlib.Path(results_dir)
    saved = results.find(results_dir, record_id)
    if not force and saved and (results_dir / str(saved.get("model_file"))).is_file():
        if verbose:
            print(f"Loaded the saved result {record_id}.json ({epochs} epochs); pass force=True to train again.")
        return {**saved, "path": str(results_dir / f"{record_id}.json")}

    line = line_folder(results_dir, configuration)
    done, rows, state = _last_state(line / "state")
    if done > epochs:
        line = line.with_name(f"{line.name}-until-{epochs}")
        if verbose:
            print(f"The checkpoint of this configuration is at epoch {done}, past {epochs}: training again in {line}.")
        done, rows, state = _last_state(line / "state")
    keras.utils.set_random_seed(int(seed))
    gan = DCGAN(generator(latent_dim, resolution, width), discriminator(resolution, width),
                label_smoothing=label_smoothing, label_noise=label_noise)  # fmt: skip
    xla = accelerator()["xla"] if jit_compile is None else bool(jit_compile)
    d_optimizer = keras.optimizers.Adam(learning_rate, beta_1=beta_1, name="d_adam")
    g_optimizer = keras.optimizers.Adam(learning_rate, beta_1=beta_1, name="g_adam")
    gan.compile(d_optimizer, g_optimizer, jit_compile=xla)
    if state is not None:
        _restore(gan, state)
        if verbose:
            print(f"Resuming from the checkpoint: epochs 1-{done} of {epochs} are done.")
    steps = len(train) // batch_size
    if done < epochs:
        stream = _stream(train, resolution=resolution, batch_size=batch_size, seed=seed, latent_dim=latent_dim,
                         first_epoch=done, steps=steps)  # fmt: skip
        callback = _EpochEnd(line, rows, seed=seed, kid=kid, epochs=epochs, verbose=verbose)
        gan.fit(stream, initial_epoch=done, epochs=epochs, steps_per_epoch=steps, callbacks=[callback],
                shuffle=False, verbose=verbose)  # fmt: skip
        rows = callback.rows
    history = {key: [row.get(key) for row in rows[:epochs]] for key in (*_METRICS, "kid", "seconds")}
    model_file = f"{record_id}-generator.keras"
    gan.generator.save(results_dir / model_file)
    record = dict(
        configuration, id=record_id, notebook=notebook,
        params=int(gan.generator.count_params() + gan.discriminator.count_params()),
        generator_params=int(gan.generator.count_params()),
        discriminator_params=int(gan.discriminator.count_params()), mult_adds=None,
        seconds=round(float(sum(history["seconds"])), 2), top1=None, top5=None, history=history,
        steps_per_epoch=steps, model_file=model_file,
        grids=[str((line / "grids" / f"epoch-{e:04d}.png").relative_to(results_dir)) for e in range(1, epochs + 1)],
        environment=results.environment(xla=xla),
    )  # fmt: skip
    path = results.write(record, results_dir)
    if verbose:
        print(f"{epochs} epochs of {steps} steps in {sum(history['seconds']):.0f} s; record {path.name}")
    return {**results.read(path), "path": str(path)}


def _check(train, dataset, datasets, classes, epochs, batch_size, seed, profile, learning_rate, beta_1, file_dataset):
    def whole(value, least):
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= least

    if not isinstance(train, file_dataset):
        raise TypeError(f"train must be a loader's dataset (mnlib.data.stanford_dogs, splits...); got {type(train)}.")
    if dataset not in datasets:
        raise ValueError(f"dataset must be one of {tuple(datasets)}; got {dataset!r}.")
    for name, value, least in (("classes", classes, 1), ("epochs", epochs, 1), ("batch_size", batch_size, 2)):
        if not whole(value, least):
            raise ValueError(f"{name} must be an integer >= {least}; got {value!r}.")
    if len(train) < batch_size:
        raise ValueError(f"batch_size {batch_size} is more than the {len(train)} training images; use a smaller one.")
    if not whole(seed, -(2**62)):
        raise ValueError(f"seed must be an integer; got {seed!r}.")
    if profile not in results.PROFILES:
        raise ValueError(f"profile must be one of {results.PROFILES}; got {profile!r}.")
    if not 0 < learning_rate < 1 or not 0 <= beta_1 < 1:
        raise ValueError(f"learning_rate must be in (0, 1) and beta_1 in [0, 1); got {learning_rate!r}, {beta_1!r}.")
