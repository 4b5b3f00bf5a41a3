"""Training and evaluation: one way to train any model of the course.

Its modules, every public name importable from ``mnlib.train`` itself:

* :mod:`mnlib.train.optim` - the optimizers and the warm-up + cosine schedule;
* :mod:`mnlib.train.batchnorm` - batch-norm re-estimation before evaluation;
* :mod:`mnlib.train.backup` - :class:`Backup`, the backup after every epoch, written atomically;
* :mod:`mnlib.train.loop` - :func:`fit` (with backup and resume, stopped by a
  diverging loss: :class:`Diverged`) and :func:`evaluate`;
* :mod:`mnlib.train.settings` - what :func:`run` may be asked (checked
  before anything trains) and the chapters' :func:`study_settings`;
* :mod:`mnlib.train.phases` - a run's frozen and fine-tuning phases;
* :mod:`mnlib.train.experiment` - :func:`run`, one experiment and its record
  (with an optional fine-tuning phase), and :func:`check`.

Why the course trains as it does (Adam rather than the paper's RMSprop, the
schedule, batch-norm re-estimation, mixed precision and XLA on a GPU only,
resuming): the book's page "How the course trains". Where training runs:
:func:`mnlib.device.accelerator`; whether an accuracy is above chance:
:func:`mnlib.stats.chance`. Introduced in chapter 3.
"""

from mnlib.train.backup import Backup
from mnlib.train.batchnorm import RecalibrateBatchNorm, recalibrate_batch_norm
from mnlib.train.experiment import check, run
from mnlib.train.loop import Diverged, StopOnDivergence, count_batches, evaluate, fit
from mnlib.train.optim import LEARNING_RATES, OPTIMIZERS, WarmupCosine, make_optimizer
from mnlib.train.settings import (
    FINE_TUNE_LEARNING_RATE,
    MODEL_ARGS,
    PROFILES,
    StudySettings,
    device_notice,
    imagenet_weights_available,
    study_settings,
)

__all__ = [
    "OPTIMIZERS", "LEARNING_RATES", "WarmupCosine", "make_optimizer", "recalibrate_batch_norm",
    "RecalibrateBatchNorm", "fit", "evaluate", "count_batches", "Diverged", "StopOnDivergence", "Backup", "run",
    "check", "MODEL_ARGS",
    "FINE_TUNE_LEARNING_RATE", "PROFILES", "StudySettings", "study_settings", "device_notice",
    "imagenet_weights_available",
]  # fmt: skip
