"""Every private Keras or TensorFlow name the course relies on, in one place.

Keras offers no public way to do three things the course needs; each is done
here, once, with the versions it was checked on (:data:`CHECKED`), and
``tests/test_compat.py`` fails loudly, naming the shim, when a Keras release
changes what it relies on:

* :func:`reset_initial_epoch`: a model trained once with Keras'
  ``BackupAndRestore`` keeps the restored epoch in ``model._initial_epoch``;
  a later ``fit`` of the same model (:func:`mnlib.train.fit`, whose own
  backup is :class:`mnlib.train.Backup`) must not inherit it.
* :func:`calls_intercepted`: a ``call`` attribute set on a layer *instance*
  hides its class's ``call`` (batch-norm re-estimation reads each layer's
  input that way, :mod:`mnlib.train.batchnorm`).
* :func:`keras_global_seed_state`, :func:`restore_keras_global_seed_state`:
  Keras' global seed and seed generator, restored by :func:`mnlib.streams.seeded`.

Introduced in chapter 3 (training a network, :mod:`mnlib.train`).
"""

from __future__ import annotations

import contextlib

import keras

__all__ = [
    "CHECKED",
    "reset_initial_epoch",
    "calls_intercepted",
    "keras_global_seed_state",
    "restore_keras_global_seed_state",
]

#: Each shim and the (Keras, TensorFlow) versions it was checked on.
CHECKED: dict[str, tuple[tuple[str, str], ...]] = {
    "reset_initial_epoch": (("3.13.2", "2.20.0"), ("3.15.1", "2.21.0")),
    "calls_intercepted": (("3.13.2", "2.20.0"), ("3.15.1", "2.21.0")),
    "keras global seed": (("3.13.2", "2.20.0"), ("3.15.1", "2.21.0")),
}


def reset_initial_epoch(model: keras.Model) -> None:
    """Forget the epoch a ``BackupAndRestore`` restored on ``model`` (Keras' private ``_initial_epoch``).

    Keras' trainer starts at ``model._initial_epoch or initial_epoch``; the
    backup callback sets the attribute when it restores and nothing resets it,
    so a second ``fit`` of the same model object would start where the first
    backup left off.
    """
    if hasattr(model, "_initial_epoch"):
        model._initial_epoch = None


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
