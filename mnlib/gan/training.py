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
  ``kid`` and ``kid_std`` (None where not measured) and ``seconds``.

Every random draw is a function of the seed and its purpose
(:mod:`mnlib.streams`): the initial weights (``"init"``), each epoch's
order of the images (:func:`mnlib.data.pipeline`), the noise of each step
(``"gan_noise"`` folded with the step), the label noise (``"label_noise"``),
the grids' noise (``"grid_noise"``) and the KID's subsets
(``"kid_subsets"``), so a resumed run computes what an uninterrupted one
does, and its record's per-epoch history is the same. No global seed is set.

A record is reused only when :func:`mnlib.results.unusable` finds nothing
wrong with it (same ``code_version``, generator file readable); otherwise it
is set aside with one line saying why and the run trains again, from
scratch. ``force=True`` does the same whatever the record. A loss that
becomes NaN or infinite stops the run after that epoch, with a message; the
record then says ``diverged: true`` and ``diverged_epoch``. Introduced in
chapter 7.
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

from mnlib import results, streams
from mnlib.gan import quality
from mnlib.gan.model import DCGAN
from mnlib.gan.networks import discriminator, generator
from mnlib.gan.pictures import image_grid
from mnlib.gan.settings import GANSettings

__all__ = ["KIDProbe", "run", "noise", "generate", "line_folder", "NOISE", "GRID"]

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

    def score(self, network: keras.Model, seed: int) -> quality.KID:
        """KID (mean and std over subsets) of ``samples`` images of ``network`` from the seed's fixed noise."""
        images = generate(network, noise(seed, "kid", self.samples, int(network.input_shape[-1])))
        return quality.kid(self.reference, self.features(images), seed=seed)


#: What each purpose of :func:`noise` draws from: its stream of :mod:`mnlib.streams`.
NOISE = {"train": "gan_noise", "samples": "sample_noise", "kid": "kid_noise", "grid": "grid_noise"}


def noise(seed: int, purpose: str, count: int, latent_dim: int, step: int = 0) -> tf.Tensor:
    """Noise ``[count, latent_dim]`` from N(0, 1), a function of ``(seed, purpose, step)`` only.

    ``purpose`` (:data:`NOISE`): ``"train"`` (training step ``step``, as
    :func:`run` draws it), ``"samples"`` (a chapter's samples), ``"kid"``
    (:class:`KIDProbe`'s) or ``"grid"`` (the per-epoch grids'). Each is its
    own stream of :mod:`mnlib.streams`, never the data order's.
    """
    from mnlib import checks

    key = streams.key(seed, NOISE[checks.choice("purpose", purpose, NOISE)], step)
    return tf.random.stateless_normal([int(count), int(latent_dim)], seed=key)


def generate(network: keras.Model, z, batch_size: int = 64) -> np.ndarray:
    """``network``'s images of noise ``z`` ``[n, latent_dim]``, in batches, as one float32 array."""
    return np.concatenate([np.asarray(network(z[i : i + batch_size], training=False))
                           for i in range(0, len(z), batch_size)])  # fmt: skip


def _stream(train, settings: GANSettings, first_epoch: int, steps: int):
    """Batches ``(real, z)`` of every epoch from ``first_epoch`` on; ``z`` is :func:`noise` of the step."""
    from mnlib import data

    images = data.pipeline(train, resolution=settings.resolution, family="mobilenet",
                           batch_size=settings.batch_size, shuffle=True, seed=settings.seed,
                           epoch=first_epoch, epochs=None, drop_remainder=True)  # fmt: skip
    shape = [settings.batch_size, settings.latent_dim]

    def with_noise(step, batch):
        return batch[0], tf.random.stateless_normal(shape, seed=streams.key(settings.seed, "gan_noise", step))

    steps_from = tf.data.Dataset.counter(start=first_epoch * steps)
    return tf.data.Dataset.zip(steps_from, images).map(with_noise, num_parallel_calls=tf.data.AUTOTUNE)


def line_folder(results_dir, configuration: dict) -> pathlib.Path:
    """Where a run keeps its checkpoint and grids: one folder per configuration without its epochs."""
    return pathlib.Path(results_dir) / "gan" / results.run_id({**configuration, "epochs": 0})


# --------------------------------------------------------------------------
# Checkpoints: <line>/state/epoch-NNNN/, written whole (each network's weights
# through results.save_model, in a partial folder renamed into place at the end),
# then the older ones removed


def _save_state(folder: pathlib.Path, gan: DCGAN, epoch: int, rows: list) -> None:
    target = folder / f"epoch-{epoch:04d}"
    partial = folder / f".epoch-{epoch:04d}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    results.save_model(gan.generator, partial / "generator.weights.h5")
    results.save_model(gan.discriminator, partial / "discriminator.weights.h5")
    for name in ("d_optimizer", "g_optimizer"):
        np.savez(partial / f"{name}.npz", *[np.asarray(v) for v in getattr(gan, name).variables])
    saved = {"epoch": epoch, "rows": rows, "code_version": results.CODE_VERSION}
    results.write_json(partial / "history.json", saved)
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    for older in folder.glob("epoch-*"):
        if older != target:
            shutil.rmtree(older, ignore_errors=True)


