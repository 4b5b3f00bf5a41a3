"""mnlib.quantised: a quantised network's predictions against its float32 original's, image by image."""

import numpy as np
import pytest

from mnlib import quantised


def test_changed_predictions_and_the_paired_verdict():
    labels = np.array([0, 1, 2, 0, 1, 2])
    reference = np.eye(3)[[0, 1, 2, 0, 1, 0]]  # right on the first five
    int8 = np.eye(3)[[0, 1, 2, 1, 1, 0]]  # the fourth image changed, to a wrong class
    result = quantised.agreement(reference, int8, labels)
    assert result.changed == pytest.approx(1 / 6) and result.ties == 0
    assert result.quantised_correct.tolist() == [True, True, True, False, True, False]
    assert result.paired.a_only == 0 and result.paired.b_only == 1
    assert result.paired.difference == pytest.approx(-1 / 6)


def test_a_tie_in_the_quantised_output_is_a_change_and_wrong():
    labels = np.array([0, 1])
    reference = np.array([[0.6, 0.4], [0.3, 0.7]])
    int8 = np.array([[0.5, 0.5], [0.25, 0.75]])  # the first image: two classes share the top score
    result = quantised.agreement(reference, int8, labels)
    assert result.ties == 1
    assert result.changed == pytest.approx(0.5)  # argmax alone would pick class 0 and see no change
    assert result.quantised_correct.tolist() == [False, True]
    assert "1 tied" in str(result)


def test_bad_shapes_say_what_was_given():
    with pytest.raises(ValueError, match=r"\(2, 3\), \(2, 2\) and \(2,\)"):
        quantised.agreement(np.zeros((2, 3)), np.zeros((2, 2)), np.zeros(2))


def test_no_saved_network_is_none(tmp_path):
    assert quantised.saved_network(tmp_path) == (None, None)


def test_the_best_saved_network_comes_with_its_chance_verdict(tmp_path):
    import keras

    from mnlib import results

    x = keras.Input((4,))
    results.save_model(keras.Model(x, keras.layers.Dense(10, activation="softmax")(x)), tmp_path / "net.keras")
    correct = np.arange(100) < 60  # 60 of 100 images on 10 classes: above chance
    record = {field: None for field in results.REQUIRED}
    record.update(
        dataset="synthetic",
        classes=10,
        resolution=64,
        model="mobilenet",
        model_args={"alpha": 0.5},
        top1=0.6,
        top5=1.0,
        history={"loss": [1.0]},
        profile="smoke",
        epochs=1,
        batch_size=32,
        training={"optimizer": "adam"},
        notebook="06_stanford_dogs",
        model_file="net.keras",
        correct=results.pack_correct(correct),
    )
    results.write(record, tmp_path)
    found, verdict = quantised.saved_network(tmp_path)
    assert found["model_file"] == "net.keras"
    assert verdict.above and verdict.images == 100 and verdict.chance == pytest.approx(0.1)


def test_splits_of_a_record_and_of_one_whose_classes_are_not_there(tmp_path):
    record = {"dataset": "synthetic", "classes": 3, "notebook": "06_stanford_dogs"}
    train, evaluation = quantised.splits_of(record, tmp_path)
    assert len(train) > 0 and len(evaluation) > 0
    images, labels = quantised.images_of(evaluation, resolution=40, count=5, shuffle=True)
    assert images.shape == (5, 40, 40, 3) and labels.shape == (5,)
    assert -1.0 <= images.min() < images.max() <= 1.0  # MobileNet's scaling
    other = {**record, "class_names": ["not", "these", "classes"]}
    assert quantised.splits_of(other, tmp_path) is None
