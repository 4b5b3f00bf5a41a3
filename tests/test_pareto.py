"""mnlib.pareto: the Pareto front of accuracy against latency, and the α × ρ records it is drawn from."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mnlib import pareto, results


def test_front_keeps_the_points_no_other_beats_on_both_counts():
    latency = [1.0, 2.0, 3.0, 2.5, 1.5]
    accuracy = [0.50, 0.60, 0.70, 0.55, 0.45]
    # 2.5 ms at 55 % is beaten by 2.0 ms at 60 %; 1.5 ms at 45 % by 1.0 ms at 50 %.
    assert pareto.front(latency, accuracy).tolist() == [True, True, True, False, False]


def test_equal_points_are_both_on_the_front_and_a_tie_on_one_count_is_decided_by_the_other():
    assert pareto.front([1.0, 1.0], [0.5, 0.5]).tolist() == [True, True]
    assert pareto.front([1.0, 1.0], [0.5, 0.6]).tolist() == [False, True]
    assert pareto.front([1.0, 2.0], [0.5, 0.5]).tolist() == [True, False]


def test_front_refuses_what_it_cannot_order():
    with pytest.raises(ValueError, match="1-D of one length"):
        pareto.front([1.0, 2.0], [0.5])
    with pytest.raises(ValueError, match="NaN"):
        pareto.front([1.0, np.nan], [0.5, 0.6])


def test_no_records_gives_an_empty_table_with_its_columns(tmp_path):
    frame = pareto.accuracy_records(tmp_path)
    assert frame.empty and list(frame.columns) == pareto.COLUMNS


def _record(notebook, alpha, resolution, correct):
    """A record as chapters 3 and 4 write it, with every required field."""
    record = {field: None for field in results.REQUIRED}
    record.update(
        dataset="synthetic",
        classes=10,
        resolution=resolution,
        model="mobilenet",
        model_args={"alpha": alpha},
        top1=float(np.mean(correct)),
        top5=1.0,
        history={"loss": [1.0]},
        profile="smoke",
        epochs=1,
        batch_size=32,
        training={"optimizer": "adam"},
        notebook=notebook,
        correct=results.pack_correct(np.asarray(correct)),
    )
    return record


def test_records_of_the_two_studies_with_their_wilson_intervals(tmp_path):
    from mnlib import stats

    correct = np.arange(200) % 4 == 0  # 50 of 200
    for record in (
        _record("03_width_multiplier", 0.5, 64, correct),
        _record("04_resolution_multiplier", 1.0, 48, ~correct),
        _record("06_stanford_dogs", 1.0, 128, correct),  # another study: left out
    ):
        results.write(record, tmp_path)
    frame = pareto.accuracy_records(tmp_path)
    assert frame["notebook"].tolist() == ["03_width_multiplier", "04_resolution_multiplier"]
    assert frame["alpha"].tolist() == [0.5, 1.0] and frame["resolution"].tolist() == [64, 48]
    assert frame["images"].tolist() == [200, 200]
    assert (frame.loc[0, "low"], frame.loc[0, "high"]) == pytest.approx(stats.accuracy_interval(50, 200))
    assert (frame.loc[1, "low"], frame.loc[1, "high"]) == pytest.approx(stats.accuracy_interval(150, 200))


def test_the_papers_names_of_networks():
    assert pareto.mobilenet_name(1, 224) == "1.0 MobileNet-224"
    assert pareto.mobilenet_name(0.75, 128.0) == "0.75 MobileNet-128"
    assert pareto.mobilenet_name(0.5, 64) == "0.5 MobileNet-64"


def test_the_figure_draws_each_point_with_its_interval_and_the_front():
    studied = pd.DataFrame(
        {
            "notebook": ["03_width_multiplier", "03_width_multiplier", "04_resolution_multiplier"],
            "dataset": ["synthetic"] * 3,
            "network": ["1.0 MobileNet-64", "0.5 MobileNet-64", "1.0 MobileNet-36"],
            "top1": [0.52, 0.31, 0.27],
            "low": [0.47, 0.28, 0.24],
            "high": [0.56, 0.35, 0.31],
            "median ms": [1.2, 0.5, 0.6],
        }
    )
    studied["on the front"] = pareto.front(studied["median ms"], studied["top1"])
    fig = pareto.figure(studied, xlabel="ms")
    ax = fig.axes[0]
    front_line = [line for line in ax.get_lines() if line.get_label() == "Pareto front"][0]
    assert list(front_line.get_xdata()) == [0.5, 1.2]  # 1.0 MobileNet-36 is beaten on both counts
    assert ax.get_title() == "2 of 3 networks on the Pareto front (synthetic stand-in)"
    bars = [c for c in ax.containers if c.has_yerr]
    assert len(bars) == 2  # one error-bar series per study
    segments = bars[0].lines[2][0].get_segments()
    assert [tuple(np.round(s[:, 1], 6)) for s in segments] == [(47.0, 56.0), (28.0, 35.0)]
    plt.close(fig)
    with pytest.raises(ValueError, match="on the front"):
        pareto.figure(studied.drop(columns="on the front"), xlabel="ms")
