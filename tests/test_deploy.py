"""mnlib.deploy: LiteRT conversion (float32, dynamic range, int8), prediction, latency and size; mnlib.kinds."""

import mnlib  # noqa: F401  (imports TensorFlow quietly)

# isort: split
import keras
import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from mnlib import deploy, kinds, models
from mnlib.costs import model_cost

SHAPE = (32, 32, 3)
CLASSES = 10


def _images(count, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (count, *SHAPE)).astype(np.float32)


@pytest.fixture(scope="module")
def model():
    """A small MobileNet whose batch-norm statistics fit its own activations (one training-mode pass).

    With the initial statistics (mean 0, variance 1) a random MobileNet in
    inference mode gives near-uniform, degenerate outputs; momentum 0 makes one
    pass set each layer's statistics to those of its input.
    """
    net = models.mobilenet(alpha=0.5, input_shape=SHAPE, classes=CLASSES)
    norms = [layer for layer in net.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in norms:
        layer.momentum = 0.0
    net(_images(64, seed=1), training=True)
    for layer in norms:
        layer.momentum = 0.99
    return net


@pytest.fixture(scope="module")
def flatbuffers(model):
    representative = tf.data.Dataset.from_tensor_slices(_images(100, seed=2)).batch(25)
    return {
        "float32": deploy.convert(model),
        "dynamic": deploy.convert(model, "dynamic"),
        "int8": deploy.convert(model, "int8", representative_data=representative),
    }


def test_outputs_are_not_degenerate(model):
    probabilities = model(_images(8), training=False).numpy()
    assert probabilities.max(axis=1).min() > 1.5 / CLASSES  # not uniform: the comparisons below mean something


def test_float32_gives_the_keras_probabilities(model, flatbuffers):
    images = _images(7, seed=3)
    expected = model(images, training=False).numpy()
    got = deploy.predict(flatbuffers["float32"], images, batch=4)  # a full chunk and a remainder
    assert got.shape == (7, CLASSES)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)


def test_int8_is_small_takes_int8_and_gives_probabilities(flatbuffers):
    assert len(flatbuffers["int8"]) < len(flatbuffers["float32"]) / 3
    interpreter = Interpreter(model_content=flatbuffers["int8"])
    assert interpreter.get_input_details()[0]["dtype"] == np.int8
    output = interpreter.get_output_details()[0]
    assert output["dtype"] == np.int8
    probabilities = deploy.predict(flatbuffers["int8"], _images(16, seed=4))
    assert probabilities.shape == (16, CLASSES)
    # Each int8 output is the true probability rounded to a multiple of the output's scale, so it is off by at most
    # half a step; the sum of CLASSES of them by at most CLASSES * scale / 2 (plus float rounding).
    scale = output["quantization"][0]
    tolerance = CLASSES * scale / 2 + 1e-6
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=tolerance, rtol=0)
    assert probabilities.min() >= 0


def test_dynamic_range_stores_int8_weights_too(flatbuffers):
    # Dynamic range also stores the weights in int8, so it is about as small as the int8 model (int8's int32 biases and
    # per-tensor activation scales can make it a little larger), not halfway to float32.
    assert len(flatbuffers["dynamic"]) < len(flatbuffers["float32"]) / 3


def test_sizes_of_a_keras_model_and_flatbuffers(model, flatbuffers):
    assert deploy.size_bytes(flatbuffers["int8"]) == len(flatbuffers["int8"])
    assert deploy.size_bytes(model) > len(flatbuffers["int8"])


def test_latency_of_keras_and_litert(model, flatbuffers):
    for subject, kind in ((model, "keras"), (flatbuffers["float32"], "litert"), (flatbuffers["int8"], "litert")):
        result = deploy.latency(subject, SHAPE, runs=5, warmup=1)
        assert result["kind"] == kind and result["runs"] == 5
        for key in ("median_ms", "p10_ms", "p90_ms"):
            assert np.isfinite(result[key]) and result[key] > 0
        assert result["p10_ms"] <= result["median_ms"] <= result["p90_ms"]


