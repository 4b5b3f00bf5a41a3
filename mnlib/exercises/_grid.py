"""Mult-Adds and parameters of MobileNets on a grid of α and input sizes, counted once and cached (chapters 3-4)."""

from __future__ import annotations

import functools

from .. import costs, models

#: The report's grid: width multipliers and input sizes (px), 10 classes.
ALPHAS = (1.0, 0.75, 0.5, 0.25)
SIZES = (64, 52, 44, 36)


@functools.cache
def cost_m(alpha: float, size: int, classes: int = 10, shallow: bool = False) -> tuple[float, float]:
    """(million Mult-Adds, million parameters) of MobileNet at ``alpha`` and ``size`` px, classifier included."""
    model = models.mobilenet(alpha, (size, size, 3), classes, shallow=shallow)
    return costs.model_cost(model)["mult_adds"].sum() / 1e6, model.count_params() / 1e6
