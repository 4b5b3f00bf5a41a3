"""The DCGAN's two networks, after Radford et al. (2015, arXiv:1511.06434).

* :func:`generator` maps a noise vector ``z`` (``latent_dim`` numbers drawn from
  N(0, 1)) to an image: a dense projection to a 4 x 4 map, then transposed
  convolutions (kernel 4, stride 2) that double the side and halve the
  channels, each followed by batch norm and ReLU; the last one gives 3
  channels through ``tanh``, so pixels lie in [-1, 1].
* :func:`discriminator` maps an image to one logit (positive: "real"):
  convolutions (kernel 4, stride 2) that halve the side and double the
  channels, LeakyReLU with slope 0.2, batch norm on every block but the first
  (as the paper), then one dense unit.

Every kernel starts from N(0, 0.02) (the paper's "zero-centered Normal
distribution with standard deviation 0.02"), batch norm's scale from
N(1, 0.02) and its shift at 0 (PyTorch's DCGAN example; the paper does not say).
The paper draws 5 x 5 kernels and a uniform z; kernel 4 and a normal z are
the choices of the reference DCGAN code that most ports follow (Soumith
Chintala's ``dcgan.torch`` and PyTorch's DCGAN example). A kernel divisible
by its stride reduces, not removes, the checkerboard artefacts of transposed
convolutions (Odena et al. 2016).

Sizes: 32, 64 or 128 px (:data:`RESOLUTIONS`): 3, 4 or 5 doubling stages from
4 x 4. ``width`` is the channels of the generator's last hidden stage and of
the discriminator's first: 128 is the paper's 64-px figure (1024 channels at
4 x 4), 64 PyTorch's DCGAN example (``ngf = ndf = 64``), the course's default;
fewer make a quick CPU run. Introduced in chapter 7.
"""

from __future__ import annotations

from numbers import Integral

import keras
from keras import layers

__all__ = ["RESOLUTIONS", "generator", "discriminator", "check_latent_dim", "check_resolution"]

#: Image sides the networks are built for (pixels).
RESOLUTIONS = (32, 64, 128)

_BASE = 4  # side of the generator's first map and of the discriminator's last


def _init(seed, layer):
    """N(0, 0.02); seeded per layer when the network has a seed."""
    return keras.initializers.RandomNormal(0.0, 0.02, seed=_layer_seed(seed, layer))


def _layer_seed(seed, layer):
    return None if seed is None else (int(seed) + layer) % (2**31 - 1)


def _is_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def check_latent_dim(latent_dim) -> int:
    """``latent_dim`` as an int; ValueError unless it is an integer >= 1."""
    if not _is_int(latent_dim) or latent_dim < 1:
        raise ValueError(
            f"latent_dim (LATENT_DIM) is the length of the noise vector z, an integer >= 1 "
            f"(the paper uses 100); got {latent_dim!r}."
        )
    return int(latent_dim)


def check_resolution(resolution) -> int:
    """``resolution`` as an int; ValueError unless it is one of :data:`RESOLUTIONS`."""
    if not _is_int(resolution) or resolution not in RESOLUTIONS:
        raise ValueError(
            f"resolution (RESOLUTION) must be one of {RESOLUTIONS} pixels (4 x 4 doubled 3, 4 or 5 times); "
            f"got {resolution!r}. Resize the images to one of these sizes."
        )
    return int(resolution)


def _check_width(width) -> int:
    if not _is_int(width) or width < 1:
        raise ValueError(f"width must be an integer >= 1 (channels; 64 is the course's default); got {width!r}.")
    return int(width)


def _stages(resolution: int) -> int:
    return {32: 3, 64: 4, 128: 5}[resolution]


