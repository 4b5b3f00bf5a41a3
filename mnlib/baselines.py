"""The report's comparison networks, VGG16 and InceptionV3, beside MobileNet, from scratch or by transfer.

The report trains three architectures on the same images: MobileNet, VGG16
(Simonyan & Zisserman 2014) and "GoogleNet", which was in fact InceptionV3
(Szegedy et al. 2016). :func:`baseline` builds any of them by name
(:data:`BASELINES`) in one of two set-ups:

* **from scratch** (``weights=None``): every weight random and trainable;
* **transfer** (``weights="imagenet"`` or a file): the ImageNet-trained
  convolutional body, frozen, under the report's "two added layers", as in
  the Keras transfer-learning guide. :func:`unfreeze` then opens the top of
  the body for a fine-tuning phase.

The models take images already scaled by their family's convention
(:data:`FAMILY`, ``mnlib.data.preprocess``); no preprocessing is inside them.

Introduced in chapter 5; :mod:`mnlib.models` (chapter 2) knows nothing of it.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import keras
from keras import layers

from mnlib import checks, models

__all__ = [
    "BASELINES",
    "FAMILY",
    "HIDDEN_UNITS",
    "TRANSFER_DROPOUT",
    "SCRATCH_DROPOUT",
    "SCRATCH_LEARNING_RATES",
    "INCEPTION_MIN_SIZE",
    "WeightsFile",
    "baseline",
    "imagenet_file",
    "unfreeze",
]

#: The architectures :func:`baseline` builds, by name.
BASELINES: tuple[str, ...] = ("mobilenet", "vgg16", "inception_v3")

#: Which input scaling each architecture was trained with: the ``family`` to
#: pass to ``mnlib.data.preprocess``. MobileNet and InceptionV3 take [-1, 1];
#: VGG16 takes Caffe's BGR with the ImageNet mean pixel subtracted.
FAMILY: dict[str, str] = {"mobilenet": "mobilenet", "vgg16": "vgg16", "inception_v3": "inception_v3"}

#: Units of the hidden layer of the transfer head. 1024 is the head of the
#: Keras documentation's example "Fine-tune InceptionV3 on a new set of
#: classes" (global average pooling, Dense(1024, ReLU), softmax), which the
#: report's "two added layers" follow. With 120 classes the head then has
#: 1,172,600 trainable parameters on MobileNet, 648,312 on VGG16 and 2,221,176
#: on InceptionV3; the report's table gives 443,000, 395,000 and 425,000,
#: which no single hidden size reproduces.
HIDDEN_UNITS = 1024

#: Dropout after the hidden layer of the transfer head: 0.2, the rate of the
#: keras-io example that fine-tunes EfficientNet on Stanford Dogs. 0 gives
#: the Keras documentation's head exactly.
TRANSFER_DROPOUT = 0.2

#: Dropout before the classifier from scratch: Keras' MobileNet default, used
#: for all three so that their heads differ only in the features they get.
SCRATCH_DROPOUT = 1e-3

#: Peak learning rate (Adam, after the course's warm-up) of a network trained
#: from scratch, where it differs from ``mnlib.train``'s default (1e-3).
#: VGG16 has no batch normalisation (thirteen plain ReLU convolutions): at
#: Adam's 1e-3 chapter 5's smoke epoch ended at a training loss far above
#: the ln 4 of a uniform guess on 4 classes (it diverged); at 1e-4 it ends
#: below ln 4. MobileNet and InceptionV3, which normalise every
#: convolution's output, keep the default.
SCRATCH_LEARNING_RATES: dict[str, float] = {"vgg16": 1e-4}

#: InceptionV3's smallest input (its stride-2 stem needs 75x75 pixels).
#: :func:`baseline` upsamples smaller images to it inside the model.
INCEPTION_MIN_SIZE = 75

_KERAS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"

_APPLICATIONS = {"vgg16": keras.applications.VGG16, "inception_v3": keras.applications.InceptionV3}


@dataclass(frozen=True)
class WeightsFile:
    """One of Keras' published ImageNet weights files: name in Keras' cache, URL, MD5 (None: unpublished)."""

    file_name: str
    origin: str
    md5: str | None = None


#: The bodies without their top (``include_top=False``), as keras.applications
#: names and checks them (keras/src/applications/vgg16.py, inception_v3.py).
_NO_TOP = {
    "vgg16": WeightsFile(
        "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        _KERAS_URL + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "6d6bbae143d832006294945121d1f1fc",
    ),
    "inception_v3": WeightsFile(
        "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        _KERAS_URL + "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "bcbd6486424b2319ff4ef7d526e38f63",
    ),
}


def imagenet_file(name: str, size: int = 224, alpha: float = 1.0) -> WeightsFile:
    """Keras' ImageNet weights file for the body (no top) of baseline ``name``.

    MobileNet's weights exist for ``alpha`` in ``models.IMAGENET_ALPHAS`` at
    128, 160, 192 and 224 px; at any other ``size`` this gives the 224 px
    file. Convolution weights do not depend on the input size, so they load
    into a body built for another size (keras.applications does the same,
    with a warning), though they were trained on 224 px images. VGG16 and
    InceptionV3 have one file each, whatever the size.

    Introduced in the comparison chapter (the report's VGG16 and InceptionV3).
    """
    _check_name(name)
    if name != "mobilenet":
        return _NO_TOP[name]
    size = size if size in models.IMAGENET_SIZES else 224
    file_name = models.imagenet_weights_file(alpha, size, include_top=False)
    return WeightsFile(file_name, models.WEIGHTS_URL + file_name)


def _check_name(name):
    checks.choice("name", name, BASELINES, hint="InceptionV3 is the network the report calls GoogleNet.")


def _check_shape(input_shape, weights):
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels) as three integers, got {input_shape!r}.")
    height, width, channels = (checks.integer(f"input_shape[{i}]", d) for i, d in enumerate(input_shape))
    hint = "The baselines have five stride-2 stages; resize the images first."
    checks.integer("input height", height, minimum=models.MIN_SIZE, hint=hint)
    checks.integer("input width", width, minimum=models.MIN_SIZE, hint=hint)
    if weights is None:
        checks.integer("input channels", channels, minimum=1)
    else:
        checks.integer("input channels", channels, minimum=3, maximum=3, hint="ImageNet weights need RGB.")
    return (height, width, channels)


def _check_weights(name, weights, alpha):
    if weights is None:
        return
    if weights == "imagenet":
        if name == "mobilenet":
            hint = "Keras publishes ImageNet weights for MobileNet only at these widths; or use weights=None."
            checks.choice("alpha", alpha, models.IMAGENET_ALPHAS, hint=hint)
        return
    if not isinstance(weights, (str, os.PathLike)):
        raise ValueError(f"weights must be None, 'imagenet' or the path of a weights file, got {weights!r}.")
    if not os.path.isfile(weights):
        raise FileNotFoundError(
            f"no weights file at {os.fspath(weights)!r}. Pass the path of the {name} body's weights (saved "
            "with model.get_layer('base').save_weights(...)), 'imagenet', or None to train from scratch."
        )


def _check_arguments(name, input_shape, classes, weights, alpha, hidden_units, dropout):
    """Validate :func:`baseline`'s arguments before anything is built or downloaded; return them as Python types.

    Returns:
        ``(input_shape, classes)``: a tuple of three ``int`` and an ``int``.
    """
    _check_name(name)
    input_shape = _check_shape(input_shape, weights)
    classes = checks.integer("classes", classes, minimum=2, hint="A softmax over one class learns nothing.")
    checks.number("alpha (the width multiplier)", alpha, above=0, maximum=1)
    if name != "mobilenet" and alpha != 1:
        raise ValueError(f"alpha (the width multiplier) is MobileNet's; {name} has none. Leave it at 1.")
    if dropout is not None:
        checks.number("dropout", dropout, minimum=0, below=1, hint="None gives the default.")
    if hidden_units is not None:
        if weights is None:
            raise ValueError(
                "hidden_units sets the hidden layer of the transfer head; the head from scratch has none. "
                "Leave it out with weights=None."
            )
        checks.integer("hidden_units", hidden_units, minimum=1)
    _check_weights(name, weights, alpha)
    return input_shape, classes


def _body_shape(name, input_shape):
    """The input size the body is built for: InceptionV3 gets at least 75x75."""
    height, width, channels = input_shape
    if name == "inception_v3":
        return (max(height, INCEPTION_MIN_SIZE), max(width, INCEPTION_MIN_SIZE), channels)
    return tuple(input_shape)


def _resized(name, inputs):
    """``inputs``, upsampled (bilinear) to :data:`INCEPTION_MIN_SIZE` where InceptionV3 needs it."""
    shape = _body_shape(name, tuple(inputs.shape[1:]))
    if shape[:2] == tuple(inputs.shape[1:3]):
        return inputs
    return layers.Resizing(shape[0], shape[1], interpolation="bilinear", name="resize")(inputs)


def _from_scratch(name, input_shape, classes, alpha, dropout):
    """Every weight random and trainable; a flat model (no nested ``base``)."""
    if name == "mobilenet":
        return models.mobilenet(alpha=alpha, input_shape=tuple(input_shape), classes=classes, dropout=dropout)
    inputs = keras.Input(shape=tuple(input_shape), name="input")
    x = _resized(name, inputs)
    body = _APPLICATIONS[name](include_top=False, weights=None, input_tensor=x, input_shape=tuple(x.shape[1:]))
    x = layers.GlobalAveragePooling2D(name="avg_pool")(body.output)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"{name}_{input_shape[0]}")


def _base(name, input_shape, alpha):
    """The convolutional body of ``name`` without its top, random weights, as a model named ``base``."""
    shape = _body_shape(name, input_shape)
    if name == "mobilenet":
        body = models.mobilenet(alpha=alpha, input_shape=shape, include_top=False)
    else:
        body = _APPLICATIONS[name](include_top=False, weights=None, input_shape=shape)
    return keras.Model(body.input, body.output, name="base")


def _architecture_in(path) -> str | None:
    """Which baseline a weights file seems to hold, from its layer names (None: cannot tell).

    Keras' published files name layers as the applications do (``conv_dw_1``,
    ``block1_conv1``, ``mixed0``); files saved by Keras 3 name them by class
    (``depthwise_conv2d``, ``conv2d``, ``batch_normalization``).
    """
    try:
        import h5py

        names = set()
        with h5py.File(path, "r") as f:
            f.visit(lambda item: names.update(item.split("/")))
    except (ImportError, OSError):  # not HDF5 (a .keras archive, say)
        return None
    if any(n.startswith(("conv_dw_", "depthwise_conv2d")) for n in names):
        return "mobilenet"
    if any(n.startswith(("mixed", "batch_normalization")) for n in names):
        return "inception_v3"
    if any(n.startswith(("block1_conv", "conv2d")) for n in names):
        return "vgg16"
    return None


def _load_base_weights(base, name, path, alpha):
    """Load ``path`` into ``base``; a file for another architecture or shape raises ValueError saying so."""
    try:
        with warnings.catch_warnings():  # Keras warns once per layer before it raises
            warnings.simplefilter("ignore")
            base.load_weights(path)
    except (ValueError, KeyError, TypeError) as error:
        found = _architecture_in(path)
        described = f"{name}" + (f" (alpha={alpha})" if name == "mobilenet" else "")
        if found is not None and found != name:
            reason = f"the file seems to hold the weights of {found}, not {name}"
        else:
            reason = f"its weights' shapes differ from those of {described} without its top"
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(
            f"Cannot load {os.fspath(path)!r} into the {name} body: {reason} (Keras: {first_line}). Pass a file "
            "of the body alone, e.g. saved with model.get_layer('base').save_weights('x.weights.h5') from a model "
            f"built by baseline({name!r}, ...), or Keras' include_top=False file."
        ) from None


def _transfer(name, input_shape, classes, weights, alpha, hidden_units, dropout):
    """The frozen, pre-trained body ``base`` under global pooling, a hidden layer and the classifier."""
    if weights == "imagenet":  # fetched first: offline, it fails before anything is built
        square = input_shape[0] if input_shape[0] == input_shape[1] else 224
        file = imagenet_file(name, square, alpha)
        path = models.fetch_imagenet_weights(file.file_name, file.origin, file.md5)
    else:
        path = weights
    base = _base(name, input_shape, alpha)
    _load_base_weights(base, name, path, alpha)
    base.trainable = False

    inputs = keras.Input(shape=tuple(input_shape), name="input")
    x = _resized(name, inputs)
    x = base(x, training=False)  # batch norm in inference mode, even after unfreeze()
    x = layers.GlobalAveragePooling2D(name="global_pool")(x)
    x = layers.Dense(hidden_units, activation="relu", name="hidden")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"{name}_transfer_{input_shape[0]}")


def baseline(
    name: str,
    input_shape: tuple[int, int, int],
    classes: int,
    *,
    weights: str | os.PathLike | None = None,
    alpha: float = 1.0,
    hidden_units: int | None = None,
    dropout: float | None = None,
) -> keras.Model:
    """Build MobileNet, VGG16 or InceptionV3 as a ``classes``-way classifier, from scratch or by transfer.

    From scratch (``weights=None``) every layer is trainable and the model is
    flat: ``mnlib.models.mobilenet(..., include_top=True)`` for MobileNet;
    for VGG16 and InceptionV3, ``keras.applications``' body without its top,
    then global average pooling, dropout (``dropout``, default
    :data:`SCRATCH_DROPOUT` = 1e-3) and a softmax Dense layer. (Their own tops
    are fixed: VGG16's flattens a 7x7x512 map, so only 224 px fits it.)

    By transfer (``weights="imagenet"`` or the path of a weights file of the
    body without its top), the body is a nested model named ``"base"``
    (``model.get_layer("base")``), frozen (``trainable=False``) and called
    with ``training=False``, so its batch norm stays in inference mode, as in
    the Keras transfer-learning guide. The report's "two added layers" follow:
    global average pooling, ``Dense(hidden_units, ReLU)`` (default
    :data:`HIDDEN_UNITS` = 1024), dropout (default :data:`TRANSFER_DROPOUT` =
    0.2) and the softmax Dense layer; only these train. ``"imagenet"`` comes from
    Keras' cache (``mnlib.models.fetch_imagenet_weights``; MobileNet's 224 px
    file below 128 px and between the published sizes, see
    :func:`imagenet_file`). Use :func:`unfreeze` to fine-tune.

    InceptionV3 needs at least 75x75 pixels: a smaller input is upsampled
    (bilinear) to 75 px by a ``Resizing`` layer named ``"resize"`` at the
    start of the model; it has no weights and no Mult-Adds.

    Args:
        name: one of :data:`BASELINES`.
        input_shape: ``(height, width, channels)``, at least 32x32, 3 channels
            for ImageNet weights. Images scaled by ``mnlib.data.preprocess``
            with family ``FAMILY[name]``.
        classes: number of classes, >= 2.
        weights: None, ``"imagenet"`` or a path (a file is read, nothing is downloaded).
        alpha: MobileNet's width multiplier (only ``"mobilenet"``; default 1).
        hidden_units: units of the transfer head's hidden layer (transfer only).
        dropout: dropout rate before the classifier, in [0, 1); None: the defaults above.

    Returns:
        A ``keras.Model`` from ``[batch, height, width, channels]`` to
        ``[batch, classes]`` softmax probabilities.

    Raises:
        ValueError: for an unknown name or a bad argument (before anything is
            built), or a weights file that does not fit the body (after).
        FileNotFoundError: for a weights path that does not exist.
        ConnectionError: (an OSError) for ``"imagenet"`` weights that are not
            cached and cannot be downloaded; it fails within seconds.

    Introduced in the comparison chapter (the report's VGG16 and InceptionV3).
    """
    input_shape, classes = _check_arguments(name, input_shape, classes, weights, alpha, hidden_units, dropout)
    hidden_units = None if hidden_units is None else int(hidden_units)
    if weights is None:
        return _from_scratch(name, input_shape, classes, alpha, SCRATCH_DROPOUT if dropout is None else dropout)
    hidden_units = HIDDEN_UNITS if hidden_units is None else hidden_units
    dropout = TRANSFER_DROPOUT if dropout is None else dropout
    return _transfer(name, tuple(input_shape), classes, weights, alpha, hidden_units, dropout)


def unfreeze(model: keras.Model, layers: int) -> list[str]:
    """Make the top ``layers`` layers of a transfer model's ``base`` trainable, batch norm excepted.

    For the fine-tuning phase of the Keras transfer-learning guide: after the
    head has trained on the frozen body, the last ``layers`` entries of
    ``base.layers`` (weightless ones included, as in the guide's
    ``model.layers[-20:]``) become trainable, and every other layer of the
    body is frozen again. Every ``BatchNormalization`` layer of the body stays
    frozen (``trainable=False``): the body runs with ``training=False``, so
    they keep their ImageNet statistics, and ``mnlib.train``'s batch-norm
    re-estimation, which updates trainable ones only, leaves them alone.
    ``layers=0`` freezes the whole body again.

    Recompile the model afterwards (``model.compile(...)``), at a low learning
    rate (the guide uses Adam at 1e-5): ``trainable`` takes effect at compile time.

    Args:
        model: a model built by :func:`baseline` with ``weights`` set.
        layers: how many layers, counted from the top of the body, to open
            (0 to ``len(model.get_layer("base").layers)``).

    Returns:
        The names of the body's layers with weights that are now trainable.

    Introduced in the comparison chapter (the report's VGG16 and InceptionV3).
    """
    try:
        base = model.get_layer("base")
    except ValueError:
        raise ValueError(
            f"model {model.name!r} has no nested 'base': unfreeze() works on a transfer model, "
            "built by baseline(name, ..., weights='imagenet' or a file)."
        ) from None
    layers = checks.integer("layers", layers, minimum=0, maximum=len(base.layers), hint="Count the body's layers.")
    base.trainable = True  # sets every sublayer; the loop below decides each one
    top = {id(layer) for layer in base.layers[len(base.layers) - layers :]}
    for layer in base.layers:
        layer.trainable = id(layer) in top and not isinstance(layer, keras.layers.BatchNormalization)
    return [layer.name for layer in base.layers if layer.trainable and layer.weights]
