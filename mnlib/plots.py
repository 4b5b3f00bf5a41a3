"""Figures shared by the study chapters: accuracy against cost (with intervals), training curves.

:func:`tradeoff`, :func:`chance` and :func:`learning_curves` draw on a
Matplotlib ``Axes`` they are given and return it; :func:`tradeoff_figure`
makes the whole accuracy-against-cost figure of chapters 3 and 4, ours beside
the paper's and the report's series (:class:`Series`).

Every text they draw is at least 9 pt (:data:`STYLE`), so a figure of at most
9-10 inches still reads at the book's page width. Use ``with
matplotlib.rc_context(plots.STYLE):`` for a chapter's own figures.

Introduced in chapter 3 (the width multiplier).
"""

from __future__ import annotations

import numbers
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import matplotlib as mpl
import matplotlib.pyplot as plt
import matplotlib.ticker as ticker
import matplotlib.transforms as transforms
import pandas as pd
from matplotlib.lines import Line2D

from mnlib import checks

__all__ = ["STYLE", "XLABELS", "Series", "tradeoff", "chance", "learning_curves", "tradeoff_figure", "curve_panels"]

#: Font sizes (pt) of the course's figures: nothing under 9 pt.
STYLE = {
    "font.size": 10,
    "axes.labelsize": 10,
    "axes.titlesize": 11,
    "figure.titlesize": 11,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
}

#: Axis labels of the cost columns of :func:`mnlib.tables.study`.
XLABELS = {
    "params_m": "million parameters (log scale)",
    "mult_adds_m": "million Mult-Adds per image (log scale)",
}

_SMALL = STYLE["xtick.labelsize"]  # annotations, ticks and legends


@dataclass(frozen=True, eq=False)
class Series:
    """One series of points for :func:`tradeoff_figure` (e.g. the paper's Table 6).

    Attributes:
        points: one row per model, with the figure's cost columns (e.g.
            ``"params_m"``, ``"mult_adds_m"``; a panel whose column it lacks
            leaves it out) and ``y``.
        y: the column of the accuracy, in [0, 1].
        label: the legend entry; say which task the accuracy is on.
        annotate: a column whose value is written next to each point, or None.
        line: join the points in order of cost (False: markers only).
        style: passed to ``Axes.plot``, e.g. ``{"marker": "s", "linestyle": "--"}``.
    """

    points: pd.DataFrame
    y: str
    label: str
    annotate: str | None = None
    line: bool = True
    style: Mapping = field(default_factory=dict)


def _check_columns(points, columns, what: str) -> None:
    """Raise ValueError unless ``points`` is a DataFrame with ``columns``."""
    if not isinstance(points, pd.DataFrame):
        raise ValueError(f"{what} must be a DataFrame (e.g. from mnlib.tables.study); got {type(points).__name__}.")
    missing = [c for c in columns if c is not None and c not in points.columns]
    if missing:
        raise ValueError(f"{what} lacks the columns {missing}; it has {list(points.columns)}.")


def _plain_log_axis(axis) -> None:
    """A log axis whose ticks at 1, 2, 5 x 10^k read as plain numbers (0.5, 20, ...)."""
    axis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())


def _text(value) -> str:
    """A value as an annotation: ``0.75``, ``64``, ``shallow``."""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return f"{value:g}"
    return f"{value}"


