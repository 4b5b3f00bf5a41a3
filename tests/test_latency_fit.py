"""mnlib.latency_fit: the power law of latency, fitted in log space, and its leave-one-out error."""

import numpy as np
import pytest

from mnlib import latency_fit


def test_an_exact_power_law_is_recovered_with_no_error():
    mult_adds = np.array([1e7, 3e7, 1e8, 3e8, 1e9])
    latency = 2e-6 * mult_adds**0.8
    fit = latency_fit.fit(latency, mult_adds=mult_adds)
    assert fit.exponents[0] == pytest.approx(0.8)
    assert fit.predict(mult_adds=5e8) == pytest.approx(2e-6 * 5e8**0.8)
    assert fit.r2_log == pytest.approx(1.0)
    assert fit.loo_max_percent < 1e-6
    assert fit.networks == 5 and fit.predictors == ("mult_adds",)


def test_small_networks_weigh_as_much_as_large_ones():
    # One network 20 % slow at each end: a fit in log space sees the same relative error at both ends.
    mult_adds = np.geomspace(1e7, 1e9, 7)
    latency = 1e-5 * mult_adds
    latency[0] *= 1.2
    latency[-1] *= 1.2
    fit = latency_fit.fit(latency, mult_adds=mult_adds)
    assert fit.residual_percent[0] == pytest.approx(fit.residual_percent[-1], abs=0.5)


def test_leave_one_out_predicts_each_network_from_the_others():
    mult_adds = np.array([1e7, 2e7, 4e7, 8e7])
    latency = 1e-5 * mult_adds
    latency[2] *= 1.5  # an outlier: the others' line predicts it 50 % too fast, i.e. it is 1.5 x the prediction
    fit = latency_fit.fit(latency, mult_adds=mult_adds)
    others = latency_fit.fit(np.delete(latency, 2), mult_adds=np.delete(mult_adds, 2))
    expected = 100 * (latency[2] / others.predict(mult_adds=mult_adds[2]) - 1)
    assert fit.loo_percent[2] == pytest.approx(expected)
    assert fit.loo_percent[2] == pytest.approx(50.0)
    assert np.argmax(np.abs(fit.loo_percent)) == 2


def test_a_second_predictor_that_explains_the_rest_removes_the_error():
    rng = np.random.default_rng(0)
    mult_adds = rng.uniform(1e7, 1e9, 8)
    params = rng.uniform(1e5, 1e7, 8)
    latency = 1e-4 * mult_adds**0.7 * params**0.2
    one = latency_fit.fit(latency, mult_adds=mult_adds)
    two = latency_fit.fit(latency, mult_adds=mult_adds, params=params)
    assert two.loo_max_percent < 1e-6 < one.loo_median_percent
    assert two.exponents == pytest.approx((0.7, 0.2))
    assert "params^0.20" in str(two)


def test_bad_input_says_what_was_given():
    with pytest.raises(ValueError, match="at least one predictor"):
        latency_fit.fit([1, 2, 3])
    with pytest.raises(ValueError, match="finite values > 0"):
        latency_fit.fit([1, 2, -3], mult_adds=[1, 2, 3])
    with pytest.raises(ValueError, match="one value per network"):
        latency_fit.fit([1, 2, 3], mult_adds=[1, 2])
    with pytest.raises(ValueError, match="at least 4 networks for 2 predictor"):
        latency_fit.fit([1, 2, 3], mult_adds=[1, 2, 3], params=[3, 2, 1])
    fit = latency_fit.fit([1, 2, 3], mult_adds=[1, 2, 3])
    with pytest.raises(ValueError, match="predict needs exactly"):
        fit.predict(params=3)
