"""mnlib.models: the paper's network, layer for layer the same as Keras'."""

import os
import subprocess
import sys
import textwrap

import mnlib  # noqa: F401  (imports TensorFlow quietly)

# isort: split
import keras
import numpy as np
import pytest

from mnlib.models import TABLE_1, mobilenet


def _random_weights(model, seed=0):
    """Random values for every weight, batch-norm variances kept positive."""
    rng = np.random.default_rng(seed)
    values = []
    for weight in model.weights:
        value = rng.normal(0, 0.2, weight.shape)
        if "variance" in weight.path:
            value = np.abs(value) + 0.5
        values.append(value.astype("float32"))
    return values


@pytest.mark.parametrize(
    "alpha, input_shape, classes, include_top",
    [
        (1.0, (224, 224, 3), 1000, True),
        (0.75, (64, 64, 3), 10, True),
        (0.5, (96, 128, 3), 200, True),
        (0.25, (32, 32, 3), 7, False),
        (0.6, (45, 37, 3), 3, True),
    ],
)
def test_same_network_as_keras(alpha, input_shape, classes, include_top):
    ours = mobilenet(alpha=alpha, input_shape=input_shape, classes=classes, include_top=include_top)
    theirs = keras.applications.MobileNet(
        alpha=alpha, input_shape=input_shape, classes=classes, include_top=include_top, weights=None
    )
    assert [type(layer) for layer in ours.layers] == [type(layer) for layer in theirs.layers]
    assert [w.shape for w in ours.weights] == [w.shape for w in theirs.weights]
    theirs.set_weights(_random_weights(theirs))
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(1).uniform(-1, 1, (2, *input_shape)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours(x, training=False)),
        keras.ops.convert_to_numpy(theirs(x, training=False)),
        atol=1e-5,
        rtol=1e-5,
    )


def test_table_1_shapes():
    model = mobilenet(include_top=False)
    # The feature map halves at the first conv and at every stride-2 block.
    size = 112
    for block_id, (filters, stride) in enumerate(TABLE_1, start=1):
        size //= stride
        assert model.get_layer(f"conv_pw_{block_id}").output.shape[1:] == (size, size, filters)
    assert model.output.shape[1:] == (7, 7, 1024)


def test_shallow_removes_the_five_14x14_blocks():
    deep, shallow = mobilenet(), mobilenet(shallow=True)
    deep_names = {layer.name for layer in deep.layers}
    shallow_names = {layer.name for layer in shallow.layers}
    assert deep_names - shallow_names == {
        f"conv_{part}_{i}{suffix}" for i in range(7, 12) for part in ("dw", "pw") for suffix in ("", "_bn", "_relu")
    }
    assert shallow.output.shape[1:] == (1000,)


def test_width_multiplier_scales_every_layer():
    model = mobilenet(alpha=0.5, include_top=False)
    assert model.get_layer("conv1").filters == 16
    assert model.get_layer("conv_pw_13").filters == 512


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"alpha": 0}, "alpha"),
        ({"alpha": 1.5}, r"\(0, 1\]"),
        ({"alpha": -0.5}, "alpha"),
        ({"alpha": "1"}, "alpha"),
        ({"input_shape": (31, 64, 3)}, "input height must be an integer >= 32"),
        ({"input_shape": (64, 64.0, 3)}, "input_shape"),
        ({"classes": True}, "classes must be an integer >= 1, got True"),
        ({"input_shape": (64, 64)}, "three integers"),
        ({"classes": 0}, "classes"),
        ({"classes": 2.5}, "classes"),
        ({"dropout": 1.0}, "dropout"),
        ({"weights": "imagenet", "alpha": 0.6}, "alpha in"),
        ({"weights": "imagenet", "input_shape": (64, 64, 3)}, "square input"),
        ({"weights": "imagenet", "classes": 10}, "classes=1000"),
        ({"weights": "imagenet", "shallow": True}, "shallow=False"),
        ({"weights": "no/such/file.h5"}, "path of a weights file"),
    ],
)
def test_bad_arguments_raise_before_building(kwargs, message, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("a layer was built before the arguments were checked")

    monkeypatch.setattr(keras, "Input", fail)
    with pytest.raises(ValueError, match=message):
        mobilenet(**kwargs)


# Loading ImageNet weights runs in a fresh interpreter, because Keras reads
# KERAS_HOME (where its cache lives) once, when it is imported.
_IMAGENET_SCRIPT = textwrap.dedent(
    """
    import os, sys
    import h5py, numpy as np
    import mnlib, keras
    from mnlib import models

    alpha, size, include_top = 0.25, 128, {include_top}
    reference = keras.applications.MobileNet(
        alpha=alpha, input_shape=(size, size, 3), include_top=include_top, weights=None)
    rng = np.random.default_rng(0)
    # A weights file in Keras' published (legacy HDF5) format, in Keras' cache.
    path = os.path.join(os.environ["KERAS_HOME"], "models",
                        models.imagenet_weights_file(alpha, size, include_top))
    os.makedirs(os.path.dirname(path))
    expected = []
    with h5py.File(path, "w") as f:
        with_weights = [layer for layer in reference.layers if layer.weights]
        f.attrs["layer_names"] = [layer.name.encode() for layer in reference.layers]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        for layer in reference.layers:
            group = f.create_group(layer.name)
            names = [f"{{layer.name}}/{{w.name}}:0".encode() for w in layer.weights]
            group.attrs["weight_names"] = names
            for name, w in zip(names, layer.weights):
                value = rng.uniform(0.5, 1.5, w.shape).astype("float32")
                group.create_dataset(name.decode(), data=value)
                expected.append(value)
    ours = models.mobilenet(alpha=alpha, input_shape=(size, size, 3),
                            include_top=include_top, weights="imagenet")
    for got, want in zip(ours.get_weights(), expected):
        np.testing.assert_array_equal(got, want)
    assert len(ours.get_weights()) == len(expected)
    theirs = keras.applications.MobileNet(alpha=alpha, input_shape=(size, size, 3),
                                          include_top=include_top, weights="imagenet")
    x = rng.uniform(-1, 1, (1, size, size, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), atol=1e-5)

    # Offline, a missing file fails at once with a message saying what to do.
    models.WEIGHTS_URL = "http://127.0.0.1:9/"
    try:
        models.mobilenet(alpha=0.5, input_shape=(160, 160, 3), weights="imagenet")
    except OSError as error:
        message = str(error)
        assert "mobilenet_5_0_160_tf.h5" in message, message
        assert os.path.join(os.environ["KERAS_HOME"], "models") in message, message
        print("OK")
    """
)


@pytest.mark.parametrize("include_top", [True, False])
def test_imagenet_weights_load_from_keras_cache(tmp_path, include_top):
    env = dict(os.environ, KERAS_HOME=str(tmp_path / "keras"))
    result = subprocess.run(
        [sys.executable, "-c", _IMAGENET_SCRIPT.format(include_top=include_top)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("OK")
