"""mnlib.train.run trains the baselines: from scratch, frozen, then fine-tuned, and says how in the record.

No ImageNet weights can be downloaded here: the transfer runs load weights
files that these tests save themselves from randomly initialised bodies. The
code path is the one ImageNet weights take (a file of the body without its top).
"""

import json

import mnlib  # noqa: F401  (imports TensorFlow quietly)

# isort: split
import keras
import numpy as np
import pytest

from mnlib import costs, data, models, train
from mnlib.baselines import INCEPTION_MIN_SIZE, baseline
from mnlib.train import experiment, loop, phases

CLASSES = 4
RESOLUTION = 32


@pytest.fixture(autouse=True)
def eager_training(monkeypatch):
    """Train eagerly: for two steps, tracing InceptionV3's training graph takes a minute, running it seconds."""
    compile_as_usual = loop._compile

    def compile_eagerly(model, **kwargs):
        compile_as_usual(model, **kwargs)
        model.run_eagerly = True

    monkeypatch.setattr(loop, "_compile", compile_eagerly)


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    """A tiny stand-in for Tiny ImageNet: 4 classes, 8 training and 4 validation images each."""
    root = data.synthetic("tiny-imagenet", tmp_path_factory.mktemp("stand-in") / "tiny", classes=CLASSES,
                          images_per_class=8, eval_images_per_class=4, quirks=False)  # fmt: skip
    return data.tiny_imagenet(root, "train")[0], data.tiny_imagenet(root, "val")[0]


