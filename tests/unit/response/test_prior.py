"""Empirical Bayes must recover the Beta prior that generated the data."""

import numpy as np
import pytest

from optimizer.response import fit_beta_binomial, pool_toward_population


def _simulate(rng: np.random.Generator, alpha: float, beta: float, persons: int, trials: int):
    rates = rng.beta(alpha, beta, size=persons)
    exposures = rng.integers(1, trials + 1, size=persons)
    return rng.binomial(exposures, rates), exposures


@pytest.mark.parametrize(("alpha", "beta"), [(2.0, 18.0), (0.5, 4.5), (6.0, 6.0)])
def test_recovers_known_beta_prior_within_sampling_error(alpha: float, beta: float) -> None:
    rng = np.random.default_rng(7)
    responses, exposures = _simulate(rng, alpha, beta, persons=20_000, trials=20)
    fit = fit_beta_binomial(responses, exposures)
    assert fit.converged
    true_mean, true_kappa = alpha / (alpha + beta), alpha + beta
    # Mean: standard error is about sqrt(mean(1-mean)/(kappa+1)/persons) ~ 0.002 here.
    assert fit.mean[0] == pytest.approx(true_mean, abs=0.01)
    # Concentration: ~5-10% sampling error at 20,000 persons with up to 20 trials each.
    assert fit.concentration[0] == pytest.approx(true_kappa, rel=0.2)


def test_fits_all_groups_at_once_and_ignores_unexposed_rows() -> None:
    rng = np.random.default_rng(3)
    truth = [(1.0, 9.0), (3.0, 3.0), (0.8, 30.0)]
    responses, exposures, group = [], [], []
    for g, (a, b) in enumerate(truth):
        k, n = _simulate(rng, a, b, persons=8_000, trials=15)
        responses.append(k)
        exposures.append(n)
        group.append(np.full(k.size, g))
    # A fourth group whose persons were never exposed: no estimate, NaN.
    responses.append(np.zeros(50))
    exposures.append(np.zeros(50))
    group.append(np.full(50, 3))
    fit = fit_beta_binomial(
        np.concatenate(responses), np.concatenate(exposures), np.concatenate(group), 4
    )
    for g, (a, b) in enumerate(truth):
        assert fit.mean[g] == pytest.approx(a / (a + b), abs=0.01)
        assert fit.concentration[g] == pytest.approx(a + b, rel=0.25)
    assert np.isnan(fit.alpha[3]) and fit.exposures[3] == 0


def test_binomial_data_gives_a_very_concentrated_prior() -> None:
    rng = np.random.default_rng(11)
    exposures = np.full(5_000, 30)
    fit = fit_beta_binomial(rng.binomial(exposures, 0.1), exposures)
    assert fit.mean[0] == pytest.approx(0.1, abs=0.005)
    assert fit.concentration[0] > 200  # no spread between persons -> near-binomial


def test_rejects_more_responses_than_exposures_naming_the_rows() -> None:
    with pytest.raises(ValueError, match=r"offending rows: \[1\]"):
        fit_beta_binomial([0, 5, 1], [2, 3, 1])


def test_thin_segment_is_pooled_toward_population() -> None:
    rng = np.random.default_rng(5)
    k_pop, n_pop = _simulate(rng, 2.0, 18.0, persons=10_000, trials=10)
    k_thin, n_thin = np.array([3, 2]), np.array([4, 3])  # a tiny, very responsive segment
    population = fit_beta_binomial(np.r_[k_pop, k_thin], np.r_[n_pop, n_thin])
    segments = fit_beta_binomial(
        np.r_[k_pop, k_thin, 0],
        np.r_[n_pop, n_thin, 0],
        np.r_[np.zeros(k_pop.size, int), 1, 1, 2],
        3,
    )
    alpha, beta = pool_toward_population(segments, population, 200.0, 0.05, 2.0)
    mean = (alpha / (alpha + beta))[:, 0]
    w = population.exposures[0] / (population.exposures[0] + 200.0)
    pop_mean = w * population.mean[0] + (1 - w) * 0.05  # population pooled toward fallback
    assert mean[0] == pytest.approx(segments.mean[0], abs=0.002)  # big segment keeps its own
    assert pop_mean < mean[1] < pop_mean + 0.05  # 7 exposures barely move it (w = 7/207)
    assert mean[2] == pytest.approx(pop_mean)  # no exposures: exactly the population


def test_arm_tried_a_few_times_without_clicks_is_not_written_off() -> None:
    """Ten exposures, no click: the MLE says rate 0; pooling keeps it near the fallback."""
    fit = fit_beta_binomial(np.zeros(5), np.full(5, 2.0))
    assert fit.mean[0] < 1e-3
    alpha, beta = pool_toward_population(fit, fit, 200.0, 0.05, 2.0)
    assert 0.04 < (alpha / (alpha + beta))[0, 0] < 0.05
