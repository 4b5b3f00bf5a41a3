"""Published figures the course reproduces, checks against, or corrects.

Nothing here is computed: these are numbers quoted from their sources, kept
as data so that tables and plots can put them beside the course's own.
Introduced in chapter 1 (the paper's cost tables); every chapter that sets
its results beside the paper's or the report's reads them here.

* ``PAPER``: Howard et al., "MobileNets: Efficient Convolutional Neural
  Networks for Mobile Vision Applications", arXiv:1704.04861 (2017).
  ImageNet, 1000 classes, classifier included.
* ``REPORT``: the course report "MobileNets" (Tao, Mishra, Srinivasan,
  Columbia University) that the course reproduces. 10 Tiny ImageNet classes
  at 64x64 px unless said otherwise.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["PAPER", "REPORT", "paper_models", "paper_dogs", "report_dogs", "report_width", "report_resolution"]

PAPER = {
    "citation": "Howard et al. (2017), arXiv:1704.04861",
    # Table 2: share of Mult-Adds and parameters by layer type, in percent.
    # The 1.19 for "Conv 3x3" is printed so in the paper; see notebook 01.
    "table_2": {
        "conv 1x1": (94.86, 74.59),
        "conv dw": (3.06, 1.06),
        "conv": (1.19, 0.02),
        "fully connected": (0.18, 24.33),
    },
    # Table 3: one layer with D_K = 3, M = N = 512, D_F = 14
    # (million Mult-Adds, million parameters).
    "table_3": {
        "Conv 14x14x512": (462, 2.36),
        "Depthwise separable conv 14x14x512": (52.3, 0.27),
        "alpha = 0.75": (29.6, 0.15),
        "rho = 0.714": (15.1, 0.15),
    },
}

# Tables 4-9: (table, model, alpha, resolution, shallow, top-1 %, million Mult-Adds, million params).
_PAPER_MODELS = [
    (4, "Conv MobileNet", 1.0, 224, False, 71.7, 4866, 29.3),
    (4, "MobileNet", 1.0, 224, False, 70.6, 569, 4.2),
    (5, "0.75 MobileNet", 0.75, 224, False, 68.4, 325, 2.6),
    (5, "Shallow MobileNet", 1.0, 224, True, 65.3, 307, 2.9),
    (6, "1.0 MobileNet-224", 1.0, 224, False, 70.6, 569, 4.2),
    (6, "0.75 MobileNet-224", 0.75, 224, False, 68.4, 325, 2.6),
    (6, "0.5 MobileNet-224", 0.5, 224, False, 63.7, 149, 1.3),
    (6, "0.25 MobileNet-224", 0.25, 224, False, 50.6, 41, 0.5),
    (7, "1.0 MobileNet-224", 1.0, 224, False, 70.6, 569, 4.2),
    (7, "1.0 MobileNet-192", 1.0, 192, False, 69.1, 418, 4.2),
    (7, "1.0 MobileNet-160", 1.0, 160, False, 67.2, 290, 4.2),
    (7, "1.0 MobileNet-128", 1.0, 128, False, 64.4, 186, 4.2),
    (8, "GoogleNet", None, 224, False, 69.8, 1550, 6.8),
    (8, "VGG 16", None, 224, False, 71.5, 15300, 138),
    (9, "0.50 MobileNet-160", 0.5, 160, False, 60.2, 76, 1.32),
]

# Table 10, Stanford Dogs (fine-tuned, after pretraining on a large noisy web set of dogs):
# (model, alpha, resolution, top-1 %, million Mult-Adds, million params).
_PAPER_DOGS = [
    ("Inception V3", None, 299, 84.0, 5000, 23.2),
    ("1.0 MobileNet-224", 1.0, 224, 83.3, 569, 3.3),
    ("0.75 MobileNet-224", 0.75, 224, 81.9, 325, 1.9),
    ("1.0 MobileNet-192", 1.0, 192, 81.9, 418, 3.3),
    ("0.75 MobileNet-192", 0.75, 192, 80.5, 239, 1.9),
]

REPORT = {
    "citation": "the course report (Tao, Mishra, Srinivasan)",
    # Its Table 3 (width multiplier), 64 px: alpha -> (accuracy, million parameters).
    "width": {1.0: (0.93, 3.23), 0.75: (0.73, 1.83), 0.5: (0.69, 0.83), 0.25: (0.60, 0.22)},
    # Its Table 4 (resolution), alpha = 1: pixels -> (accuracy, million parameters).
    "resolution": {64: (0.93, 3.23), 52: (0.83, 3.23), 44: (0.79, 3.23), 36: (0.75, 3.23)},
    # Its Table 2 (narrow vs shallow), 64 px: (accuracy, million parameters).
    "narrow_vs_shallow": {"0.75 MobileNet-64": (0.73, 1.83), "Shallow MobileNet-64": (0.67, 1.88)},
    # Its Stanford Dogs table, 128 x 128 px, frozen ImageNet body + two added layers, 15 epochs
    # (its "classes" column says 200; the dataset has 120): model -> (accuracy %, trainable
    # parameters, "Time" as printed, unit not stated).
    "stanford_dogs": {
        "mobilenet": (49.4, 443000, 945),
        "vgg16": (25.8, 395000, 975),
        "inception_v3": (20.78, 425000, 975),
    },
}


def paper_models() -> pd.DataFrame:
    """The paper's Tables 4-9 as a DataFrame (one row per model and table)."""
    return pd.DataFrame(
        _PAPER_MODELS,
        columns=["table", "model", "alpha", "resolution", "shallow", "top1", "mult_adds_m", "params_m"],
    )


