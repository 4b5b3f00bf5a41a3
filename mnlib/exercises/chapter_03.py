"""Chapter 3's exercises (the width multiplier): what α does to Mult-Adds, a budget, the shallow network."""

from __future__ import annotations

from ._grid import ALPHAS, cost_m
from .core import Function, Number

__all__ = ["EXERCISES"]


def _largest_alpha(budget_m):
    fitting = [alpha for alpha in ALPHAS if cost_m(alpha, 64)[0] <= budget_m]
    return max(fitting) if fitting else None


def _smallest_alpha(budget_m):
    """A plausible mistake: the narrowest α that fits, not the widest."""
    fitting = [alpha for alpha in ALPHAS if cost_m(alpha, 64)[0] <= budget_m]
    return min(fitting) if fitting else None


def _budgets():
    lowest, highest = cost_m(0.25, 64)[0], cost_m(1.0, 64)[0]
    between = cost_m(0.5, 64)[0], cost_m(0.75, 64)[0]
    return [(lowest / 2,), (lowest * 1.01,), ((between[0] + between[1]) / 2,), (between[1],), (highest * 3,)]


def _same(got, expected):
    if got == expected:
        return None
    return f"it returned {got!r}" + (" (None means that no α fits)" if expected is None or got is None else "")


EXERCISES = [
    Number(
        "03.1",
        "Mult-Adds of α = 0.5 over α = 1 at 64 px",
        lambda: cost_m(0.5, 64)[0] / cost_m(1.0, 64)[0],
        rel_tol=0.005,
        hint="α² is the layer-by-layer answer; the first convolution and the classifier scale differently.",
        mistakes=lambda: [0.25, 0.5],
    ),
    Function(
        "03.2",
        "the widest α within a Mult-Adds budget",
        lambda: _largest_alpha,
        cases=_budgets,
        compare=_same,
        describe=lambda args: f"a budget of {args[0]:.3g} million Mult-Adds",
        hint="count each α of (1.0, 0.75, 0.5, 0.25) at 64 px with 10 classes (costs.model_cost); "
        "a network exactly at the budget fits; return None when none does.",
        mistakes=lambda: [lambda budget_m: 1.0, _smallest_alpha],
    ),
    Number(
        "03.3",
        "million parameters of the shallow MobileNet at 64 px",
        lambda: cost_m(1.0, 64, shallow=True)[1],
        rel_tol=0.005,
        hint="build it with models.mobilenet(shallow=True), 10 classes.",
        mistakes=lambda: [cost_m(1.0, 64)[1], cost_m(0.75, 64)[1]],
    ),
]
