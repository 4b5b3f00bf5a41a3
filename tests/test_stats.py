"""The course's statistics against textbook values, and their refusals of bad input."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from mnlib import stats


def outcomes(both, a_only, b_only, neither):
    """Two boolean arrays with the given counts of the four paired cells."""
    a = [True] * both + [True] * a_only + [False] * b_only + [False] * neither
    b = [True] * both + [False] * a_only + [True] * b_only + [False] * neither
    return np.array(a), np.array(b)


# Newcombe (1998a), Table II: Wilson's score interval (method 3) for four proportions.
@pytest.mark.parametrize(
    "correct, total, low, high",
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_interval_matches_newcombe_table(correct, total, low, high):
    got = stats.accuracy_interval(correct, total)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_widens_with_level_and_narrows_with_images():
    narrow = stats.accuracy_interval(50, 100, level=0.8)
    wide = stats.accuracy_interval(50, 100, level=0.99)
    assert wide[0] < narrow[0] < 0.5 < narrow[1] < wide[1]
    many = stats.accuracy_interval(500, 1000)
    assert many[1] - many[0] < stats.accuracy_interval(50, 100)[1] - stats.accuracy_interval(50, 100)[0]


def test_accuracy_text_prints_the_wilson_interval():
    low, high = stats.accuracy_interval(263, 500)
    text = stats.accuracy_text(263 / 500, 500)
    assert text == f"52.6 % (95 % interval {100 * low:.1f} to {100 * high:.1f} %)"
    assert stats.accuracy_text(81 / 263, 263) == "30.8 % (95 % interval 25.5 to 36.6 %)"


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: stats.accuracy_interval(11, 10), "correct must be at most total, got correct=11, total=10"),
        (lambda: stats.accuracy_interval(-1, 10), "correct must be an integer >= 0, got -1."),
        (lambda: stats.accuracy_interval(3, 0), "total must be an integer >= 1, got 0."),
        (lambda: stats.accuracy_interval(2.5, 10), "got 2.5"),
        (lambda: stats.accuracy_interval(True, 10), "got True"),
        (lambda: stats.accuracy_interval(3, 10, level=1.5), "got 1.5"),
        (lambda: stats.accuracy_text(1.2, 10), "top1 must be a finite number in [0, 1], got 1.2."),
        (lambda: stats.chance(0.5, 1, 100), "classes must be an integer >= 2, got 1."),
        (lambda: stats.chance(0.5, 10, 0), "images must be an integer >= 1, got 0."),
    ],
)
def test_counts_out_of_range_are_refused_with_what_was_given(call, words):
    with pytest.raises(ValueError, match=None) as error:
        call()
    assert words in str(error.value)


def test_numpy_integers_are_counts():
    assert stats.accuracy_interval(np.int64(81), np.int32(263)) == stats.accuracy_interval(81, 263)


@pytest.mark.parametrize("a_only, b_only", [(0, 0), (0, 7), (3, 12), (12, 3), (40, 31), (250, 300), (5, 5)])
def test_mcnemar_is_the_exact_binomial_test_on_discordant_pairs(a_only, b_only):
    a, b = outcomes(20, a_only, b_only, 10)
    got = stats.paired(a, b)
    assert (got.a_only, got.b_only) == (a_only, b_only)
    expected = 1.0 if a_only + b_only == 0 else scipy_stats.binomtest(a_only, a_only + b_only, 0.5).pvalue
    assert got.p_value == pytest.approx(expected, rel=1e-9)


def test_paired_interval_matches_newcombe_method_10():
    # Cavo et al. (2012) in Fagerland, Lydersen & Laake (2017), ch. 8: Newcombe's
    # square-and-add interval of the difference is -0.1186 to -0.0046.
    a, b = outcomes(59, 6, 16, 80)
    got = stats.paired(a, b)
    assert got.difference == pytest.approx(-10 / 161)
    assert (got.low, got.high) == pytest.approx((-0.1186, -0.0046), abs=5e-5)
    assert got.a_accuracy == pytest.approx(65 / 161) and got.b_accuracy == pytest.approx(75 / 161)


def test_paired_interval_is_narrower_than_unpaired_when_outcomes_agree():
    # Same accuracies, strongly correlated outcomes: the paired interval is narrower
    # than the one that treats the two accuracies as independent.
    a, b = outcomes(400, 30, 10, 560)
    got = stats.paired(a, b)
    l1, u1 = stats.accuracy_interval(430, 1000)
    l2, u2 = stats.accuracy_interval(410, 1000)
    unpaired_half = math.hypot(0.43 - l1, u2 - 0.41)
    assert got.difference - got.low < unpaired_half


def test_verdict_words_follow_the_numbers():
    a, b = outcomes(400, 60, 20, 520)
    ahead = stats.paired(a, b, names=("MobileNet", "VGG16"))
    assert ahead.p_value < 0.05
    assert ahead.verdict == (
        f"MobileNet is ahead of VGG16 by 4.0 points (95 % interval {100 * ahead.low:.1f} to "
        f"{100 * ahead.high:.1f}; McNemar p < 0.001)"
    )
    behind = stats.paired(b, a, names=("VGG16", "MobileNet"))
    assert behind.verdict.startswith("MobileNet is ahead of VGG16 by 4.0 points")
    assert f"interval {100 * ahead.low:.1f} to {100 * ahead.high:.1f}" in behind.verdict
    a, b = outcomes(400, 15, 10, 575)
    level = stats.paired(a, b, names=("A", "B"))
    assert level.p_value > 0.05
    assert level.verdict == (
        f"A and B are level within noise (difference +0.5 points, 95 % interval {100 * level.low:.1f} "
        f"to {100 * level.high:.1f}; p = {level.p_value:.2g})"
    )
    assert str(level) == level.verdict


def test_paired_level_sets_the_threshold():
    a, b = outcomes(100, 20, 9, 71)  # p about 0.06
    p = stats.paired(a, b).p_value
    assert 0.05 < p < 0.1
    assert "level within noise" in stats.paired(a, b, level=0.95).verdict
    assert "is ahead of" in stats.paired(a, b, level=0.9).verdict


@pytest.mark.parametrize(
    "a, b, words",
    [
        ([True, False], [True, False, True], "got 2 and 3 entries"),
        ([1, 0, 1], [True, False, True], "got dtype int64"),
        ([0.9, 0.1], [True, False], "got dtype float64"),
        (np.zeros((2, 2), bool), np.zeros((2, 2), bool), "got shape (2, 2)"),
        (np.array([], bool), np.array([], bool), "got shape (0,)"),
    ],
)
def test_paired_refuses_arrays_that_are_not_one_boolean_per_image(a, b, words):
    with pytest.raises(ValueError) as error:
        stats.paired(a, b)
    assert words in str(error.value)


def test_paired_refuses_bad_names():
    a, b = outcomes(1, 1, 1, 1)
    with pytest.raises(ValueError, match="names must be two non-empty strings"):
        stats.paired(a, b, names="ab")


def test_spread_is_students_t_interval():
    values = [0.52, 0.55, 0.49]
    got = stats.spread(values)
    assert got.n == 3 and got.mean == pytest.approx(0.52)
    assert got.sd == pytest.approx(0.03)
    # t(0.975, 2 df) = 4.303 (Student's table)
    assert got.high - got.mean == pytest.approx(4.303 * 0.03 / math.sqrt(3), rel=1e-3)
    low, high = scipy_stats.t.interval(0.95, 2, loc=0.52, scale=0.03 / math.sqrt(3))
    assert (got.low, got.high) == pytest.approx((low, high))
    assert "n = 3" in str(got)


@pytest.mark.parametrize(
    "values, words",
    [
        ([0.5], "at least two values"),
        ([], "at least two values"),
        ([0.5, float("nan")], "finite"),
        (["a", 1], "numbers"),
    ],
)
def test_spread_refuses_fewer_than_two_finite_values(values, words):
    with pytest.raises(ValueError) as error:
        stats.spread(values)
    assert words in str(error.value) and repr(values) in str(error.value)


def test_chance_uses_the_wilson_interval():
    above = stats.chance(0.395, 10, 200)
    assert above.above and above.low > 0.1
    assert (above.low, above.high) == pytest.approx(stats.accuracy_interval(79, 200))
    assert above.verdict == f"top-1 {stats.accuracy_text(0.395, 200)} on 200 images, chance 10.0 %: above chance"
    # 14 % on 100 images with 10 classes: Wilson's interval reaches 10 %.
    near = stats.chance(0.14, 10, 100)
    assert not near.above and near.low < 0.1 < near.high
    assert near.verdict.endswith("its interval reaches chance: it says nothing about the network")
    below = stats.chance(0.0, 4, 200)
    assert not below.above and below.verdict.endswith("below chance: it says nothing about the network")
    assert str(near) == near.verdict and near.chance == pytest.approx(0.1)
