"""mnlib.study_verdicts: a study's accuracies with their intervals, its steps compared on the same images."""

import math

import numpy as np
import pandas as pd
import pytest

from mnlib import results, stats, study_verdicts

IMAGES = 200


def outcomes(right: int, wrong_first: bool = False) -> np.ndarray:
    """``right`` of IMAGES images right: the first ones, or (``wrong_first``) the last ones."""
    correct = np.arange(IMAGES) < right
    return correct[::-1].copy() if wrong_first else correct


def run(label, seed, correct, classes=10):
    return {"label": label, "seed": seed, "top1": float(np.mean(correct)), "classes": classes, "correct": correct}


@pytest.fixture(autouse=True)
def unpacked(monkeypatch):
    """Records here keep their correctness as plain arrays; how mnlib.results packs it is tested with results."""

    def correct(record):
        return None if record.get("correct") is None else np.asarray(record["correct"], dtype=bool)

    monkeypatch.setattr(results, "correct", correct, raising=False)


@pytest.fixture
def two_networks():
    # "wide" right on images 0-149, "thin" on images 100-199: 100 images only the wide one gets
    # right, 50 only the thin one, 50 both: a McNemar test on 150 discordant images
    return pd.DataFrame([run("wide", 0, outcomes(150)), run("thin", 0, outcomes(100, wrong_first=True))])


def test_one_seed_has_wilsons_interval_and_the_chance_verdict(two_networks):
    table = study_verdicts.accuracies(two_networks)
    assert list(table.index) == ["wide", "thin"]
    wide = table.loc["wide"]
    assert wide["top1"] == pytest.approx(0.75) and wide["seeds"] == 1 and wide["images"] == IMAGES
    assert (wide["top1_low"], wide["top1_high"]) == pytest.approx(stats.accuracy_interval(150, IMAGES))
    assert wide["top1_low"] < 0.75 < wide["top1_high"]
    assert wide["interval"] == stats.accuracy_text(0.75, IMAGES)
    assert wide["chance"] == stats.chance(0.75, 10, IMAGES).verdict
    assert list(study_verdicts.accuracies(two_networks, ["thin"]).index) == ["thin"]


def test_several_seeds_have_students_interval_over_the_seeds():
    records = pd.DataFrame([run("wide", seed, outcomes(right)) for seed, right in enumerate((140, 150, 160))])
    (row,) = study_verdicts.accuracies(records).itertuples()
    expected = stats.spread([0.70, 0.75, 0.80])
    assert (row.top1, row.top1_low, row.top1_high) == pytest.approx((expected.mean, expected.low, expected.high))
    assert row.seeds == 3 and "mean of 3 seeds" in row.interval


def test_compare_prints_the_paired_verdict_and_says_one_seed_leaves_seed_variance_out(two_networks):
    lines = study_verdicts.compare(two_networks, "wide", "thin", title="α 1 → 0.5")
    verdict = stats.paired(outcomes(150), outcomes(100, wrong_first=True), names=("wide", "thin")).verdict
    assert lines == [f"α 1 → 0.5, seed 0: {verdict}", study_verdicts.SEED_NOTE]
    assert "wide is ahead of thin" in verdict  # 100 against 50 discordant images


def test_compare_over_seeds_gives_the_interval_of_the_difference():
    records = pd.DataFrame(
        [run("a", seed, outcomes(120 + 10 * seed)) for seed in range(3)]
        + [run("b", seed, outcomes(100)) for seed in (0, 1, 2, 3)]
    )
    lines = study_verdicts.compare(records, "a", "b")
    assert [line.split(":")[0] for line in lines[:3]] == [f"a vs b, seed {seed}" for seed in range(3)]
    spread = stats.spread([0.10, 0.15, 0.20])
    assert lines[3] == (
        f"a vs b, over 3 seeds: a minus b = {100 * spread.mean:+.1f} points on average "
        f"(95 % interval {100 * spread.low:+.1f} to {100 * spread.high:+.1f} points, seed to seed)."
    )
    assert study_verdicts.SEED_NOTE not in lines


def test_steps_compare_each_network_with_the_next_and_note_one_seed_once():
    # "1" right on images 0-159, "0.5" on 50-199 (50 against 40 discordant), "0.25" on 0-59 (140 against 50)
    networks = [run("1", 0, outcomes(160)), run("0.5", 0, outcomes(150, wrong_first=True))]
    networks.append(run("0.25", 0, outcomes(60)))
    records = pd.DataFrame(networks)
    lines = study_verdicts.steps(records, ["1", "0.5", "0.25"], ["α 1", "α 0.5", "α 0.25"])
    assert [line.split(":")[0] for line in lines[:2]] == ["α 1 → α 0.5, seed 0", "α 0.5 → α 0.25, seed 0"]
    assert "1 and 0.5 are level within noise" in lines[0]
    assert "0.5 is ahead of 0.25" in lines[1]
    assert lines[2:] == [study_verdicts.SEED_NOTE]


def test_networks_without_a_common_seed_or_per_image_record_are_said_so():
    records = pd.DataFrame([run("a", 0, outcomes(150)), run("b", 1, outcomes(100))])
    (line,) = study_verdicts.compare(records, "a", "b")
    assert "no seed was run for both" in line
    old = pd.DataFrame([run("a", 0, outcomes(150)), {**run("b", 0, outcomes(100)), "correct": None}])
    assert study_verdicts.compare(old, "a", "b") == [f"a vs b, seed 0: {study_verdicts.OLD_RECORD}."]
    table = study_verdicts.accuracies(old)
    assert table.loc["b", "interval"] == study_verdicts.OLD_RECORD and math.isnan(table.loc["b", "top1_low"])


def test_bad_input_says_what_was_given(two_networks):
    with pytest.raises(ValueError, match="labelled 'missing'.*'thin', 'wide'"):
        study_verdicts.compare(two_networks, "wide", "missing")
    with pytest.raises(ValueError, match="DataFrame"):
        study_verdicts.accuracies([run("a", 0, outcomes(1))])
    with pytest.raises(ValueError, match="lack the columns \\['seed'\\]"):
        study_verdicts.accuracies(two_networks.drop(columns="seed"))
    with pytest.raises(ValueError, match="one per label"):
        study_verdicts.steps(two_networks, ["wide", "thin"], ["α 1"])


def test_diverged_runs_are_said_so_and_left_out_of_the_mean():
    nan = dict(top1=math.nan, correct=None, diverged=True)
    records = pd.DataFrame([
        {**run("a", 0, outcomes(150)), "diverged": False}, {**run("a", 1, outcomes(140)), "diverged": False},
        {**run("a", 2, outcomes(1)), **nan}, {**run("b", 0, outcomes(100)), **nan},
    ])  # fmt: skip
    table = study_verdicts.accuracies(records)
    expected = stats.spread([0.75, 0.70])
    assert table.loc["a", "top1"] == pytest.approx(expected.mean) and table.loc["a", "seeds"] == 2
    assert table.loc["a", "interval"].endswith("; 1 more seed(s) diverged")
    assert table.loc["b", "interval"] == study_verdicts.DIVERGED and math.isnan(table.loc["b", "top1"])
    assert study_verdicts.compare(records, "a", "b") == [f"a vs b, seed 0: b {study_verdicts.DIVERGED}."]
