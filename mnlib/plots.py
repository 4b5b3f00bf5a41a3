"""Figures shared by the study lessons: accuracy against cost, training curves.

Each function draws on a Matplotlib ``Axes`` it is given and returns it, so a
notebook arranges the panels and writes the title that states the finding.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker as ticker
import pandas as pd

__all__ = ["tradeoff", "chance", "learning_curves"]


def tradeoff(ax: plt.Axes, points: pd.DataFrame, *, x: str, y: str, label: str, annotate: str | None = None,
             line: bool = True, log_x: bool = True, **style) -> plt.Axes:
    """One series of an accuracy-against-cost plot.

    Args:
        ax: the axes to draw on.
        points: one row per model; ``x`` and ``y`` name its columns (e.g.
            ``"params_m"`` and ``"top1"``).
        label: the legend entry (say which task the accuracy is on).
        annotate: a column whose value is written next to each point
            (e.g. ``"alpha"``), or None.
        line: join the points in order of ``x``.
        log_x: put ``x`` on a log scale (costs span orders of magnitude).
        **style: passed to ``ax.plot`` (marker, colour, ...).

    Returns:
        ``ax``.
    """
    points = points.sort_values(x)
    style.setdefault("marker", "o")
    if not line:
        style.setdefault("linestyle", "none")
    drawn, = ax.plot(points[x], points[y], label=label, **style)
    if annotate is not None:
        for _, row in points.iterrows():
            value = row[annotate]
            text = f"{value:g}" if isinstance(value, (int, float)) else f"{value}"
            ax.annotate(text, (row[x], row[y]), xytext=(4, 4), textcoords="offset points",
                        fontsize=8, color=drawn.get_color())
    if log_x:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    return ax


def chance(ax: plt.Axes, classes: int) -> plt.Axes:
    """A horizontal line at the accuracy of guessing, ``1 / classes``."""
    ax.axhline(1 / classes, color="grey", lw=0.8, ls=":", label=f"chance (1/{classes})")
    return ax


def learning_curves(ax: plt.Axes, records: pd.DataFrame, *, label: str, metric: str = "val_top1") -> plt.Axes:
    """Per-epoch ``metric`` of each record (a row of :func:`mnlib.results.load`).

    Args:
        label: the column whose value names each curve in the legend.
        metric: a key of the records' ``history`` (``"val_top1"``, ``"loss"`` ...).
    """
    for _, record in records.iterrows():
        values = (record["history"] or {}).get(metric)
        if values:
            ax.plot(range(1, len(values) + 1), values, marker=".", label=f"{record[label]}")
    ax.set(xlabel="epoch", ylabel=metric)
    return ax
