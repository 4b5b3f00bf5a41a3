"""Every private Keras or TensorFlow name the course relies on, in one place.

Keras offers no public way to do four things the course needs; each is done
here, once, with the versions it was checked on (:data:`CHECKED`), and
``tests/test_compat.py`` fails loudly, naming the shim, when a Keras release
changes what it relies on:

* :func:`reset_initial_epoch`: a model trained once with ``BackupAndRestore``
  keeps the restored epoch in ``model._initial_epoch``; a second ``fit`` of
  the same model must not inherit it.
* :data:`BACKUP_WEIGHTS`, :data:`BACKUP_METADATA`, :func:`backup_and_restore`,
  :func:`backed_up_epoch`: the names of the files ``BackupAndRestore`` writes
  and the epoch it records (read to resume the data stream at that epoch).
* :func:`calls_intercepted`: a ``call`` attribute set on a layer *instance*
  hides its class's ``call`` (batch-norm re-estimation reads each layer's
  input that way, :mod:`mnlib.train.batchnorm`).
* :func:`keras_global_seed_state`, :func:`restore_keras_global_seed_state`:
  Keras' global seed and seed generator, restored by :func:`mnlib.streams.seeded`.

Introduced in chapter 3 (training with a backup that survives a disconnect).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import pathlib

import keras

__all__ = [
    "CHECKED",
    "reset_initial_epoch",
    "BACKUP_WEIGHTS",
    "BACKUP_METADATA",
    "backup_and_restore",
    "backed_up_epoch",
    "calls_intercepted",
    "keras_global_seed_state",
    "restore_keras_global_seed_state",
]

#: Each shim and the (Keras, TensorFlow) versions it was checked on.
CHECKED: dict[str, tuple[tuple[str, str], ...]] = {
    "reset_initial_epoch": (("3.13.2", "2.20.0"), ("3.15.1", "2.21.0")),
    "backup files": (("3.13.2", "2.20.0"), ("3.15.1", "2.21.0")),
    "calls_intercepted": (("3.13.2", "2.20.0"), ("3.15.1", "2.21.0")),
    "keras global seed": (("3.13.2", "2.20.0"), ("3.15.1", "2.21.0")),
}

#: The weights file Keras' ``BackupAndRestore`` keeps in its folder.
BACKUP_WEIGHTS = "latest.weights.h5"
#: The JSON file beside it; ``{"epoch": epochs done, ...}``.
BACKUP_METADATA = "training_metadata.json"


def reset_initial_epoch(model: keras.Model) -> None:
    """Forget the epoch a ``BackupAndRestore`` restored on ``model`` (Keras' private ``_initial_epoch``).

    Keras' trainer starts at ``model._initial_epoch or initial_epoch``; the
    backup callback sets the attribute when it restores and nothing resets it,
    so a second ``fit`` of the same model object would start where the first
    backup left off.
    """
    if hasattr(model, "_initial_epoch"):
        model._initial_epoch = None


def backup_and_restore(folder, *, keep: bool) -> keras.callbacks.BackupAndRestore:
    """Keras' ``BackupAndRestore`` in ``folder``, keeping two states where this Keras can.

    ``double_checkpoint`` (Keras >= 3.4) keeps the previous state while the
    next is written, so a disconnect during a save loses one epoch at most.
    ``keep``: leave the backup after the last epoch.
    """
    options = {"delete_checkpoint": not keep}
    if "double_checkpoint" in inspect.signature(keras.callbacks.BackupAndRestore).parameters:
        options["double_checkpoint"] = True
    return keras.callbacks.BackupAndRestore(str(folder), **options)


def backed_up_epoch(folder) -> int | None:
    """Epochs done according to the backup in ``folder`` (:data:`BACKUP_METADATA`), or None if it has none.

    None too when the weights file is missing or the metadata cannot be read:
    Keras then starts from the first epoch.
    """
    folder = pathlib.Path(folder)
    if not (folder / BACKUP_WEIGHTS).exists():
        return None
    try:
        epoch = json.loads((folder / BACKUP_METADATA).read_text()).get("epoch")
    except (OSError, ValueError, AttributeError):
        return None
    return epoch if isinstance(epoch, int) and not isinstance(epoch, bool) and epoch >= 0 else None


@contextlib.contextmanager
def calls_intercepted(layers, wrap):
    """Within the block, each layer of ``layers`` runs ``wrap(layer, call)(inputs, ...)`` instead of its ``call``.

    ``wrap(layer, call)`` returns a function of the layer's call arguments
    that may record them and must return ``call(...)``'s result. Keras'
    ``Layer.__call__`` looks ``call`` up on the instance, so an instance
    attribute hides the class's method; on leaving the block each layer's
    own attribute (if any) is put back.
    """
    layers = list(layers)
    own = [layer.__dict__.get("call") for layer in layers]
    for layer in layers:
        object.__setattr__(layer, "call", wrap(layer, layer.call))
    try:
        yield
    finally:
        for layer, call in zip(layers, own):
            if call is None:
                object.__delattr__(layer, "call")
            else:
                object.__setattr__(layer, "call", call)


def keras_global_seed_state() -> tuple:
    """Keras' global seed and global seed generator (its private global state), to restore later."""
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator

    return (
        global_state.get_global_attribute("global_random_seed"),
        global_state.get_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR),
    )


def restore_keras_global_seed_state(state: tuple) -> None:
    """Put back what :func:`keras_global_seed_state` returned."""
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator

    global_state.set_global_attribute("global_random_seed", state[0])
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, state[1])