def tradeoff(
    ax: plt.Axes,
    points: pd.DataFrame,
    *,
    x: str,
    y: str,
    label: str,
    annotate: str | None = None,
    line: bool = True,
    log_x: bool = True,
    **style,
) -> plt.Axes:
    """One series of an accuracy-against-cost plot.

    Args:
        ax: the axes to draw on.
        points: one row per model; ``x`` and ``y`` name its columns (e.g.
            ``"params_m"`` and ``"top1"``). Where it has ``<y>_low`` and
            ``<y>_high`` columns with values (the 95 % interval of
            :func:`mnlib.study_verdicts.accuracies`), each point gets an
            error bar from low to high.
        label: the legend entry (say which task the accuracy is on).
        annotate: a column whose value is written next to each point, at
            9 pt (e.g. ``"alpha"``), or None.
        line: join the points in order of ``x``.
        log_x: put ``x`` on a log scale (costs span orders of magnitude),
            with ticks at 1, 2 and 5 times a power of ten, as plain numbers.
        **style: passed to ``ax.plot`` (marker, colour, ...).

    Returns:
        ``ax``.

    Raises:
        ValueError: ``points`` lacks ``x``, ``y`` or ``annotate``.
    """
    _check_columns(points, [x, y, annotate], "points")
    points = points.sort_values(x)
    style.setdefault("marker", "o")
    if not line:
        style.setdefault("linestyle", "none")
    (drawn,) = ax.plot(points[x], points[y], label=label, **style)
    _interval_bars(ax, points, x=x, y=y, colour=drawn.get_color())
    if annotate is not None:
        for _, row in points.iterrows():
            ax.annotate(_text(row[annotate]), (row[x], row[y]), xytext=(4, 4), textcoords="offset points",
                        fontsize=_SMALL, color=drawn.get_color())  # fmt: skip
    if log_x:
        ax.set_xscale("log")
        _plain_log_axis(ax.xaxis)
    ax.tick_params(labelsize=_SMALL, which="both")
    return ax


def _interval_bars(ax, points, *, x: str, y: str, colour) -> None:
    """Error bars from ``<y>_low`` to ``<y>_high`` where ``points`` has both (asymmetric, as Wilson's are)."""
    if f"{y}_low" not in points.columns or f"{y}_high" not in points.columns:
        return
    low = pd.to_numeric(points[f"{y}_low"], errors="coerce")
    high = pd.to_numeric(points[f"{y}_high"], errors="coerce")
    shown = low.notna() & high.notna()
    if not shown.any():
        return
    centre = pd.to_numeric(points[y], errors="coerce")[shown]
    below, above = (centre - low[shown]).clip(lower=0), (high[shown] - centre).clip(lower=0)
    ax.errorbar(points[x][shown], centre, yerr=[below, above], fmt="none", ecolor=colour, elinewidth=1.0,
                capsize=3, label="_nolegend_")  # fmt: skip


def chance(ax: plt.Axes, classes: int) -> plt.Axes:
    """A horizontal dotted line at the accuracy of guessing, ``1 / classes`` (``classes`` >= 2)."""
    classes = checks.integer("classes", classes, minimum=2)
    ax.axhline(1 / classes, color="grey", lw=0.8, ls=":", label=f"chance (1/{classes})")
    return ax


def _legend(ax: plt.Axes, handles, where: str) -> None:
    """A legend beside (``"right"``) or under (``"below"``) the axes, never over the curves."""
    if where == "right":
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0, fontsize=_SMALL)
    else:  # below the tick labels and the axis label, whatever the axes' size
        under = transforms.offset_copy(ax.transAxes, fig=ax.figure, y=-3.6 * STYLE["font.size"], units="points")
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=under,
                  ncol=min(3, len(handles)), fontsize=_SMALL)  # fmt: skip


