"""MobileNet v1, written from Table 1 of Howard et al. (2017), arXiv:1704.04861.

The network is a 3x3 standard convolution followed by 13 depthwise separable
blocks (a 3x3 depthwise convolution, then a 1x1 pointwise convolution, each
followed by batch normalisation and ReLU6), global average pooling and a
fully connected classifier. :data:`TABLE_1` lists the separable blocks as the
paper's table does; :func:`mobilenet` reads it block by block.

Layer for layer, :func:`mobilenet` builds the same network as
``keras.applications.MobileNet`` with the same arguments (same layers, same
order, same weight shapes), so weights move between the two with
``model.set_weights(other.get_weights())`` and Keras' published ImageNet weights
load into it (``weights="imagenet"``), from Keras' cache
(:func:`fetch_imagenet_weights`, :func:`imagenet_weights_folder`).

The report's comparison networks, VGG16 and InceptionV3, are built by
``mnlib.baselines.baseline`` (chapter 5), which builds on this module; this
module imports nothing of it.

Introduced in chapter 2 (building MobileNet from its table).
"""

from __future__ import annotations

import hashlib
import os
import socket
import urllib.parse
import urllib.request

import keras
import pandas as pd
from keras import layers

from mnlib import checks

__all__ = [
    "TABLE_1",
    "SHALLOW_REMOVED",
    "IMAGENET_ALPHAS",
    "IMAGENET_SIZES",
    "MIN_SIZE",
    "WEIGHTS_URL",
    "standard_conv_block",
    "depthwise_separable_block",
    "classifier_head",
    "mobilenet",
    "imagenet_weights_file",
    "imagenet_weights_folder",
    "fetch_imagenet_weights",
    "architecture_table",
]

#: The 13 depthwise separable blocks of the paper's Table 1, as
#: ``(pointwise filters N at alpha = 1, stride of the depthwise convolution)``.
#: The paper prints the last depthwise layer as "Conv dw / s2" on a 7x7x1024
#: input, but its output is still 7x7: it is stride 1, as in every
#: implementation, and so it is here.
TABLE_1: tuple[tuple[int, int], ...] = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),  # blocks 7-11: the "5x" 14x14x512 layers
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
)

#: Block numbers (1-based) that the shallow MobileNet of the paper's Table 5
#: removes: the five separable layers on a 14x14x512 feature map.
SHALLOW_REMOVED: tuple[int, ...] = (7, 8, 9, 10, 11)

#: Width multipliers and input sizes for which Keras publishes ImageNet weights.
IMAGENET_ALPHAS: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
IMAGENET_SIZES: tuple[int, ...] = (128, 160, 192, 224)

#: Where Keras publishes the MobileNet weights (file names as in Keras).
WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"

#: The smallest input side in pixels: five stride-2 stages leave a 1x1 map.
MIN_SIZE = 32


