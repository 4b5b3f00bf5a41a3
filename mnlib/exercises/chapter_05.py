"""Chapter 5's exercises (against VGG16 and InceptionV3): compute at 64 px, the report's "two added layers"."""

from __future__ import annotations

from .. import baselines, costs
from .core import Function, Number, close_numbers

__all__ = ["EXERCISES"]

#: The report's trainable parameters on Stanford Dogs (its table) and the features each frozen body gives.
REPORT_MOBILENET_TRAINABLE, MOBILENET_FEATURES, DOGS_CLASSES = 443_000, 1024, 120


def _ratio() -> float:
    def mult_adds(name):
        return costs.model_cost(baselines.baseline(name, (64, 64, 3), 10))["mult_adds"].sum()

    return mult_adds("inception_v3") / mult_adds("mobilenet")


def _hidden_units(trainable, features, classes):
    """h such that Dense(features -> h) + Dense(h -> classes), with biases, has ``trainable`` parameters."""
    return (trainable - classes) / (features + 1 + classes)


def _cases():
    return [(443_000, 1024, 120), (395_000, 512, 120), (1_172_600, 1024, 120), (50_000, 64, 7)]


EXERCISES = [
    Number(
        "05.1",
        "InceptionV3's Mult-Adds over MobileNet's for 64 px images",
        _ratio,
        rel_tol=0.01,
        hint="count both networks as this chapter builds them (10 classes, 64 px images); the report's 2.5 is the "
        "paper's GoogleNet at 224 px.",
        mistakes=lambda: [2.5, 5000 / 569],
    ),
    Function(
        "05.2",
        "the hidden units that a head's trainable parameters imply",
        lambda: _hidden_units,
        cases=_cases,
        compare=close_numbers(1e-6),
        describe=lambda args: "{:,} trainable parameters, {} features, {} classes".format(*args),
        hint="a Dense layer from a to b units has a·b weights and b biases; solve for h (it need not be an integer).",
        mistakes=lambda: [lambda t, f, c: (t - c) / (f + c), lambda t, f, c: t / (f + c)],
    ),
    Number(
        "05.3",
        "the report's MobileNet head: hidden units, rounded",
        lambda: round(_hidden_units(REPORT_MOBILENET_TRAINABLE, MOBILENET_FEATURES, DOGS_CLASSES)),
        hint="use your function of 05.2 with the report's 443,000 trainable parameters, 1024 features, 120 breeds.",
        mistakes=lambda: [386, 1024],
    ),
]