def learning_curves(
    ax: plt.Axes,
    records: pd.DataFrame,
    *,
    label: str,
    metric: str = "val_top1",
    train_metric: str | None = None,
    legend: str | None = "below",
) -> plt.Axes:
    """Per-epoch ``metric`` of each record (a row of :func:`mnlib.tables.study`), one colour per record.

    Args:
        ax: the axes to draw on.
        records: one row per run, with a ``history`` column (rows without
            ``metric`` in it are left out).
        label: the column whose value names each curve in the legend.
        metric: a key of the records' ``history``, drawn solid
            (``"val_top1"``, ``"val_loss"`` ...).
        train_metric: another key drawn dashed in the same colour, e.g.
            ``"top1"`` (accuracy on the training images): a widening gap
            between the two curves is overfitting. None: not drawn.
        legend: ``"below"`` (under the axis label, keeps the figure's
            width), ``"right"`` (beside the axes) or None (no legend). It
            lists the curves, then the line styles, then what was on the
            axes before (e.g. :func:`chance` drawn first).

    Returns:
        ``ax``, with epochs 1, 2, ... on integer ticks.

    Raises:
        ValueError: ``records`` lacks ``history`` or ``label``, or ``legend`` is unknown.
    """
    _check_columns(records, ["history", label], "records")
    if legend not in ("right", "below", None):
        raise ValueError(f"legend is 'right', 'below' or None; got {legend!r}.")
    before = ax.get_legend_handles_labels()[0]
    handles = []
    for _, record in records.iterrows():
        history = record["history"] if isinstance(record["history"], Mapping) else {}
        values = history.get(metric)
        if not values:
            continue
        (curve,) = ax.plot(range(1, len(values) + 1), values, marker=".", label=f"{record[label]}")
        handles.append(curve)
        trained = history.get(train_metric) if train_metric else None
        if trained:
            ax.plot(range(1, len(trained) + 1), trained, ls="--", color=curve.get_color(), label="_nolegend_")
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.tick_params(labelsize=_SMALL)
    ax.set(xlabel="epoch", ylabel=metric)
    if train_metric and handles:
        handles += [Line2D([], [], color="grey", label=f"solid: {metric}"),
                    Line2D([], [], color="grey", ls="--", label=f"dashed: {train_metric}")]  # fmt: skip
    if legend and handles:
        _legend(ax, handles + before, legend)
    return ax