def test_int8_without_representative_data_says_why(model):
    with pytest.raises(ValueError, match="representative_data.*scale"):
        deploy.convert(model, "int8")


def test_representative_data_must_be_images_the_model_takes(model):
    with pytest.raises(ValueError, match=r"representative_data must have shape \(H, W, 3\) = \(32, 32, 3\)"):
        deploy.convert(model, "int8", representative_data=np.zeros((4, 64, 64, 3), np.float32))
    with pytest.raises(ValueError, match=r"representative_data must hold images \[N, H, W, 3\]"):
        deploy.convert(model, "int8", representative_data=np.zeros((4, 32, 32), np.float32))


def test_unknown_quantize_lists_the_choices(model):
    with pytest.raises(ValueError, match="None, 'dynamic', 'int8'"):
        deploy.convert(model, "float16")


def test_bad_latency_arguments(model, flatbuffers):
    with pytest.raises(ValueError, match="runs must be an integer >= 1"):
        deploy.latency(model, SHAPE, runs=0)
    with pytest.raises(ValueError, match="threads must be an integer >= 1"):
        deploy.latency(flatbuffers["float32"], SHAPE, threads=0)
    with pytest.raises(ValueError, match=r"input_shape must be \(H, W, 3\)"):
        deploy.latency(model, (32, 32))
    with pytest.raises(ValueError, match="input_shape must have shape"):
        deploy.latency(flatbuffers["float32"], (64, 64, 3))
    with pytest.raises(TypeError, match="keras.Model or a LiteRT flatbuffer"):
        deploy.latency("model.tflite", SHAPE)


def test_images_of_the_wrong_shape(flatbuffers):
    with pytest.raises(ValueError, match=r"images must have shape \(H, W, 3\) = \(32, 32, 3\)"):
        deploy.predict(flatbuffers["float32"], np.zeros((2, 64, 64, 3), np.float32))
    with pytest.raises(ValueError, match="images must be a batch"):
        deploy.predict(flatbuffers["float32"], np.zeros(SHAPE, np.float32))
    with pytest.raises(TypeError, match="bytes of a flatbuffer"):
        deploy.predict("model.tflite", _images(1))


def test_kind_models_hold_every_layer_of_their_kind(model):
    cost = model_cost(model)
    parts = kinds.kind_models(model)
    assert list(parts) == list(kinds.KINDS)
    for kind, part in parts.items():
        names = list(cost.loc[cost["kind"] == kind, "layer"])
        assert len(part.inputs) == len(part.outputs) == len(names)
        for tensor, name in zip(part.inputs, names):
            assert tuple(tensor.shape[1:]) == tuple(model.get_layer(name).input.shape[1:])
        # Same Mult-Adds as those layers in the network: the same layers, not merely the same count.
        assert model_cost(part)["mult_adds"].sum() == cost.loc[cost["kind"] == kind, "mult_adds"].sum()


def _one_heavy_kind():
    """A network whose time is nearly all one kind: a wide 1x1 convolution after cheap other ones."""
    x = keras.Input((32, 32, 3))
    y = keras.layers.Conv2D(256, 3, padding="same", use_bias=False)(x)
    y = keras.layers.ReLU(6.0)(keras.layers.BatchNormalization()(y))
    y = keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False)(y)
    y = keras.layers.ReLU(6.0)(keras.layers.BatchNormalization()(y))
    y = keras.layers.Conv2D(512, 1, use_bias=False)(y)  # 134 M of the 144 M Mult-Adds
    y = keras.layers.ReLU(6.0)(keras.layers.BatchNormalization()(y))
    y = keras.layers.GlobalAveragePooling2D()(y)
    return keras.Model(x, keras.layers.Dense(2, activation="softmax")(y))


