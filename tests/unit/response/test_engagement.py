"""Engagement: a person who clicks a lot on some arms is expected to click more on others."""

import numpy as np
import pytest

from optimizer.response import ArmEvidence, ResponseModel
from optimizer.response.engagement import engagement_factor, fit_engagement_shape


def test_shape_is_recovered_by_empirical_bayes() -> None:
    rng = np.random.default_rng(0)
    expected = rng.uniform(0.5, 5.0, size=50_000)
    for shape in (0.8, 3.0):
        factor = rng.gamma(shape, 1.0 / shape, size=expected.size)
        clicks = rng.poisson(factor * expected).astype(float)
        assert fit_engagement_shape(clicks, expected) == pytest.approx(shape, rel=0.1)


def test_factor_leaves_the_arm_itself_out() -> None:
    clicks = np.array([[5.0, 0.0], [0.0, 0.0]])
    expected = np.array([[1.0, 1.0], [1.0, 1.0]])
    factor = engagement_factor(clicks, expected, shape=2.0)
    assert factor[0, 0] == pytest.approx(2.0 / 3.0)  # arm 0 judged on arm 1 only: no click
    assert factor[0, 1] == pytest.approx(7.0 / 3.0)  # arm 1 judged on arm 0's five clicks
    assert factor[1, 0] == pytest.approx(2.0 / 3.0)


def test_clicks_elsewhere_raise_an_untried_arms_estimate() -> None:
    rng = np.random.default_rng(1)
    persons = 20_000
    engagement = rng.gamma(1.5, 1 / 1.5, size=persons)
    rates = np.clip(0.08 * engagement[:, None], 0, 0.9) * np.ones((persons, 3))
    exposures = np.full((persons, 3), 6.0)
    clicks = rng.binomial(6, rates).astype(float)
    evidence = ArmEvidence.empty(persons, 3).add(exposures, clicks, 0.0)
    segment = np.zeros(persons, dtype=int)
    model = ResponseModel().fit(evidence, segment, 1)
    assert model.engagement_shape_ == pytest.approx(1.5, rel=0.35)
    probe = ArmEvidence.empty(2, 3).add(
        [[10.0, 10.0, 0.0], [10.0, 10.0, 0.0]], [[6.0, 5.0, 0.0], [0.0, 0.0, 0.0]], 0.0
    )
    mean = model.posterior(probe, np.zeros(2, dtype=int)).mean
    prior = model.prior_mean_[0, 2]
    assert mean[0, 2] > 2 * prior > 2 * mean[1, 2]
    plain = ResponseModel(engagement=False).fit(evidence, segment, 1)
    np.testing.assert_allclose(
        plain.posterior(probe, np.zeros(2, dtype=int)).mean[:, 2], plain.prior_mean_[0, 2]
    )
