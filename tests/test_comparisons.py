"""mnlib.comparisons: the runs of chapters 5 and 6, their arguments, their table and their verdicts."""

from types import SimpleNamespace

import numpy as np
import pytest

from mnlib import baselines, comparisons, results, stats
from mnlib.comparisons import Run, Study

SETTINGS = SimpleNamespace(
    profile="smoke", dataset="synthetic", epochs=2, batch_size=16, results_dir="/tmp/nowhere", caption=""
)


def _record(correct, *, top1=None, seconds=(3.0, 5.0)):
    """A record as mnlib.train.run returns it, with only the fields the table reads."""
    correct = np.asarray(correct, dtype=bool)
    return {
        "params": 3_000_000,
        "trainable_params": 1_000_000,
        "mult_adds": 50_000_000,
        "input_resolution": 64,
        "history": {"seconds": list(seconds)},
        "top1": float(correct.mean()) if top1 is None else top1,
        "top5": 0.9,
        "inference_images_per_second": 100.0,
        "environment": {"device": "CPU"},
        "correct": results.pack_correct(correct),
    }


def test_a_run_refuses_an_unknown_architecture_set_up_or_size():
    assert Run("vgg16", "from scratch", 64).label == "VGG16, from scratch, 64 px"
    with pytest.raises(ValueError, match="model must be one of"):
        Run("resnet50", "from scratch", 64)
    with pytest.raises(ValueError, match="setup must be one of"):
        Run("vgg16", "frozen", 64)
    with pytest.raises(ValueError, match="resolution must be an integer >= 32"):
        Run("vgg16", "from scratch", 16)


def test_set_ups_follow_pretrained_and_fine_tuning():
    assert comparisons.setups(pretrained=False, fine_tune_epochs=3) == ("from scratch",)
    assert comparisons.setups(pretrained=True, fine_tune_epochs=0) == ("from scratch", "pretrained, frozen")
    assert comparisons.setups(pretrained=True, fine_tune_epochs=1) == comparisons.SETUPS
    with pytest.raises(ValueError, match="pretrained must be True or False"):
        comparisons.setups(pretrained=1, fine_tune_epochs=1)


def test_arguments_give_vgg16_from_scratch_its_own_learning_rate_and_pretrained_runs_their_weights():
    study = Study("05_baselines", SETTINGS, classes=4, fine_tune_epochs=2, fine_tune_layers={"mobilenet": 20})
    vgg = study.arguments(Run("vgg16", "from scratch", 64))
    assert vgg["learning_rate"] == baselines.SCRATCH_LEARNING_RATES["vgg16"] < 1e-3
    assert vgg["model_args"] == {} and vgg["fine_tune"] is None and vgg["classes"] == 4
    mobile = study.arguments(Run("mobilenet", "from scratch", 64))
    assert mobile["learning_rate"] is None  # the optimizer's default
    tuned = study.arguments(Run("mobilenet", "pretrained, fine-tuned", 128), classes=200)
    assert tuned["model_args"] == {"weights": "imagenet"} and tuned["learning_rate"] is None
    assert tuned["fine_tune"] == {"epochs": 2, "layers": 20} and tuned["classes"] == 200
    assert tuned["resolution"] == 128 and tuned["epochs"] == 2 and tuned["profile"] == "smoke"


def test_the_table_gives_each_accuracy_its_wilson_interval_and_marks_runs_not_trained():
    correct = np.array([True] * 30 + [False] * 70)
    trained, missing = Run("mobilenet", "from scratch", 64), Run("vgg16", "pretrained, frozen", 64)
    frame = comparisons.table([trained, missing], {trained: _record(correct)}, images=999)
    row = frame.loc[("MobileNet 1.0", "from scratch", 64)]
    assert row["top-1, 95 % interval"] == stats.accuracy_text(0.3, 100)  # counted on the record's 100 images
    assert row["s / epoch"] == 4.0 and row["epochs"] == 2 and row["M Mult-Adds"] == 50.0
    assert frame.loc[("VGG16", "pretrained, frozen", 64), "note"] == comparisons.NOT_RUN
    shown = comparisons.shown(frame, ["top-1", "note"])
    assert list(shown.columns) == ["top-1", "note"] and shown.iloc[1]["top-1"] == ""


