"""On-device MobileNet: LiteRT (TensorFlow Lite) conversion, quantisation, prediction, latency and size.

A Keras 3 model reaches LiteRT through a SavedModel: ``model.export(folder,
format="tf_saved_model")`` then ``tf.lite.TFLiteConverter.from_saved_model``
(``TFLiteConverter.from_keras_model`` fails on Keras 3, tensorflow#63987). Three
variants, as in TensorFlow's post-training quantisation guide:

* ``quantize=None``: float32 weights and activations;
* ``"dynamic"``: dynamic-range quantisation, int8 weights, float activations;
* ``"int8"``: full-integer quantisation, int8 weights, activations, inputs and
  outputs; the converter runs a representative set of images through the model
  to choose each tensor's scale and zero point.

:func:`predict` runs a flatbuffer on images, :func:`latency` times one image
through a Keras model or a flatbuffer the same way, :func:`size_bytes` and
:func:`sizes` give each format's size; :func:`interleave` is the timing
schedule that :func:`latencies` (and :mod:`mnlib.kinds`) use.

Flatbuffers run in the ``ai-edge-litert`` interpreter (``ai_edge_litert.interpreter``),
the maintained successor of ``tf.lite.Interpreter``. Introduced in chapter 8.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from numbers import Integral

import keras
import numpy as np
import tensorflow as tf

from mnlib import checks

__all__ = [
    "QUANTIZE",
    "REPRESENTATIVE_IMAGES",
    "convert",
    "predict",
    "latency",
    "latencies",
    "interleave",
    "size_bytes",
    "sizes",
]


@contextlib.contextmanager
def _quiet():
    """Keep the SavedModel writer's and the converter's log lines ("Assets written to", the quantiser's
    settings) and the interpreter's XNNPACK notice out of a notebook's output; errors still raise."""
    from mnlib import stderr_silenced

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with stderr_silenced():
            yield
    finally:
        logger.setLevel(level)


QUANTIZE = (None, "dynamic", "int8")
"""The ``quantize`` values :func:`convert` accepts."""

REPRESENTATIVE_IMAGES = 300
"""At most this many representative images are shown to the int8 converter (the guide suggests 100-500)."""


def _check_quantize(quantize):
    checks.choice("quantize", quantize, QUANTIZE, hint="(float32, dynamic-range, full-integer)")


def _representative_images(data):
    """Images ``[N, H, W, 3]`` float32 from an array, a tensor or a dataset of batches (at most 300)."""
    if isinstance(data, tf.data.Dataset):
        batches, count = [], 0
        for batch in data:
            batch = batch[0] if isinstance(batch, (tuple, list)) else batch  # (images, labels) datasets
            batches.append(np.asarray(batch, dtype=np.float32))
            count += len(batches[-1])
            if count >= REPRESENTATIVE_IMAGES:
                break
        images = np.concatenate(batches) if batches else np.zeros((0,), np.float32)
    else:
        images = np.asarray(data, dtype=np.float32)
    if images.ndim != 4 or images.shape[-1] != 3 or len(images) == 0:
        raise ValueError(
            "representative_data must hold images [N, H, W, 3] (N >= 1, about 100-300 typical images, "
            f"preprocessed as the model takes them), got shape {images.shape}"
        )
    return images[:REPRESENTATIVE_IMAGES]


def _export(model, folder):
    """Write ``model`` as a SavedModel (serving signature with a free batch size)."""
    try:
        model.export(folder, format="tf_saved_model", verbose=False)
    except TypeError:  # Keras versions without the verbose argument
        model.export(folder, format="tf_saved_model")


def convert(model: keras.Model, quantize: str | None = None, representative_data=None) -> bytes:
    """Convert a Keras model to a LiteRT (TensorFlow Lite) flatbuffer.

    Args:
        model: a built Keras model taking images ``[batch, H, W, 3]`` float32.
        quantize: ``None`` (default: float32), ``"dynamic"`` (dynamic-range
            quantisation: int8 weights, float32 inputs, outputs and
            activations) or ``"int8"`` (full-integer post-training
            quantisation: int8 weights and activations, int8 inputs and
            outputs, only int8 built-in operators).
        representative_data: for ``"int8"`` only, typical inputs: a numpy
            array or tensor of images ``[N, H, W, 3]`` float32, preprocessed
            as the model takes them, or a ``tf.data.Dataset`` of such batches
            (or of ``(images, labels)`` batches). About 100-300 images; at
            most :data:`REPRESENTATIVE_IMAGES` are used, one at a time.
            Ignored by the other variants.

    Returns:
        The flatbuffer (bytes), for :func:`predict`, :func:`latency` or a
        ``.tflite`` file. Its input is ``[1, H, W, 3]`` and resizable in batch.

    Raises:
        TypeError: if ``model`` is not a Keras model.
        ValueError: for an unknown ``quantize``, ``"int8"`` without
            representative data, or representative data that are not images
            of the model's input shape.

    Introduced in chapter 8.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    _check_quantize(quantize)
    images = None
    if quantize == "int8":
        if representative_data is None:
            raise ValueError(
                'quantize="int8" needs representative_data (about 100-300 typical images [N, H, W, 3]): '
                "the converter must see typical inputs to choose each tensor's int8 scale and zero point. "
                'Pass some training images, or use quantize="dynamic", which needs none.'
            )
        images = _representative_images(representative_data)
        _check_image_shape(images.shape[1:], model.input_shape[1:], "representative_data")
    with tempfile.TemporaryDirectory() as folder, _quiet():
        _export(model, folder)
        converter = tf.lite.TFLiteConverter.from_saved_model(folder)
        if quantize is not None:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if images is not None:
            converter.representative_dataset = lambda: ([image[None]] for image in images)
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
        return converter.convert()


