"""A run's training phases: the configuration's epochs, then (transfer models) a fine-tuning phase.

:func:`mnlib.train.run` trains through :func:`_phases`: the frozen-body (or
plain) phase for the configuration's epochs, then, with ``fine_tune``, the top
layers of the body opened (:func:`mnlib.baselines.unfreeze`) for more epochs
at a low learning rate. The record lists each phase and joins their
histories. Introduced in the comparison chapter (chapter 5).
"""

from __future__ import annotations

import functools
import math

import tensorflow as tf

from mnlib.train.loop import fit


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


def _phases(trained, network, c, stream, steps, val, *, backup, xla, verbose):
    """Train for the configuration's epochs, then its fine-tuning phase if any: ``(history, seconds, phases)``.

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
    phases = [
        _phase("frozen base" if c["model_args"].get("weights") is not None else "train", network, c["epochs"], seconds)
    ]
    if tune is None:
        return history, seconds, phases
    unfreeze(network, tune["layers"])  # batch norm stays frozen: re-estimation leaves it alone
    later = stream if isinstance(stream, tf.data.Dataset) else functools.partial(_shifted, stream, c["epochs"])
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
    phases.append(_phase("fine-tune", network, tune["epochs"], extra))
    return _joined(history, more, [p["name"] for p in phases]), seconds + extra, phases


def _check_layers(network, tune):
    """Raise ValueError (before any training) unless the body has ``tune["layers"]`` layers to open."""
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
