"""Figures: intervals as error bars, training curves beside validation, sizes that read on a book page."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from mnlib import plots  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots(figsize=(6, 4))
    yield ax
    plt.close(fig)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def widths(low=None, high=None):
    points = pd.DataFrame({
        "alpha": [1.0, 0.75, 0.5, 0.25],
        "params_m": [3.2, 1.8, 0.8, 0.2],
        "mult_adds_m": [46.0, 26.0, 12.0, 3.3],
        "top1": [0.80, 0.75, 0.66, 0.52],
    })  # fmt: skip
    if low is not None:
        points["top1_low"], points["top1_high"] = low, high
    return points


def error_bars(ax):
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def test_tradeoff_draws_intervals_as_error_bars_only_where_there_is_one(ax):
    plots.tradeoff(ax, widths(), x="params_m", y="top1", label="no interval")
    nan = [math.nan] * 4
    plots.tradeoff(ax, widths(nan, nan), x="params_m", y="top1", label="interval columns, no values")
    assert error_bars(ax) == []

    low, high = [0.78, math.nan, 0.60, 0.40], [0.81, math.nan, 0.70, 0.60]
    plots.tradeoff(ax, widths(low, high), x="params_m", y="top1", label="intervals")
    (bars,) = error_bars(ax)
    segments = bars.lines[2][0].get_segments()
    assert len(segments) == 3  # the point without an interval has no bar
    ends = sorted((round(s[0][1], 6), round(s[1][1], 6)) for s in segments)
    assert ends == [(0.4, 0.6), (0.6, 0.7), (0.78, 0.81)]  # from low to high, not symmetric
    (series,) = [line for line in ax.lines if line.get_label() == "intervals"]
    assert bars.lines[2][0].get_color()[0].tolist() == list(matplotlib.colors.to_rgba(series.get_color()))
    assert ax.get_legend_handles_labels()[1] == ["no interval", "interval columns, no values", "intervals"]


def test_tradeoff_annotates_at_9_points_and_labels_log_ticks_plainly(ax):
    plots.tradeoff(ax, widths(), x="params_m", y="top1", label="ours", annotate="alpha")
    notes = [t for t in ax.texts if t.get_text()]
    assert [t.get_text() for t in notes] == ["0.25", "0.5", "0.75", "1"]
    assert all(t.get_fontsize() >= 9 for t in notes)
    ax.figure.canvas.draw()
    assert ax.get_xscale() == "log"
    shown = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "0.5" in shown and "1" in shown and not any("10^" in s for s in shown)
    with pytest.raises(ValueError, match="accuracy"):
        plots.tradeoff(ax, widths(), x="params_m", y="accuracy", label="ours")


def records():
    history = {"val_top1": [0.2, 0.4, 0.5, 0.55, 0.56], "top1": [0.3, 0.5, 0.7, 0.8, 0.9]}
    return pd.DataFrame({
        "label": ["1 MobileNet-64", "0.5 MobileNet-64", "no history"],
        "history": [history, {"val_top1": [0.1, 0.3, 0.4, 0.45, 0.5], "top1": [0.2] * 5}, None],
    })  # fmt: skip


def test_learning_curves_put_epochs_on_integer_ticks(ax):
    plots.chance(ax, 10)
    plots.learning_curves(ax, records(), label="label")
    assert len(ax.lines) == 3  # chance and two records: the one without history is left out
    assert all(line.get_linestyle() == "-" for line in ax.lines[1:])  # no training curves unless asked
    assert [t.get_text() for t in ax.get_legend().get_texts()][-1] == "chance (1/10)"
    ax.figure.canvas.draw()
    ticks = [t for t in ax.get_xticks() if 1 <= t <= 5]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert ax.get_xlabel() == "epoch"


def test_learning_curves_draw_training_dashed_in_the_same_colour(ax):
    plots.learning_curves(ax, records(), label="label", train_metric="top1")
    solid = [line for line in ax.lines if line.get_linestyle() == "-"]
    dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(solid) == len(dashed) == 2
    assert [line.get_color() for line in solid] == [line.get_color() for line in dashed]
    assert dashed[0].get_ydata().tolist() == [0.3, 0.5, 0.7, 0.8, 0.9]
    entries = [t.get_text() for t in ax.get_legend().get_texts()]
    assert entries[:2] == ["1 MobileNet-64", "0.5 MobileNet-64"] and "dashed: top1" in entries


@pytest.mark.parametrize("where", ["right", "below"])
def test_learning_curves_legend_does_not_cover_the_curves(ax, where):
    plots.learning_curves(ax, records(), label="label", legend=where)
    ax.figure.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    box = ax.get_window_extent()
    if where == "right":
        assert legend.x0 >= box.x1
    else:
        below_labels = ax.xaxis.label.get_window_extent()
        assert legend.y1 <= below_labels.y0 + 1
    with pytest.raises(ValueError, match="legend"):
        plots.learning_curves(ax, records(), label="label", legend="inside")


def test_chance_is_one_over_the_classes(ax):
    plots.chance(ax, 10)
    assert ax.lines[0].get_ydata()[0] == pytest.approx(0.1)
    for bad in (1, 2.5, True):
        with pytest.raises(ValueError, match="classes"):
            plots.chance(ax, bad)


def test_tradeoff_figure_fits_a_book_page_and_reads_at_9_points():
    report = pd.DataFrame({"alpha": [1.0, 0.5], "params_m": [3.23, 0.83], "accuracy": [0.93, 0.69]})
    paper = widths().assign(top1=[0.706, 0.684, 0.637, 0.506])
    references = [
        plots.Series(report, y="accuracy", label="report: 10 classes, 64 px", annotate="alpha",
                     style={"marker": "s", "linestyle": "--"}),  # no Mult-Adds: left out of that panel
        plots.Series(paper, y="top1", label="paper: ImageNet", annotate="alpha", style={"marker": "^"}),
    ]  # fmt: skip
    title = "α 1 → 0.25: 14x fewer Mult-Adds, top-1 80% → 52%, " * 3  # long: wrapped
    with matplotlib.rc_context({"font.size": 6}):  # the figure sets its own sizes
        ours = widths([0.79, 0.73, 0.65, 0.49], [0.81, 0.77, 0.67, 0.55])
        fig = plots.tradeoff_figure(ours, references, label="ours: 3 seeds",
                                    annotate="alpha", classes=10, title=title)  # fmt: skip
        fig.canvas.draw()
    width, height = fig.get_size_inches()
    assert width <= 10 and height <= 6
    texts = [t for t in fig.findobj(Text) if t.get_text() and t.get_visible()]
    assert texts and min(t.get_fontsize() for t in texts) >= 9
    left, right = fig.axes[:2]
    assert len(error_bars(left)) == 1 and len(error_bars(right)) == 1
    assert left.get_xscale() == right.get_xscale() == "log"
    assert len(right.lines) == len(left.lines) - 1  # the report has no Mult-Adds
    (legend,) = fig.legends
    entries = [t.get_text() for t in legend.get_texts()]
    assert entries == ["ours: 3 seeds", "report: 10 classes, 64 px", "paper: ImageNet", "chance (1/10)"]
    assert legend.get_window_extent().y1 <= min(ax.get_window_extent().y0 for ax in (left, right))
    assert "\n" in fig._suptitle.get_text()


def test_tradeoff_figure_with_one_panel_and_its_checks():
    paper = plots.Series(widths(), y="top1", label="paper: ImageNet, 1000 classes, 224 px, Table 7 of the paper")
    fig = plots.tradeoff_figure(widths(), [paper], xs=("mult_adds_m",), label="ours: 10 classes (synthetic stand-in)",
                                classes=10)  # fmt: skip
    assert len(fig.axes) == 1 and fig.get_size_inches()[0] <= 10
    fig.canvas.draw()
    legend, page = fig.legends[0].get_window_extent(), fig.bbox
    assert page.x0 <= legend.x0 and legend.x1 <= page.x1  # long entries: fewer columns, not cut off
    assert fig.axes[0].get_xlabel() == plots.XLABELS["mult_adds_m"]
    with pytest.raises(ValueError, match="one or two"):
        plots.tradeoff_figure(widths(), xs=("params_m", "mult_adds_m", "top1"))
    with pytest.raises(ValueError, match="top5"):
        plots.tradeoff_figure(widths(), y="top5")
    with pytest.raises(TypeError, match="Series"):
        plots.tradeoff_figure(widths(), [(widths(), "top1", "paper", {})])
