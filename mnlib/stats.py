"""The course's statistics: an accuracy's interval, two classifiers compared, seeds summarised.

Every accuracy the book shows carries an interval, and every comparison it
draws is a test whose verdict is a sentence chosen by the numbers, never
typed in prose:

- :func:`accuracy_interval`: the Wilson (1927) score interval of an accuracy.
- :func:`accuracy_text`: an accuracy and its interval as the book prints it.
- :func:`chance`: whether a classifier is above chance, by that interval.
- :func:`paired`: two classifiers scored on the same test images, compared
  by McNemar's exact test (McNemar 1947; Dietterich 1998) with Newcombe's
  (1998) interval for the difference of their accuracies.
- :func:`spread`: several seeds' results as a mean and Student's t interval.

References:
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. JASA 22, 209-212.
    McNemar, Q. (1947). Note on the sampling error of the difference between
    correlated proportions or percentages. Psychometrika 12, 153-157.
    Dietterich, T. G. (1998). Approximate statistical tests for comparing
    supervised classification learning algorithms. Neural Computation 10,
    1895-1923.
    Newcombe, R. G. (1998a). Two-sided confidence intervals for the single
    proportion: comparison of seven methods. Statistics in Medicine 17,
    857-872.
    Newcombe, R. G. (1998b). Improved confidence intervals for the difference
    between binomial proportions based on paired data. Statistics in
    Medicine 17, 2635-2650.
    Student [Gosset, W. S.] (1908). The probable error of a mean. Biometrika
    6, 1-25.

Introduced in chapter 5 (the comparison with VGG16 and InceptionV3), where
the chance verdict first decides whether a run says anything; chapters 3 to 8
use it for every accuracy and comparison.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _scipy_stats

from mnlib import checks

__all__ = ["accuracy_interval", "accuracy_text", "chance", "paired", "spread", "Chance", "Paired", "Spread"]


def _level(level) -> float:
    """``level`` as a float in (0, 1), or ValueError naming what was given."""
    return checks.number("level", level, above=0, below=1, hint="A confidence level, e.g. 0.95.")


def _count(name: str, value, minimum: int) -> int:
    """``value`` as an int >= ``minimum`` (numpy integers accepted, bools and floats refused)."""
    return checks.integer(name, value, minimum=minimum)


def _fraction(name: str, value) -> float:
    """``value`` as a float in [0, 1] (an accuracy), or ValueError."""
    return checks.number(name, value, minimum=0, maximum=1, hint="An accuracy is a fraction, e.g. 0.526.")


def _z(level: float) -> float:
    """The standard normal quantile of a two-sided ``level`` (1.95996... for 0.95)."""
    return float(_scipy_stats.norm.ppf(0.5 + level / 2))


def _percent(level: float) -> str:
    """``0.95`` as ``"95 %"``."""
    return f"{100 * level:g} %"


def _wilson(p: float, n: int, z: float) -> tuple[float, float]:
    """Wilson's interval of a proportion ``p`` observed on ``n`` trials."""
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def accuracy_interval(correct: int, total: int, level: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of an accuracy: ``correct`` right out of ``total``.

    With :math:`\\hat p = c / n` and :math:`z` the normal quantile of the level
    (1.96 for 95 %), the interval is (Wilson 1927; Newcombe 1998a, method 3)

    .. math::
        \\frac{\\hat p + z^2/2n \\pm z \\sqrt{\\hat p (1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}.

    Unlike :math:`\\hat p \\pm z \\sqrt{\\hat p(1-\\hat p)/n}`, it stays inside
    [0, 1] and keeps its coverage on small test sets and near 0 or 1. For 81
    right out of 263 it is 0.2553 to 0.3662 (Newcombe 1998a, Table II).

    Args:
        correct: images classified right, 0 <= correct <= total.
        total: images scored, >= 1.
        level: confidence level in (0, 1).

    Returns:
        ``(low, high)``, fractions in [0, 1].

    Raises:
        ValueError: a count is not an integer, or is out of range.
    """
    total = _count("total", total, 1)
    correct = _count("correct", correct, 0)
    if correct > total:
        raise ValueError(f"correct must be at most total, got correct={correct}, total={total}.")
    return _wilson(correct / total, total, _z(_level(level)))


def accuracy_text(top1: float, images: int, level: float = 0.95) -> str:
    """An accuracy with its Wilson interval (:func:`accuracy_interval`), as the book prints it.

    Args:
        top1: the accuracy, a fraction in [0, 1].
        images: how many images it was measured on, >= 1.
        level: confidence level in (0, 1).

    Returns:
        e.g. ``"52.6 % (95 % interval 48.2 to 57.0 %)"`` (percent, one decimal).
    """
    top1 = _fraction("top1", top1)
    images = _count("images", images, 1)
    level = _level(level)
    low, high = _wilson(top1, images, _z(level))
    return f"{100 * top1:.1f} % ({_percent(level)} interval {100 * low:.1f} to {100 * high:.1f} %)"


@dataclass(frozen=True)
class Chance:
    """Whether an accuracy is above chance (:func:`chance`); ``str()`` gives the verdict."""

    top1: float
    classes: int
    images: int
    level: float
    low: float  #: Wilson interval of ``top1``, low end
    high: float  #: and high end
    chance: float  #: the accuracy of guessing, ``1 / classes``
    above: bool  #: ``low > chance``
    verdict: str

    def __str__(self) -> str:
        return self.verdict


def chance(top1: float, classes: int, images: int, level: float = 0.95) -> Chance:
    """Whether a classifier's top-1 accuracy says anything: is it above chance?

    Guessing among ``classes`` classes scores ``1 / classes``. The classifier
    is *above chance* when the low end of the Wilson interval of its accuracy
    (:func:`accuracy_interval`, computed with :math:`\\hat p` = ``top1`` on
    ``images`` images) is above ``1 / classes``; otherwise its interval
    reaches chance (or lies below it) and its predictions say nothing about
    what it learnt.

    Args:
        top1: the accuracy, a fraction in [0, 1].
        classes: number of classes, >= 2.
        images: number of images it was measured on, >= 1.
        level: confidence level in (0, 1).

    Returns:
        A :class:`Chance`; its ``verdict`` reads e.g. ``"top-1 39.5 % (95 %
        interval 33.0 to 46.4 %) on 200 images, chance 10.0 %: above chance"``.
    """
    top1 = _fraction("top1", top1)
    classes = _count("classes", classes, 2)
    images = _count("images", images, 1)
    level = _level(level)
    low, high = _wilson(top1, images, _z(level))
    guess = 1 / classes
    above = low > guess
    if above:
        words = "above chance"
    elif high < guess:
        words = "below chance: it says nothing about the network"
    else:
        words = "its interval reaches chance: it says nothing about the network"
    verdict = f"top-1 {accuracy_text(top1, images, level)} on {images} images, chance {100 * guess:.1f} %: {words}"
    return Chance(top1, classes, images, level, low, high, guess, above, verdict)


@dataclass(frozen=True)
class Paired:
    """Two classifiers compared on the same images (:func:`paired`); ``str()`` gives the verdict."""

    names: tuple[str, str]
    images: int  #: images both were scored on
    a_accuracy: float
    b_accuracy: float
    difference: float  #: accuracy of a minus accuracy of b, a fraction
    low: float  #: Newcombe's interval of the difference, low end
    high: float  #: and high end
    p_value: float  #: exact two-sided McNemar test on the discordant pairs
    a_only: int  #: images a got right and b wrong
    b_only: int  #: images b got right and a wrong
    level: float
    verdict: str

    def __str__(self) -> str:
        return self.verdict


def _correctness(name: str, values) -> np.ndarray:
    """``values`` as a 1-D boolean array, or ValueError saying what it was."""
    array = np.asarray(values)
    if array.dtype != np.bool_:
        raise ValueError(
            f"{name} must be an array of booleans (one per image: was it classified right?); "
            f"got dtype {array.dtype}. Pass e.g. predictions == labels."
        )
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, one entry per image; got shape {array.shape}.")
    return array


def _mcnemar(a_only: int, b_only: int) -> float:
    """Exact two-sided McNemar p-value: binomial(a_only + b_only, 1/2), doubled tail, at most 1."""
    discordant = a_only + b_only
    if discordant == 0:
        return 1.0
    tail = sum(math.comb(discordant, k) for k in range(min(a_only, b_only) + 1))
    return min(1.0, 2 * tail / 2**discordant)


def _newcombe_paired(both: int, a_only: int, b_only: int, neither: int, z: float) -> tuple[float, float]:
    """Newcombe's (1998b) method 10 interval for the difference of two paired proportions."""
    n = both + a_only + b_only + neither
    p1, p2 = (both + a_only) / n, (both + b_only) / n
    l1, u1 = _wilson(p1, n, z)
    l2, u2 = _wilson(p2, n, z)
    margins = (both + a_only) * (b_only + neither) * (both + b_only) * (a_only + neither)
    cross = both * neither - a_only * b_only
    if margins == 0 or 0 <= cross <= n / 2:
        phi = 0.0
    else:
        phi = (cross - n / 2 if cross > n / 2 else cross) / math.sqrt(margins)
    d = p1 - p2
    low = d - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    high = d + math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return max(-1.0, low), min(1.0, high)


def _p_text(p: float) -> str:
    """A p-value as the verdicts print it: ``0.003``, ``0.52``, ``< 0.001``."""
    return "< 0.001" if p < 0.001 else f"= {p:.2g}"


def paired(a_correct, b_correct, level: float = 0.95, names: Sequence[str] = ("a", "b")) -> Paired:
    """Compare two classifiers scored on the same images: which is ahead, and is it noise?

    Each image falls in one of four cells: both right, only a right
    (:math:`n_{10}`), only b right (:math:`n_{01}`), both wrong. Only the
    discordant images tell the classifiers apart. Under "equally accurate",
    :math:`n_{10}` is binomial with :math:`n_{10} + n_{01}` trials and
    probability 1/2; the exact two-sided McNemar p-value (McNemar 1947; the
    test Dietterich 1998 recommends for two classifiers on one test set) is

    .. math:: p = \\min\\left(1,\\ 2 \\sum_{k=0}^{\\min(n_{10}, n_{01})}
              \\binom{n_{10}+n_{01}}{k} 2^{-(n_{10}+n_{01})}\\right).

    The interval for the difference of accuracies :math:`(n_{10} - n_{01})/n`
    is Newcombe's (1998b) method 10: the Wilson intervals of the two
    accuracies, squared and added, with the correlation :math:`\\hat\\phi` of
    the paired outcomes (made 0 when a margin is empty, and moved towards 0
    by :math:`n/2` when positive, as Newcombe does). For the table
    (59, 6, 16, 80) it gives -0.1186 to -0.0046 (Fagerland, Lydersen & Laake
    2017, ch. 8).

    The verdict follows the test: a is *ahead* when :math:`p < 1 -` ``level``
    and it got more images right, otherwise the two are *level within noise*.
    It speaks of these test images only: seed variance is not in it.

    Args:
        a_correct, b_correct: boolean arrays, one entry per image, the same
            images in the same order (e.g. ``predictions == labels``).
        level: confidence level in (0, 1); the test's threshold is ``1 - level``.
        names: what to call a and b in the verdict.

    Returns:
        A :class:`Paired`; its ``verdict`` reads e.g. ``"A is ahead of B by
        4.1 points (95 % interval 1.2 to 7.0; McNemar p = 0.003)"`` or ``"A
        and B are level within noise (difference +1.0 points, 95 % interval
        -2.1 to 4.0; p = 0.52)"`` (points are percentage points of top-1).

    Raises:
        ValueError: an array is not boolean or 1-D, is empty, or the lengths differ.
    """
    a = _correctness("a_correct", a_correct)
    b = _correctness("b_correct", b_correct)
    if a.shape != b.shape:
        raise ValueError(f"a_correct and b_correct must score the same images; got {a.size} and {b.size} entries.")
    level = _level(level)
    if isinstance(names, str) or len(names) != 2 or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"names must be two non-empty strings; got {names!r}.")
    both, a_only = int(np.sum(a & b)), int(np.sum(a & ~b))
    b_only, neither = int(np.sum(~a & b)), int(np.sum(~a & ~b))
    low, high = _newcombe_paired(both, a_only, b_only, neither, _z(level))
    p_value = _mcnemar(a_only, b_only)
    difference = (a_only - b_only) / a.size
    percent = _percent(level)
    if p_value < 1 - level and difference != 0:
        first, second = names if difference > 0 else names[::-1]
        lo, hi = (low, high) if difference > 0 else (-high, -low)
        verdict = (
            f"{first} is ahead of {second} by {100 * abs(difference):.1f} points "
            f"({percent} interval {100 * lo:.1f} to {100 * hi:.1f}; McNemar p {_p_text(p_value)})"
        )
    else:
        verdict = (
            f"{names[0]} and {names[1]} are level within noise (difference {100 * difference:+.1f} points, "
            f"{percent} interval {100 * low:.1f} to {100 * high:.1f}; p {_p_text(p_value)})"
        )
    accuracies = float(a.mean()), float(b.mean())
    counts = dict(p_value=p_value, a_only=a_only, b_only=b_only)
    return Paired(tuple(names), a.size, *accuracies, difference, low, high, **counts, level=level, verdict=verdict)


@dataclass(frozen=True)
class Spread:
    """Several runs' results as a mean and an interval (:func:`spread`); ``str()`` reads them."""

    mean: float
    sd: float  #: sample standard deviation (n - 1 in the denominator)
    n: int
    low: float  #: Student's t interval of the mean, low end
    high: float  #: and high end
    level: float

    def __str__(self) -> str:
        interval = f"{_percent(self.level)} interval {self.low:.4g} to {self.high:.4g}"
        return f"{self.mean:.4g} ± {self.sd:.2g} (n = {self.n}; {interval})"


def spread(values, level: float = 0.95) -> Spread:
    """The mean of several runs (e.g. seeds) and Student's t interval for it.

    With :math:`n` values of mean :math:`\\bar x` and sample standard
    deviation :math:`s`, the interval is :math:`\\bar x \\pm t_{n-1}\\, s /
    \\sqrt n`, :math:`t_{n-1}` the two-sided quantile of Student's t with
    :math:`n - 1` degrees of freedom (Student 1908). It includes the
    variance between the runs (seeds), not that of the test set each was
    scored on.

    Args:
        values: two or more finite numbers.
        level: confidence level in (0, 1).

    Returns:
        A :class:`Spread` with ``mean``, ``sd``, ``n``, ``low``, ``high``.

    Raises:
        ValueError: fewer than two values, or one that is not a finite number.
    """
    level = _level(level)
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"values must be numbers; got {values!r}.") from None
    if array.ndim != 1 or array.size < 2:
        raise ValueError(f"spread needs at least two values (e.g. two seeds); got {values!r}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"values must be finite numbers; got {values!r}.")
    n = int(array.size)
    mean, sd = float(array.mean()), float(array.std(ddof=1))
    half = float(_scipy_stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return Spread(mean, sd, n, mean - half, mean + half, level)