def _last_state(folder: pathlib.Path):
    """``(epoch, rows, path)`` of the newest complete checkpoint of this code, or ``(0, [], None)``."""
    for path in sorted(folder.glob("epoch-*"), reverse=True):
        saved = results.read_json(path / "history.json")
        if isinstance(saved, dict) and isinstance(saved.get("rows"), list):
            if saved.get("code_version") != results.CODE_VERSION:
                return 0, [], None  # made by other code: train from scratch
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
    """After each epoch: the history row (with KID), the image grid, the checkpoint; a stop if a loss diverged."""

    def __init__(self, line, rows, *, seed, kid, epochs, verbose):
        super().__init__()
        self.line, self.rows, self.seed, self.kid, self.epochs, self.verbose = line, rows, seed, kid, epochs, verbose
        self.started = None
        self.diverged_epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        from PIL import Image

        gan = self.model
        row = {name: float(logs[name]) for name in _METRICS}
        if not all(math.isfinite(row[name]) for name in ("d_loss", "g_loss")):
            self.diverged_epoch = epoch + 1
            gan.stop_training = True
            print(f"The GAN diverged in epoch {epoch + 1}: d_loss {row['d_loss']}, g_loss {row['g_loss']}. "
                  "Training stops; likely causes: a learning rate too high for this batch size, or "
                  "mixed precision overflowing. The record says diverged: true.")  # fmt: skip
            self.rows[epoch:] = [{**row, "kid": None, "kid_std": None, "seconds": self._seconds()}]
            return
        kid = None
        if self.kid is not None and ((epoch + 1) % self.kid.every == 0 or epoch + 1 == self.epochs):
            kid = self.kid.score(gan.generator, self.seed)
        row["kid"], row["kid_std"] = (None, None) if kid is None else (kid.mean, kid.std)
        z = noise(self.seed, "grid", GRID, gan.latent_dim)
        grid = self.line / "grids" / f"epoch-{epoch + 1:04d}.png"
        grid.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image_grid(gan.generator(z, training=False))).save(grid)
        row["seconds"] = self._seconds()
        del self.rows[epoch:]
        self.rows.append(row)
        _save_state(self.line / "state", gan, epoch + 1, self.rows)
        if self.verbose and kid is not None:
            print(f"epoch {epoch + 1}: KID {kid}")

    def _seconds(self):
        return time.perf_counter() - self.started


def run(train, settings: GANSettings, *, kid: KIDProbe | None = None, force: bool = False, verbose: int = 2) -> dict:
    """Train a DCGAN on a loader's images (or load its record); return the record.

    Args:
        train: a loader's dataset (:class:`mnlib.data.FileDataset`); its
            labels are ignored. Each epoch visits its images once in a
            seeded order, read from their files batch by batch (nothing is
            held in memory), in batches of ``settings.batch_size`` (the last,
            smaller batch is dropped), resized and scaled to [-1, 1].
        settings: a :class:`~mnlib.gan.GANSettings` (:func:`~mnlib.gan.gan_settings`).
            With a checkpoint of this configuration at epoch ``k < epochs``,
            only ``epochs - k`` epochs train.
        kid: a :class:`KIDProbe`, or None for no KID.
        force: train again from scratch, the checkpoint ignored, the old
            record (if any) set aside under a ``.stale-...`` name (as
            :func:`mnlib.train.run`'s ``force``).
        verbose: 0 silent; 2 one line per epoch (Keras') and a summary.

    Returns:
        The record, with ``path`` added. Its ``model_file`` is the generator
        (``keras.models.load_model`` restores it: noise -> images in [-1, 1]),
        ``grids`` the per-epoch grid files, relative to ``results_dir``.

    Raises:
        TypeError: ``train`` is not a loader's dataset or ``settings`` not
            a :class:`~mnlib.gan.GANSettings`.
        ValueError: fewer images than a batch (nothing trained).
    """
    from mnlib import checks
    from mnlib.data import FileDataset

    _check(train, settings, FileDataset)
    checks.boolean("force", force)
    configuration = settings.configuration(len(train))
    configuration["training"]["kid"] = None if kid is None else {
        "features": kid.name, "samples": kid.samples, "every": kid.every}  # fmt: skip
    record_id = results.run_id(configuration)
    results_dir = pathlib.Path(settings.results_dir)
    saved = results.find(results_dir, record_id)
    why = "force=True" if force else saved and results.unusable(saved, results_dir)
    if saved and not why:
        if verbose:
            print(
                f"Loaded the saved result {record_id}.json ({settings.epochs} epochs); pass force=True to train again."
            )
        return {**saved, "path": str(results_dir / f"{record_id}.json")}
    line = line_folder(results_dir, configuration)
    if saved:
        results.set_aside(results_dir, record_id, why)
    if why:  # a record set aside, or force: its checkpoint goes too, the run starts from scratch
        shutil.rmtree(line, ignore_errors=True)
    trained = _train(train, settings, line, kid, verbose)
    return _record(trained, settings, configuration, record_id, verbose)


