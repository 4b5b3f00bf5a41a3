"""The device question, asked once: is there a GPU, which one, and what training uses on it.

:func:`accelerator` answers it for training (:func:`mnlib.train.run`), the GAN
and the result records (:func:`mnlib.results.environment`): the first GPU's
name (or ``"CPU"``), and whether mixed precision and XLA are used by default.
Mixed precision needs tensor cores (compute capability 7.0 or newer); XLA is
used on any GPU and never on the CPU, where it compiles slowly for little
gain. Why: the book's page "How the course trains". Introduced in chapter 3.
"""

from __future__ import annotations

import dataclasses

__all__ = ["TENSOR_CORES", "Accelerator", "accelerator", "describe"]

#: The oldest compute capability with tensor cores (Volta), where mixed precision pays.
TENSOR_CORES = (7, 0)


@dataclasses.dataclass(frozen=True)
class Accelerator:
    """What this machine offers for training.

    Attributes:
        name: the first GPU's name as the driver gives it (e.g. ``"NVIDIA
            H100 80GB HBM3"``, which need not contain the word "GPU"), or
            ``"CPU"``.
        gpu: whether a GPU is there.
        mixed_precision: whether training uses ``mixed_float16`` by default.
        xla: whether the training step is compiled with XLA by default.
    """

    name: str
    gpu: bool
    mixed_precision: bool
    xla: bool

    def choose(self, mixed_precision: bool | None = None, jit_compile: bool | None = None) -> tuple[bool, bool]:
        """``(mixed precision, XLA)`` for a run: each ``None`` takes this machine's default."""
        mixed = self.mixed_precision if mixed_precision is None else bool(mixed_precision)
        xla = self.xla if jit_compile is None else bool(jit_compile)
        return mixed, xla


def describe(details: dict | None) -> Accelerator:
    """The :class:`Accelerator` for one GPU's details (``tf.config.experimental.get_device_details``), None for none.

    ``details`` may lack ``"device_name"`` (then the name is ``"GPU"``) or
    ``"compute_capability"`` (then mixed precision is off).
    """
    if details is None:
        return Accelerator(name="CPU", gpu=False, mixed_precision=False, xla=False)
    capability = tuple(details.get("compute_capability") or (0, 0))
    return Accelerator(
        name=str(details.get("device_name") or "GPU"),
        gpu=True,
        mixed_precision=capability >= TENSOR_CORES,
        xla=True,
    )


def accelerator() -> Accelerator:
    """This machine's :class:`Accelerator`: the first GPU TensorFlow sees, or the CPU."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return describe(tf.config.experimental.get_device_details(gpus[0]) if gpus else None)
