"""A run's training phases: the configuration's epochs, then (transfer models) a fine-tuning phase.

:func:`mnlib.train.run` trains through :func:`train_phases`: the frozen-body (or
plain) phase for the configuration's epochs, then, with ``fine_tune``, the top
layers of the body opened (:func:`mnlib.baselines.unfreeze`) for more epochs
at a low learning rate. The record lists each phase and joins their
histories. Introduced in the comparison chapter (chapter 5).
"""

from __future__ import annotations

import functools
import math

import tensorflow as tf

from mnlib.train.loop import Diverged, fit

__all__ = ["train_phases", "check_fine_tune_layers"]


def _phase(name, network, epochs, seconds) -> dict:
    """One phase of a run as the record lists it: its name, epochs, parameters that trained, seconds."""
    trainable = int(sum(math.prod(w.shape) for w in network.trainable_weights))
    return {"name": name, "epochs": int(epochs), "trainable_params": trainable, "seconds": round(seconds, 2)}


def _shifted(stream, offset, first_epoch):
    """The batches of epoch ``offset + first_epoch`` on: a later phase goes on with the data that follows."""
    return stream(offset + first_epoch)


def _joined(first, second, names) -> dict:
    """Two phases' histories as one, each list first's then second's, with ``"phase"`` naming each epoch's."""
    lengths = [len(first.get("loss", [])), len(second.get("loss", []))]
    keys = list(dict.fromkeys([*first, *second]))
    joined = {k: list(first.get(k, [None] * lengths[0])) + list(second.get(k, [None] * lengths[1])) for k in keys}
    joined["phase"] = [names[0]] * lengths[0] + [names[1]] * lengths[1]
    return joined


def train_phases(trained, network, c, stream, steps, val, *, backup, xla, verbose, frozen=None):
    """Train for the configuration's epochs, then its fine-tuning phase if any: ``(history, seconds, phases)``.

    ``trained`` is the model that is fitted (``network`` with a float32 output
    under mixed precision), ``c`` the run's configuration
    (:func:`mnlib.train.run`), ``stream`` the training batches as a function
    of the first epoch (or a dataset), ``steps`` the batches per epoch,
    ``backup`` the run's backup folder. ``phases`` lists each phase as the
    record does (name, epochs, trainable parameters, seconds). With
    ``frozen``, the record of the frozen run of the same configuration whose
    saved model ``trained`` is, the first phase is that run's (its history,
    seconds and phase), not trained again.

    Raises:
        mnlib.train.Diverged: the loss became NaN or infinite; its epoch and
            history count the epochs of both phases.

    The fine-tuning phase keeps its own backup in ``backup/fine-tune``: cut
    off there, a new session restores the first phase's end from its backup
    (no epoch left to train), opens the body again and resumes the second.
    """
    from mnlib.baselines import unfreeze

    training, tune = c["training"], c["training"].get("fine_tune")
    data_settings = {k: training[k] for k in ("augment", "family")} | {"seed": c["seed"]}
    options = dict(optimizer=training["optimizer"], weight_decay=training["weight_decay"], steps_per_epoch=steps,
                   keep_backup=True, data_settings=data_settings, jit_compile=xla,
                   recalibrate=training["batch_norm_recalibration"], verbose=verbose)  # fmt: skip
    if frozen is not None:
        history, seconds, phases = dict(frozen["history"]), float(frozen["seconds"]), list(frozen["phases"][:1])
    else:
        history, seconds = fit(
            trained,
            stream,
            val,
            epochs=c["epochs"],
            learning_rate=training["learning_rate"],
            warmup_epochs=training["warmup_epochs"],
            backup_dir=backup,
            **options,
        )
        name = "frozen base" if c["model_args"].get("weights") is not None else "train"
        phases = [_phase(name, network, c["epochs"], seconds)]
    if tune is None:
        return history, seconds, phases
    unfreeze(network, tune["layers"])  # batch norm stays frozen: re-estimation leaves it alone
    later = stream if isinstance(stream, tf.data.Dataset) else functools.partial(_shifted, stream, c["epochs"])
    names = [phases[0]["name"], "fine-tune"]
    try:
        more, extra = fit(
            trained,
            later,
            val,
            epochs=tune["epochs"],
            learning_rate=tune["learning_rate"],
            warmup_epochs=0,
            backup_dir=backup / "fine-tune",
            **options,
        )
    except Diverged as diverged:  # its epoch and history counted over the whole run
        diverged.epoch += c["epochs"]
        diverged.history = _joined(history, diverged.history, names)
        diverged.seconds += seconds
        raise
    phases.append(_phase("fine-tune", network, tune["epochs"], extra))
    return _joined(history, more, names), seconds + extra, phases


def check_fine_tune_layers(network, tune: dict | None) -> None:
    """Raise ValueError (before any training) unless ``network``'s body has ``tune["layers"]`` layers to open.

    ``tune`` is the run's ``fine_tune`` (None: nothing to check); the body is
    the nested model named ``"base"`` of a transfer model.
    """
    if tune is None:
        return
    try:
        count = len(network.get_layer("base").layers)
    except ValueError:
        raise ValueError(f"fine_tune needs a transfer model with a nested 'base'; {network.name!r} has none.") from None
    if tune["layers"] > count:
        raise ValueError(
            f"fine_tune['layers'] is at most {count}, the layers of {network.name}'s body; got {tune['layers']}."
        )
