"""The GAN chapter's settings: one object that :func:`mnlib.gan.run` takes.

:class:`GANSettings` holds what a training chapter's
:class:`mnlib.train.StudySettings` holds (profile, dataset, epochs, batch
size, folders, caption) and what a DCGAN adds (classes, resolution, z,
width, seed, Adam's settings, the label tricks, how the KID and the
augmentation test are measured). :func:`gan_settings` fills a chapter's
``None`` parameters from :data:`PROFILES`, as
:func:`mnlib.train.study_settings` does for the training chapters, and every
field is checked when the object is made. Introduced in chapter 7.
"""

from __future__ import annotations

import dataclasses

from mnlib import checks
from mnlib.gan.model import BETA_1, LEARNING_RATE
from mnlib.gan.networks import check_latent_dim, check_resolution
from mnlib.train.settings import StudySettings

__all__ = ["PROFILES", "GANSettings", "gan_settings"]

#: Chapter 7's profiles. Smoke: a narrow GAN (width 16) for a few epochs on
#: the synthetic stand-in, KID on 200 samples every epoch, one seed per arm
#: of the augmentation test. Full: Stanford Dogs' 120 breeds, three seeds.
PROFILES = {
    "smoke": {
        "dataset": "synthetic", "epochs": 5, "batch_size": 32, "width": 16, "classes": 10,
        "kid_samples": 200, "kid_every": 1, "augmentation_epochs": 1, "augmentation_seeds": 1,
    },
    "full": {
        "dataset": "stanford-dogs", "epochs": 100, "batch_size": 64, "width": 64, "classes": 120,
        "kid_samples": 1000, "kid_every": 5, "augmentation_epochs": 30, "augmentation_seeds": 3,
    },
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class GANSettings(StudySettings):
    """A DCGAN run's settings, checked when made (ValueError naming the field).

    Attributes:
        profile, dataset, data_dir, results_dir, caption: as
            :class:`mnlib.train.StudySettings`, whose fields these are.
        epochs: GAN training epochs (>= 1).
        batch_size: images per step (>= 2; the paper's 128).
        classes: classes of the dataset (the first ``k``), for the record.
        resolution: 32, 64 or 128 px. latent_dim: length of z (>= 1).
        width: the networks' width (:func:`mnlib.gan.generator`).
        seed: every random stream of the run (:mod:`mnlib.streams`).
        learning_rate, beta_1: Adam's, both networks (2e-4 and 0.5).
        label_smoothing, label_noise: see :class:`mnlib.gan.DCGAN` (0: off).
        kid_samples, kid_every: generated images per KID, and every how
            many epochs it is measured (and after the last).
        augmentation_epochs: epochs of real images per arm of
            :func:`mnlib.gan.compare`; augmentation_seeds: seeds per arm.
        notebook: the chapter that runs it (provenance).
        jit_compile: XLA for the training step; None: on a GPU only.
    """

    classes: int
    resolution: int = 64
    latent_dim: int = 100
    width: int = 64
    seed: int = 0
    learning_rate: float = LEARNING_RATE
    beta_1: float = BETA_1
    label_smoothing: float = 0.0
    label_noise: float = 0.0
    kid_samples: int = 256
    kid_every: int = 1
    augmentation_epochs: int = 2
    augmentation_seeds: int = 1
    notebook: str | None = None
    jit_compile: bool | None = None

    def __post_init__(self):
        from mnlib import results
        from mnlib.data import DATASETS

        checks.choice("profile", self.profile, results.PROFILES)
        checks.choice("dataset", self.dataset, DATASETS)
        for name, least in (("epochs", 1), ("batch_size", 2), ("classes", 1), ("width", 1), ("kid_samples", 2),
                            ("kid_every", 1), ("augmentation_epochs", 1), ("augmentation_seeds", 1)):  # fmt: skip
            checks.integer(name, getattr(self, name), minimum=least)
        checks.integer("seed", self.seed, minimum=0)
        check_latent_dim(self.latent_dim)
        check_resolution(self.resolution)
        checks.number("learning_rate", self.learning_rate, above=0, below=1)
        checks.number("beta_1", self.beta_1, minimum=0, below=1)
        for name in ("label_smoothing", "label_noise"):
            checks.number(name, getattr(self, name), minimum=0, below=0.5, hint="0 is off, the paper's choice.")
        if self.jit_compile is not None:
            checks.boolean("jit_compile", self.jit_compile)

    def configuration(self, images: int) -> dict:
        """What identifies a run of these settings on ``images`` training images (its record's fields)."""
        training = {
            "optimizer": "adam", "learning_rate": float(self.learning_rate), "beta_1": float(self.beta_1),
            "loss": "binary cross-entropy from logits, non-saturating generator loss",
            "label_smoothing": float(self.label_smoothing), "label_noise": float(self.label_noise),
            "images": int(images), "augment": False, "family": "mobilenet",
        }  # fmt: skip
        return dict(
            dataset=self.dataset, classes=int(self.classes), resolution=int(self.resolution), model="dcgan",
            model_args={"latent_dim": int(self.latent_dim), "width": int(self.width)}, seed=int(self.seed),
            profile=self.profile, epochs=int(self.epochs), batch_size=int(self.batch_size), training=training,
        )  # fmt: skip


def gan_settings(
    *,
    profile: str,
    dataset=None,
    epochs=None,
    batch_size=None,
    data_dir=None,
    results_dir=None,
    classes=None,
    width=None,
    **fields,
) -> GANSettings:
    """A chapter's :class:`GANSettings`, each ``None`` replaced by :data:`PROFILES`' choice.

    Args:
        profile: ``"smoke"`` or ``"full"``.
        dataset, epochs, batch_size, data_dir, results_dir: as
            :func:`mnlib.train.study_settings` (the same defaults and checks).
        classes, width: override the profile's.
        fields: any other field of :class:`GANSettings` (``resolution=64``,
            ``latent_dim=100``, ``seed=0``, ``notebook="07_dcgan"``...).
    """
    from mnlib.train import study_settings

    study = study_settings(profile=profile, dataset=dataset, epochs=epochs, batch_size=batch_size,
                           data_dir=data_dir, results_dir=results_dir, defaults=PROFILES)  # fmt: skip
    table = PROFILES[profile]
    chosen = {key: table[key] for key in ("kid_samples", "kid_every", "augmentation_epochs", "augmentation_seeds")}
    chosen.update(classes=classes or table["classes"], width=width or table["width"])
    known = {field.name for field in dataclasses.fields(GANSettings)}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise TypeError(f"gan_settings has no field {unknown}; the fields are {sorted(known)}.")
    shared = ("profile", "dataset", "epochs", "batch_size", "data_dir", "results_dir", "caption")
    return GANSettings(**{key: getattr(study, key) for key in shared}, **{**chosen, **fields})
