"""A training backup that survives a disconnect, written atomically: :class:`Backup`.

After every epoch :class:`Backup` saves the model's weights and optimizer state
through :func:`mnlib.results.save_model` (a temporary file renamed over the
final name) to a file named by the epoch, then records that epoch and file in
``backup.json`` (also written atomically), then removes the previous epoch's
file. Cut off at any moment, the folder holds a whole backup that
``backup.json`` names: the last epoch's or the one before. A new session
restores it when training begins; :func:`mnlib.train.fit` starts at
:func:`epochs_done`. Introduced in chapter 3 (training that resumes).
"""

from __future__ import annotations

import pathlib
import shutil

import keras

from mnlib import checks, results

__all__ = ["STATE_FILE", "Backup", "epochs_done"]

#: The file that says which epoch the backup holds and where its weights are.
STATE_FILE = "backup.json"


def _state(folder: pathlib.Path) -> dict | None:
    """``{"epoch": n, "weights": file}`` when ``folder`` holds a whole backup, else None."""
    state = results.read_json(folder / STATE_FILE)
    if not isinstance(state, dict):
        return None
    epoch, weights = state.get("epoch"), state.get("weights")
    if not checks.is_integer(epoch) or epoch < 1 or not isinstance(weights, str):
        return None
    return state if (folder / weights).is_file() else None


def epochs_done(folder) -> int:
    """Epochs the backup in ``folder`` holds (0 without a whole backup, or without a folder)."""
    if folder is None:
        return 0
    state = _state(pathlib.Path(folder))
    return 0 if state is None else state["epoch"]


class Backup(keras.callbacks.Callback):
    """Keras callback: restore the backup in ``folder`` when training begins, save one after each epoch.

    Args:
        folder: the backup's folder (created when the first epoch ends).
        keep: keep the backup after the last epoch (default False: the
            folder is removed when training ends; a run cut off keeps it).
    """

    def __init__(self, folder, keep: bool = False):
        super().__init__()
        self.folder = pathlib.Path(folder)
        self.keep = keep

    def on_train_begin(self, logs=None):
        state = _state(self.folder)
        if state is None:
            return
        optimizer = self.model.optimizer
        if optimizer is not None and not optimizer.built:  # its variables must exist before loading
            optimizer.build(self.model.trainable_variables)
        self.model.load_weights(self.folder / state["weights"])

    def on_epoch_end(self, epoch, logs=None):
        previous = _state(self.folder)
        weights = f"epoch-{epoch + 1}.weights.h5"
        results.save_model(self.model, self.folder / weights)
        results.write_json(self.folder / STATE_FILE, {"epoch": epoch + 1, "weights": weights})
        if previous is not None and previous["weights"] != weights:
            (self.folder / previous["weights"]).unlink(missing_ok=True)

    def on_train_end(self, logs=None):
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)