def _save_body(name, path, alpha=1.0):
    """Save a randomly initialised body of ``name`` (not ImageNet weights: none can be had here); return its weights.

    One training-mode pass with momentum 0 sets each batch-norm layer's
    statistics to those of its input, so that the body passes a signal in
    inference mode (with the initial statistics a random MobileNet passes almost nothing).
    """
    keras.utils.set_random_seed(0)
    side = INCEPTION_MIN_SIZE if name == "inception_v3" else RESOLUTION
    if name == "mobilenet":
        body = models.mobilenet(alpha=alpha, input_shape=(side, side, 3), include_top=False)
    else:
        application = {"vgg16": keras.applications.VGG16, "inception_v3": keras.applications.InceptionV3}[name]
        body = application(include_top=False, weights=None, input_shape=(side, side, 3))
    norms = [layer for layer in body.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in norms:
        layer.momentum = 0.0
    body(np.random.default_rng(0).uniform(-1, 1, (4, side, side, 3)).astype("float32"), training=True)
    body.save_weights(path)
    return dict(map(_item, body.weights))


def _item(weight):
    """``("layer/variable", values)``: the same key in the body saved alone and nested as ``base``."""
    return "/".join(weight.path.split("/")[-2:]), np.array(weight)


def _options(tmp_path, **changes):
    options = dict(dataset="synthetic", classes=CLASSES, resolution=RESOLUTION, epochs=1, batch_size=16,
                   recalibrate=1, results_dir=tmp_path / "results", verbose=0)  # fmt: skip
    return options | changes


def _base_weights(model):
    return dict(map(_item, model.get_layer("base").weights))


def _statistics(weights):
    return {k for k in weights if k.endswith(("moving_mean", "moving_variance"))}


def test_a_transfer_model_trains_frozen_then_fine_tunes(tmp_path, monkeypatch, stand_in):
    saved = _save_body("mobilenet", tmp_path / "body.weights.h5", alpha=0.25)
    real_fit, after_phase = train.fit, []

    def watched_fit(model, *args, **kwargs):  # the base's weights after each phase
        result = real_fit(model, *args, **kwargs)
        after_phase.append(_base_weights(model))
        return result

    monkeypatch.setattr(phases, "fit", watched_fit)
    tune = {"epochs": 1, "layers": 6, "learning_rate": 1e-3}
    record = train.run(
        *stand_in,
        **_options(
            tmp_path,
            model="mobilenet",
            fine_tune=tune,
            model_args={"alpha": 0.25, "weights": str(tmp_path / "body.weights.h5")},
        ),
    )

    frozen, tuned = after_phase
    for key, value in saved.items():  # the frozen phase changes nothing in the base, statistics included
        np.testing.assert_array_equal(frozen[key], value, err_msg=key)
    changed = {key.split("/")[0] for key in saved if not np.array_equal(tuned[key], saved[key])}
    assert changed == {"conv_dw_13", "conv_pw_13"}  # the top 6 layers' kernels; not their batch norm
    assert all(np.array_equal(tuned[key], saved[key]) for key in _statistics(saved))  # ImageNet statistics kept

    assert [p["name"] for p in record["phases"]] == ["frozen base", "fine-tune"]
    assert [p["epochs"] for p in record["phases"]] == [1, 1]
    first, second = (p["trainable_params"] for p in record["phases"])
    assert first == record["trainable_params"] < second < record["params"]
    assert record["epochs"] == 1 and record["history"]["phase"] == ["frozen base", "fine-tune"]
    assert len(record["history"]["val_top1"]) == 2 and record["history"]["learning_rate"][1] < 1e-3
    assert record["training"]["fine_tune"]["layers"] == 6 and record["training"]["fine_tune"]["learning_rate"] == 1e-3
    assert record["seconds"] == pytest.approx(sum(p["seconds"] for p in record["phases"]), abs=0.02)


def test_a_run_cut_off_while_fine_tuning_resumes_there(tmp_path, monkeypatch, stand_in):
    _save_body("mobilenet", tmp_path / "body.weights.h5", alpha=0.25)
    real_fit, calls = train.fit, []

    class Disconnect(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("disconnected")

    def fit_with_a_disconnect(*args, callbacks=(), **kwargs):
        calls.append(kwargs["epochs"])
        extra = [Disconnect()] if len(calls) == 2 else []  # the first session's fine-tuning phase
        history, seconds = real_fit(*args, callbacks=[*callbacks, *extra], **kwargs)
        calls[-1] = len(history["loss"])
        return history, seconds

    monkeypatch.setattr(phases, "fit", fit_with_a_disconnect)
    options = _options(
        tmp_path,
        model="mobilenet",
        fine_tune={"epochs": 2, "layers": 3},
        model_args={"alpha": 0.25, "weights": str(tmp_path / "body.weights.h5")},
    )
    with pytest.raises(RuntimeError, match="disconnected"):
        train.run(*stand_in, **options)
    written = [json.loads(path.read_text()) for path in (tmp_path / "results").glob("*.json")]
    assert not [r for r in written if r["training"].get("fine_tune")]  # the frozen phase's own record may be there
    record = train.run(*stand_in, **options)
    assert record["history"]["phase"] == ["frozen base", "fine-tune", "fine-tune"]
    assert [p["epochs"] for p in record["phases"]] == [1, 2]
    assert not (tmp_path / "results" / "backup").exists()


def test_fine_tuning_needs_pretrained_weights(tmp_path, monkeypatch, stand_in):
    def must_not_build(*args, **kwargs):
        raise AssertionError("built before checking fine_tune")

    monkeypatch.setattr(experiment, "_build", must_not_build)
    with pytest.raises(ValueError, match="pretrained"):
        train.run(*stand_in, **_options(tmp_path, model="vgg16", fine_tune={"epochs": 1, "layers": 4}))
    with pytest.raises(ValueError, match="layers"):
        train.check(**_options(tmp_path, model="vgg16", model_args={"weights": "imagenet"},
                               fine_tune={"epochs": 1, "layers": 0}))  # fmt: skip


@pytest.mark.parametrize("name", ["vgg16", "inception_v3"])
def test_each_baseline_trains_through_run_and_says_how(name, tmp_path, stand_in):
    side = INCEPTION_MIN_SIZE if name == "inception_v3" else RESOLUTION  # the pipeline upsamples for InceptionV3
    quick = dict(recalibrate=0)  # batch-norm re-estimation is tested in test_train; tracing it here costs seconds
    scratch = train.run(*stand_in, **_options(tmp_path, model=name, **quick))
    expected = baseline(name, (side, side, 3), CLASSES)
    norms = [layer for layer in expected.layers if isinstance(layer, keras.layers.BatchNormalization)]
    statistics = sum(2 * int(layer.moving_mean.shape[0]) for layer in norms)  # VGG16 has none
    assert scratch["params"] == expected.count_params()
    assert scratch["trainable_params"] == scratch["params"] - statistics  # all but batch-norm statistics
    assert scratch["input_resolution"] == side and scratch["resolution"] == RESOLUTION
    assert scratch["mult_adds"] == int(costs.model_cost(expected)["mult_adds"].sum())
    assert scratch["training"]["family"] == name and scratch["inference_images_per_second"] > 0
    assert [p["name"] for p in scratch["phases"]] == ["train"] and "phase" not in scratch["history"]

    _save_body(name, tmp_path / "body.weights.h5")
    weights = {"weights": str(tmp_path / "body.weights.h5")}
    transfer = train.run(*stand_in, **_options(tmp_path, model=name, model_args=weights, **quick))
    assert transfer["params"] > transfer["trainable_params"] == transfer["phases"][0]["trainable_params"]
    assert transfer["phases"][0]["name"] == "frozen base" and transfer["id"] != scratch["id"]
