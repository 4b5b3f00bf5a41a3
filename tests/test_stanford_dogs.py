"""Chapter 6's pieces: Stanford Dogs on its stand-in, the kept classifier, the confusion view, bad parameters."""

import json
import subprocess
import sys
from pathlib import Path

import mnlib  # noqa: F401  (imports TensorFlow quietly)

# isort: split
import keras
import matplotlib
import numpy as np
import pandas as pd
import pytest

from mnlib import confusion, data, models, plots, reference, train

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "06_stanford_dogs.ipynb"


@pytest.fixture(scope="module")
def dogs(tmp_path_factory):
    """A small Stanford Dogs stand-in: 4 breeds, 6 training and 3 test photos each."""
    root = tmp_path_factory.mktemp("dogs") / "stanford-dogs"
    return data.synthetic("stanford-dogs", root, classes=4, images_per_class=6, eval_images_per_class=3)


@pytest.mark.parametrize("k", [2, 3])
def test_loader_keeps_the_first_k_breeds_of_both_splits(dogs, k):
    train_set, names = data.stanford_dogs(dogs, "train", classes=k)
    test_set, test_names = data.stanford_dogs(dogs, "test", classes=k)
    assert list(names) == list(test_names) and len(names) == k
    assert sorted(set(train_set.files.labels)) == list(range(k)) and len(train_set) == 6 * k
    assert sorted(set(test_set.files.labels)) == list(range(k)) and len(test_set) == 3 * k
    image, label = next(iter(train_set))
    assert image.shape[-1] == 3 and 128 <= image.shape[0] <= 320 and int(label) == 0


def test_every_photo_has_its_annotated_box_inside_it(dogs):
    train_set, _ = data.stanford_dogs(dogs, "train")
    boxes = data.dog_boxes(train_set.files.paths)
    sizes = data.image_sizes(train_set.files.paths)
    assert len(boxes) == len(sizes)
    for (width, height), box in zip(sizes, boxes):
        assert box.shape == (1, 4)
        x0, y0, x1, y1 = box[0]
        assert 0 <= x0 < x1 < width and 0 <= y0 < y1 < height
    assert data.dog_boxes([str(dogs / "Images" / "nowhere" / "missing.jpg")])[0].shape == (0, 4)


def test_box_grid_draws_one_rectangle_per_box(dogs):
    train_set, names = data.stanford_dogs(dogs, "train")
    fig = data.box_grid(train_set, names, images=4)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 4 and all(len(ax.patches) == 1 for ax in drawn)
    with pytest.raises(ValueError, match="1 to 12"):
        data.box_grid(train_set, names, images=0)


@pytest.mark.parametrize("bad", [0, 1, 121, 4.0, "4", True])
def test_classes_outside_two_to_120_fail_with_the_range(bad):
    with pytest.raises(ValueError, match="from 2 to 120"):
        data.check_classes("stanford-dogs", bad)


def test_classes_beyond_the_stand_in_say_to_use_the_real_dataset():
    assert data.check_classes("stanford-dogs", 120) == 120
    assert data.check_classes("synthetic", 10) == 10
    with pytest.raises(ValueError, match="stand-in has 10 classes.*PROFILE = 'full'"):
        data.check_classes("synthetic", 11)


def test_a_resolution_under_32_fails_before_training(dogs, tmp_path):
    train_set, names = data.stanford_dogs(dogs, "train", classes=2)
    with pytest.raises(ValueError, match="resolution must be an integer number of pixels >= 32"):
        train.run(train_set, train_set, dataset="synthetic", classes=2, resolution=31, epochs=1,
                  results_dir=tmp_path)  # fmt: skip
    assert not list(tmp_path.iterdir())


def test_saved_classifier_reloads_with_the_same_predictions_and_a_rerun_loads_it(dogs, tmp_path):
    train_set, names = data.stanford_dogs(dogs, "train", classes=2)
    test_set, _ = data.stanford_dogs(dogs, "test", classes=2)
    built = []

    def small_mobilenet(input_shape, classes):
        built.append(models.mobilenet(alpha=0.25, input_shape=input_shape, classes=classes))
        return built[-1]

    options = dict(dataset="synthetic", classes=2, resolution=32, epochs=1, batch_size=4, model=small_mobilenet,
                   results_dir=tmp_path, notebook="06_stanford_dogs", class_names=names, save_model=True,
                   verbose=0)  # fmt: skip
    record = train.run(train_set, test_set, **options)
    assert record["model_file"] == f"{record['id']}.keras" and (tmp_path / record["model_file"]).is_file()
    assert record["class_names"] == names.readable
    assert json.loads((tmp_path / f"{record['id']}.json").read_text())["model_file"] == record["model_file"]

    loaded = keras.models.load_model(tmp_path / record["model_file"])
    images = next(iter(data.pipeline(test_set, resolution=32, batch_size=6, shuffle=False)))[0]
    np.testing.assert_allclose(loaded(images, training=False), built[0](images, training=False), atol=1e-5)
    assert loaded.output_shape == (None, 2)

    again = train.run(train_set, test_set, **options)
    assert len(built) == 1 and again["id"] == record["id"] and again["model_file"] == record["model_file"]
    (tmp_path / record["model_file"]).unlink()  # a record without its model: trained again, to save it
    train.run(train_set, test_set, **options)
    assert len(built) == 2 and (tmp_path / record["model_file"]).is_file()