def _interpreter(tflite_model, threads, xnnpack=True):
    """A LiteRT interpreter for the flatbuffer, with ``threads`` CPU threads (tensors allocated).

    With ``xnnpack=False`` the interpreter runs LiteRT's built-in kernels
    only, without the XNNPACK delegate it applies by default.
    """
    if not isinstance(tflite_model, (bytes, bytearray)):
        kind = type(tflite_model).__name__
        raise TypeError(f"tflite_model must be the bytes of a flatbuffer (from convert), got {kind}")
    _check_count("threads", threads)
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError as error:
        raise ImportError("the LiteRT interpreter is missing: pip install ai-edge-litert") from error
    checks.boolean("xnnpack", xnnpack)
    resolver = OpResolverType.AUTO if xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    with _quiet():
        interpreter = Interpreter(
            model_content=bytes(tflite_model), num_threads=threads, experimental_op_resolver_type=resolver
        )
        interpreter.allocate_tensors()  # where the XNNPACK delegate announces itself
    return interpreter


def _check_count(name, value):
    checks.integer(name, value, minimum=1)


def _check_image_shape(shape, expected, what):
    """``shape`` (H, W, C) against the model's ``expected`` (None or -1 where any size fits)."""
    fits = len(shape) == len(expected) and all(e in (None, -1) or s == e for s, e in zip(shape, expected))
    if not fits:
        expected = tuple(int(e) if e not in (None, -1) else None for e in expected)
        raise ValueError(f"{what} must have shape (H, W, 3) = {expected} as the model's input, got {tuple(shape)}")


def _quantized(images, details):
    """Images as the input tensor takes them: int8 through its scale and zero point, else float32."""
    if details["dtype"] == np.int8:
        scale, zero_point = details["quantization"]
        return np.clip(np.round(images / scale + zero_point), -128, 127).astype(np.int8)
    return images.astype(details["dtype"])


def _dequantized(outputs, details):
    if details["dtype"] == np.int8:
        scale, zero_point = details["quantization"]
        return (outputs.astype(np.float32) - zero_point) * scale
    return outputs.astype(np.float32)


