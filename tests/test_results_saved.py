"""Saved models and the records that name them: atomic saves, stale records, the best model."""

import datetime
import os
import types
import zipfile

import numpy as np
import pytest
from test_results import make_record

from mnlib import results, tables
from mnlib.results import saved


@pytest.fixture(scope="module")
def model():
    import keras

    network = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense")])
    network.build((None, 4))
    return network


def test_save_model_writes_a_model_that_loads_back(tmp_path, model):
    import keras

    path = results.save_model(model, tmp_path / "sub" / "net.keras")
    assert path == tmp_path / "sub" / "net.keras"
    back = keras.models.load_model(path)
    for ours, theirs in zip(model.get_weights(), back.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    weights = results.save_model(model, tmp_path / "net.weights.h5")
    model.load_weights(weights)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.weights.h5", "sub"]  # no temporary file
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o644


def test_save_model_failing_midway_leaves_the_old_file_whole(tmp_path, model, monkeypatch):
    path = results.save_model(model, tmp_path / "net.keras")
    before = path.read_bytes()
    seen = []

    def half_then_crash(self, filepath, *args, **kwargs):
        seen.append(str(filepath))
        with open(filepath, "wb") as f:
            f.write(before[: len(before) // 2])  # half a model...
        raise OSError("disk full")  # ...then the disk is full

    monkeypatch.setattr(type(model), "save", half_then_crash)
    with pytest.raises(OSError, match="disk full"):
        results.save_model(model, path)
    assert seen and seen[0].endswith(".keras") and os.path.dirname(seen[0]) == str(tmp_path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["net.keras"]

    def interrupted(self, filepath, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(type(model), "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        results.save_model(model, tmp_path / "new.keras")
    assert [p.name for p in tmp_path.iterdir()] == ["net.keras"]  # nothing under the new name either


def test_save_model_refuses_names_keras_cannot_save_to(tmp_path, model):
    with pytest.raises(ValueError, match=r"got 'net.pt'"):
        results.save_model(model, tmp_path / "net.pt")
    assert not tmp_path.joinpath("net.pt").exists()


def test_write_stamps_the_code_version_and_keeps_an_old_one(tmp_path):
    back = results.read(results.write(make_record(), tmp_path))
    assert back["code_version"] == results.CODE_VERSION
    old = results.read(results.write(make_record(seed=1, code_version="0"), tmp_path))
    assert old["code_version"] == "0"
    assert list(results.load(tmp_path)["code_version"]) == [results.CODE_VERSION, "0"]


@pytest.mark.parametrize("images", [0, 1, 7, 8, 9, 200])
def test_per_image_correctness_round_trips(tmp_path, images):
    right = np.random.default_rng(images).random(images) < 0.4
    packed = results.pack_correct(right)
    assert packed["images"] == images and packed["right"] == int(right.sum())
    assert len(packed["bits"]) <= 4 * ((images + 7) // 8 + 2) // 3 + 4  # base64 of one bit per image
    path = results.write(make_record(correct=packed), tmp_path)
    np.testing.assert_array_equal(results.correct(results.read(path)), right)
    np.testing.assert_array_equal(results.correct(results.load(tmp_path).iloc[0]), right)  # a table row too


def test_correctness_refuses_what_is_not_packed_booleans(tmp_path):
    assert results.correct(make_record()) is None  # an old record has none
    with pytest.raises(ValueError, match="dtype int64"):
        results.pack_correct(np.array([1, 0, 1]))
    packed = results.pack_correct(np.array([True, False, True]))
    for broken in ({**packed, "images": 20}, {**packed, "right": 1}, {**packed, "bits": "%%"}, {"images": 3}):
        with pytest.raises(ValueError, match="correct"):
            results.correct({"correct": broken})
        with pytest.raises(ValueError, match="correct"):
            results.write(make_record(correct=broken), tmp_path)
    with pytest.raises(ValueError, match="diverged must be True or False"):
        results.write(make_record(diverged=1), tmp_path)
    with pytest.raises(ValueError, match="diverged_epoch must be an integer >= 1"):
        results.write(make_record(diverged=True, diverged_epoch=0), tmp_path)
    assert list(tmp_path.iterdir()) == []


def fake_model(path, whole=True):
    """A small zip where a .keras file would be: ``whole``, cut in half (False) or one byte changed ("flipped")."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{}" + " " * 2000)
        archive.writestr("model.weights.h5", bytes(range(256)) * 40)
    data = bytearray(path.read_bytes())
    if whole == "flipped":
        data[len(data) // 2] ^= 0xFF  # inside the weights: the zip opens, its checksum fails
        path.write_bytes(bytes(data))
    elif not whole:
        path.write_bytes(bytes(data[: len(data) // 2]))
    return path


def saved_record(folder, top1, *, model_file=True, whole=True, seed=0, **changes):
    """A record with a model file beside it (``model_file=False``: named but not there)."""
    record = make_record(top1=top1, seed=seed, **changes)
    record["id"] = results.run_id(results.configuration(record))
    record["model_file"] = f"{record['id']}.keras"
    if model_file:
        fake_model(folder / record["model_file"], whole)
    results.write(record, folder)
    return record["id"]


def test_unusable_says_why_a_record_must_not_be_reused(tmp_path):
    fine = results.find(tmp_path, saved_record(tmp_path, 0.5))
    assert results.unusable(fine, tmp_path) is None
    assert results.unusable({**fine, "code_version": "0"}, tmp_path) == (
        f"written by code version 0, this is {results.CODE_VERSION}"
    )
    assert "before code versions were recorded" in results.unusable({**fine, "code_version": None}, tmp_path)
    missing = results.find(tmp_path, saved_record(tmp_path, 0.5, seed=1, model_file=False))
    assert results.unusable(missing, tmp_path) == f"its model file {missing['model_file']} is missing"
    cut = results.find(tmp_path, saved_record(tmp_path, 0.5, seed=2, whole=False))
    assert "is not a readable Keras file" in results.unusable(cut, tmp_path)
    flipped = results.find(tmp_path, saved_record(tmp_path, 0.5, seed=3, whole="flipped"))
    assert "is damaged (in model.weights.h5)" in results.unusable(flipped, tmp_path)
    (tmp_path / "w.weights.h5").write_bytes(b"not hdf5")
    assert "not an HDF5 file" in results.unusable({**fine, "model_file": "w.weights.h5"}, tmp_path)
    assert results.unusable({k: v for k, v in fine.items() if k != "model_file"}, tmp_path) is None


def test_unusable_reads_a_row_of_a_loaded_table_as_the_record(tmp_path):
    """In results.load's table a record without a model file has NaN there: it is not a file name."""
    results.write(make_record(top1=0.5), tmp_path)
    saved_record(tmp_path, 0.6, seed=1)
    rows = [row.to_dict() for _, row in results.load(tmp_path).iterrows()]
    assert [results.unusable(row, tmp_path) for row in rows] == [None, None]
    # pandas gives NaN (or None, by version) where a record has no model file
    for missing in (float("nan"), None, ""):
        assert results.unusable({**rows[0], "model_file": missing}, tmp_path) is None


class Frozen(datetime.datetime):
    """A clock stopped at one instant, so that two set-asides happen in the same second."""

    @classmethod
    def now(cls, tz=None):
        return cls(2026, 1, 2, 3, 4, 5, tzinfo=tz)


def test_set_aside_keeps_a_stale_record_and_its_model_under_stale_names(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(saved, "datetime", types.SimpleNamespace(datetime=Frozen, timezone=datetime.timezone))
    record_id = saved_record(tmp_path, 0.5)
    other = saved_record(tmp_path, 0.6, seed=1)
    target = results.set_aside(tmp_path, record_id, "written by code version 0, this is 2")
    assert target.parent == tmp_path and target.exists() and not (tmp_path / f"{record_id}.json").exists()
    names = sorted(p.name for p in tmp_path.iterdir() if record_id in p.name)
    assert len(names) == 2 and all(n.endswith(".stale-20260102T030405Z") for n in names)
    assert not (tmp_path / f"{record_id}.keras").exists()
    assert list(results.load(tmp_path)["id"]) == [other]  # tables no longer see it
    assert capsys.readouterr().out.strip().splitlines() == [
        f"Set aside {record_id}.json as {target.name}: written by code version 0, this is 2."
    ]
    saved_record(tmp_path, 0.5)  # the same record again, set aside in the same second: no name is reused
    again = results.set_aside(tmp_path, record_id, "again")
    assert again != target and target.exists() and again.exists()
    with pytest.raises(FileNotFoundError, match=f"no record {record_id}.json"):
        results.set_aside(tmp_path, record_id, "twice")


CLASSES_10 = [f"n{k:02d}" for k in range(10)]
CLASSES_4 = CLASSES_10[:4]


def test_best_model_takes_the_best_usable_record_of_these_classes(tmp_path):
    winner = saved_record(tmp_path, 0.41, classes=10, class_names=CLASSES_10)
    saved_record(tmp_path, 0.30, seed=1, classes=10, class_names=CLASSES_10)
    saved_record(tmp_path, 0.90, classes=4, class_names=CLASSES_4)  # other classes, higher top-1
    saved_record(tmp_path, 0.95, seed=2, classes=10, class_names=CLASSES_10, code_version="0")  # stale
    saved_record(tmp_path, 0.96, seed=3, classes=10, class_names=CLASSES_10, model_file=False)  # no model
    saved_record(tmp_path, 0.97, seed=4, classes=10, class_names=CLASSES_10, whole=False)  # cut short
    saved_record(tmp_path, 0.975, seed=7, classes=10, class_names=CLASSES_10, whole="flipped")  # damaged
    saved_record(tmp_path, 0.98, seed=5, classes=10, class_names=CLASSES_10, diverged=True, diverged_epoch=2)
    results.write(make_record(top1=0.99, seed=6, classes=10, class_names=CLASSES_10), tmp_path)  # nothing saved

    assert results.best_model(tmp_path, class_names=CLASSES_10)["id"] == winner
    assert results.best_model(tmp_path, class_names=CLASSES_10[::-1]) is None  # the order is the outputs'
    assert results.best_model(tmp_path, class_names=CLASSES_4)["top1"] == 0.90
    assert results.best_model(tmp_path)["top1"] == 0.90  # no filter: any usable record
    everything = dict(resolution=64, dataset="tiny-imagenet", notebook="03_width_multiplier")
    assert results.best_model(tmp_path, class_names=CLASSES_10, **everything)["id"] == winner
    assert results.best_model(tmp_path, class_names=CLASSES_10, resolution=128) is None
    assert results.best_model(tmp_path, class_names=CLASSES_10, notebook="06_stanford_dogs") is None
    assert results.best_model(tmp_path, dataset="stanford-dogs") is None
    assert results.best_model(tmp_path / "missing") is None
    with pytest.raises(ValueError, match="class_names must be a list of strings"):
        results.best_model(tmp_path, class_names="n00")


def test_tables_no_longer_come_through_results():
    import mnlib.results.records as records

    assert not hasattr(results, "study") and not hasattr(records, "summarize")
    assert callable(tables.study)
