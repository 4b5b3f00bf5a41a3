"""Chapter 6's exercises (Stanford Dogs): the pair of breeds the classifier mixes up most, judged on the
chapter's own confusion matrix; a crop to an annotated box; Mult-Adds at 128 against 224 px; the side of
InceptionV3's last feature map.

06.1 is judged on the confusion matrix the chapter computed: the chapter hands it over with
:func:`use_matrix` before the exercise. Until then (as in the tests) it is judged on a fixed hidden matrix.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import costs, models
from .core import Exercise, Function, Number, close_arrays

__all__ = ["EXERCISES", "use_matrix", "most_mixed"]

#: The matrix 06.1 is judged on until a chapter calls :func:`use_matrix` (row: true breed, column: predicted).
#: Its largest one-way count (Beagle taken for Basset) is not its most mixed-up pair (Whippet and Saluki).
_DEFAULT_COUNTS = np.array(
    [
        [14, 6, 0, 1, 0],
        [2, 15, 1, 0, 0],
        [0, 1, 12, 5, 2],
        [0, 0, 4, 13, 3],
        [1, 0, 2, 1, 16],
    ]
)
_DEFAULT_NAMES = ("Beagle", "Basset", "Whippet", "Saluki", "Borzoi")
_case: dict = {"counts": _DEFAULT_COUNTS, "names": _DEFAULT_NAMES}


def _mixed(counts: np.ndarray) -> np.ndarray:
    """Mistakes between each two classes, both ways: ``counts + counts.T`` with a zero diagonal."""
    mixed = counts + counts.T
    np.fill_diagonal(mixed, 0)
    return mixed


def most_mixed(counts, class_names) -> tuple[str, ...]:
    """The two classes a confusion matrix mixes up most, counting mistakes both ways.

    Args:
        counts: a square confusion matrix, int ``[k, k]`` (row = true class,
            column = predicted, as :func:`mnlib.confusion.matrix` gives).
        class_names: the ``k`` names (a loader's ``ClassNames``: its
            ``readable`` names; or a list of strings).

    Returns:
        ``(name_i, name_j)`` with ``i < j``, the first such pair in row order
        among ties; ``()`` when the matrix holds no mistake.
    """
    counts = np.asarray(counts)
    names = list(getattr(class_names, "readable", class_names))
    mixed = _mixed(counts)
    if mixed.max() == 0:
        return ()
    i, j = np.unravel_index(int(np.argmax(np.triu(mixed))), mixed.shape)
    return names[i], names[j]


def use_matrix(counts, class_names) -> None:
    """Judge exercise 06.1 on this confusion matrix (the chapter's) from now on.

    Args:
        counts: a square confusion matrix of non-negative integers, ``[k, k]``
            with ``k >= 2`` (:func:`mnlib.confusion.matrix`).
        class_names: its ``k`` class names (``ClassNames`` or a list of strings).

    Raises:
        ValueError: for a matrix that is not square, integer and non-negative,
            or names that do not match it.
    """
    counts = np.asarray(counts)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] < 2:
        raise ValueError(f"counts must be a square confusion matrix, at least 2 x 2; got shape {counts.shape}.")
    if not np.issubdtype(counts.dtype, np.integer) or counts.min() < 0:
        raise ValueError("counts must hold non-negative integers (counts of images), as confusion.matrix gives.")
    names = tuple(str(n) for n in getattr(class_names, "readable", class_names))
    if len(names) != len(counts) or len(set(names)) != len(names):
        raise ValueError(f"class_names must be {len(counts)} distinct names, one per row; got {len(names)}.")
    _case.update(counts=counts.copy(), names=names)
    MIXED_PAIR._ready = False  # the reference answer is this matrix's from now on


@dataclass(eq=False)
class _MixedPair(Exercise):
    """Two class names, in either order, judged on the matrix of :func:`use_matrix`."""

    def context(self):
        """The matrix and names this answer is judged on, as plain data (a graded run records them)."""
        return {"counts": _case["counts"].tolist(), "names": list(_case["names"])}

    def use_context(self, data) -> None:
        """Judge on the matrix a graded run recorded; ``None``: on the fixed hidden one."""
        if data is None:
            _case.update(counts=_DEFAULT_COUNTS, names=_DEFAULT_NAMES)
            self._ready = False
        else:
            use_matrix(np.asarray(data["counts"], dtype=np.int64), data["names"])

    def _judge(self, answer):
        counts, names = _case["counts"], list(_case["names"])
        mixed = _mixed(counts)
        if mixed.max() == 0:
            empty = isinstance(answer, (tuple, list)) and len(answer) == 0
            return None if empty else "this classifier made no mistake at all: the answer is ()"
        if isinstance(answer, (str, bytes)) or not isinstance(answer, Sequence | set | frozenset):
            return f"expected two breed names in a tuple, e.g. ('Name A', 'Name B'); got {type(answer).__name__}"
        answer = list(answer)
        if len(answer) != 2 or not all(isinstance(a, str) for a in answer):
            return "expected exactly two breed names (strings), e.g. ('Name A', 'Name B')"
        lookup = {n.strip().lower(): i for i, n in enumerate(names)}
        unknown = [a for a in answer if a.strip().lower() not in lookup]
        if unknown:
            return f"{unknown[0]!r} is not a class of this run: spell the names as class_names.readable does"
        i, j = (lookup[a.strip().lower()] for a in answer)
        if i == j:
            return "name two different breeds"
        if mixed[i, j] == mixed.max():
            return None
        off = counts.copy()
        np.fill_diagonal(off, 0)
        if max(off[i, j], off[j, i]) == off.max():
            return (
                "that is the largest count one way; add the mistakes the other way round "
                "(counts[i, j] + counts[j, i]) for every pair"
            )
        return f"those two are mixed up {mixed[i, j]} times in all, both ways; another pair is mixed up more often"


def _crop(image, box):
    x0, y0, x1, y1 = box
    return image[y0 : y1 + 1, x0 : x1 + 1]


def _crop_cases():
    rng = np.random.default_rng(6)
    image = rng.integers(0, 256, size=(40, 60, 3), dtype=np.uint8)
    tall = rng.integers(0, 256, size=(90, 35, 3), dtype=np.uint8)
    return [(image, (5, 10, 24, 30)), (image, (0, 0, 59, 39)), (image, (30, 2, 30, 2)), (tall, (3, 40, 34, 89))]


def _describe_crop(args):
    image, box = args
    return f"a photo of {image.shape[0]} x {image.shape[1]} px (height x width) and the box {box}"


@functools.cache
def _inception_side_built(size: int) -> int:
    """The side of InceptionV3's last feature map for ``size`` px inputs, from the network Keras builds."""
    import keras

    body = keras.applications.InceptionV3(include_top=False, weights=None, input_shape=(size, size, 3))
    return int(body.output.shape[1])


def _inception_side(size):
    return _inception_side_built(int(size))


def _side_cases():
    return [(75,), (100,), (128,), (224,), (299,)]


def _halve_with_same_padding(size):
    """A plausible mistake: every stride-2 layer rounds up, as with 'same' padding."""
    for _ in range(5):
        size = -(-size // 2)
    return size


def _forget_valid_convolutions(size):
    """A plausible mistake: the stem's two 3x3 'valid' convolutions (2 px each) left out."""
    for _ in range(5):
        size = (size - 3) // 2 + 1
    return size


def _mult_adds(size: int) -> float:
    return costs.model_cost(models.mobilenet(1.0, (size, size, 3), 120))["mult_adds"].sum()


MIXED_PAIR = _MixedPair(
    "06.1",
    "the two breeds the chapter's classifier mixes up most, both ways",
    lambda: most_mixed(_case["counts"], _case["names"]),
    hint="a confusion of A for B and one of B for A are both the network mixing A and B up.",
    mistakes=lambda: [("Beagle", "Basset"), ("Saluki", "Borzoi"), ("Whippet", "Whippet")],
)

EXERCISES = [
    MIXED_PAIR,
    Function(
        "06.2",
        "crop a photo to an annotated box",
        lambda: _crop,
        cases=_crop_cases,
        compare=close_arrays(0),
        describe=_describe_crop,
        hint="a box is (x0, y0, x1, y1) with inclusive corners, x along the width; an image is indexed "
        "[row, column], i.e. [y, x].",
        mistakes=lambda: [
            lambda image, box: image[box[1] : box[3], box[0] : box[2]],
            lambda image, box: image[box[0] : box[2] + 1, box[1] : box[3] + 1],
        ],
    ),
    Number(
        "06.3",
        "MobileNet's Mult-Adds at 128 px over those at 224 px",
        lambda: _mult_adds(128) / _mult_adds(224),
        rel_tol=0.01,
        hint="the resolution multiplier is ρ = 128 / 224; a convolution's Mult-Adds grow with the pixels of its "
        "feature maps.",
        mistakes=lambda: [128 / 224, (224 / 128) ** 2],
    ),
    Function(
        "06.4",
        "the side of InceptionV3's last feature map for a given input size",
        lambda: _inception_side,
        cases=_side_cases,
        describe=lambda args: f"a {args[0]} px input",
        hint="list the layers that shrink the map (model.summary(): 'valid' padding or stride 2); a 'valid' "
        "k x k layer of stride s turns a side n into (n - k) // s + 1.",
        mistakes=lambda: [_halve_with_same_padding, _forget_valid_convolutions],
    ),
]
