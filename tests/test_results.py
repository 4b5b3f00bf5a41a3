"""Result records: written atomically, one file per experiment, loaded as a table."""

import json
import math
import os

import numpy as np
import pandas as pd
import pytest

from mnlib import results, tables


def make_record(**changes):
    record = {
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
        "training": {"optimizer": "rmsprop", "learning_rate": 0.045, "augment": True},
        "environment": {"tensorflow": "2.20.0", "device": "Tesla T4"},
        "notebook": "03_width_multiplier",
    }
    record.update(changes)
    return record


def trained(**changes):
    """``make_record()["training"]`` with ``changes``."""
    return {**make_record()["training"], **changes}


def test_record_round_trips_through_file_and_table(tmp_path):
    record = make_record()
    path = results.write(record, tmp_path)

    assert path.parent == tmp_path
    assert path.name == results.run_id(results.configuration(record)) + ".json"
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
    first = results.write(make_record(top1=0.5, seconds=10.0), tmp_path)
    second = results.write(make_record(top1=0.7, seconds=11.0), tmp_path)  # rerun, same settings

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
        make_record(dataset="tiny_imagenet"),  # slugs alike; the hash tells them apart
        make_record(training=trained(augment=False)),  # an augmentation ablation
        make_record(training=trained(learning_rate=0.01)),
        make_record(epochs=30),
        make_record(batch_size=128),
    ]
    ids = [results.run_id(results.configuration(r)) for r in variants]
    assert len(set(ids)) == len(variants)
    assert results.run_id(results.configuration(base)) == results.run_id(results.configuration(make_record()))

    for record in variants:
        results.write(record, tmp_path)
    table = results.load(tmp_path)
    assert len(table) == len(variants)
    assert sorted(table["alpha"].tolist()) == [0.25] + [0.5] * (len(variants) - 1)
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
    (tmp_path / "broken.json").write_text('{"dataset": "synthetic", "top1": ')
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
    from mnlib import device

    assert env["device"] == device.accelerator().name  # the one answer to the device question
    assert results.environment(device="TPU v5e")["device"] == "TPU v5e"


def test_study_selects_records_and_names_the_models(tmp_path):
    results.write(make_record(), tmp_path)
    results.write(make_record(model_args={"alpha": 1.0, "shallow": True}), tmp_path)
    results.write(make_record(model_args={"alpha": 1.0}, training=trained(augment=False)), tmp_path)
    results.write(make_record(dataset="synthetic"), tmp_path)
    study = tables.study(tmp_path, dataset="tiny-imagenet", classes=10, profile="full")
    assert sorted(study["label"]) == [
        f"0.5 MobileNet-{make_record()['resolution']}",
        f"1 MobileNet-{make_record()['resolution']}, no augmentation",
        f"shallow 1 MobileNet-{make_record()['resolution']}",
    ]
    assert study["shallow"].dtype == bool and study["augment"].dtype == bool
    assert (study["params_m"] * 1e6 == study["params"]).all()
    with pytest.raises(ValueError, match="no field"):
        tables.study(tmp_path, colour="red")


def test_the_id_is_the_configuration_not_the_chapter(tmp_path):
    config = results.configuration(make_record())
    record_id = results.run_id(config)
    assert record_id.startswith("mobilenet-alpha-0.5_tiny-imagenet-10_64px_seed0_full_")
    assert "03" not in record_id and "width" not in record_id

    # equal settings, however they are spelt, give the same id
    respelt = dict(reversed(list(config.items())), classes=np.int64(10), model_args={"alpha": np.float64(0.5)})
    assert results.run_id(respelt) == record_id
    one = results.run_id({**config, "model_args": {"alpha": 1}})
    assert one == results.run_id({**config, "model_args": {"alpha": 1.0}})

    # any change of a setting gives another id
    changes = [
        {"seed": 1},
        {"epochs": 30},
        {"training": trained(augment=False)},
        {"training": trained(learning_rate=0.01)},
        {"training": trained(phases=[{"epochs": 2, "trainable": False}])},
    ]
    ids = {results.run_id({**config, **change}) for change in changes}
    assert len(ids) == len(changes) and record_id not in ids
    assert results.run_id({**config, "training": trained(augment=False)}).split("_")[-2] == "noaug"

    # two chapters that train the same network share one record
    first = results.write(make_record(notebook="03_width_multiplier", top1=0.5), tmp_path)
    second = results.write(make_record(notebook="04_resolution_multiplier", top1=0.6), tmp_path)
    assert first == second and first.stem == record_id
    assert [p.name for p in tmp_path.iterdir()] == [first.name]
    assert results.read(first)["notebook"] == "04_resolution_multiplier"


