"""Chapter 0's exercises (the datasets): batches per epoch, grayscale files, MobileNet's input scaling."""

from __future__ import annotations

import math

import numpy as np

from .core import Function, Number, close_arrays

__all__ = ["EXERCISES"]


def _steps() -> int:
    return math.ceil(10 * 500 / 64)  # 10 classes of 500 training images, batches of 64, last one partial


def _to_rgb(image):
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    return np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image


def _rgb_cases():
    rng = np.random.default_rng(7)
    return [
        (rng.integers(0, 256, (5, 7), dtype=np.uint8),),
        (rng.integers(0, 256, (4, 3, 1), dtype=np.uint8),),
        (rng.integers(0, 256, (6, 6, 3), dtype=np.uint8),),
    ]


def _mobilenet_scale(pixels):
    return np.asarray(pixels, dtype=np.float32) / 127.5 - 1.0


def _scale_cases():
    rng = np.random.default_rng(11)
    return [(np.array([0, 255, 128], dtype=np.uint8),), (rng.integers(0, 256, (2, 4, 4, 3), dtype=np.uint8),)]


def _shape_of(args) -> str:
    return f"an array of shape {np.shape(args[0])}"


EXERCISES = [
    Number(
        "00.1",
        "batches per epoch on 10 Tiny ImageNet classes",
        _steps,
        hint="count the training images of 10 classes, and keep the last, partial batch.",
        mistakes=lambda: [78, 10 * 500 / 64],
    ),
    Function(
        "00.2",
        "to_rgb: grayscale images to three channels",
        lambda: _to_rgb,
        cases=_rgb_cases,
        compare=close_arrays(0),
        describe=_shape_of,
        hint="an (H, W) or (H, W, 1) image has one channel to copy three times; an RGB one is returned as it is.",
        mistakes=lambda: [np.asarray, lambda image: np.stack([np.asarray(image)] * 3, axis=-1)],
    ),
    Function(
        "00.3",
        "MobileNet's input scaling of 8-bit pixels",
        lambda: _mobilenet_scale,
        cases=_scale_cases,
        compare=close_arrays(1e-5),
        describe=_shape_of,
        hint="0 must become -1 and 255 must become 1, linearly.",
        mistakes=lambda: [lambda pixels: np.asarray(pixels) / 255, lambda pixels: np.asarray(pixels) / 127.5],
    ),
]
