"""Result records: written atomically, one file per experiment, loaded as a table."""

import json
import math
import os

import numpy as np
import pandas as pd
import pytest

from mnlib import results


def make_record(**changes):
    record = {
        "notebook": "03-width",
        "dataset": "tiny-imagenet",
        "classes": 10,
        "resolution": 64,
        "model": "mobilenet",
        "model_args": {"alpha": 0.5},
        "params": 829_536,
        "mult_adds": 12_345_678,
        "epochs": 2,
        "seconds": 12.5,
        "top1": 0.61,
        "top5": 0.93,
        "history": {"loss": [2.1, 1.4], "top1": [0.3, 0.55], "val_top1": [0.4, 0.61]},
        "profile": "full",
        "seed": 0,
        "batch_size": 64,
        "training": {"optimizer": "rmsprop", "learning_rate": 0.045},
        "environment": {"tensorflow": "2.20.0", "device": "Tesla T4"},
    }
    record.update(changes)
    return record


def identity(record):
    return results._identity(record)


def test_record_round_trips_through_file_and_table(tmp_path):
    record = make_record()
    path = results.write(record, tmp_path)

    assert path.parent == tmp_path
    assert path.name == results.run_id(**identity(record)) + ".json"
    back = results.read(path)
    for key, value in record.items():
        assert back[key] == value, key
    assert back["id"] == path.stem
    assert back["created"]  # set when written

    table = results.load(tmp_path)
    assert len(table) == 1
    row = table.iloc[0]
    assert list(table.columns[: len(results.FIELDS)]) == list(results.FIELDS)
    assert row["top1"] == pytest.approx(0.61)
    assert row["history"] == record["history"]
    assert row["model_args"] == {"alpha": 0.5}
    assert row["alpha"] == 0.5  # model arguments become columns
    assert row["device"] == "Tesla T4"
    assert row["file"] == path.name


def test_same_experiment_replaces_its_record(tmp_path):
    first = results.write(make_record(top1=0.5, epochs=2), tmp_path)
    second = results.write(make_record(top1=0.7, epochs=5), tmp_path)  # rerun, other settings

    assert first == second
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]
    assert results.load(tmp_path)["top1"].tolist() == [0.7]


def test_other_experiments_get_their_own_records(tmp_path):
    base = make_record()
    variants = [
        base,
        make_record(model_args={"alpha": 0.25}),
        make_record(resolution=32),
        make_record(seed=1),
        make_record(profile="smoke"),
        make_record(model_args={"alpha": 0.5, "shallow": True}),
        make_record(notebook="03_width"),  # slugs alike; the hash tells them apart
        make_record(training={"augment": False}),  # an augmentation ablation
    ]
    ids = [results.run_id(**identity(r)) for r in variants]
    assert len(set(ids)) == len(variants)
    assert results.run_id(**identity(base)) == results.run_id(**identity(make_record()))  # stable

    for record in variants:
        results.write(record, tmp_path)
    table = results.load(tmp_path)
    assert len(table) == len(variants)
    assert sorted(table["alpha"].tolist()) == [0.25] + [0.5] * 7
    assert table["augment"].tolist().count(False) == 1
    # shallow exists only where a model has it
    assert table["shallow"].notna().sum() == 1


def test_load_of_an_empty_or_missing_folder_has_the_columns(tmp_path):
    for folder in (tmp_path, tmp_path / "not-there"):
        table = results.load(folder)
        assert table.empty
        assert list(table.columns) == list(results.FIELDS)
        # code that filters the table still runs
        assert table[table["profile"] == "full"]["top1"].tolist() == []


def test_load_skips_bad_files_and_names_them(tmp_path):
    good = results.write(make_record(), tmp_path)
    (tmp_path / "broken.json").write_text('{"notebook": "03-width", "top1": ')
    (tmp_path / "a-list.json").write_text("[1, 2, 3]")
    (tmp_path / ".half-written.json.tmp").write_text("{")
    (tmp_path / "notes.txt").write_text("not a record")

    with pytest.warns(UserWarning) as caught:
        table = results.load(tmp_path)
    messages = " ".join(str(w.message) for w in caught)
    assert "broken.json" in messages and "a-list.json" in messages
    assert table["file"].tolist() == [good.name]


def test_write_is_atomic(tmp_path, monkeypatch):
    path = results.write(make_record(top1=0.5), tmp_path)
    before = path.read_text()

    def crash(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        results.write(make_record(top1=0.9), tmp_path)
    monkeypatch.undo()

    assert path.read_text() == before  # the old record is whole
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left


def test_write_checks_the_record(tmp_path):
    record = make_record()
    del record["top5"]
    with pytest.raises(ValueError, match="top5"):
        results.write(record, tmp_path)
    with pytest.raises(ValueError, match="top1"):
        results.write(make_record(top1=93.0), tmp_path)  # a percentage, not a fraction
    with pytest.raises(ValueError, match="profile"):
        results.write(make_record(profile="quick"), tmp_path)
    with pytest.raises(TypeError, match="JSON"):
        results.write(make_record(model_args={"alpha": 0.5, "layer": object()}), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_numpy_values_and_nan_are_stored_as_json(tmp_path):
    record = make_record(
        top1=np.float32(0.75),
        params=np.int64(1000),
        history={"loss": np.array([2.0, float("nan")]), "top1": [np.float64(0.5), 0.75]},
    )
    path = results.write(record, tmp_path)
    back = json.loads(path.read_text())  # strict JSON: no NaN
    assert back["top1"] == pytest.approx(0.75)
    assert back["params"] == 1000 and isinstance(back["params"], int)
    assert back["history"]["loss"] == [2.0, None]
    loaded = results.load(tmp_path)
    assert math.isclose(loaded["top1"][0], 0.75, rel_tol=1e-6)
    assert isinstance(loaded, pd.DataFrame)


def test_find_returns_a_saved_record_or_none(tmp_path):
    record = make_record()
    path = results.write(record, tmp_path)
    assert results.find(tmp_path, path.stem)["top1"] == record["top1"]
    assert results.find(tmp_path, "no-such-run") is None


def test_environment_names_versions_and_device():
    import tensorflow as tf

    env = results.environment(mixed_precision=False, xla=False)
    assert env["tensorflow"] == tf.__version__
    assert set(env) >= {"tensorflow", "keras", "python", "device", "mixed_precision", "xla"}
    expected = "CPU" if not tf.config.list_physical_devices("GPU") else env["device"]
    assert env["device"] == expected and env["device"]


def test_study_selects_records_and_names_the_models(tmp_path):
    results.write(make_record(), tmp_path)
    results.write(make_record(model_args={"alpha": 1.0, "shallow": True}), tmp_path)
    results.write(make_record(model_args={"alpha": 1.0}, training={"augment": False}), tmp_path)
    results.write(make_record(notebook="another"), tmp_path)
    study = results.study(tmp_path, notebook=make_record()["notebook"])
    assert sorted(study["label"]) == [
        f"0.5 MobileNet-{make_record()['resolution']}",
        f"1 MobileNet-{make_record()['resolution']}, no augmentation",
        f"shallow 1 MobileNet-{make_record()['resolution']}",
    ]
    assert study["shallow"].dtype == bool and study["augment"].dtype == bool
    assert (study["params_m"] * 1e6 == study["params"]).all()
    with pytest.raises(ValueError, match="no field"):
        results.study(tmp_path, colour="red")
