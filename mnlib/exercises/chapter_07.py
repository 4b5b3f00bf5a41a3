"""Chapter 7's exercises (the DCGAN): the generator's parameters, the discriminator's last map at 128 px,
the unbiased KID estimator, the discriminator's loss at the equilibrium D = 1/2."""

from __future__ import annotations

import functools

import numpy as np

from .. import gan
from .core import Function, Number, Shape, close_numbers

__all__ = ["EXERCISES"]

#: 07.2's configuration: a resolution the chapter does not train at, with the smoke profile's width.
SHAPE_RESOLUTION, SHAPE_WIDTH = 128, 16


@functools.cache
def _generator_parameters(latent_dim: int, resolution: int, width: int) -> int:
    """Trainable parameters of ``gan.generator(latent_dim, resolution, width)``, from the network it builds."""
    network = gan.generator(latent_dim, resolution, width)
    return int(sum(np.prod(w.shape) for w in network.trainable_weights))


def _generator_reference(latent_dim, resolution, width):
    return _generator_parameters(int(latent_dim), int(resolution), int(width))


def _generator_cases():
    """The paper's figure (4 x 4 x 1024 from z of 100, 64 px), the smoke profile's, and others."""
    return [(100, 64, 128), (100, 64, 16), (100, 32, 8), (20, 128, 4), (7, 64, 3)]


def _generator_by_hand(latent_dim, resolution, width, *, norm=True, norm_stats=False, biases=False):
    """The generator's parameters counted layer by layer (with switches for the plausible mistakes)."""
    stages = {32: 3, 64: 4, 128: 5}[resolution]
    channels = width * 2 ** (stages - 1)
    per_norm = (4 if norm_stats else 2) if norm else 0
    total = latent_dim * 16 * channels + (16 * channels if biases else 0) + per_norm * channels
    for _ in range(stages - 1):
        total += 16 * channels * (channels // 2) + ((channels // 2) if biases else 0) + per_norm * (channels // 2)
        channels //= 2
    return total + 16 * channels * 3 + 3


def _discriminator_last_map() -> tuple[int, ...]:
    """(height, width, channels) of the map the discriminator flattens, at 128 px and width 16."""
    network = gan.discriminator(SHAPE_RESOLUTION, SHAPE_WIDTH)
    return tuple(int(d) for d in network.get_layer("flatten").input.shape[1:])


def _kid(real, fake):
    return float(gan.kid(real, fake))


def _kid_cases():
    """Feature sets of at most 1000 rows (so the reference uses every row once), of unequal sizes."""
    rng = np.random.default_rng(7)
    a = rng.normal(size=(60, 8))
    return [
        (a, rng.normal(0.5, 1.0, size=(40, 8))),
        (rng.uniform(0, 2, size=(30, 16)), rng.uniform(0, 3, size=(50, 16))),
        (a, rng.normal(size=(70, 8))),
        (np.abs(rng.normal(size=(5, 4))), np.abs(rng.normal(1.0, 2.0, size=(3, 4)))),
    ]


def _describe_kid(args):
    real, fake = args
    return f"features of shapes {real.shape} (real) and {fake.shape} (generated)"


def _kernel(a, b, degree=3, scale=True):
    return (a @ b.T / (a.shape[1] if scale else 1) + 1) ** degree


def _kid_biased(real, fake):
    """A plausible mistake: the means over all pairs, the diagonal k(x, x) included (the biased MMD²)."""
    real, fake = np.asarray(real, float), np.asarray(fake, float)
    return _kernel(real, real).mean() + _kernel(fake, fake).mean() - 2 * _kernel(real, fake).mean()


def _kid_unscaled(real, fake):
    """A plausible mistake: the kernel without the division by d."""
    real, fake = np.asarray(real, float), np.asarray(fake, float)
    m, n = len(real), len(fake)
    kxx, kyy = _kernel(real, real, scale=False), _kernel(fake, fake, scale=False)
    return ((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
            - 2 * _kernel(real, fake, scale=False).mean())  # fmt: skip


def _kid_one_size(real, fake):
    """A plausible mistake: the m(m-1) of the real set used for both sets."""
    real, fake = np.asarray(real, float), np.asarray(fake, float)
    m = len(real)
    kxx, kyy = _kernel(real, real), _kernel(fake, fake)
    return (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * _kernel(real, fake).mean()


def _loss_at_half() -> float:
    """The chapter's d_loss (``mnlib.gan.DCGAN``: BCE on the real batch plus BCE on the generated one) at D = 1/2."""
    import keras

    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    zero = np.zeros((4, 1), np.float32)  # a logit of 0 is D = sigmoid(0) = 1/2
    return float(bce(np.ones_like(zero), zero)) + float(bce(np.zeros_like(zero), zero))


EXERCISES = [
    Function(
        "07.1",
        "the generator's trainable parameters for a given z, resolution and width",
        lambda: _generator_reference,
        cases=_generator_cases,
        compare=close_numbers(0),
        describe=lambda args: "LATENT_DIM = {}, RESOLUTION = {}, WIDTH = {}".format(*args),
        hint="list the layers of §7.1 (the Dense projection has no bias, nor have the transposed convolutions "
        "before a batch norm; the last one has); a batch norm trains 2 numbers per channel (its moving mean and "
        "variance are not trained); a 4 x 4 transposed convolution from a to b channels has 16·a·b weights.",
        mistakes=lambda: [
            functools.partial(_generator_by_hand, norm_stats=True),
            functools.partial(_generator_by_hand, norm=False),
            functools.partial(_generator_by_hand, biases=True),
        ],
    ),
    Shape(
        "07.2",
        "the map the discriminator flattens at 128 px, width 16: (height, width, channels)",
        _discriminator_last_map,
        hint="at 128 px the discriminator has one more stride-2 block than at 64 px; every block halves the side "
        "and, from the first's WIDTH channels, doubles the channels.",
        mistakes=lambda: [(4, 4, 128), (8, 8, 128), (2, 2, 512), (4, 4, 512)],
    ),
    Function(
        "07.3",
        "the unbiased KID of two feature sets",
        lambda: _kid,
        cases=_kid_cases,
        compare=close_numbers(1e-6),
        describe=_describe_kid,
        hint="k(x, y) = (x·y / d + 1)³ with d the number of features; within a set, average over the pairs i ≠ j "
        "only (divide by m(m - 1), and by n(n - 1) for the other set); across the sets, over all m·n pairs. "
        "Compute in float64.",
        mistakes=lambda: [_kid_biased, _kid_unscaled, _kid_one_size],
    ),
    Number(
        "07.4",
        "the discriminator's loss d_loss when D = 1/2 on every image",
        _loss_at_half,
        rel_tol=1e-3,
        hint="d_loss is the cross-entropy on the real batch (label 1) plus the one on the generated batch "
        "(label 0), each a mean over its batch, in natural logarithms (§7.1 and mnlib.gan.DCGAN).",
        mistakes=lambda: [float(np.log(2)), 0.5, 1.0, 2.0],
    ),
]