def test_confusion_matrix_and_its_top_pairs():
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    predicted = np.array([0, 1, 1, 1, 0, 2, 1, 2, 2])
    counts = confusion.matrix(labels, predicted, 3)
    np.testing.assert_array_equal(counts, [[1, 2, 0], [1, 1, 0], [0, 1, 3]])
    pairs = confusion.top_pairs(counts, ["a", "b", "c"], n=5)
    assert list(zip(pairs["true"], pairs["predicted"], pairs["images"])) == [("a", "b", 2), ("b", "a", 1),
                                                                            ("c", "b", 1)]  # fmt: skip
    assert pairs["share"].tolist() == pytest.approx([2 / 3, 1 / 2, 1 / 4])
    assert confusion.top_pairs(np.eye(3, dtype=int), ["a", "b", "c"]).empty
    with pytest.raises(ValueError, match="0 .. 2"):
        confusion.matrix([0, 3], [0, 0], 3)
    with pytest.raises(ValueError, match="3 names for a 2-class"):
        confusion.top_pairs(np.eye(2, dtype=int), ["a", "b", "c"])


def test_pairs_figure_shows_the_mistaken_photos_and_the_other_class(dogs):
    test_set, names = data.stanford_dogs(dogs, "test", classes=2)
    labels = test_set.files.labels
    predicted = np.ones_like(labels)  # every photo taken for breed 1
    pairs = confusion.top_pairs(confusion.matrix(labels, predicted, 2), names)
    fig = confusion.pairs_figure(test_set, labels, predicted, pairs, per_pair=2)
    assert sum(1 for ax in fig.axes if ax.images) == 4  # 2 of breed 0 taken for 1, 2 real breed 1


def test_curve_panels_draws_training_and_validation_per_run():
    runs = pd.DataFrame({"run": ["a", "b"], "history": [{"val_top1": [0.2, 0.4], "top1": [0.3, 0.6]},
                                                       {"val_top1": [0.1], "top1": [0.2]}]})  # fmt: skip
    fig = plots.curve_panels(runs, panel="run", classes=4, title="t")
    drawn = [ax for ax in fig.axes if ax.lines]
    assert len(drawn) == 2 and [ax.get_title() for ax in drawn] == ["a", "b"]
    assert len(drawn[0].lines) == 3  # validation, training, chance
    with pytest.raises(ValueError, match="empty"):
        plots.curve_panels(runs.iloc[:0], panel="run")


def test_the_published_dog_figures():
    paper = reference.paper_dogs().set_index("model")
    assert paper.loc["1.0 MobileNet-224", "top1"] == 83.3 and paper.loc["Inception V3", "top1"] == 84.0
    report = reference.report_dogs().set_index("model")
    assert report["top1"].to_dict() == {"mobilenet": 49.4, "vgg16": 25.8, "inception_v3": 20.78}


def _papermill(tmp_path, *parameters):
    out = tmp_path / "out.ipynb"
    command = [sys.executable, "-m", "papermill", str(NOTEBOOK), str(out), "-p", "RESULTS_DIR", str(tmp_path / "r"),
               "-p", "DATA_DIR", str(tmp_path / "data"), *parameters]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1200)


@pytest.mark.parametrize("parameter, value", [("CLASSES", "121"), ("CLASSES", "0"), ("RESOLUTION", "31")])
def test_the_chapter_refuses_bad_values_before_training(tmp_path, parameter, value):
    result = _papermill(tmp_path, "-p", parameter, value)
    assert result.returncode != 0
    assert "ValueError" in result.stderr + result.stdout
    assert not (tmp_path / "r").exists() or not list((tmp_path / "r").glob("*.json"))


def test_the_chapter_at_96_px_on_4_breeds_keeps_a_classifier_of_4_classes(tmp_path):
    result = _papermill(tmp_path, "-p", "RESOLUTION", "96", "-p", "CLASSES", "4", "-p", "EPOCHS", "1",
                        "-y", "RESOLUTIONS: []")  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    records = [json.loads(p.read_text()) for p in (tmp_path / "r").glob("*.json")]
    kept = [r for r in records if r["notebook"] == "06_stanford_dogs" and r["model"] == "mobilenet"]
    assert kept and all((r["resolution"], r["classes"], r["dataset"]) == (96, 4, "synthetic") for r in kept)
    record = kept[0]
    assert len(record["class_names"]) == 4 and 0 <= record["top1"] <= 1
    classifier = keras.models.load_model(tmp_path / "r" / record["model_file"])
    assert classifier.predict(np.zeros((2, 96, 96, 3), "float32"), verbose=0).shape == (2, 4)


def test_confusion_arguments_are_checked_with_one_behaviour_for_numpy_and_booleans():
    labels = np.array([0, 1, 1])
    assert confusion.matrix(labels, labels, np.int64(2)).shape == (2, 2)  # a NumPy integer is an integer
    with pytest.raises(ValueError, match="classes must be an integer >= 2, got True"):
        confusion.matrix(labels, labels, True)
    counts = confusion.matrix(labels, labels, 2)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        confusion.top_pairs(counts, ["a", "b"], n=0)