def test_a_record_without_per_image_correctness_is_counted_on_the_images_given():
    run = Run("mobilenet", "from scratch", 64)
    record = _record([True, False]) | {"top1": 0.5}
    del record["correct"]
    frame = comparisons.table([run], {run: record}, images=200)
    assert frame.iloc[0]["top-1, 95 % interval"] == stats.accuracy_text(0.5, 200)


def test_chance_lines_are_the_stats_verdicts():
    run = Run("inception_v3", "from scratch", 64)
    correct = np.array([True] * 12 + [False] * 88)
    (line,) = comparisons.chance_lines({run: _record(correct)}, classes=10, images=100, caption=" (stand-in)")
    assert line == f"{run.label}: {stats.chance(0.12, 10, 100).verdict} (stand-in)"
    assert "says nothing" in line  # 12 % of 100 images on 10 classes: the interval reaches chance


def test_paired_lines_compare_on_the_same_images_and_skip_runs_not_trained():
    rng = np.random.default_rng(0)
    truth = rng.random(300) < 0.7
    a, b, c = (Run(m, "from scratch", 64) for m in ("mobilenet", "vgg16", "inception_v3"))
    worse = truth & (rng.random(300) < 0.6)
    records = {a: _record(truth), b: _record(worse)}
    lines = comparisons.paired_lines(records, [(a, b), (a, c)])
    assert lines == [stats.paired(truth, worse, names=(a.label, b.label)).verdict]
    assert "ahead" in lines[0] and lines[0].startswith(a.label)
    del records[b]["correct"]
    (line,) = comparisons.paired_lines(records, [(a, b)])
    assert "no per-image correctness" in line


def test_full_profile_seconds_add_the_fine_tuning_epochs():
    runs = [Run("vgg16", "from scratch", 64), Run("mobilenet", "pretrained, fine-tuned", 64)]
    seconds = comparisons.full_profile_seconds(
        {"vgg16": 0.01, "mobilenet": 0.002}, runs, images=1000, epochs=30, fine_tune_epochs=5
    )
    assert seconds == pytest.approx(0.01 * 1000 * 30 + 0.002 * 1000 * 35)


def test_beside_puts_published_figures_by_network_or_by_row():
    a, b = Run("mobilenet", "from scratch", 64), Run("vgg16", "pretrained, frozen", 64)
    frame = comparisons.table([a, b], {a: _record([True, False])}, images=2)
    by_network = comparisons.beside(frame, {"paper": {"VGG16": 0.715}})
    assert by_network["paper"].tolist() == [None, 0.715]
    by_row = comparisons.beside(frame, {"report": {("MobileNet 1.0", "from scratch", 64): 0.93}}, by=None)
    assert by_row["report"].tolist() == [0.93, None]
    assert "paper" not in frame  # a copy


def test_pairs_compare_architectures_within_a_set_up_and_each_pretrained_run_with_scratch():
    grid = [Run(m, s, 64) for m in ("mobilenet", "vgg16") for s in ("from scratch", "pretrained, frozen")]
    grid.append(Run("mobilenet", "from scratch", 128))
    found = comparisons.pairs(grid)
    assert found == [
        (grid[0], grid[2]),  # MobileNet and VGG16 from scratch at 64 px
        (grid[1], grid[3]),  # the same, pretrained
        (grid[0], grid[1]),  # MobileNet from scratch against pretrained
        (grid[2], grid[3]),  # VGG16 likewise
    ]


def test_curves_draw_one_panel_per_run_titled_by_its_label():
    import matplotlib

    matplotlib.use("Agg")
    runs = [Run("mobilenet", "from scratch", 64), Run("inception_v3", "from scratch", 64)]
    records = {}
    for run in runs:
        records[run] = _record([True, False]) | {"history": {"seconds": [1.0], "val_top1": [0.5], "top1": [0.6]}}
    fig = comparisons.curves(records, classes=4, title="Top-1 per epoch")
    titles = [" ".join(ax.get_title().split()) for ax in fig.axes if ax.has_data()]  # titles wrap
    assert titles == [run.label for run in runs]