def generator(
    latent_dim: int = 100, resolution: int = 64, width: int = 64, name: str = "generator", *, seed: int | None = None
) -> keras.Model:
    """The DCGAN generator: noise ``[batch, latent_dim]`` -> images ``[batch, r, r, 3]`` in [-1, 1].

    Dense projection to ``4 x 4 x width * 2**(stages - 1)`` (no bias: batch
    norm follows), batch norm, ReLU; then ``stages - 1`` transposed
    convolutions (kernel 4, stride 2, ``"same"``) halving the channels, each
    with batch norm and ReLU; a last transposed convolution to 3 channels and
    ``tanh``. At 64 px and ``width=64``: 4x4x512, 8x8x256, 16x16x128,
    32x32x64, 64x64x3.

    Args:
        latent_dim: length of z (>= 1; the paper's 100).
        resolution: side ``r`` of the images, 32, 64 or 128 px.
        width: channels of the last hidden stage (>= 1; default 64).
        name: the model's name.
        seed: seeds the initial weights (an integer, e.g.
            ``mnlib.streams``' ``"init"`` stream); None: Keras' global one.

    Raises:
        ValueError: a size outside what is allowed, saying what is.
    """
    latent_dim, resolution, width = check_latent_dim(latent_dim), check_resolution(resolution), _check_width(width)
    stages = _stages(resolution)
    channels = width * 2 ** (stages - 1)
    z = keras.Input((latent_dim,), name="z")
    x = layers.Dense(_BASE * _BASE * channels, use_bias=False, kernel_initializer=_init(seed, 0), name="project")(z)
    x = layers.Reshape((_BASE, _BASE, channels), name="reshape")(x)
    x = _norm(x, "project_bn", seed, 100)
    x = layers.ReLU(name="project_relu")(x)
    for stage in range(1, stages):
        channels //= 2
        x = layers.Conv2DTranspose(channels, 4, 2, "same", use_bias=False, kernel_initializer=_init(seed, stage),
                                   name=f"up{stage}")(x)  # fmt: skip
        x = _norm(x, f"up{stage}_bn", seed, 100 + stage)
        x = layers.ReLU(name=f"up{stage}_relu")(x)
    x = layers.Conv2DTranspose(3, 4, 2, "same", kernel_initializer=_init(seed, stages), name=f"up{stages}")(x)
    images = layers.Activation("tanh", name="tanh", dtype="float32")(x)
    return keras.Model(z, images, name=name)


def discriminator(
    resolution: int = 64, width: int = 64, name: str = "discriminator", *, seed: int | None = None
) -> keras.Model:
    """The DCGAN discriminator: images ``[batch, r, r, 3]`` in [-1, 1] -> one logit ``[batch, 1]``.

    ``stages`` convolutions (kernel 4, stride 2, ``"same"``) from ``width``
    channels, doubling, down to 4 x 4; batch norm on all but the first;
    LeakyReLU (slope 0.2) after each; then flatten and one dense unit, the
    logit (no sigmoid: the loss takes logits, which is numerically safer).

    Args:
        resolution: side ``r`` of the images, 32, 64 or 128 px.
        width: channels of the first convolution (>= 1; default 64).
        name: the model's name.
        seed: seeds the initial weights (an integer); None: Keras' global one.

    Raises:
        ValueError: a size outside what is allowed, saying what is.
    """
    resolution, width = check_resolution(resolution), _check_width(width)
    images = keras.Input((resolution, resolution, 3), name="images")
    x, channels = images, width
    for stage in range(1, _stages(resolution) + 1):
        x = layers.Conv2D(channels, 4, 2, "same", use_bias=stage == 1, kernel_initializer=_init(seed, 200 + stage),
                          name=f"down{stage}")(x)  # fmt: skip
        if stage > 1:
            x = _norm(x, f"down{stage}_bn", seed, 300 + stage)
        x = layers.LeakyReLU(0.2, name=f"down{stage}_lrelu")(x)
        channels *= 2
    x = layers.Flatten(name="flatten")(x)
    logit = layers.Dense(1, kernel_initializer=_init(seed, 299), name="logit", dtype="float32")(x)
    return keras.Model(images, logit, name=name)


def _norm(x, name, seed, layer):
    gamma = keras.initializers.RandomNormal(1.0, 0.02, seed=_layer_seed(seed, layer))
    return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, gamma_initializer=gamma, name=name)(x)