def standard_conv_block(x, filters: int, stride: int = 2):
    """Table 1, row 1: a full 3x3 convolution, batch norm and ReLU6.

    Args:
        x: input tensor ``[batch, H, W, 3]``.
        filters: output channels (``int(32 * alpha)`` in MobileNet).
        stride: 2 in MobileNet, halving ``H`` and ``W`` ('same' padding).

    Returns:
        Tensor ``[batch, ceil(H / stride), ceil(W / stride), filters]``.
    """
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name="conv1")(x)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def depthwise_separable_block(x, pointwise_filters: int, stride: int, block_id: int):
    """One depthwise separable block of Table 1 ("Conv dw" then "Conv 1x1").

    The 3x3 depthwise convolution filters each of the ``M`` input channels on
    its own; the 1x1 pointwise convolution then mixes them into
    ``pointwise_filters`` (``N``) channels. Each is followed by batch
    normalisation and ReLU6. A stride-2 block pads one row and one column at
    the bottom and right and convolves with 'valid' padding, exactly as Keras
    does, so both give the same output for the same weights.

    Args:
        x: input tensor ``[batch, D_F, D_F, M]``.
        pointwise_filters: ``N``, the block's output channels (already scaled
            by the width multiplier).
        stride: 1 or 2, the depthwise convolution's stride.
        block_id: the block's number in Table 1 (1-13), used in layer names.

    Returns:
        Tensor ``[batch, D_F / stride, D_F / stride, N]``.
    """
    if stride == 1:
        x = layers.DepthwiseConv2D(3, padding="same", use_bias=False, name=f"conv_dw_{block_id}")(x)
    else:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
        x = layers.DepthwiseConv2D(3, strides=stride, padding="valid", use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(pointwise_filters, 1, padding="same", use_bias=False, name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def classifier_head(x, classes: int, dropout: float):
    """Table 1's last rows: average pool, fully connected layer, softmax.

    The fully connected layer is a 1x1 convolution with bias on the pooled
    ``1 x 1 x C`` map (as in Keras), which is the same computation as a dense
    layer with ``C x classes`` weights.

    Returns:
        Tensor ``[batch, classes]`` of class probabilities.
    """
    x = layers.GlobalAveragePooling2D(keepdims=True, name="global_pool")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Conv2D(classes, 1, padding="same", name="conv_preds")(x)
    x = layers.Reshape((classes,), name="reshape")(x)
    return layers.Activation("softmax", name="predictions")(x)


def _check_arguments(alpha, input_shape, classes, include_top, shallow, dropout, weights):
    """Validate :func:`mobilenet`'s arguments; raise ValueError saying what is allowed."""
    checks.number(
        "alpha (the width multiplier)", alpha, above=0, maximum=1, hint="The paper uses 1, 0.75, 0.5 and 0.25."
    )
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels) as three integers, got {input_shape!r}.")
    height, width, channels = (checks.integer(f"input_shape[{i}]", d) for i, d in enumerate(input_shape))
    hint = "MobileNet has five stride-2 stages; resize the images first."
    checks.integer("input height", height, minimum=MIN_SIZE, hint=hint)
    checks.integer("input width", width, minimum=MIN_SIZE, hint=hint)
    checks.integer("input channels", channels, minimum=1)
    checks.integer("classes", classes, minimum=1)
    checks.number("dropout", dropout, minimum=0, below=1)
    _check_weights(alpha, (height, width, channels), classes, include_top, shallow, weights)
    return (height, width, channels), int(classes)


def _check_weights(alpha, input_shape, classes, include_top, shallow, weights):
    height, width, channels = input_shape
    if weights is None:
        return
    if weights == "imagenet":
        problems = []
        if alpha not in IMAGENET_ALPHAS:
            problems.append(f"alpha in {IMAGENET_ALPHAS} (got {alpha})")
        if height != width or height not in IMAGENET_SIZES:
            problems.append(f"a square input of {IMAGENET_SIZES} pixels (got {height}x{width})")
        if channels != 3:
            problems.append(f"3 channels (got {channels})")
        if shallow:
            problems.append("the full network (shallow=False)")
        if include_top and classes != 1000:
            problems.append(
                f"classes=1000 with include_top=True (got {classes}; use include_top=False and add your own classifier)"
            )
        if problems:
            raise ValueError("Keras publishes ImageNet weights for MobileNet only with " + "; ".join(problems) + ".")
        return
    if not (isinstance(weights, (str, os.PathLike)) and os.path.isfile(weights)):
        raise ValueError(f"weights must be None, 'imagenet' or the path of a weights file; got {weights!r}.")


def imagenet_weights_file(alpha: float, size: int, include_top: bool = True) -> str:
    """Keras' file name for MobileNet's ImageNet weights, e.g. ``mobilenet_1_0_224_tf.h5``."""
    alpha_text = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}[float(alpha)]
    suffix = "" if include_top else "_no_top"
    return f"mobilenet_{alpha_text}_{size}_tf{suffix}.h5"


