"""Random streams by purpose: every use of randomness in the course, named and derived from one seed.

A run has one ``seed``; each thing that needs randomness asks for the stream
of its *purpose* (:data:`PURPOSES`), with indices where it needs one per epoch,
step or image: ``key(seed, "data_order", epoch)``. Each stream is a function
of ``(seed, purpose, *indices)`` only, so:

* no two purposes share a key (the GAN's noise of step *k* is not the data
  order of epoch *k*);
* changing the seed changes every stream;
* a resumed run draws what an uninterrupted one would (nothing depends on how
  many numbers were drawn before).

Three forms of the same stream: :func:`key` (a stateless TensorFlow seed, for
``tf.random.stateless_*``, usable inside a ``tf.data`` map with tensor
indices), :func:`generator` (a NumPy ``Generator``) and :func:`integer_seed`
(an ``int`` for a Keras initialiser's ``seed=``). Code that needs Keras'
global seed (a model built with default initialisers) says so with
:func:`seeded`, a context manager that restores the global state it changed.
Why streams matter (Bouthillier et al. 2021: initialisation, data order and
augmentation each move results): the book's page "How the course trains".
Introduced in chapter 3.
"""

from __future__ import annotations

import contextlib
import random

import numpy as np

from mnlib import checks, compat

__all__ = ["PURPOSES", "key", "generator", "integer_seed", "seeded"]

#: Every purpose a stream can have, with its fixed code (never reused, never
#: renumbered: a code is part of every key of its purpose).
PURPOSES: dict[str, int] = {
    "init": 101,  # a network's initial weights
    "data_order": 102,  # the order of the training images, per epoch
    "augmentation": 103,  # crops, flips, colour changes, per epoch and image
    "gan_noise": 104,  # the generator's input noise, per training step
    "label_noise": 105,  # the discriminator's noisy labels, per training step
    "kid_subsets": 106,  # the subsets KID averages over
    "grid_noise": 107,  # the fixed noise of the per-epoch sample grids
    "kid_noise": 108,  # the noise of the images KID judges
    "sample_noise": 109,  # the noise of a chapter's samples
    "subset": 110,  # a random subset of a dataset (classes, images)
}


def _code(purpose: str) -> int:
    return PURPOSES[checks.choice("purpose", purpose, PURPOSES, hint="mnlib.streams.PURPOSES lists them.")]


def _entropy(seed, purpose, indices) -> list[int]:
    """The integers that identify one stream, its length included (NumPy's
    ``SeedSequence`` gives ``[1, 2]`` and ``[1, 2, 0]`` the same state)."""
    seed = checks.integer("seed", seed, 0)
    parts = [checks.integer("index", i, 0) for i in indices]
    return [seed, _code(purpose), len(parts), *parts]


def key(seed: int, purpose: str, *indices):
    """A stateless TensorFlow seed (int64 ``[2]``) for ``purpose``, e.g. ``key(0, "data_order", epoch)``.

    Args:
        seed: the run's seed (an integer >= 0).
        purpose: one of :data:`PURPOSES`.
        indices: integers >= 0 or integer tensors (an epoch, a step, an
            image's position): each is folded into the key in turn.

    Returns:
        ``tf.Tensor`` int64 ``[2]`` for ``tf.random.stateless_*`` functions.
    """
    import tensorflow as tf

    seed = checks.integer("seed", seed, 0)
    value = tf.constant([seed, _code(purpose)], tf.int64)
    for index in indices:
        if not isinstance(index, tf.Tensor):
            index = checks.integer("index", index, 0)
        value = tf.random.experimental.stateless_fold_in(value, tf.cast(index, tf.int64))
    return value


def generator(seed: int, purpose: str, *indices: int) -> np.random.Generator:
    """A NumPy random generator for ``purpose`` (indices: integers >= 0), e.g. ``generator(0, "kid_subsets")``."""
    return np.random.default_rng(np.random.SeedSequence(_entropy(seed, purpose, indices)))


def integer_seed(seed: int, purpose: str, *indices: int) -> int:
    """An ``int`` in ``[0, 2**31 - 1)`` for ``purpose``: for a Keras initialiser's or layer's ``seed=``."""
    return int(generator(seed, purpose, *indices).integers(2**31 - 1))


@contextlib.contextmanager
def seeded(seed: int, purpose: str = "init", *indices: int):
    """Within the block, the global seeds (Python, NumPy, TensorFlow, Keras) come from ``purpose``'s stream.

    For code that draws from the global state, such as a Keras model built
    with its default initialisers::

        with streams.seeded(seed, "init"):
            network = mnlib.models.mobilenet(...)

    On leaving the block, Python's and NumPy's global generators get their
    state back, and TensorFlow's and Keras' global seeds their earlier value:
    the caller's randomness is as it was before the block.
    """
    import keras
    import tensorflow as tf

    chosen = integer_seed(seed, purpose, *indices)
    python, numpy = random.getstate(), np.random.get_state()
    tf_seed = tf.compat.v1.get_seed(None)[0]
    saved_keras = compat.keras_global_seed_state()
    keras.utils.set_random_seed(chosen)
    try:
        yield chosen
    finally:
        random.setstate(python)
        np.random.set_state(numpy)
        tf.random.set_seed(tf_seed)
        compat.restore_keras_global_seed_state(saved_keras)
