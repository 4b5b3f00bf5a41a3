"""A DCGAN (Radford et al. 2015) of the course's images, and measures of its samples.

Every public name is importable from ``mnlib.gan`` itself:

* :mod:`mnlib.gan.networks` - :func:`generator` and :func:`discriminator`;
* :mod:`mnlib.gan.model` - :class:`DCGAN`, a ``keras.Model`` whose
  ``train_step`` alternates the two updates, and the paper's :func:`optimizers`;
* :mod:`mnlib.gan.settings` - :class:`GANSettings`, what :func:`run` takes,
  and the chapter's :data:`PROFILES` (:func:`gan_settings`);
* :mod:`mnlib.gan.training` - :func:`run`: per-epoch checkpoints and grids,
  resume, the generator saved and one record; :func:`noise` by purpose;
* :mod:`mnlib.gan.quality` - :func:`kid` (Kernel Inception Distance, a
  :class:`KID` of mean and std), a trained :class:`Classifier` seen from the
  GAN (:func:`judge`: chapter 6's), :func:`nearest` neighbours;
* :mod:`mnlib.gan.augmentation` - :func:`compare`: do generated images help
  a classifier (three arms, paired on the same test images);
* :mod:`mnlib.gan.pictures` - :func:`image_grid`, :func:`grid_strip`, :func:`jpeg`.

Introduced in chapter 7 (a DCGAN of dogs, judged by the course's MobileNet).
"""

from mnlib.gan.augmentation import ARMS, compare
from mnlib.gan.model import BETA_1, DCGAN, LEARNING_RATE, optimizers
from mnlib.gan.networks import RESOLUTIONS, check_latent_dim, check_resolution, discriminator, generator
from mnlib.gan.pictures import grid_strip, image_grid, jpeg
from mnlib.gan.quality import (
    KID,
    Classifier,
    View,
    classifier_from_record,
    images_at,
    inception_features,
    judge,
    kid,
    load_classifier,
    nearest,
    to_pixels,
)
from mnlib.gan.settings import PROFILES, GANSettings, gan_settings
from mnlib.gan.training import GRID, NOISE, KIDProbe, generate, line_folder, noise, run

__all__ = [
    "RESOLUTIONS", "generator", "discriminator", "check_latent_dim", "check_resolution",
    "DCGAN", "optimizers", "LEARNING_RATE", "BETA_1",
    "PROFILES", "GANSettings", "gan_settings",
    "kid", "KID", "Classifier", "View", "load_classifier", "judge", "classifier_from_record",
    "inception_features", "images_at", "nearest", "to_pixels",
    "KIDProbe", "run", "noise", "generate", "line_folder", "GRID", "NOISE",
    "compare", "ARMS", "image_grid", "grid_strip", "jpeg",
]  # fmt: skip