def imagenet_weights_folder() -> str:
    """The folder where Keras keeps downloaded weights: ``$KERAS_HOME/models``, else ``~/.keras/models``.

    This is the rule ``keras.utils.get_file`` documents for its cache (Keras
    has no public function that returns it); ``KERAS_HOME`` is read when this
    is called. A weights file put there by hand is used without any network
    access. Introduced in chapter 2, *Building MobileNet from its table*.
    """
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return os.path.join(home, "models")


def _probe(url: str, timeout: float) -> None:
    """Raise OSError within ``timeout`` seconds if ``url``'s host cannot be reached.

    Behind a proxy (``http_proxy``/``https_proxy``) the download goes through
    the proxy instead, and its failure is reported when it happens.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.scheme in urllib.request.getproxies():
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    with socket.create_connection((parts.hostname, port), timeout=timeout):
        pass


def _md5(path: str) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_imagenet_weights(
    file_name: str, origin: str | None = None, md5: str | None = None, timeout: float = 5.0
) -> str:
    """The local path of one of Keras' published weights files, downloaded once into Keras' cache.

    Args:
        file_name: the file's name as Keras publishes it, e.g.
            ``mobilenet_1_0_224_tf_no_top.h5`` (:func:`imagenet_weights_file`).
        origin: its URL; default :data:`WEIGHTS_URL` + ``file_name`` (MobileNet's).
        md5: the file's published MD5 checksum, checked on the cached file
            and after a download; None (MobileNet's files have none) skips it.
        timeout: seconds to wait for the server before giving up (default 5).

    Returns:
        The path of the file in :func:`imagenet_weights_folder`. A file
        already there is used without any network access.

    Raises:
        ConnectionError: (an OSError) when the file is not cached and the
            server cannot be reached; it fails within ``timeout`` seconds and
            says where to put the file by hand.
        ValueError: when the cached file does not match ``md5``.

    Introduced in chapter 2, *Building MobileNet from its table*.
    """
    origin = origin or WEIGHTS_URL + file_name
    folder = imagenet_weights_folder()
    path = os.path.join(folder, file_name)
    if os.path.isfile(path):
        if md5 is not None and _md5(path) != md5:
            raise ValueError(
                f"{path} is not Keras' published {file_name} (its MD5 checksum is not {md5}): "
                f"delete it and download {origin} again."
            )
        return path
    how = (
        f"Without network access, download {origin} on a connected machine and copy it to {folder} "
        "(Keras' cache: $KERAS_HOME, or ~/.keras, then models/); it is then used from there. "
        "Or run this notebook on Colab, which downloads it by itself."
    )
    try:
        _probe(origin, timeout)
    except OSError as error:
        raise ConnectionError(f"Cannot reach {origin} for the weights {file_name} ({error}). {how}") from None
    os.makedirs(folder, exist_ok=True)  # else get_file falls back to /tmp/.keras
    try:
        return keras.utils.get_file(
            file_name, origin, file_hash=md5, cache_dir=os.path.dirname(folder), cache_subdir="models"
        )
    except ValueError as error:  # the download does not match its checksum
        raise ValueError(f"Downloading {file_name} from {origin} failed: {error}") from None
    except Exception as error:  # Keras wraps URL and HTTP errors in plain Exceptions
        raise ConnectionError(f"Could not download Keras' ImageNet weights {file_name} ({error}). {how}") from None


def mobilenet(
    alpha: float = 1.0,
    input_shape: tuple[int, int, int] = (224, 224, 3),
    classes: int = 1000,
    include_top: bool = True,
    shallow: bool = False,
    dropout: float = 1e-3,
    weights: str | None = None,
) -> keras.Model:
    """Build MobileNet v1 (Howard et al. 2017, Table 1).

    Args:
        alpha: the width multiplier α in (0, 1]: every layer has ``int(α · N)``
            filters instead of ``N``. Default 1.0.
        input_shape: ``(height, width, channels)`` of the input images, at
            least 32x32. The resolution multiplier ρ of the paper is
            ``height / 224``. Default ``(224, 224, 3)``.
        classes: number of classes of the classifier (``include_top=True``).
        include_top: add average pooling, dropout, the fully connected layer
            and softmax. Without it the model returns the last feature map
            ``[batch, H/32, W/32, int(1024 α)]``.
        shallow: remove the five separable blocks on the 14x14x512 map
            (blocks 7-11), the "Shallow MobileNet" of the paper's Table 5.
        dropout: dropout rate before the classifier (Keras' default 1e-3).
        weights: None (random initialisation), ``"imagenet"`` (Keras'
            published weights; α in {0.25, 0.5, 0.75, 1}, square inputs of
            128, 160, 192 or 224 px, and 1000 classes if ``include_top``), or
            the path of a weights file.

    Returns:
        A functional ``keras.Model`` named ``mobilenet_<α>_<height>``
        (``shallow_...`` for the shallow one). Its output is
        ``[batch, classes]`` softmax probabilities with ``include_top``.

    Raises:
        ValueError: for an argument outside what is allowed, before any layer
            is built.
        ConnectionError: (an OSError) if ImageNet weights are requested, are
            not in Keras' cache and cannot be downloaded; it fails within
            seconds, saying where to put the file.
    """
    input_shape, classes = _check_arguments(alpha, input_shape, classes, include_top, shallow, dropout, weights)
    alpha = float(alpha)

    inputs = keras.Input(shape=tuple(input_shape), name="input")
    x = standard_conv_block(inputs, int(32 * alpha), stride=2)
    for block_id, (filters, stride) in enumerate(TABLE_1, start=1):
        if shallow and block_id in SHALLOW_REMOVED:
            continue
        x = depthwise_separable_block(x, int(filters * alpha), stride, block_id)
    if include_top:
        x = classifier_head(x, classes, dropout)

    prefix = "shallow_mobilenet" if shallow else "mobilenet"
    model = keras.Model(inputs, x, name=f"{prefix}_{alpha:0.2f}_{input_shape[0]}")

    if weights == "imagenet":
        file_name = imagenet_weights_file(alpha, input_shape[0], include_top)
        model.load_weights(fetch_imagenet_weights(file_name))
    elif weights is not None:
        model.load_weights(weights)
    return model


def _size(shape) -> str:
    return " × ".join(str(d) for d in shape)


def architecture_table(model: keras.Model) -> pd.DataFrame:
    """Regenerate the paper's Table 1 (type / stride, filter shape, input size) from a model.

    Walks the layers of a model built by :func:`mobilenet` in order and
    describes each convolution, the average pool, the fully connected layer
    and the softmax as the paper's table does. "Input Size" is the feature
    map the layer receives (before the extra row and column of zero padding
    that a stride-2 depthwise convolution adds).

    Returns:
        DataFrame with columns ``Type / Stride``, ``Filter Shape``, ``Input Size``.
    """
    rows = []
    previous = tuple(model.input.shape[1:])
    for layer in model.layers:
        if isinstance(layer, (layers.InputLayer, layers.ZeroPadding2D)):
            continue
        if isinstance(layer, layers.DepthwiseConv2D):
            k, stride = layer.kernel_size[0], layer.strides[0]
            rows.append((f"Conv dw / s{stride}", f"{k} × {k} × {previous[-1]} dw", _size(previous)))
        elif isinstance(layer, layers.Conv2D):
            k, stride = layer.kernel_size[0], layer.strides[0]
            if layer.name == "conv_preds":
                rows.append(("FC / s1", f"{previous[-1]} × {layer.filters}", _size(previous)))
            else:
                shape = f"{k} × {k} × {previous[-1]} × {layer.filters}"
                rows.append((f"Conv / s{stride}", shape, _size(previous)))
        elif isinstance(layer, layers.GlobalAveragePooling2D):
            rows.append(("Avg Pool / s1", f"Pool {previous[0]} × {previous[1]}", _size(previous)))
        elif isinstance(layer, layers.Activation) and layer.name == "predictions":
            rows.append(("Softmax / s1", "Classifier", _size((1, 1, previous[-1]))))
        previous = tuple(layer.output.shape[1:])
    return pd.DataFrame(rows, columns=["Type / Stride", "Filter Shape", "Input Size"])
