"""Chapter 4's exercises (the resolution multiplier): cost at 52 px, α and ρ for a budget, the 2 x 2 map."""

from __future__ import annotations

import math

from .. import models
from ._grid import ALPHAS, SIZES, cost_m
from .core import Function, Number

__all__ = ["EXERCISES"]


def _best_under(budget_m):
    fitting = [(cost_m(a, s)[0], a, s) for a in ALPHAS for s in SIZES if cost_m(a, s)[0] <= budget_m]
    if not fitting:
        return None
    _, alpha, size = max(fitting)
    return alpha, size


def _cheapest_under(budget_m):
    """A plausible mistake: the cheapest pair within the budget, not the costliest."""
    fitting = [(cost_m(a, s)[0], a, s) for a in ALPHAS for s in SIZES if cost_m(a, s)[0] <= budget_m]
    return min(fitting)[1:] if fitting else None


def _budgets():
    everything = sorted(cost_m(a, s)[0] for a in ALPHAS for s in SIZES)
    return [
        (everything[0] * 0.9,),
        (everything[3],),
        ((everything[7] + everything[8]) / 2,),
        (everything[-1] * 2,),
        (100.0,),
    ]


def _same(got, expected):
    if got is not None and not isinstance(got, tuple):
        return f"it returned {type(got).__name__}; return a tuple (α, px) or None"
    if got == expected:
        return None
    if got is None or expected is None:
        return f"it returned {got!r}"
    costlier = cost_m(*got)[0] > cost_m(*expected)[0]
    return f"it returned {got}, which {'exceeds the budget' if costlier else 'is not the costliest that fits'}"


def _smallest_with_2x2() -> int:
    """Smallest square input whose last feature map (after block 13) is 2 x 2."""
    side = models.MIN_SIZE
    while True:
        last = math.ceil(side / 2)  # the first convolution, 'same' padding
        for _, stride in models.TABLE_1:
            last = last // 2 if stride == 2 else last  # pad bottom/right, 'valid' 3x3, stride 2
        if last >= 2:
            return side
        side += 1


EXERCISES = [
    Number(
        "04.1",
        "Mult-Adds at 52 px over 64 px (α = 1)",
        lambda: cost_m(1.0, 52)[0] / cost_m(1.0, 64)[0],
        rel_tol=0.005,
        hint="ρ² = (52/64)² assumes every map shrinks by 52/64; count the maps the network really has (chapter 2).",
        mistakes=lambda: [(52 / 64) ** 2, 52 / 64],
    ),
    Function(
        "04.2",
        "α and ρ for a Mult-Adds budget",
        lambda: _best_under,
        cases=_budgets,
        compare=_same,
        describe=lambda args: f"a budget of {args[0]:.3g} million Mult-Adds",
        hint="among α in (1.0, 0.75, 0.5, 0.25) and sizes (64, 52, 44, 36) px, 10 classes, return the (α, px) "
        "with the most Mult-Adds not above the budget, or None.",
        mistakes=lambda: [lambda budget_m: (1.0, 64), _cheapest_under],
    ),
    Number(
        "04.3",
        "smallest input side with a 2 x 2 last feature map",
        _smallest_with_2x2,
        hint="follow one side through the five stride-2 layers, with the rounding of chapter 2's exercise 02.1.",
        mistakes=lambda: [64, 62],
    ),
]
