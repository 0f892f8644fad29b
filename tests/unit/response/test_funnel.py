"""Opens as evidence: the funnel exposure -> open -> click recovers click rates sooner."""

import numpy as np
import pytest

from optimizer.response import ArmEvidence, ResponseModel
from optimizer.response.funnel import beta_product


def test_beta_product_matches_the_moments_of_the_product() -> None:
    rng = np.random.default_rng(0)
    a1, b1, a2, b2 = (np.array([v]) for v in (2.0, 6.0, 30.0, 90.0))
    draws = rng.beta(a1, b1, 400_000) * rng.beta(a2, b2, 400_000)
    alpha, beta = beta_product(a1, b1, a2, b2)
    mean = alpha / (alpha + beta)
    variance = alpha * beta / ((alpha + beta) ** 2 * (alpha + beta + 1))
    assert mean[0] == pytest.approx(draws.mean(), rel=0.01)
    assert variance[0] == pytest.approx(draws.var(), rel=0.02)


def _funnel_draw(seed: int) -> tuple[np.ndarray, ArmEvidence, np.ndarray]:
    """Two arms, one segment: open propensity widely spread, clicks per open nearly fixed."""
    rng = np.random.default_rng(seed)
    persons, exposures = 8_000, 6
    open_rate = rng.beta(0.4, 1.6, size=(persons, 2))  # mean 0.2, concentration 2
    through = rng.beta(20.0, 80.0, size=(persons, 2))  # mean 0.2, concentration 100
    shown = np.full((persons, 2), exposures)
    opens = rng.binomial(shown, open_rate)
    clicks = rng.binomial(opens, through)
    evidence = ArmEvidence.empty(persons, 2, np.inf, opens=True).add(shown, clicks, 0.0, opens)
    return np.zeros(persons, dtype=np.int64), evidence, open_rate * through


def test_opens_recover_per_arm_click_rates_better_than_clicks_alone() -> None:
    segment, evidence, truth = _funnel_draw(1)
    clicks_only = ArmEvidence(evidence.exposures, evidence.responses, evidence.as_of, np.inf)
    model = ResponseModel(engagement=False)
    with_opens = model.fit(evidence, segment, 1).posterior(evidence, segment).mean
    without = ResponseModel(engagement=False).fit(clicks_only, segment, 1)
    plain = without.posterior(clicks_only, segment).mean
    error_with = np.sqrt(np.mean((with_opens - truth) ** 2))
    error_without = np.sqrt(np.mean((plain - truth) ** 2))
    assert error_with < 0.8 * error_without
    # The stages' priors recover the generating means.
    open_mean = model.open_alpha_ / (model.open_alpha_ + model.open_beta_)
    through_mean = model.through_alpha_ / (model.through_alpha_ + model.through_beta_)
    np.testing.assert_allclose(open_mean, 0.2, atol=0.01)
    np.testing.assert_allclose(through_mean, 0.2, atol=0.015)


def test_without_opens_the_model_is_the_click_model() -> None:
    segment, evidence, _ = _funnel_draw(2)
    clicks_only = ArmEvidence(evidence.exposures, evidence.responses, evidence.as_of, np.inf)
    fitted_with_opens = ResponseModel().fit(evidence, segment, 1)
    plain = ResponseModel().fit(clicks_only, segment, 1)
    np.testing.assert_allclose(fitted_with_opens.prior_mean_, plain.prior_mean_)
    np.testing.assert_allclose(
        fitted_with_opens.posterior(clicks_only, segment).mean,
        plain.posterior(clicks_only, segment).mean,
        rtol=0.05,  # only the engagement shape differs: fitted on opens
    )


def test_an_arm_without_recorded_opens_uses_clicks() -> None:
    """Opens on arm 0 only (arm 1 is direct mail): arm 1 is scored on its clicks alone."""
    segment, evidence, _ = _funnel_draw(3)
    assert evidence.opens is not None
    opens = evidence.opens.copy()
    opens[:, 1] = 0.0
    partial = ArmEvidence(evidence.exposures, evidence.responses, evidence.as_of, np.inf, opens)
    model = ResponseModel(engagement=False).fit(partial, segment, 1)
    np.testing.assert_array_equal(model.open_arms_, [True, False])
    clicks_only = ArmEvidence(evidence.exposures, evidence.responses, evidence.as_of, np.inf)
    plain = ResponseModel(engagement=False).fit(clicks_only, segment, 1)
    np.testing.assert_allclose(
        model.posterior(partial, segment).mean[:, 1],
        plain.posterior(clicks_only, segment).mean[:, 1],
    )


def test_a_click_without_a_recorded_open_counts_as_an_open() -> None:
    segment, evidence, _ = _funnel_draw(4)
    model = ResponseModel().fit(evidence, segment, 1)
    blocked = ArmEvidence.empty(2, 2, np.inf, opens=True).add(
        [[5.0, 5.0], [5.0, 5.0]], [[2.0, 0.0], [2.0, 0.0]], 0.0, [[0.0, 0.0], [2.0, 0.0]]
    )
    mean = model.posterior(blocked, np.zeros(2, dtype=np.int64)).mean
    np.testing.assert_allclose(mean[0], mean[1])
    assert mean[0, 0] > mean[0, 1]


def test_open_evidence_decays_and_must_be_consistent() -> None:
    evidence = ArmEvidence.empty(1, 1, half_life_weeks=4.0, opens=True).add(
        [[4.0]], [[1.0]], 0.0, [[2.0]]
    )
    assert evidence.decayed_to(4.0).opens == pytest.approx(np.array([[1.0]]))
    with pytest.raises(ValueError, match="pass the fresh opens"):
        evidence.add([[1.0]], [[0.0]], 1.0)
    with pytest.raises(ValueError, match="opens must lie in"):
        ArmEvidence(np.ones((1, 1)), np.zeros((1, 1)), np.zeros(1), 4.0, np.full((1, 1), 2.0))


def test_a_model_restored_without_open_priors_scores_on_clicks() -> None:
    """The pipeline restores prior_alpha_/prior_beta_/engagement_shape_ only: clicks decide."""
    segment, evidence, _ = _funnel_draw(5)
    clicks_only = ArmEvidence(evidence.exposures, evidence.responses, evidence.as_of, np.inf)
    fitted = ResponseModel(engagement=False).fit(clicks_only, segment, 1)
    restored = ResponseModel()
    restored.prior_alpha_, restored.prior_beta_ = fitted.prior_alpha_, fitted.prior_beta_
    restored.engagement_shape_ = np.inf
    np.testing.assert_allclose(
        restored.posterior(evidence, segment).mean, fitted.posterior(clicks_only, segment).mean
    )