def predict(tflite_model: bytes, images, *, threads: int = 1, batch: int = 32) -> np.ndarray:
    """Run a LiteRT flatbuffer on images and return its outputs as float32 probabilities.

    The input tensor is resized to ``batch`` images (the last chunk to what is
    left), so any number of images runs in ``ceil(N / batch)`` invocations. For
    an int8 model the images are quantised with the input's scale and zero
    point and the outputs dequantised with the output's.

    Args:
        tflite_model: a flatbuffer from :func:`convert`.
        images: ``[N, H, W, 3]`` float (array or tensor), preprocessed as the
            Keras model takes them; ``(H, W, 3)`` must match the model's input.
        threads: CPU threads of the interpreter, >= 1. Default 1.
        batch: images per invocation, >= 1. Default 32.

    Returns:
        ``[N, classes]`` float32 (probabilities for a softmax classifier).

    Raises:
        TypeError: if ``tflite_model`` is not bytes.
        ValueError: for images of the wrong shape, or ``threads`` or ``batch`` < 1.

    Introduced in chapter 8.
    """
    interpreter = _interpreter(tflite_model, threads)
    _check_count("batch", batch)
    images = np.asarray(images, dtype=np.float32)
    input_details = interpreter.get_input_details()[0]
    if images.ndim != 4:
        raise ValueError(f"images must be a batch [N, H, W, 3], got shape {images.shape}")
    _check_image_shape(images.shape[1:], input_details["shape_signature"][1:], "images")
    outputs, size = [], None
    for start in range(0, len(images), batch):
        chunk = images[start : start + batch]
        if len(chunk) != size:
            size = len(chunk)
            interpreter.resize_tensor_input(input_details["index"], [size, *images.shape[1:]])
            interpreter.allocate_tensors()
        interpreter.set_tensor(input_details["index"], _quantized(chunk, input_details))
        interpreter.invoke()
        output_details = interpreter.get_output_details()[0]
        outputs.append(_dequantized(interpreter.get_tensor(output_details["index"]), output_details))
    if not outputs:
        return np.zeros((0, *interpreter.get_output_details()[0]["shape"][1:]), np.float32)
    return np.concatenate(outputs)


