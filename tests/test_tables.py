"""Tables from records: stale records marked, diverged runs shown as such, transfer phases told apart."""

import math

import pytest
from test_results import make_record, trained

from mnlib import results, tables


def test_a_record_of_other_code_is_marked_stale(tmp_path):
    results.write(make_record(seed=0), tmp_path)
    results.write(make_record(seed=1, code_version="0"), tmp_path)
    old = make_record(seed=2)
    old["id"] = results.run_id(results.configuration(old))
    results.write_json(tmp_path / f"{old['id']}.json", old)  # written before versions were recorded
    table = tables.study(tmp_path).sort_values("seed")
    assert table["stale"].tolist() == [False, True, True]
    assert table["label"].tolist() == ["0.5 MobileNet-64", "0.5 MobileNet-64 (stale)", "0.5 MobileNet-64 (stale)"]
    assert tables.summarize(tables.study(tmp_path))["stale"].tolist() == [True]
    assert not tables.summarize(tables.study(tmp_path, stale=False))["stale"].any()


def test_a_diverged_run_shows_diverged_never_a_number(tmp_path):
    # every record says diverged or not: the column is numpy booleans
    results.write(make_record(seed=0, top1=0.6, diverged=False), tmp_path)
    results.write(make_record(seed=1, top1=0.1, diverged=True, diverged_epoch=2), tmp_path)
    results.write(make_record(seed=0, top1=0.7, resolution=96, diverged=False), tmp_path)
    table = tables.study(tmp_path).sort_values(["resolution", "seed"]).reset_index(drop=True)
    assert table["diverged"].tolist() == [False, True, False]
    assert math.isnan(table.loc[1, "top1"]) and math.isnan(table.loc[1, "top5"])
    assert table.loc[0, "top1"] == pytest.approx(0.6)
    assert tables.shown(table)["top1"].tolist() == [0.6, "diverged", 0.7]
    assert tables.shown(table)["top5"].tolist()[1] == "diverged"

    summary = tables.summarize(table).set_index("resolution")
    assert summary.loc[64, "diverged"] and not summary.loc[96, "diverged"]
    assert math.isnan(summary.loc[64, "top1"])  # not the mean of the seed that converged
    assert summary.loc[96, "top1"] == pytest.approx(0.7)
    assert tables.shown(summary)["top1"].tolist() == ["diverged", 0.7]
    assert tables.shown(summary)["top1_sd"].tolist()[0] == "diverged"
    assert tables.shown(table[["top1"]])["top1"].tolist()[1] != "diverged"  # no diverged column: nothing known
    with pytest.raises(ValueError, match=r"\['accuracy'\]"):
        tables.shown(table, columns=["accuracy"])


def test_frozen_and_fine_tuned_runs_have_their_own_labels(tmp_path):
    base = dict(model="vgg16", model_args={"weights": "imagenet"}, resolution=64)
    results.write(make_record(**base, training=trained(fine_tune=None)), tmp_path)
    results.write(make_record(**base, training=trained(fine_tune={"layers": 4, "epochs": 2})), tmp_path)
    results.write(make_record(model="vgg16", model_args={}, resolution=64), tmp_path)
    labels = sorted(tables.study(tmp_path)["label"])
    assert labels == ["VGG16-64", "VGG16-64, pretrained, fine-tuned", "VGG16-64, pretrained, frozen"]
    assert len(tables.summarize(tables.study(tmp_path))) == 3