def test_kind_latency_puts_the_time_where_the_work_is():
    frame = kinds.kind_latency(_one_heavy_kind(), runs=10, warmup=2, rounds=2)
    assert list(frame.index) == [*kinds.KINDS, "call", "kinds + call", "network"]
    network = frame.loc["network", "median_ms"]
    # The wide 1x1 layer is the network's time; a classifier of 2 x 512 Mult-Adds measures next to nothing.
    assert frame.loc["conv 1x1", "median_ms"] > 0.6 * network
    assert abs(frame.loc["fully connected", "median_ms"]) < 0.05 * network
    assert frame.loc[["conv", "conv dw"], "median_ms"].max() < 0.3 * network
    # The parts, timed separately (inputs set once, the call's fixed cost counted once), add up to the whole.
    assert frame.loc["kinds + call", "median_ms"] == pytest.approx(network, rel=0.3)


def test_a_timed_litert_call_does_not_copy_its_inputs():
    # A model that reads one corner of a 32 MB input: copying the input at each call would cost milliseconds.
    x = keras.Input((1024, 1024, 8), batch_size=1)
    corner = deploy.convert(keras.Model(x, keras.layers.Cropping2D(((0, 1022), (0, 1022)))(x)))
    timed = deploy.latencies({"corner": (corner, None), "empty": (kinds.empty_call(), None)}, runs=10, rounds=2)
    assert timed["corner"]["median_ms"] < timed["empty"]["median_ms"] + 0.5


def test_interleave_reverses_the_order_every_other_round():
    calls = []
    steps = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    times = deploy.interleave(steps, runs=5, warmup=1, rounds=3)
    warmup, timed = calls[:3], calls[3:]
    assert warmup == ["a", "b", "c"]
    # Rounds of 2, 2 and 1 runs each: a a b b c c, then c c b b a a, then a b c.
    assert timed == list("aabbcc") + list("ccbbaa") + list("abc")
    assert {name: len(values) for name, values in times.items()} == {"a": 5, "b": 5, "c": 5}
    assert all((values >= 0).all() for values in times.values())


def test_latencies_time_every_model_in_rounds(model, flatbuffers):
    subjects = {
        "keras": (model, SHAPE),
        "float32": (flatbuffers["float32"], SHAPE),
        "int8": (flatbuffers["int8"], SHAPE),
    }
    result = deploy.latencies(subjects, runs=5, warmup=1, rounds=2)
    assert list(result) == list(subjects)
    assert [r["kind"] for r in result.values()] == ["keras", "litert", "litert"]
    for timing in result.values():
        assert timing["runs"] == 5  # 3 + 2 over the rounds
        assert 0 < timing["p10_ms"] <= timing["median_ms"] <= timing["p90_ms"] < float("inf")


def test_latencies_with_the_built_in_kernels_only(flatbuffers):
    timed = deploy.latencies({"int8": (flatbuffers["int8"], SHAPE)}, runs=2, warmup=0, rounds=1, xnnpack=False)
    assert timed["int8"]["median_ms"] > 0
    with pytest.raises(ValueError, match="xnnpack must be True or False, got 1"):
        deploy.latencies({"int8": (flatbuffers["int8"], SHAPE)}, xnnpack=1)


def test_bad_latencies_arguments(model, flatbuffers):
    with pytest.raises(ValueError, match=r"runs \(2\) must be at least rounds \(3\)"):
        deploy.latencies({"a": (model, SHAPE)}, runs=2, rounds=3)
    with pytest.raises(TypeError, match="must be a pair"):
        deploy.latencies({"a": model})
    with pytest.raises(TypeError, match="non-empty mapping"):
        deploy.latencies({})
    with pytest.raises(ValueError, match=r"input_shape must be \(H, W, 3\)"):
        deploy.latencies({"a": (model, None)})


def test_bad_kind_arguments(model):
    with pytest.raises(ValueError, match="kinds must be drawn from"):
        kinds.kind_models(model, kinds=("pointwise",))
    with pytest.raises(TypeError, match="must be a keras.Model"):
        kinds.kind_latency(b"flatbuffer")
    with pytest.raises(ValueError, match="runs must be an integer >= 1"):
        kinds.kind_latency(model, runs=0)
