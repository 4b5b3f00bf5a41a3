"""Random streams by purpose: distinct per purpose, all moved by the seed, the caller's state untouched."""

import mnlib  # noqa: F401  (imports TensorFlow quietly)

# isort: split
import itertools
import random

import keras
import numpy as np
import pytest
import tensorflow as tf

from mnlib import streams


def as_tuple(key):
    return tuple(int(v) for v in key.numpy())


def test_no_two_purposes_share_a_key_and_the_seed_moves_every_stream():
    keys = {}
    for seed, purpose, index in itertools.product((0, 1), streams.PURPOSES, (None, 0, 1, 2)):
        indices = () if index is None else (index,)
        keys[seed, purpose, index] = as_tuple(streams.key(seed, purpose, *indices))
    assert len(set(keys.values())) == len(keys)  # all distinct: purposes, indices and seeds
    # the case that once collided: step k's GAN noise and epoch k's data order
    assert streams.key(0, "gan_noise", 3).numpy().tolist() != streams.key(0, "data_order", 3).numpy().tolist()


def test_numpy_generators_and_integer_seeds_are_distinct_and_repeatable():
    draws = {}
    for seed, purpose, indices in itertools.product((0, 1), streams.PURPOSES, ((), (0,), (0, 0), (1,))):
        draws[seed, purpose, indices] = tuple(streams.generator(seed, purpose, *indices).integers(2**62, size=2))
    assert len(set(draws.values())) == len(draws)  # (), (0,) and (0, 0) differ too
    assert streams.integer_seed(5, "init") == streams.integer_seed(5, "init")
    assert streams.integer_seed(5, "init") != streams.integer_seed(6, "init")
    assert 0 <= streams.integer_seed(5, "init") < 2**31 - 1


def test_keys_take_tensor_indices_inside_a_dataset():
    expected = [as_tuple(streams.key(3, "augmentation", 2, i)) for i in range(3)]
    ds = tf.data.Dataset.range(3).map(lambda i: streams.key(3, "augmentation", 2, i))
    assert [tuple(int(v) for v in k) for k in ds.as_numpy_iterator()] == expected


def test_bad_purposes_seeds_and_indices_are_refused():
    with pytest.raises(ValueError, match="purpose must be one of"):
        streams.key(0, "noise")
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        streams.generator(-1, "init")
    with pytest.raises(ValueError, match="index must be an integer >= 0"):
        streams.key(0, "init", 1.5)
    with pytest.raises(ValueError, match="seed must be an integer"):
        streams.key(True, "init")


def test_seeded_repeats_initial_weights_and_leaves_the_callers_state_as_it_was():
    def build():
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])

    random.seed(11)
    np.random.seed(11)
    expected_python, expected_numpy = random.random(), np.random.random()
    random.seed(11)
    np.random.seed(11)
    with streams.seeded(0, "init") as chosen:
        first = build().get_weights()[0]
    assert chosen == streams.integer_seed(0, "init")
    assert (random.random(), np.random.random()) == (expected_python, expected_numpy)
    with streams.seeded(0, "init"):
        again = build().get_weights()[0]
    with streams.seeded(1, "init"):
        other = build().get_weights()[0]
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_importing_mnlib_sets_the_log_level_and_nothing_else():
    import json
    import os
    import subprocess
    import sys

    script = (
        "import os, json, random, numpy, tensorflow, keras\n"  # TensorFlow's own import draws from random
        "before, state, numpy_state = dict(os.environ), random.getstate(), numpy.random.get_state()[1].tolist()\n"
        "import mnlib, mnlib.train, mnlib.data, mnlib.stats, mnlib.results\n"
        "from mnlib import compat\n"
        "changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))\n"
        "same = random.getstate() == state and numpy.random.get_state()[1].tolist() == numpy_state\n"
        "print(json.dumps([changed, same, compat.keras_global_seed_state()[0]]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    changed, same_random_state, keras_seed = json.loads(out.stdout.strip().splitlines()[-1])
    assert changed == ["TF_CPP_MIN_LOG_LEVEL"]
    assert same_random_state and keras_seed is None