def test_run_id_refuses_what_is_not_a_configuration():
    config = results.configuration(make_record())
    with pytest.raises(ValueError, match="configuration"):
        results.run_id(make_record())  # a record, not its configuration
    with pytest.raises(ValueError, match=r"missing \['training'\]"):
        results.run_id({k: v for k, v in config.items() if k != "training"})
    with pytest.raises(ValueError, match="classes"):
        results.run_id({**config, "classes": 10.5})
    with pytest.raises(ValueError, match="model_args"):
        results.run_id({**config, "model_args": None})
    with pytest.raises(TypeError, match="JSON"):
        results.run_id({**config, "training": {"optimizer": object()}})


def test_configuration_gives_back_the_id_of_a_written_record(tmp_path):
    path = results.write(make_record(), tmp_path)
    record = results.read(path)
    assert results.run_id(results.configuration(record)) == record["id"]
    row = results.load(tmp_path).iloc[0]  # a row of the table works too
    assert results.run_id(results.configuration(row)) == record["id"]
    assert set(results.configuration(record)) == set(results.IDENTITY)
    assert "notebook" not in results.IDENTITY


def test_optional_fields_round_trip(tmp_path):
    extra = dict(
        model_file="mobilenet-alpha-0.5.keras",
        class_names=["goldfish", "tabby"],
        trainable_params=800_000,
        inference_images_per_second=1234.5,
    )
    assert not set(extra) & set(results.REQUIRED)
    path = results.write(make_record(**extra), tmp_path)
    back = results.read(path)
    assert {k: back[k] for k in extra} == extra
    row = results.load(tmp_path).iloc[0]
    assert {k: row[k] for k in extra} == extra

    plain = make_record()
    del plain["notebook"]
    results.write(plain, tmp_path / "plain")  # every optional field can be missing
    row = results.load(tmp_path / "plain").iloc[0]
    assert row["model_file"] is None and row["notebook"] is None


def test_write_checks_the_optional_fields(tmp_path):
    for bad in ({"model_file": "/elsewhere/model.keras"}, {"model_file": "../model.keras"}):
        with pytest.raises(ValueError, match="model_file"):
            results.write(make_record(**bad), tmp_path)
    with pytest.raises(ValueError, match="class_names"):
        results.write(make_record(class_names="goldfish"), tmp_path)
    with pytest.raises(ValueError, match="id"):
        results.write(make_record(id="../outside"), tmp_path)
    with pytest.raises(ValueError, match="training"):
        results.write(make_record(training=None), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_write_json_replaces_a_file_whole_or_not_at_all(tmp_path, monkeypatch):
    path = tmp_path / "log" / "history.json"
    assert results.read_json(path) is None  # missing
    results.write_json(path, {"rows": [1, 2]})
    assert results.read_json(path) == {"rows": [1, 2]}  # the folder was made
    if os.name == "posix":  # readable like any file written with open(), not private as a temporary file
        assert path.stat().st_mode & 0o777 == 0o644
    before = path.read_bytes()

    temporaries = []
    real_replace = os.replace
    monkeypatch.setattr(
        os, "replace", lambda source, target: temporaries.append(source) or real_replace(source, target)
    )
    results.write_json(path, {"rows": [1, 2, 3], "loss": np.float32(0.5), "nan": float("nan")})
    assert results.read_json(path) == {"rows": [1, 2, 3], "loss": 0.5, "nan": None}
    assert os.path.dirname(temporaries[0]) == str(path.parent)
    assert os.path.basename(temporaries[0]).startswith(".")  # hidden from load()
    before = path.read_bytes()

    def crash(descriptor):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)  # fails while the new text is being written
    with pytest.raises(OSError, match="disk full"):
        results.write_json(path, {"rows": []})
    monkeypatch.undo()
    with pytest.raises(TypeError, match="JSON"):
        results.write_json(path, {"model": object()})
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left

    path.write_text('{"rows": ')  # a file cut short by something else
    assert results.read_json(path) is None


def seeds_table(tmp_path, top1s=(0.5, 0.6, 0.7), **changes):
    for seed, top1 in enumerate(top1s):
        results.write(make_record(seed=seed, top1=top1, seconds=10.0 * (seed + 1), **changes), tmp_path)
    return tables.study(tmp_path)


