"""How good are a GAN's samples: Kernel Inception Distance, a classifier's view, nearest neighbours.

* :func:`kid` - the Kernel Inception Distance of Bińkowski et al. (2018,
  arXiv:1801.01401): the unbiased estimate of the squared maximum mean
  discrepancy between two sets of features, with the cubic polynomial kernel
  ``k(x, y) = (x·y / d + 1)³`` (``d`` features), averaged over random subsets.
  Unlike FID it has an unbiased estimator, so small samples do not inflate it:
  about 0 for two samples of one distribution, positive for different ones.
  It returns a :class:`KID`: the mean and standard deviation over subsets,
  as Bińkowski et al. report it (``float()`` of it is the mean).
* :class:`Classifier` - a trained image classifier (the course's Stanford
  Dogs MobileNet, chapter 6) seen from the GAN: it takes images in [-1, 1]
  at any size, resizes them and applies its own preprocessing, and gives
  class probabilities or the features before its classifier (the global
  average pool), on which :func:`kid` and :func:`nearest` work offline.
  :func:`judge` takes chapter 6's best network of the same classes
  (:func:`mnlib.results.best_model`), :func:`load_classifier` reads any
  ``.keras`` classifier; :meth:`Classifier.correct` scores it on a split.
* :func:`inception_features` - InceptionV3's ImageNet features at 75 px (as
  keras-io's GAN-ADA example), when its weights can be had.
* :func:`nearest` - the training images closest to each sample in a
  feature space: the memorisation check.

Introduced in chapter 7.
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

__all__ = [
    "kid",
    "KID",
    "Classifier",
    "load_classifier",
    "judge",
    "classifier_from_record",
    "inception_features",
    "nearest",
    "to_pixels",
    "View",
    "images_at",
]

CLASSIFIER_NOTEBOOK = "06_stanford_dogs"  # the chapter whose saved MobileNet the GAN chapter uses


def _polynomial(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def _mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    m, n = len(x), len(y)
    kxx, kyy, kxy = _polynomial(x, x), _polynomial(y, y), _polynomial(x, y)
    xx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    yy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(xx + yy - 2.0 * kxy.mean())


@dataclasses.dataclass(frozen=True)
class KID:
    """A Kernel Inception Distance: the mean of its subset estimates and their spread.

    Attributes:
        mean: the mean of the unbiased estimates (``float(kid)`` gives it).
        std: their standard deviation over subsets (0 with one estimate),
            as Bińkowski et al. and torch-fidelity report it: how much the
            estimate moves with the images drawn, not a confidence interval.
        subsets: the number of estimates; subset_size: rows of each set per estimate.
    """

    mean: float
    std: float
    subsets: int
    subset_size: int

    def __float__(self) -> float:
        return float(self.mean)

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.std:.4f} (std over {self.subsets} subsets of {self.subset_size})"


def kid(real, fake, *, subset_size: int = 1000, subsets: int = 100, seed: int = 0) -> KID:
    """Kernel Inception Distance between two sets of features (unbiased, cubic polynomial kernel).

    Args:
        real, fake: features ``[n, d]`` and ``[m, d]`` (any feature extractor:
            InceptionV3's in the paper, here also the course's classifier's),
            at least 2 rows each.
        subset_size: rows drawn (without replacement) from each set per
            estimate; Bińkowski et al. use 1000. A smaller set is drawn whole
            each time; of the larger one, ``subset_size`` rows.
        subsets: number of subset estimates (default 100). When neither set
            is larger than ``subset_size``, the mean is the one estimate on
            all rows, and the std that of estimates on halves of each set
            (at least 2 rows): a spread of half-size samples, so larger
            than the whole sets' own.
        seed: the run's seed; the subsets are drawn from the
            ``"kid_subsets"`` stream of :mod:`mnlib.streams`.

    Returns:
        A :class:`KID`: the mean is about 0 when both sets come from one
        distribution (it can be slightly negative: the estimator is
        unbiased), positive otherwise. Papers often print it times 1000.

    Raises:
        ValueError: features that are not two-dimensional, of different
            widths, or fewer than 2 rows.
    """
    from mnlib import checks, streams

    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"kid needs two feature arrays [n, d] of the same d; got {real.shape} and {fake.shape}.")
    if min(len(real), len(fake)) < 2:
        raise ValueError(f"kid needs at least 2 rows in each set; got {len(real)} and {len(fake)}.")
    subset_size = checks.integer("subset_size", subset_size, minimum=2)
    subsets = checks.integer("subsets", subsets, minimum=1)
    rng = streams.generator(checks.integer("seed", seed), "kid_subsets")
    whole = len(real) <= subset_size and len(fake) <= subset_size
    m = max(2, len(real) // 2) if whole else min(subset_size, len(real))
    n = max(2, len(fake) // 2) if whole else min(subset_size, len(fake))
    draws = []
    for _ in range(subsets):
        a, b = rng.choice(len(real), m, replace=False), rng.choice(len(fake), n, replace=False)
        draws.append(_mmd2_unbiased(real[a], fake[b]))
    mean = _mmd2_unbiased(real, fake) if whole else float(np.mean(draws))
    return KID(mean=mean, std=float(np.std(draws)), subsets=subsets, subset_size=max(m, n))


def to_pixels(images) -> tf.Tensor:
    """Images in [-1, 1] (a generator's ``tanh``) as float32 RGB in [0, 255]."""
    return tf.clip_by_value((tf.cast(images, tf.float32) + 1.0) * 127.5, 0.0, 255.0)


@dataclasses.dataclass
class Classifier:
    """A trained image classifier, fed with a GAN's images.

    Attributes:
        model: the Keras model: images ``[B, r, r, 3]`` after ``family``'s
            preprocessing -> ``[B, classes]`` probabilities.
        class_names: the classes' names, in the order of the outputs.
        resolution: the side ``r`` the model takes (images are resized to it).
        family: its preprocessing (:data:`mnlib.data.FAMILIES`).
        source: where it came from (a record id or a file), for captions.
        top1: its top-1 accuracy on its evaluation split, when known.
        dataset: the dataset it was trained on, when known.
    """

    model: keras.Model
    class_names: list
    resolution: int
    family: str = "mobilenet"
    source: str = ""
    top1: float | None = None
    dataset: str | None = None

    def __post_init__(self):
        self._features = None

    def prepare(self, images) -> tf.Tensor:
        """Images in [-1, 1] at any size -> the model's input (resized, preprocessed)."""
        from mnlib.data import preprocess, resize

        pixels = to_pixels(images)
        if pixels.shape[1] != self.resolution or pixels.shape[2] != self.resolution:
            pixels = resize(pixels, self.resolution)
        return preprocess(pixels, self.family)

    def _batched(self, function, images, batch_size):
        images = np.asarray(images, np.float32)
        outputs = [np.asarray(function(self.prepare(images[i : i + batch_size])))
                   for i in range(0, len(images), batch_size)]  # fmt: skip
        return np.concatenate(outputs) if outputs else np.zeros((0,), np.float32)

    def predict(self, images, batch_size: int = 64) -> np.ndarray:
        """Class probabilities ``[n, classes]`` of images ``[n, h, w, 3]`` in [-1, 1]."""
        return self._batched(lambda x: self.model(x, training=False), images, batch_size)

    def features(self, images, batch_size: int = 64) -> np.ndarray:
        """The features before the classifier, ``[n, d]``, of images in [-1, 1].

        Those of its last global average pool (MobileNet's, 1024 x α), or else
        the input of its last layer with weights.
        """
        return self._batched(self._feature_call, images, batch_size)

    def _feature_call(self, x):
        if self._features is None:
            self._features = _feature_model(self.model)
        return self._features(x, training=False)

    def view(self, split, resolution: int, batch_size: int = 128) -> View:
        """Features, probabilities and labels of a loader's split, in the loader's order.

        The images are read from their files batch by batch at ``resolution``
        (as a generator of that side makes them, in [-1, 1]), so only the
        outputs are held in memory, never the images.
        """
        from mnlib import data

        batches = data.pipeline(split, resolution=resolution, family="mobilenet", batch_size=batch_size,
                                shuffle=False)  # fmt: skip
        features, probabilities, labels = [], [], []
        for images, classes in batches:
            features.append(self.features(images, batch_size))
            probabilities.append(self.predict(images, batch_size))
            labels.append(np.asarray(classes))
        return View(np.concatenate(features), np.concatenate(probabilities), np.concatenate(labels))


@dataclasses.dataclass(frozen=True)
class View:
    """What a :class:`Classifier` makes of a split, one row per image in the loader's order."""

    features: np.ndarray  #: ``[n, d]``, before the classifier
    probabilities: np.ndarray  #: ``[n, classes]``
    labels: np.ndarray  #: ``[n]``, the true classes

    @property
    def correct(self) -> np.ndarray:
        """Whether the top class is the true one, per image (ties go to the lower class index)."""
        return self.probabilities.argmax(axis=1) == self.labels


def images_at(split, indices, resolution: int, batch_size: int = 128) -> np.ndarray:
    """The images of a loader's split at ``indices`` (its order), ``[k, r, r, 3]`` in [-1, 1].

    Reads the split batch by batch and keeps only those images.
    """
    from mnlib import data

    positions = np.asarray(indices, np.int64).reshape(-1)
    out = np.zeros((len(positions), resolution, resolution, 3), np.float32)
    batches = data.pipeline(split, resolution=resolution, family="mobilenet", batch_size=batch_size, shuffle=False)
    for start, (images, _) in zip(range(0, len(split), batch_size), batches):
        hits = np.nonzero((positions >= start) & (positions < start + len(images)))[0]
        out[hits] = np.asarray(images)[positions[hits] - start]
    return out


def _feature_model(model: keras.Model) -> keras.Model:
    pools = [layer for layer in model.layers if isinstance(layer, keras.layers.GlobalAveragePooling2D)]
    # without a pool at the top level (a transfer model's head), the input of its last layer with weights
    before_last = next((layer.input for layer in reversed(model.layers) if layer.weights), None)
    source = pools[-1].output if pools else before_last
    if source is None:
        raise ValueError(f"{model.name} has no global average pool or layer with weights to take features from.")
    output = keras.layers.Flatten()(source)
    return keras.Model(model.inputs, output, name=f"{model.name}_features")


def _check_classifier(model, where: str) -> None:
    """ValueError unless ``model`` takes images and gives class probabilities."""
    allowed = (
        "CLASSIFIER must be a .keras file of an image classifier (input [batch, height, width, 3], output "
        "[batch, classes] probabilities, classes >= 2), such as chapter 6's saved MobileNet, or None to use "
        "chapter 6's from RESULTS_DIR."
    )
    inputs = getattr(model, "inputs", None) or []
    if not isinstance(model, keras.Model) or len(inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(f"{where} is not a classifier: not a Keras model of one input and one output. {allowed}")
    shape_in, shape_out = tuple(model.input_shape), tuple(model.output_shape)
    if len(shape_in) != 4 or shape_in[-1] != 3 or shape_in[1] is None or shape_in[1] != shape_in[2]:
        raise ValueError(f"{where} is not an image classifier: its input is {shape_in}. {allowed}")
    if len(shape_out) != 2 or shape_out[-1] is None or shape_out[-1] < 2:
        raise ValueError(f"{where} is not a classifier: its output is {shape_out}, not [batch, classes]. {allowed}")


def load_classifier(path, *, class_names: Sequence[str] | None = None, family: str | None = None) -> Classifier:
    """A :class:`Classifier` from a ``.keras`` file.

    The record beside it (a record of the same folder whose ``model_file``
    is this file, as :func:`mnlib.train.run` writes with ``save_model=True``)
    gives its class names, preprocessing, accuracy and dataset when found.

    Args:
        path: the ``.keras`` file.
        class_names: the names of its outputs (default: the record's, or ``"class 0"``...).
        family: its preprocessing (default: the record's, or ``"mobilenet"``, [-1, 1]).

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a ``.keras`` model, or the model is not
            an image classifier (input ``[B, r, r, 3]``, output ``[B, classes]``).
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"CLASSIFIER {path} does not exist; pass a .keras file, or None for chapter 6's.")
    if path.suffix != ".keras":
        raise ValueError(f"CLASSIFIER {path} is not a .keras file (a model saved with model.save('name.keras')).")
    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as error:  # Keras raises many kinds for a file it cannot read
        raise ValueError(f"CLASSIFIER {path} could not be loaded as a Keras model ({error}).") from None
    _check_classifier(model, f"CLASSIFIER {path}")
    record = next((r for r in _records(path.parent) if r.get("model_file") == path.name), None)
    record = record or {}
    return Classifier(
        model=model,
        class_names=list(
            class_names or record.get("class_names") or [f"class {k}" for k in range(model.output_shape[-1])]
        ),  # fmt: skip
        resolution=int(model.input_shape[1]),
        family=family or (record.get("training") or {}).get("family") or "mobilenet",
        source=record.get("id") or path.name,
        top1=record.get("top1"),
        dataset=record.get("dataset"),
    )


def _records(folder) -> list[dict]:
    from mnlib import results

    folder = pathlib.Path(folder)
    found = [results.read_json(p) for p in sorted(folder.glob("*.json")) if not p.name.startswith(".")]
    return [r for r in found if isinstance(r, dict)]


def classifier_from_record(record: dict, results_dir) -> Classifier:
    """The :class:`Classifier` saved with a record of :func:`mnlib.train.run` (``save_model=True``)."""
    if not record.get("model_file"):
        raise ValueError(f"record {record.get('id')} has no saved model (train it with save_model=True).")
    path = pathlib.Path(results_dir) / record["model_file"]
    classifier = load_classifier(path, class_names=record.get("class_names"),
                                 family=(record.get("training") or {}).get("family"))  # fmt: skip
    classifier.source, classifier.top1, classifier.dataset = record["id"], record.get("top1"), record.get("dataset")
    return classifier


def judge(results_dir, class_names: Sequence[str]) -> Classifier | None:
    """Chapter 6's best saved network of exactly these classes, as a :class:`Classifier`, or None.

    The one policy of :func:`mnlib.results.best_model` (``notebook=
    "06_stanford_dogs"``, the class names in this order, a model file
    that exists); None when chapter 6 has not been run into ``results_dir``.
    """
    from mnlib import results

    record = results.best_model(results_dir, class_names=list(class_names), notebook=CLASSIFIER_NOTEBOOK)
    return None if record is None else classifier_from_record(record, results_dir)


def inception_features(batch_size: int = 64) -> Callable[[np.ndarray], np.ndarray] | None:
    """InceptionV3's ImageNet features (2048, global average pool) of images in [-1, 1], or None offline.

    Images are resized to 75 x 75, InceptionV3's smallest input (keras-io's
    GAN-ADA example does the same). Returns None when Keras' ImageNet
    weights are neither cached nor downloadable (no network).
    """
    from mnlib import baselines, models
    from mnlib.data import preprocess, resize

    file = baselines.imagenet_file("inception_v3", 75)
    try:
        weights = models.fetch_imagenet_weights(file.file_name, file.origin, file.md5)
    except (ConnectionError, ValueError):
        return None
    side = baselines.INCEPTION_MIN_SIZE
    network = keras.applications.InceptionV3(include_top=False, weights=weights, pooling="avg",
                                             input_shape=(side, side, 3))  # fmt: skip

    def features(images):
        images = np.asarray(images, np.float32)
        out = [np.asarray(network(preprocess(resize(to_pixels(images[i : i + batch_size]), side), "inception_v3"),
                                  training=False)) for i in range(0, len(images), batch_size)]  # fmt: skip
        return np.concatenate(out)

    return features


def nearest(queries, references, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` references closest to each query by cosine distance: ``(indices [n, k], distances [n, k])``.

    Args:
        queries: features ``[n, d]`` (e.g. of generated samples).
        references: features ``[m, d]`` (e.g. of the training images), ``m >= k``.
        k: neighbours per query, closest first.

    Distances are ``1 - cos`` in [0, 2]: 0 for the same direction. A sample
    much closer to one training image than other samples are to theirs is a
    sign of memorisation (the idea behind the Kaggle dog competition's MiFID).
    """
    queries, references = np.asarray(queries, np.float64), np.asarray(references, np.float64)
    if queries.ndim != 2 or references.ndim != 2 or queries.shape[1] != references.shape[1]:
        raise ValueError(f"nearest needs features [n, d] and [m, d]; got {queries.shape} and {references.shape}.")
    if not 1 <= k <= len(references):
        raise ValueError(f"k must be 1 to {len(references)} (the references); got {k!r}.")
    q = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    r = references / np.maximum(np.linalg.norm(references, axis=1, keepdims=True), 1e-12)
    distances = 1.0 - q @ r.T
    order = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(distances, order, axis=1)
