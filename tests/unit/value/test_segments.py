"""Segment priors: big segments keep their own estimate, small ones fall back to the population."""

import numpy as np
import pytest

from optimizer.value import BGNBD, GammaGamma, RFMSummary, fit_segment_priors


def test_pooling_weights_follow_segment_size(sample: RFMSummary) -> None:
    segment = np.where(np.arange(len(sample)) < 2000, "big", "small")
    segment[:10] = "tiny"
    priors = fit_segment_priors(
        BGNBD, segment, sample.x, sample.t_x, sample.T, pooling_size=500, min_size=30
    )
    assert priors.weights["tiny"] == 0.0
    assert priors.models["tiny"].params_ == pytest.approx(priors.population.params_)
    assert priors.weights["big"] == pytest.approx(1990 / 2490)
    assert priors.weights["small"] == pytest.approx(357 / 857)
    # pooled log-parameters lie between the segment's own fit and the population
    own = BGNBD().fit(
        sample.x[segment == "small"], sample.t_x[segment == "small"], sample.T[segment == "small"]
    )
    for name, value in priors.models["small"].params_.items():
        low, high = sorted((own.params_[name], priors.population.params_[name]))
        assert low <= value <= high
    alive = priors.apply("p_alive", segment, sample.x, sample.t_x, sample.T)
    assert alive.shape == (len(sample),) and np.all((alive > 0) & (alive <= 1))
    assert priors.model_for("never seen") is priors.population


def test_gammagamma_segments_count_buyers_only(sample: RFMSummary) -> None:
    segment = np.where(np.arange(len(sample)) < 1500, "first", "rest")
    priors = fit_segment_priors(GammaGamma, segment, sample.x, sample.monetary_value)
    buyers = int(np.count_nonzero(sample.x[:1500] > 0))
    assert priors.weights["first"] == pytest.approx(buyers / (buyers + 500))


def test_a_segment_whose_own_fit_degenerates_is_the_population(sample: RFMSummary) -> None:
    # Only heavy buyers: Gamma-Gamma's p runs off to infinity along its p * gamma ridge.
    segment = np.where(sample.x > 3, "loyal", "other")
    priors = fit_segment_priors(GammaGamma, segment, sample.x, sample.monetary_value)
    assert priors.weights["loyal"] == 0.0
