"""Accuracy against measured latency: the α × ρ records of chapters 3 and 4 and their Pareto front.

The paper trades accuracy against Mult-Adds (its Tables 6 and 7, Figure 4);
on a device the cost that counts is time. :func:`accuracy_records` gathers
the accuracy records of the width (chapter 3) and resolution (chapter 4)
studies with their Wilson intervals; chapter 8 measures each network's
latency beside them, and :func:`front` marks the networks no other beats
on both counts. Introduced in chapter 8.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mnlib import plots, results, stats

__all__ = ["STUDIES", "accuracy_records", "front", "figure", "mobilenet_name"]

STUDIES = ("03_width_multiplier", "04_resolution_multiplier")
"""The notebooks whose records hold the α × ρ accuracies (chapters 3 and 4)."""

COLUMNS = ["id", "notebook", "alpha", "resolution", "classes", "dataset", "top1", "images", "low", "high"]


def mobilenet_name(alpha, resolution) -> str:
    """The paper's name of a MobileNet: ``"1.0 MobileNet-224"``, ``"0.75 MobileNet-128"``."""
    alpha = float(alpha)
    number = f"{alpha:.1f}" if alpha == round(alpha, 1) else f"{alpha:g}"
    return f"{number} MobileNet-{int(resolution)}"


def accuracy_records(results_dir, notebooks=STUDIES) -> pd.DataFrame:
    """One row per usable MobileNet record of ``notebooks``: α, ρ (px), top-1 and its Wilson interval.

    A record is left out when it diverged or cannot be reused
    (:func:`mnlib.results.unusable`: another code version, a missing model).
    The interval (:func:`mnlib.stats.accuracy_interval`) counts the images
    of the record's per-image correctness; a record without it keeps its
    top-1 and NaN bounds.

    Args:
        results_dir: the results folder the chapters wrote to.
        notebooks: whose records to take; default :data:`STUDIES`.

    Returns:
        A DataFrame with the columns ``id, notebook, alpha, resolution,
        classes, dataset, top1, images, low, high`` (fractions), sorted by
        notebook, α and resolution; empty (with those columns) when there is
        no such record.
    """
    frame = results.load(results_dir)
    rows = []
    for _, row in frame.iterrows():
        record = row.to_dict()
        if record.get("notebook") not in notebooks or record.get("model") != "mobilenet":
            continue
        if record.get("diverged") or results.unusable(record, results_dir):
            continue
        correct = results.correct(record)
        images = len(correct) if correct is not None else np.nan
        low, high = stats.accuracy_interval(int(correct.sum()), len(correct)) if correct is not None else (np.nan,) * 2
        args = record.get("model_args") or {}
        rows.append(
            {
                "id": record["id"],
                "notebook": record["notebook"],
                "alpha": float(args.get("alpha", 1.0)),
                "resolution": int(record.get("input_resolution") or record["resolution"]),
                "classes": int(record["classes"]),
                "dataset": record["dataset"],
                "top1": float(record["top1"]),
                "images": images,
                "low": low,
                "high": high,
            }
        )
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    return pd.DataFrame(rows, columns=COLUMNS).sort_values(["notebook", "alpha", "resolution"]).reset_index(drop=True)


def front(latency, accuracy) -> np.ndarray:
    """Which points are on the Pareto front: no other point is as fast and as accurate, and better on one count.

    Args:
        latency: times (lower is better), one per point.
        accuracy: accuracies (higher is better), as many.

    Returns:
        A boolean array, True for the points on the front (ties: two equal
        points are both on it).

    Raises:
        ValueError: lengths that differ, or a value that is NaN.
    """
    time = np.asarray(latency, dtype=float)
    score = np.asarray(accuracy, dtype=float)
    if time.shape != score.shape or time.ndim != 1:
        raise ValueError(f"latency and accuracy must be 1-D of one length, got shapes {time.shape} and {score.shape}.")
    if np.isnan(time).any() or np.isnan(score).any():
        raise ValueError("latency and accuracy must not hold NaN.")
    as_good = (time[None, :] <= time[:, None]) & (score[None, :] >= score[:, None])
    better = (time[None, :] < time[:, None]) | (score[None, :] > score[:, None])
    return ~np.any(as_good & better, axis=1)


def figure(studied: pd.DataFrame, xlabel: str):
    """Accuracy against latency, one marker per study, the Wilson intervals as bars, the front as a line.

    Args:
        studied: :func:`accuracy_records`' rows with the columns ``network``
            (a name for each point), ``median ms`` (its latency) and
            ``on the front`` (:func:`front`) added.
        xlabel: what the latency axis measures (runtime, threads, machine).

    Returns:
        The matplotlib Figure (the title counts the networks on the front
        and says when they were trained on the synthetic stand-in).
    """
    missing = {"network", "median ms", "on the front"} - set(studied.columns)
    if missing or studied.empty:
        raise ValueError(f"studied needs rows and the columns {sorted(missing)} (see mnlib.pareto.figure).")
    with plt.rc_context(plots.STYLE):
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for notebook, marker in zip(STUDIES, "os"):
            part = studied[studied["notebook"] == notebook]
            bars = [100 * (part["top1"] - part["low"]), 100 * (part["high"] - part["top1"])]
            ax.errorbar(part["median ms"], 100 * part["top1"], yerr=bars, fmt=marker, capsize=3, label=notebook)
        best = studied[studied["on the front"]].sort_values("median ms")
        ax.plot(
            best["median ms"], 100 * best["top1"], color="black", lw=1, drawstyle="steps-post", label="Pareto front"
        )
        for _, row in studied.iterrows():
            ax.annotate(
                row["network"],
                (row["median ms"], 100 * row["top1"]),
                fontsize=9,
                xytext=(4, 4),
                textcoords="offset points",
            )
        ax.set(xscale="log", xlabel=xlabel, ylabel="top-1 (%), bars: 95 % Wilson interval")
        standin = " (synthetic stand-in)" if studied["dataset"].eq("synthetic").all() else ""
        ax.set_title(f"{int(studied['on the front'].sum())} of {len(studied)} networks on the Pareto front{standin}")
        ax.legend(fontsize=9)
        fig.tight_layout()
    return fig
