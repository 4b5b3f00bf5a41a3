"""The private Keras names the course relies on: each test fails, naming the shim, if Keras changes it.

The versions each shim was checked on are in ``mnlib.compat.CHECKED``; when
one of these tests fails after a Keras upgrade, fix the shim there (and only
there) and add the new version.
"""

import mnlib  # noqa: F401  (imports TensorFlow quietly)

# isort: split
import keras
import numpy as np
import tensorflow as tf

from mnlib import compat

UPGRADE = "Keras {} changed what mnlib.compat.{} relies on; fix it there and add the version to CHECKED."


def tiny_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    return model


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")


def test_initial_epoch_is_where_keras_starts_and_reset_forgets_it():
    model = tiny_model()
    assert hasattr(model, "_initial_epoch"), UPGRADE.format(keras.__version__, "reset_initial_epoch")
    model._initial_epoch = 2  # what BackupAndRestore sets when it restores
    ran = model.fit(*data(), epochs=3, verbose=0).epoch
    assert ran == [2], UPGRADE.format(keras.__version__, "reset_initial_epoch")
    compat.reset_initial_epoch(model)
    assert model.fit(*data(), epochs=3, verbose=0).epoch == [0, 1, 2]


def test_keras_backup_and_restore_sets_the_initial_epoch_reset_forgets(tmp_path):
    model = tiny_model()
    with_backup = [keras.callbacks.BackupAndRestore(str(tmp_path), delete_checkpoint=False)]
    model.fit(*data(), epochs=2, verbose=0, callbacks=with_backup)
    again = tiny_model()
    assert again.fit(*data(), epochs=3, verbose=0, callbacks=with_backup).epoch == [2]
    assert again._initial_epoch == 2, UPGRADE.format(keras.__version__, "reset_initial_epoch")
    compat.reset_initial_epoch(again)
    assert again.fit(*data(), epochs=1, verbose=0).epoch == [0]


def test_a_call_set_on_the_instance_is_what_keras_runs_traced_or_not():
    inputs = keras.Input((3, 3, 2))
    norm = keras.layers.BatchNormalization()
    outer = keras.Model(inputs, keras.layers.ReLU()(norm(keras.layers.Conv2D(2, 1)(inputs))))
    seen = []

    def wrap(layer, call):
        def record(x, *args, **kwargs):
            seen.append(layer.name)
            return call(x, *args, **kwargs)

        return record

    images = tf.ones([2, 3, 3, 2])
    with compat.calls_intercepted([norm], wrap):
        outer(images, training=True)
        tf.function(lambda x: outer(x, training=True))(images)
    assert seen == [norm.name, norm.name], UPGRADE.format(keras.__version__, "calls_intercepted")
    assert "call" not in norm.__dict__  # the class's call is back
    outer(images, training=True)
    assert len(seen) == 2


def test_keras_global_seed_state_is_what_set_random_seed_sets():
    keras.utils.set_random_seed(123)
    seed, _ = compat.keras_global_seed_state()
    assert seed == 123, UPGRADE.format(keras.__version__, "keras_global_seed_state")
    compat.restore_keras_global_seed_state((None, None))
    assert compat.keras_global_seed_state() == (None, None)
    first = keras.random.uniform([3]).numpy()  # a new global generator, made on demand
    assert first.shape == (3,)
