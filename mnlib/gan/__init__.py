"""A DCGAN (Radford et al. 2015) of the course's images, and measures of its samples.

Four modules, every public name importable from ``mnlib.gan`` itself:

* :mod:`mnlib.gan.networks` - :func:`generator` and :func:`discriminator`;
* :mod:`mnlib.gan.model` - :class:`DCGAN`, a ``keras.Model`` whose
  ``train_step`` alternates the two updates, and the paper's :func:`optimizers`;
* :mod:`mnlib.gan.training` - :func:`run`: per-epoch checkpoints and grids,
  resume, the generator saved and one record;
* :mod:`mnlib.gan.quality` - :func:`kid` (Kernel Inception Distance), a
  trained :class:`Classifier` seen from the GAN, :func:`nearest` neighbours.

Introduced in chapter 7 (a DCGAN of dogs, judged by the course's MobileNet).
"""

from mnlib.gan.augmentation import compare
from mnlib.gan.model import BETA_1, DCGAN, LEARNING_RATE, optimizers
from mnlib.gan.networks import RESOLUTIONS, check_latent_dim, check_resolution, discriminator, generator
from mnlib.gan.quality import (
    Classifier,
    classifier_from_record,
    find_classifier,
    inception_features,
    kid,
    load_classifier,
    nearest,
    to_pixels,
)
from mnlib.gan.training import GRID, KIDProbe, image_grid, line_folder, noise, run

__all__ = [
    "RESOLUTIONS", "generator", "discriminator", "check_latent_dim", "check_resolution",
    "DCGAN", "optimizers", "LEARNING_RATE", "BETA_1",
    "kid", "Classifier", "load_classifier", "find_classifier", "classifier_from_record", "inception_features",
    "nearest", "to_pixels",
    "KIDProbe", "run", "noise", "image_grid", "line_folder", "GRID", "compare",
]  # fmt: skip