def paper_dogs() -> pd.DataFrame:
    """The paper's Table 10 (Stanford Dogs) as a DataFrame.

    Columns ``model``, ``alpha`` (None for Inception V3), ``resolution`` (px;
    299 for Inception V3, its usual input, which the table does not state),
    ``top1`` (percent), ``mult_adds_m`` and ``params_m`` (millions). The
    networks were pretrained on a large noisy web set of dogs, then
    fine-tuned on Stanford Dogs. Introduced in the Stanford Dogs chapter.
    """
    return pd.DataFrame(_PAPER_DOGS, columns=["model", "alpha", "resolution", "top1", "mult_adds_m", "params_m"])


def report_dogs() -> pd.DataFrame:
    """The report's Stanford Dogs table (128 px, frozen ImageNet body + two added layers, 15 epochs).

    Columns ``model`` (``"mobilenet"``, ``"vgg16"``, ``"inception_v3"``),
    ``top1`` (percent, as printed), ``trainable_params`` (as printed) and
    ``time`` (as printed; the report does not say whether it is seconds per
    epoch or in all). Introduced in the Stanford Dogs chapter.
    """
    return pd.DataFrame(
        [(m, acc, p, t) for m, (acc, p, t) in REPORT["stanford_dogs"].items()],
        columns=["model", "top1", "trainable_params", "time"],
    )


def _mult_adds_m(alpha: float, resolution: int, classes: int = 10) -> float:
    """Million Mult-Adds of one image through MobileNet (mnlib.models, counted by mnlib.costs)."""
    from mnlib.costs import model_cost
    from mnlib.models import mobilenet

    model = mobilenet(alpha=alpha, input_shape=(resolution, resolution, 3), classes=classes)
    return float(model_cost(model)["mult_adds"].sum()) / 1e6


def report_width() -> pd.DataFrame:
    """The report's width-multiplier table: alpha, accuracy, million parameters.

    With ``mult_adds_m``, the Mult-Adds of its networks (10 classes, 64 px) as
    the course counts them: the report does not give them.
    """
    table = pd.DataFrame(
        [(a, acc, p) for a, (acc, p) in REPORT["width"].items()], columns=["alpha", "accuracy", "params_m"]
    )
    table["mult_adds_m"] = [_mult_adds_m(a, 64) for a in table["alpha"]]
    return table


def report_resolution() -> pd.DataFrame:
    """The report's resolution table: pixels, accuracy, million parameters.

    With ``mult_adds_m``, the Mult-Adds of its networks (α = 1, 10 classes) as
    the course counts them: the report does not give them.
    """
    table = pd.DataFrame(
        [(r, acc, p) for r, (acc, p) in REPORT["resolution"].items()],
        columns=["resolution", "accuracy", "params_m"],
    )
    table["mult_adds_m"] = [_mult_adds_m(1.0, r) for r in table["resolution"]]
    return table
