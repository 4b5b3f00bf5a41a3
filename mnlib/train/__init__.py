"""Training and evaluation: one way to train any model of the course.

Five modules, every public name importable from ``mnlib.train`` itself:

* :mod:`mnlib.train.optim` - the optimizers and the warm-up + cosine schedule;
* :mod:`mnlib.train.batchnorm` - batch-norm re-estimation before evaluation;
* :mod:`mnlib.train.loop` - :func:`fit` (with backup and resume) and :func:`evaluate`;
* :mod:`mnlib.train.settings` - what :func:`run` may be asked (checked
  before anything trains) and the chapters' :func:`study_settings`;
* :mod:`mnlib.train.experiment` - :func:`run`, one experiment and its record
  (with an optional fine-tuning phase), and :func:`check`.

Why the course trains as it does (Adam rather than the paper's RMSprop, the
schedule, batch-norm re-estimation, mixed precision and XLA on a GPU only,
resuming): the book's page "How the course trains". Introduced in chapter 3.
"""

from mnlib.train.batchnorm import recalibrate_batch_norm
from mnlib.train.experiment import check, run
from mnlib.train.loop import accelerator, chance_verdict, evaluate, fit
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
    "OPTIMIZERS", "LEARNING_RATES", "WarmupCosine", "make_optimizer", "recalibrate_batch_norm", "accelerator",
    "fit", "evaluate", "chance_verdict", "run", "check", "MODEL_ARGS", "FINE_TUNE_LEARNING_RATE", "PROFILES",
    "StudySettings", "study_settings", "device_notice", "imagenet_weights_available",
]  # fmt: skip