def test_summarize_makes_the_seeds_of_a_configuration_one_row(tmp_path):
    seeds_table(tmp_path)
    seeds_table(tmp_path, top1s=(0.4,), model_args={"alpha": 0.25})
    summary = tables.summarize(tables.study(tmp_path))

    assert len(summary) == 2
    three = summary[summary["alpha"] == 0.5].iloc[0]
    assert three["seeds"] == 3
    assert three["top1"] == pytest.approx(0.6)
    assert three["top1_sd"] == pytest.approx(0.1)  # sample standard deviation
    assert three["top5"] == pytest.approx(0.93) and three["top5_sd"] == pytest.approx(0.0)
    assert three["seconds"] == pytest.approx(20.0)
    assert three["label"] == "0.5 MobileNet-64" and three["params_m"] == pytest.approx(0.829536)
    one = summary[summary["alpha"] == 0.25].iloc[0]
    assert one["seeds"] == 1 and one["top1"] == pytest.approx(0.4) and math.isnan(one["top1_sd"])
    for column in ("seed", "id", "history", "file"):
        assert column not in summary.columns
    assert list(summary.columns[-1:]) == ["seeds"]
    assert list(summary.columns).index("top1_sd") == list(summary.columns).index("top1") + 1


def test_summarize_keeps_other_settings_apart_and_checks_its_columns(tmp_path):
    seeds_table(tmp_path, top1s=(0.5, 0.7))
    seeds_table(tmp_path, top1s=(0.3,), training=trained(augment=False))  # differs only inside a dict
    summary = tables.summarize(tables.study(tmp_path))
    assert sorted(summary["seeds"]) == [1, 2]
    assert sorted(summary["augment"]) == [False, True]

    by_label = tables.summarize(tables.study(tmp_path), by=["alpha"])
    assert by_label["seeds"].tolist() == [3] and by_label["top1"].iloc[0] == pytest.approx(0.5)
    assert tables.summarize(tables.study(tmp_path / "none")).empty
    with pytest.raises(ValueError, match="colour"):
        tables.summarize(tables.study(tmp_path), by=["colour"])
    with pytest.raises(ValueError, match="accuracy"):
        tables.summarize(tables.study(tmp_path), metrics=["accuracy"])


def test_study_filters_on_any_column(tmp_path):
    results.write(make_record(), tmp_path)
    results.write(make_record(model="vgg16", model_args={}), tmp_path)
    results.write(make_record(resolution=32), tmp_path)
    assert tables.study(tmp_path, alpha=1.0)["model"].tolist() == ["vgg16"]  # a derived column
    assert tables.study(tmp_path, model_args={"alpha": 0.5}, resolution=64)["file"].str.startswith("mobilenet").all()
    assert len(tables.study(tmp_path, model_args={"alpha": 0.5})) == 2
    assert len(tables.study(tmp_path, trainable_params=None)) == 3  # None matches a missing value
    assert tables.study(tmp_path, dataset="synthetic").empty


def test_with_reference_adds_figures_by_key():
    table = pd.DataFrame({"alpha": [1.0, 0.75, 0.3], "top1": [0.9, 0.8, 0.7]}, index=["a", "b", "c"])
    paper = {1.0: 70.6, 0.75: 68.4}
    added = tables.with_reference(table, "paper", paper, key="alpha", scale=0.01)
    assert added["paper"].tolist()[:2] == pytest.approx([0.706, 0.684])
    assert math.isnan(added["paper"].iloc[2])
    assert "paper" not in table.columns  # a copy

    series = pd.Series(paper)
    assert tables.with_reference(table, "p", series, key="alpha")["p"].iloc[0] == pytest.approx(70.6)
    nearest = tables.with_reference(table, "p", lambda a: paper[min(paper, key=lambda k: abs(k - a))], key="alpha")
    assert nearest["p"].tolist() == pytest.approx([70.6, 68.4, 68.4])
    by_index = tables.with_reference(table.set_index("alpha"), "p", paper, key="alpha")
    assert by_index["p"].iloc[1] == pytest.approx(68.4)
    with pytest.raises(ValueError, match="resolution"):
        tables.with_reference(table, "p", paper, key="resolution")
    with pytest.raises(ValueError, match="values"):
        tables.with_reference(table, "p", [70.6, 68.4], key="alpha")