def _train(train, settings: GANSettings, line: pathlib.Path, kid, verbose):
    """Build, restore the checkpoint if any, fit the remaining epochs: a :class:`_Trained`."""
    from mnlib import device

    epochs = settings.epochs
    done, rows, state = _last_state(line / "state")
    if done > epochs:
        line = line.with_name(f"{line.name}-until-{epochs}")
        if verbose:
            print(f"The checkpoint of this configuration is at epoch {done}, past {epochs}: training again in {line}.")
        done, rows, state = _last_state(line / "state")
    gan = DCGAN(generator(settings.latent_dim, settings.resolution, settings.width,
                          seed=streams.integer_seed(settings.seed, "init", 0)),
                discriminator(settings.resolution, settings.width, seed=streams.integer_seed(settings.seed, "init", 1)),
                label_smoothing=settings.label_smoothing, label_noise=settings.label_noise,
                seed=settings.seed)  # fmt: skip
    xla = device.accelerator().xla if settings.jit_compile is None else settings.jit_compile
    d_optimizer = keras.optimizers.Adam(settings.learning_rate, beta_1=settings.beta_1, name="d_adam")
    g_optimizer = keras.optimizers.Adam(settings.learning_rate, beta_1=settings.beta_1, name="g_adam")
    gan.compile(d_optimizer, g_optimizer, jit_compile=xla)
    if state is not None:
        _restore(gan, state)
        if verbose:
            print(f"Resuming from the checkpoint: epochs 1-{done} of {epochs} are done.")
    steps = len(train) // settings.batch_size
    callback = _EpochEnd(line, rows, seed=settings.seed, kid=kid, epochs=epochs, verbose=verbose)
    if done < epochs:
        gan.fit(_stream(train, settings, done, steps), initial_epoch=done, epochs=epochs, steps_per_epoch=steps,
                callbacks=[callback], shuffle=False, verbose=verbose)  # fmt: skip
    return _Trained(gan, line, callback.rows, xla, callback.diverged_epoch)


@dataclasses.dataclass
class _Trained:
    gan: DCGAN
    line: pathlib.Path  #: the folder of the checkpoint and grids
    rows: list  #: the per-epoch history rows
    xla: bool
    diverged: int | None  #: the epoch whose loss was not finite, or None


def _record(trained: _Trained, settings, configuration, record_id, verbose) -> dict:
    """Save the generator (atomically) and write the run's record."""
    gan, rows, diverged = trained.gan, trained.rows, trained.diverged
    results_dir = pathlib.Path(settings.results_dir)
    history = {
        key: [row.get(key) for row in rows[: settings.epochs]] for key in (*_METRICS, "kid", "kid_std", "seconds")
    }
    model_file = f"{record_id}-generator.keras"
    results.save_model(gan.generator, results_dir / model_file)
    steps = configuration["training"]["images"] // settings.batch_size
    epochs = len(history["seconds"])
    record = dict(
        configuration, id=record_id, notebook=settings.notebook,
        params=int(gan.generator.count_params() + gan.discriminator.count_params()),
        generator_params=int(gan.generator.count_params()),
        discriminator_params=int(gan.discriminator.count_params()), mult_adds=None,
        seconds=round(float(sum(history["seconds"])), 2), top1=None, top5=None, history=history,
        steps_per_epoch=steps, model_file=model_file, diverged=diverged is not None, diverged_epoch=diverged,
        grids=[str((trained.line / "grids" / f"epoch-{e:04d}.png").relative_to(results_dir))
               for e in range(1, epochs + 1) if e != diverged],
        environment=results.environment(xla=trained.xla),
    )  # fmt: skip
    path = results.write(record, results_dir)
    if verbose:
        print(f"{epochs} epochs of {steps} steps in {sum(history['seconds']):.0f} s; record {path.name}")
    return {**results.read(path), "path": str(path)}


def _check(train, settings, file_dataset):
    if not isinstance(train, file_dataset):
        raise TypeError(f"train must be a loader's dataset (mnlib.data.stanford_dogs, splits...); got {type(train)}.")
    if not isinstance(settings, GANSettings):
        raise TypeError(f"settings must be a mnlib.gan.GANSettings (from gan.gan_settings); got {type(settings)}.")
    if len(train) < settings.batch_size:
        raise ValueError(
            f"batch_size {settings.batch_size} is more than the {len(train)} training images; use a smaller one."
        )