def _columns(labels, width: float) -> int:
    """How many columns of legend entries fit across ``width`` inches (at most 3), at about 17 characters an inch."""
    longest = max((len(text) for text in labels), default=1)
    return max(1, min(3, len(labels), int(width * 17) // (longest + 6)))


def _panel(ax, ours, references, *, x, y, label, annotate, classes, xlabel) -> None:
    """One panel of :func:`tradeoff_figure`: ours, the references that have ``x``, chance."""
    tradeoff(ax, ours, x=x, y=y, label=label, annotate=annotate, zorder=3)
    for series in references:
        if x in series.points.columns:
            tradeoff(ax, series.points, x=x, y=series.y, label=series.label, annotate=series.annotate,
                     line=series.line, **dict(series.style))  # fmt: skip
    if classes is not None:
        chance(ax, classes)
    ax.set_xlabel(xlabel, fontsize=STYLE["axes.labelsize"])


def tradeoff_figure(
    ours: pd.DataFrame,
    references: Sequence[Series] = (),
    *,
    label: str = "ours",
    xs: Sequence[str] = ("params_m", "mult_adds_m"),
    y: str = "top1",
    annotate: str | None = None,
    classes: int | None = None,
    title: str | None = None,
    xlabels: Mapping[str, str] | None = None,
    ylabel: str = "top-1 accuracy",
) -> plt.Figure:
    """Accuracy against cost, one panel per cost: ours beside the paper's and the report's.

    Args:
        ours: one row per model (e.g. :func:`mnlib.tables.summarize`), with
            the columns ``xs`` and ``y``; drawn first, with error bars where
            it has ``<y>_low`` and ``<y>_high`` values (intervals).
        references: other series (:class:`Series`), drawn after ours in
            their order; each on the panels whose cost column it has.
        label: the legend entry of ours (say which task and data).
        xs: one or two cost columns, one panel each, on log axes that share
            the accuracy axis.
        y: ours' accuracy column.
        annotate: a column of ours written next to each point (``"alpha"``).
        classes: draw the chance line ``1 / classes``; None: no line.
        title: the finding the figure shows (wrapped to the figure's width).
        xlabels: axis labels by cost column; default :data:`XLABELS`.
        ylabel: the accuracy axis' label.

    Returns:
        The figure: 9 x 4.6 inches with two panels, 6.5 x 4.6 with one; the
        legend under the panels; every text at least 9 pt. A pyplot figure:
        end the cell with ``plt.show()`` or assign the result, or Jupyter
        shows it twice.

    Raises:
        ValueError: ``xs`` has not one or two columns, or ``ours`` lacks a column.
        TypeError: a reference is not a :class:`Series`.
    """
    xs = [xs] if isinstance(xs, str) else list(xs)
    if len(xs) not in (1, 2):
        raise ValueError(f"xs names one or two cost columns (one panel each); got {xs}.")
    _check_columns(ours, [*xs, y, annotate], "ours")
    for series in references:
        if not isinstance(series, Series):
            raise TypeError(f"each reference is a plots.Series(points, y, label, ...); got {type(series).__name__}.")
        _check_columns(series.points, [series.y, series.annotate], f"the points of {series.label!r}")
    labels = {**XLABELS, **(xlabels or {})}
    width = 9.0 if len(xs) == 2 else 6.5
    with mpl.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(xs), figsize=(width, 4.6), sharey=True, squeeze=False, layout="constrained")
        for ax, x in zip(axes[0], xs, strict=True):
            _panel(ax, ours, references, x=x, y=y, label=label, annotate=annotate, classes=classes,
                   xlabel=labels.get(x, x))  # fmt: skip
        axes[0][0].set_ylabel(ylabel, fontsize=STYLE["axes.labelsize"])
        handles = {}
        for ax in axes[0]:
            for handle, text in zip(*ax.get_legend_handles_labels(), strict=True):
                handles.setdefault(text, handle)
        fig.legend(handles.values(), handles.keys(), loc="outside lower center", fontsize=_SMALL,
                   ncol=_columns(handles.keys(), width))  # fmt: skip
        if title:
            fig.suptitle(textwrap.fill(title, width=int(width * 12)), fontsize=STYLE["figure.titlesize"])
    return fig


def curve_panels(
    records: pd.DataFrame,
    *,
    panel: str,
    classes: int | None = None,
    title: str | None = None,
    columns: int = 3,
) -> plt.Figure:
    """Training and validation top-1 per epoch, one panel per record: is a run learning, or overfitting?

    Each panel draws one record's validation top-1 (solid, dots) and its
    top-1 on the augmented training images (dashed, crosses); a gap that
    widens as the epochs pass is overfitting. Panels share the accuracy axis.

    Args:
        records: one row per run (rows of :func:`mnlib.tables.study`), with
            ``history`` (``val_top1`` and ``top1`` per epoch).
        panel: the column whose value titles each panel (e.g. a ``"run"`` label).
        classes: draw the chance line ``1 / classes`` in every panel; None: none.
        title: the finding the figure shows.
        columns: panels per row (1 to 4).

    Returns:
        The figure, at most 9.5 inches wide. Introduced in the Stanford Dogs chapter.

    Raises:
        ValueError: ``records`` is empty or lacks ``history`` or ``panel``.
    """
    _check_columns(records, ["history", panel], "records")
    if len(records) == 0:
        raise ValueError("records is empty: no run to draw.")
    columns = checks.integer("columns", columns, minimum=1, maximum=4)
    columns = min(columns, len(records))
    rows = -(-len(records) // columns)
    with mpl.rc_context(STYLE):
        fig, axes = plt.subplots(rows, columns, figsize=(min(9.5, 3.1 * columns + 0.6), 2.6 * rows + 0.9),
                                 sharey=True, squeeze=False, layout="constrained")  # fmt: skip
        for ax in axes.ravel()[len(records) :]:
            ax.axis("off")
        for ax, (_, record) in zip(axes.ravel(), records.iterrows()):
            history = record["history"] if isinstance(record["history"], Mapping) else {}
            val, trained = history.get("val_top1") or [], history.get("top1") or []
            ax.plot(range(1, len(val) + 1), val, marker=".", color="C0", label="validation images")
            ax.plot(range(1, len(trained) + 1), trained, ls="--", marker="x", color="C1",
                    label="training images (augmented)")  # fmt: skip
            if classes is not None:
                chance(ax, classes)
            ax.set_title(textwrap.fill(_text(record[panel]), 32), fontsize=STYLE["font.size"])
            ax.set_xlim(0.5, max(len(val), len(trained), 1) + 0.5)
            ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True, min_n_ticks=1))
            ax.set_xlabel("epoch")
        for row in axes:
            row[0].set_ylabel("top-1 accuracy")
        handles = dict(zip(*reversed(axes[0][0].get_legend_handles_labels())))
        fig.legend(handles.values(), handles.keys(), loc="outside lower center", ncol=len(handles))
        if title:
            fig.suptitle(textwrap.fill(title, width=int(fig.get_figwidth() * 12)))
    return fig
