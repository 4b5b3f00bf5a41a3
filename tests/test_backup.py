"""The training backup: whole after every epoch, never half-written, restored by the next session."""

import mnlib  # noqa: F401  (imports TensorFlow quietly)

# isort: split
import json

import keras
import numpy as np
import pytest

from mnlib import results
from mnlib.train import backup


def tiny_model(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    return model


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")


def test_each_epoch_leaves_one_whole_backup_that_names_its_epoch(tmp_path):
    model = tiny_model()
    model.fit(*data(), epochs=2, batch_size=4, verbose=0, callbacks=[backup.Backup(tmp_path, keep=True)])
    state = json.loads((tmp_path / backup.STATE_FILE).read_text())
    assert state == {"epoch": 2, "weights": "epoch-2.weights.h5"}
    assert sorted(p.name for p in tmp_path.iterdir()) == [backup.STATE_FILE, "epoch-2.weights.h5"]
    assert backup.epochs_done(tmp_path) == 2 and backup.epochs_done(None) == 0


def test_the_next_session_restores_weights_and_optimizer_state(tmp_path):
    first = tiny_model(seed=0)
    first.fit(*data(), epochs=2, batch_size=4, verbose=0, callbacks=[backup.Backup(tmp_path, keep=True)])
    second = tiny_model(seed=1)  # other initial weights
    restored = []
    check = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: restored.append(
            ([w.copy() for w in second.get_weights()], int(second.optimizer.iterations.numpy()))
        )
    )
    second.fit(*data(), epochs=3, initial_epoch=2, batch_size=4, verbose=0,
               callbacks=[backup.Backup(tmp_path), check])  # fmt: skip
    weights, iterations = restored[0]
    for got, saved in zip(weights, first.get_weights()):
        np.testing.assert_array_equal(got, saved)
    assert iterations == 2 * 2  # two epochs of two steps
    assert not tmp_path.exists()  # keep=False: removed once training ends


def test_a_save_that_fails_leaves_the_previous_backup_whole(tmp_path, monkeypatch):
    model = tiny_model()
    model.fit(*data(), epochs=1, batch_size=4, verbose=0, callbacks=[backup.Backup(tmp_path, keep=True)])
    real_save = results.save_model

    def cut_off(model, path):
        real_save(model, path.with_name("ignored.weights.h5"))
        raise KeyboardInterrupt("disconnected while saving")

    monkeypatch.setattr(results, "save_model", cut_off)
    with pytest.raises(KeyboardInterrupt):
        model.fit(*data(), epochs=2, initial_epoch=1, batch_size=4, verbose=0,
                  callbacks=[backup.Backup(tmp_path, keep=True)])  # fmt: skip
    assert backup.epochs_done(tmp_path) == 1 and (tmp_path / "epoch-1.weights.h5").is_file()
    (tmp_path / "epoch-1.weights.h5").unlink()
    assert backup.epochs_done(tmp_path) == 0  # a state whose weights are gone is no backup
