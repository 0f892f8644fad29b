"""Engagement: a person who clicks a lot on some arms is expected to click more on others."""

import numpy as np
import pytest

from optimizer.response import ArmEvidence, ResponseModel
from optimizer.response.engagement import (
    engagement_factor,
    engagement_grid,
    engagement_mixture,
    fit_engagement_shape,
)


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


def test_mixture_integrates_engagement_out_as_quadrature_does() -> None:
    """One person, two arms: the grid's posterior mean against numerical integration."""
    from scipy import integrate, stats
    from scipy.special import betaln

    shape, kappa = 2.0, np.array([10.0, 3.0])
    mean = np.array([0.05, 0.2])
    responses, exposures = np.array([2.0, 1.0]), np.array([6.0, 4.0])

    def joint(e: float) -> tuple[float, float]:
        m = mean * e
        a, b = m * kappa, (1 - m) * kappa
        likelihood = np.exp(np.sum(betaln(a + responses, b + exposures - responses) - betaln(a, b)))
        density = stats.gamma.pdf(e, shape, scale=1 / shape) * likelihood
        return density, density * (a[0] + responses[0]) / (kappa[0] + exposures[0])

    upper = 1 / mean.max()  # the prior mean stays below 1
    evidence = integrate.quad(lambda e: joint(e)[0], 0, upper, limit=200)[0]
    truth = integrate.quad(lambda e: joint(e)[1], 0, upper, limit=200)[0] / evidence
    alpha, beta = engagement_mixture(
        responses[None], exposures[None], mean[None], kappa[None], shape
    )
    assert alpha[0, 0] / (alpha[0, 0] + beta[0, 0]) == pytest.approx(truth, rel=0.01)


def test_mixture_without_evidence_is_the_segment_prior() -> None:
    mean = np.array([[0.04, 0.1]])  # low enough that no grid point lifts it past 1
    alpha, beta = engagement_mixture(
        np.zeros((1, 2)), np.zeros((1, 2)), mean, np.full((1, 2), 8.0), 1.5
    )
    np.testing.assert_allclose(alpha / (alpha + beta), mean, rtol=1e-9)
    # The 16 points keep the Gamma prior's spread (variance 1 / shape) within a fifth: the
    # equal-mass midpoints trim only the tails.
    assert engagement_grid(1.5).var() == pytest.approx(1 / 1.5, rel=0.2)


def test_responses_where_people_scatter_on_their_own_say_less_about_engagement() -> None:
    """Three responses in ten on an arm where everybody differs (concentration 1) raise the
    untried arm less than the same responses on an arm where people are alike (50)."""
    responses = np.array([[3.0, 0.0]])
    exposures = np.array([[10.0, 0.0]])
    mean = np.array([[0.1, 0.05]])
    untried = {}
    for kappa in (1.0, 50.0):
        concentration = np.array([[kappa, 10.0]])
        alpha, beta = engagement_mixture(responses, exposures, mean, concentration, 2.0)
        untried[kappa] = alpha[0, 1] / (alpha[0, 1] + beta[0, 1])
    assert mean[0, 1] < untried[1.0] < untried[50.0]