def _timed(step, runs, warmup):
    """Milliseconds of ``runs`` calls of ``step`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000.0)
    return np.asarray(times)


def _keras_step(model, input_shape):
    _check_image_shape(input_shape, model.input_shape[1:], "input_shape")
    call = tf.function(lambda x: model(x, training=False))
    image = tf.constant(np.random.default_rng(0).uniform(-1, 1, (1, *input_shape)).astype(np.float32))
    return lambda: call(image).numpy()


def _litert_step(tflite_model, input_shape, threads, xnnpack=True):
    """One timed call of a flatbuffer: ``invoke`` alone.

    Its single input is resized to ``[1, *input_shape]`` or, with
    ``input_shape=None``, each input keeps the shape it was converted with.
    The inputs are set once, here, before any timing: the interpreter keeps
    them between calls, so a timed call pays for the network's work and not
    for copying images (megabytes for a model of many inputs) in or out.
    """
    interpreter = _interpreter(tflite_model, threads, xnnpack)
    inputs = interpreter.get_input_details()
    if input_shape is not None:
        details = inputs[0]
        _check_image_shape(input_shape, details["shape_signature"][1:], "input_shape")
        interpreter.resize_tensor_input(details["index"], [1, *input_shape])
    interpreter.allocate_tensors()
    rng = np.random.default_rng(0)
    for details in interpreter.get_input_details():
        value = rng.uniform(-1, 1, details["shape"])
        interpreter.set_tensor(details["index"], _quantized(value, details))
    return interpreter.invoke


def latency(model, input_shape, *, threads: int = 1, runs: int = 50, warmup: int = 5) -> dict:
    """Single-image (batch 1) inference latency of a Keras model or a LiteRT flatbuffer, in milliseconds.

    Each of ``warmup`` untimed then ``runs`` timed calls (``time.perf_counter``)
    runs one random image through the model: for Keras, a ``tf.function`` of
    ``model(x, training=False)`` and ``.numpy()`` of its output; for LiteRT,
    ``invoke`` alone (the image, int8 for an int8 model, is set once before
    the first call and the interpreter keeps it; the output is not read).

    Args:
        model: a ``keras.Model`` or a flatbuffer (bytes) from :func:`convert`.
        input_shape: ``(H, W, 3)`` of one image, matching the model's input.
        threads: CPU threads of the LiteRT interpreter, >= 1. Default 1. A
            Keras model runs on TensorFlow's own thread pool: set it with
            ``tf.config.threading.set_intra_op_parallelism_threads`` before
            TensorFlow starts; the result reports that setting (0 = TensorFlow's
            default, all cores).
        runs: timed calls, >= 1. Default 50.
        warmup: untimed calls first (tracing, allocation), >= 0. Default 5.

    Returns:
        ``{"median_ms", "p10_ms", "p90_ms"`` (10th and 90th percentiles of the
        runs), ``"runs", "threads", "kind"}`` with kind ``"keras"`` or ``"litert"``.

    Raises:
        TypeError: if ``model`` is neither a Keras model nor bytes.
        ValueError: for ``input_shape`` not ``(H, W, 3)`` as the model takes,
            ``runs`` or ``threads`` < 1, or ``warmup`` < 0.

    Introduced in chapter 8.
    """
    _check_timing(runs, threads, warmup)
    step, kind, used = _subject(model, input_shape, threads)
    return _summary(_timed(step, runs, warmup), kind, used)


def _check_timing(runs, threads, warmup, rounds=1):
    _check_count("runs", runs)
    _check_count("threads", threads)
    _check_count("rounds", rounds)
    checks.integer("warmup", warmup, minimum=0)


def _subject(model, input_shape, threads, xnnpack=True):
    """``(step, kind, threads used)`` for a Keras model or a flatbuffer fed one image of ``input_shape``."""
    if input_shape is None and isinstance(model, (bytes, bytearray)):
        return _litert_step(model, None, threads, xnnpack), "litert", threads
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else ()
    if len(shape) != 3 or shape[2] != 3 or not all(isinstance(s, Integral) and s >= 1 for s in shape):
        raise ValueError(f"input_shape must be (H, W, 3) with positive integers H and W, got {input_shape!r}")
    if isinstance(model, keras.Model):
        return _keras_step(model, shape), "keras", tf.config.threading.get_intra_op_parallelism_threads()
    if isinstance(model, (bytes, bytearray)):
        return _litert_step(model, shape, threads, xnnpack), "litert", threads
    raise TypeError(f"model must be a keras.Model or a LiteRT flatbuffer (bytes), got {type(model).__name__}")


def _summary(times, kind, used):
    p10, median, p90 = np.percentile(times, [10, 50, 90])
    return {
        "median_ms": float(median),
        "p10_ms": float(p10),
        "p90_ms": float(p90),
        "runs": len(times),
        "threads": used,
        "kind": kind,
    }


def latencies(
    subjects: Mapping, *, threads: int = 1, runs: int = 50, warmup: int = 5, rounds: int = 5, xnnpack: bool = True
) -> dict:
    """Single-image latency of several models, measured together in interleaved rounds so that they can be compared.

    A shared or throttling machine changes speed from one second to the
    next; timing one model after another would put that drift into their
    ratios. Here every model gets ``warmup`` untimed calls, then each of
    ``rounds`` rounds times every model in turn (``runs / rounds`` calls
    each, the order reversed every other round), so each model's runs are
    spread over the whole measurement. Each call is timed as by :func:`latency`.

    Args:
        subjects: ``{name: (model, input_shape)}``: a ``keras.Model`` or a
            flatbuffer (bytes), and ``(H, W, 3)`` of one image; for a
            flatbuffer ``input_shape=None`` feeds each of its inputs at the
            shape it was converted with (models of several inputs).
        threads: CPU threads of the LiteRT interpreters, >= 1. Default 1 (see
            :func:`latency` for Keras models).
        runs: timed calls per model, in all, >= ``rounds``. Default 50.
        warmup: untimed calls per model before the first round, >= 0. Default 5.
        rounds: rounds, >= 1. Default 5.
        xnnpack: flatbuffers run with the XNNPACK delegate LiteRT applies by
            default (True, the default) or with its built-in kernels only
            (False): which of the two runs a model's operators fast.

    Returns:
        ``{name: {"median_ms", "p10_ms", "p90_ms", "runs", "threads", "kind"}}`` as :func:`latency` returns.

    Raises:
        ValueError: for bad counts (or ``runs < rounds``) or input shapes, as :func:`latency`.
        TypeError: for a subject that is not a pair, or a model of another type.

    Introduced in chapter 8.
    """
    _check_timing(runs, threads, warmup, rounds)
    if runs < rounds:
        raise ValueError(f"runs ({runs}) must be at least rounds ({rounds}): each round times every model")
    if not isinstance(subjects, Mapping) or not subjects:
        raise TypeError("subjects must be a non-empty mapping {name: (model, input_shape)}")
    steps = {}
    for name, pair in subjects.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"subjects[{name!r}] must be a pair (model, input_shape), got {type(pair).__name__}")
        steps[name] = _subject(pair[0], pair[1], threads, xnnpack)
    times = interleave({name: step for name, (step, _, _) in steps.items()}, runs=runs, warmup=warmup, rounds=rounds)
    return {name: _summary(times[name], kind, used) for name, (_, kind, used) in steps.items()}


def interleave(steps: Mapping, *, runs: int = 50, warmup: int = 5, rounds: int = 5) -> dict:
    """Time several calls together, in interleaved rounds: the schedule of :func:`latencies`.

    Every step is first called ``warmup`` times untimed (in the order given);
    then, in each of ``rounds`` rounds, every step is timed ``runs / rounds``
    times in a row (the first ``runs % rounds`` rounds one more), in the
    order given in even rounds (0, 2...) and reversed in odd ones, so that
    each step's runs are spread over the whole measurement and none is
    always first or last.

    Args:
        steps: ``{name: step}``, each ``step`` a callable of no arguments.
        runs: timed calls per step, in all, >= ``rounds``. Default 50.
        warmup: untimed calls per step first, >= 0. Default 5.
        rounds: rounds, >= 1. Default 5.

    Returns:
        ``{name: np.ndarray}`` of the ``runs`` times of each step, in
        milliseconds, in the order they were taken.

    Raises:
        ValueError: for bad counts, or ``runs < rounds``.

    Introduced in chapter 8.
    """
    _check_timing(runs, 1, warmup, rounds)
    if runs < rounds:
        raise ValueError(f"runs ({runs}) must be at least rounds ({rounds}): each round times every model")
    for name in steps:
        _timed(steps[name], 0, warmup)
    times = {name: [] for name in steps}
    order = list(steps)
    for round_ in range(rounds):
        count = runs // rounds + (1 if round_ < runs % rounds else 0)
        for name in order if round_ % 2 == 0 else reversed(order):
            times[name].append(_timed(steps[name], count, 0))
    return {name: np.concatenate(parts) for name, parts in times.items()}


def size_bytes(model) -> int:
    """Size in bytes of a model as deployed: a flatbuffer's length, or a Keras model's ``.keras`` file.

    Args:
        model: a flatbuffer (bytes) from :func:`convert`, or a ``keras.Model``
            (saved to a temporary ``.keras`` file, weights and optimizer state included).

    Raises:
        TypeError: for anything else.

    Introduced in chapter 8.
    """
    if isinstance(model, (bytes, bytearray)):
        return len(model)
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model or a LiteRT flatbuffer (bytes), got {type(model).__name__}")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        return os.path.getsize(path)


def sizes(model: keras.Model, representative_data) -> dict:
    """Size in bytes of a Keras model in each format: ``{"keras", "float32", "dynamic", "int8"}``.

    Converts the model three times (:func:`convert`); ``representative_data``
    (images ``[N, H, W, 3]`` or a dataset of batches) is needed for int8.

    Introduced in chapter 8.
    """
    result = {"keras": size_bytes(model)}
    for name, quantize in (("float32", None), ("dynamic", "dynamic"), ("int8", "int8")):
        result[name] = len(convert(model, quantize, representative_data))
    return result
