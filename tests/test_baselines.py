"""mnlib.baselines: MobileNet, VGG16 and InceptionV3 from scratch and by transfer, and unfreeze."""

import time

import mnlib  # noqa: F401  (imports TensorFlow quietly)

# isort: split
import h5py
import keras
import numpy as np
import pytest

from mnlib import baselines, costs, data, models
from mnlib.baselines import BASELINES, baseline, unfreeze

# The smallest body input each architecture takes; the bodies' weights do not
# depend on the input size, so a file saved at one size loads at any other.
_BODY_SIZE = {"mobilenet": 32, "vgg16": 32, "inception_v3": 75}


def _body(name, alpha=1.0):
    """A randomly initialised body whose batch-norm statistics fit its own activations.

    With the initial statistics (mean 0, variance 1) a random MobileNet in
    inference mode passes almost nothing through (features ~1e-19), so no
    gradient would reach the head's first kernel; one training-mode pass with
    momentum 0 sets each layer's statistics to those of its input.
    """
    shape = (_BODY_SIZE[name],) * 2 + (3,)
    if name == "mobilenet":
        body = models.mobilenet(alpha=alpha, input_shape=shape, include_top=False)
    else:
        application = {"vgg16": keras.applications.VGG16, "inception_v3": keras.applications.InceptionV3}[name]
        body = application(include_top=False, weights=None, input_shape=shape)
    norms = [layer for layer in body.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in norms:
        layer.momentum = 0.0
    body(_batches(shape, 2)[0], training=True)
    for layer in norms:
        layer.momentum = 0.99
    return body


@pytest.fixture(scope="module")
def body_files(tmp_path_factory):
    """``{name: (path, weights)}``: each body's weights, randomly initialised and saved.

    No ImageNet weights can be downloaded here, so these files stand in for
    them: the transfer code reads a file of the same structure either way.
    """
    folder = tmp_path_factory.mktemp("bodies")
    keras.utils.set_random_seed(0)
    files = {}
    for name in BASELINES:
        body = _body(name)
        path = folder / f"{name}.weights.h5"
        body.save_weights(path)
        files[name] = (path, body.get_weights())
    return files


def _batches(shape, classes, count=8, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (count, *shape)).astype("float32")
    return images, rng.integers(0, classes, count)


def _values(weights):
    return [np.array(w) for w in weights]


def _compile(model):
    # Eagerly: for two steps, tracing the training graph costs far more than running it.
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy", run_eagerly=True)


def test_registry_names_a_preprocessing_family_for_each_baseline():
    assert set(baselines.FAMILY) == set(BASELINES)
    assert set(baselines.FAMILY.values()) <= set(data.FAMILIES)


def test_models_does_not_import_baselines():
    """mnlib.models comes first (chapter 2), mnlib.baselines builds on it: no import the other way."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(models))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert "baselines" not in imported and "mnlib.baselines" not in imported


def test_numpy_integers_are_accepted_as_sizes_and_classes():
    model = baseline("vgg16", (np.int64(32), 32, 3), np.int64(3))
    assert model.output.shape[1:] == (3,)


@pytest.mark.parametrize("name", BASELINES)
def test_from_scratch_builds_at_64_px_and_trains(name):
    model = baseline(name, (64, 64, 3), 5)
    assert model.output.shape[1:] == (5,)
    assert len(model.trainable_weights) == len([w for w in model.weights if w.trainable]) > 4
    before = _values(model.trainable_weights)
    _compile(model)
    history = model.fit(*_batches((64, 64, 3), 5), batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    changed = [not np.array_equal(a, b) for a, b in zip(before, _values(model.trainable_weights))]
    assert all(changed)  # every layer trains, the first convolution included


def test_inception_upsamples_small_inputs_to_75_px_and_model_cost_counts_it():
    model = baseline("inception_v3", (64, 64, 3), 5)
    assert model.get_layer("resize").output.shape[1:] == (75, 75, 3)
    cost = costs.model_cost(model).set_index("layer")
    assert cost.loc["resize", "mult_adds"] == 0  # resizing is not a Mult-Add
    first = model.layers[2]  # the stem's first convolution, stride 2 on the 75 px image
    assert cost.loc[first.name, "mult_adds"] == 3 * 3 * 3 * 32 * 37 * 37
    assert cost["params"].sum() == model.count_params()
    assert "resize" not in [layer.name for layer in baseline("inception_v3", (75, 75, 3), 5).layers]


@pytest.mark.parametrize("name", BASELINES)
def test_transfer_loads_the_file_and_trains_only_the_head(name, body_files):
    path, saved = body_files[name]
    model = baseline(name, (64, 64, 3), 5, weights=path)
    base = model.get_layer("base")
    for got, want in zip(base.get_weights(), saved, strict=True):
        np.testing.assert_array_equal(got, want)
    assert [w.path.split("/")[0] for w in model.trainable_weights] == ["hidden"] * 2 + ["predictions"] * 2

    head_before = _values(model.trainable_weights)
    _compile(model)
    model.fit(*_batches((64, 64, 3), 5), batch_size=4, epochs=1, verbose=0)
    for got, want in zip(base.get_weights(), saved):  # batch-norm statistics included
        np.testing.assert_array_equal(got, want)
    assert all(not np.array_equal(a, b) for a, b in zip(head_before, _values(model.trainable_weights)))


@pytest.mark.parametrize("name, trainable", [("mobilenet", 1_172_600), ("vgg16", 648_312), ("inception_v3", 2_221_176)])
def test_transfer_head_parameters_for_stanford_dogs(name, trainable, body_files):
    model = baseline(name, (_BODY_SIZE[name],) * 2 + (3,), 120, weights=body_files[name][0])
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == trainable


def test_weights_for_another_body_are_refused(body_files, tmp_path):
    with pytest.raises(ValueError, match="seems to hold the weights of vgg16"):
        baseline("mobilenet", (32, 32, 3), 5, weights=body_files["vgg16"][0])
    with pytest.raises(ValueError, match="seems to hold the weights of mobilenet"):
        baseline("vgg16", (32, 32, 3), 5, weights=body_files["mobilenet"][0])
    with pytest.raises(ValueError, match="seems to hold the weights of inception_v3"):
        baseline("vgg16", (32, 32, 3), 5, weights=body_files["inception_v3"][0])
    thin = tmp_path / "thin.weights.h5"
    _body("mobilenet", alpha=0.5).save_weights(thin)
    with pytest.raises(ValueError, match="shapes differ"):
        baseline("mobilenet", (32, 32, 3), 5, weights=thin)


def _write_keras_h5(model, path, rng):
    """Save ``model``'s weights in the legacy HDF5 layout of Keras' published files; return the values."""
    values = []
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        for layer in model.layers:
            group = f.create_group(layer.name)
            names = [f"{layer.name}/{w.name}:0" for w in layer.weights]
            group.attrs["weight_names"] = [n.encode() for n in names]
            for weight_name, weight in zip(names, layer.weights):
                values.append(rng.uniform(0.5, 1.5, weight.shape).astype("float32"))
                group.create_dataset(weight_name, data=values[-1])
    return values


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty Keras cache and no network: reaching any server raises OSError at once."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))

    def unreachable(url, timeout):
        raise OSError(f"[test] no route to {url}")

    monkeypatch.setattr(models, "_probe", unreachable)
    return tmp_path / "keras" / "models"


def test_imagenet_mobilenet_at_64_px_loads_the_224_file_from_the_cache(offline):
    # Stands in for Keras' published file (same name, same layout), since no
    # ImageNet weights can be downloaded here.
    offline.mkdir(parents=True)
    reference = models.mobilenet(alpha=0.25, input_shape=(224, 224, 3), include_top=False)
    expected = _write_keras_h5(reference, offline / "mobilenet_2_5_224_tf_no_top.h5", np.random.default_rng(0))
    model = baseline("mobilenet", (64, 64, 3), 5, weights="imagenet", alpha=0.25)
    for got, want in zip(model.get_layer("base").get_weights(), expected, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "name, size, file_name",
    [
        ("vgg16", 64, "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        ("inception_v3", 64, "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        ("mobilenet", 64, "mobilenet_1_0_224_tf_no_top.h5"),
        ("mobilenet", 160, "mobilenet_1_0_160_tf_no_top.h5"),
    ],
)
def test_imagenet_offline_fails_fast_and_says_what_to_do(offline, monkeypatch, name, size, file_name):
    def no_build(*args, **kwargs):
        raise AssertionError("a body was built before the weights were fetched")

    monkeypatch.setattr(baselines, "_base", no_build)
    start = time.perf_counter()
    with pytest.raises(ConnectionError) as caught:
        baseline(name, (size, size, 3), 5, weights="imagenet")
    assert time.perf_counter() - start < 10
    message = str(caught.value)
    assert file_name in message
    assert str(offline) in message
    assert "Colab" in message


def test_a_cached_file_with_the_wrong_checksum_is_refused(offline):
    offline.mkdir(parents=True)
    (offline / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5").write_bytes(b"not the weights")
    with pytest.raises(ValueError, match="MD5"):
        baseline("vgg16", (64, 64, 3), 5, weights="imagenet")


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        (("resnet50", (64, 64, 3), 5), {}, ValueError, "'mobilenet', 'vgg16', 'inception_v3'"),
        (("vgg16", (64, 64, 3), 1), {}, ValueError, "classes must be an integer >= 2"),
        (("vgg16", (64, 64, 3), 2.0), {}, ValueError, "classes"),
        (("mobilenet", (31, 64, 3), 5), {}, ValueError, "input height must be an integer >= 32, got 31"),
        (("vgg16", (64, 64, 3), True), {}, ValueError, "classes must be an integer >= 2, got True"),
        (("vgg16", (64, 64, 3), 5), {"dropout": np.True_}, ValueError, "dropout"),
        (("vgg16", (64, 64), 5), {}, ValueError, "three integers"),
        (("vgg16", (64, 64, 1), 5), {"weights": "imagenet"}, ValueError, "input channels .* RGB"),
        (("vgg16", (64, 64, 3), 5), {"alpha": 0.5}, ValueError, "MobileNet's"),
        (
            ("mobilenet", (64, 64, 3), 5),
            {"alpha": 0.6, "weights": "imagenet"},
            ValueError,
            r"alpha must be one of \(0.25",
        ),
        (("mobilenet", (64, 64, 3), 5), {"hidden_units": 64}, ValueError, "transfer head"),
        (("mobilenet", (64, 64, 3), 5), {"weights": "imagenet", "hidden_units": 0}, ValueError, ">= 1"),
        (("mobilenet", (64, 64, 3), 5), {"dropout": 1.0}, ValueError, r"\[0, 1\)"),
        (("mobilenet", (64, 64, 3), 5), {"weights": 3}, ValueError, "path of a weights file"),
        (("vgg16", (64, 64, 3), 5), {"weights": "no/such/file.weights.h5"}, FileNotFoundError, "no/such/file"),
    ],
)
def test_bad_arguments_fail_before_anything_is_built_or_fetched(args, kwargs, error, message, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("something was built or fetched before the arguments were checked")

    for target, attribute in [(baselines, "_from_scratch"), (baselines, "_base"), (models, "fetch_imagenet_weights")]:
        monkeypatch.setattr(target, attribute, fail)
    with pytest.raises(error, match=message):
        baseline(*args, **kwargs)


def test_unfreeze_opens_the_top_of_the_base_and_keeps_batch_norm_frozen(body_files):
    path, saved = body_files["mobilenet"]
    model = baseline("mobilenet", (32, 32, 3), 5, weights=path)
    base = model.get_layer("base")
    opened = unfreeze(model, layers=6)
    # The top six layers are conv_dw_13, its batch norm and ReLU, then conv_pw_13, its batch norm and ReLU.
    assert opened == ["conv_dw_13", "conv_pw_13"]
    norms = [layer for layer in base.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and not any(layer.trainable for layer in norms)
    assert [layer.name for layer in base.layers[:-6] if layer.trainable] == []

    _compile(model)
    model.fit(*_batches((32, 32, 3), 5), batch_size=4, epochs=1, verbose=0)
    after = dict(zip([w.path for w in base.weights], base.get_weights()))
    before = dict(zip([w.path for w in base.weights], saved))
    changed = {p.split("/")[0] for p in after if not np.array_equal(after[p], before[p])}
    assert changed == {"conv_dw_13", "conv_pw_13"}  # batch-norm statistics and the lower layers stay

    assert unfreeze(model, layers=0) == []
    assert len(model.trainable_weights) == 4


def test_unfreeze_refuses_a_model_without_base_and_a_bad_count(body_files):
    with pytest.raises(ValueError, match="no nested 'base'"):
        unfreeze(baseline("mobilenet", (32, 32, 3), 5), layers=3)
    model = baseline("mobilenet", (32, 32, 3), 5, weights=body_files["mobilenet"][0])
    count = len(model.get_layer("base").layers)
    with pytest.raises(ValueError, match=rf"layers must be an integer in \[0, {count}\], got {count + 1}"):
        unfreeze(model, layers=count + 1)


@pytest.mark.parametrize("name", ["vgg16", "inception_v3"])
def test_one_compiled_training_step_trains_every_layer_and_fits_a_batch(name):
    """model.fit as the course calls it (a traced graph, not eager): every weight moves and the batch's loss falls."""
    import tensorflow as tf

    traced = []  # tf.executing_eagerly() at each Python call of the loss: False inside a traced step

    def loss(labels, probabilities):
        traced.append(not tf.executing_eagerly())
        return keras.losses.sparse_categorical_crossentropy(labels, probabilities)

    keras.utils.set_random_seed(0)
    model = baseline(name, (32, 32, 3), 3)
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=loss)
    images, labels = _batches((32, 32, 3), 3, count=8)
    learnable = [w for w in model.weights if "moving_" not in w.path]  # all but batch norm's statistics
    assert len(model.trainable_weights) == len(learnable)  # every layer trains, from the first convolution
    before_weights = _values(model.trainable_weights)
    losses = model.fit(images, labels, batch_size=8, epochs=6, verbose=0, shuffle=False).history["loss"]
    assert traced and all(traced)  # traced once or twice, never run eagerly step by step
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]  # the same batch, six steps: it fits it
    changed = [not np.array_equal(a, b) for a, b in zip(before_weights, _values(model.trainable_weights))]
    assert all(changed)
