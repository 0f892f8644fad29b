"""Predictions: internally consistent, stable for heavy buyers, vectorized."""

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import approx_fprime
from scipy.special import gammaln

from optimizer.value import (
    BGNBD,
    MBGNBD,
    ConvergenceError,
    GammaGamma,
    ParetoNBD,
    RFMSummary,
    customer_lifetime_value,
    score_customers,
)
from optimizer.value.bgnbd import CDNOW_PARAMS as BG
from optimizer.value.btyd import x_levels
from optimizer.value.mbgnbd import CDNOW_PARAMS as MBG
from optimizer.value.paretonbd import CDNOW_PARAMS as PNBD

MODELS = [BGNBD.from_params(**BG), MBGNBD.from_params(**MBG), ParetoNBD.from_params(**PNBD)]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_p_purchases_is_a_distribution_whose_mean_is_expected_purchases(model) -> None:
    n = np.arange(0, 400)
    for t in (5.0, 39.0, 104.0):
        p = model.p_purchases(n, t)
        assert np.all(p >= 0)
        assert p.sum() == pytest.approx(1.0, abs=1e-8)
        assert (n * p).sum() == pytest.approx(model.expected_purchases(t), rel=1e-6)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.name)
def test_heavy_buyers_do_not_overflow(model) -> None:
    x = np.array([0, 1, 50, 400, 2000])
    t_x = np.array([0.0, 38.0, 30.0, 38.86, 38.86])
    T = np.full(5, 38.86)
    alive = model.p_alive(x, t_x, T)
    expected = model.conditional_expected_purchases(39.0, x, t_x, T)
    assert np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))
    assert np.all(np.isfinite(expected)) and np.all(expected >= 0)
    assert expected[4] > expected[3] > expected[2]  # heavier buyers, seen at T, buy more
    assert alive[4] > 0.99
    assert np.all(np.isfinite(model.log_likelihood(x, t_x, T)))


def _pareto_ll_by_quadrature(r, alpha, s, beta, x, t_x, T):
    """Direct form: dropout at tau in (t_x, T], the integrand scaled by its value at t_x."""
    scale = (r + x) * np.log(alpha + t_x) + (s + 1) * np.log(beta + t_x)

    def integrand(tau):
        return np.exp(scale - (r + x) * np.log(alpha + tau) - (s + 1) * np.log(beta + tau))

    integral = quad(integrand, t_x, T, epsabs=0, epsrel=1e-13, limit=500)[0]
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    dead = np.log(s * integral) - scale if integral > 0 else -np.inf
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    return head + np.logaddexp(alive, dead)


@pytest.mark.parametrize(
    "params", [(0.55, 10.6, 0.6, 11.7), (0.55, 20.0, 0.6, 3.0), (2.0, 3.0, 0.5, 40.0)]
)
def test_pareto_likelihood_equals_its_integral_form_even_for_x_500(params) -> None:
    r, alpha, s, beta = params
    model = ParetoNBD.from_params(r=r, alpha=alpha, s=s, beta=beta)
    rows = [
        (0, 0.0, 38.86),
        (2, 30.43, 38.86),
        (5, 1.0, 38.86),
        (50, 20.0, 38.86),
        (500, 30.0, 38.86),
    ]
    x, t_x, T = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    ours = model.log_likelihood(x, t_x, T)
    direct = [_pareto_ll_by_quadrature(r, alpha, s, beta, *row) for row in rows]
    assert ours == pytest.approx(direct, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("model_class", [BGNBD, MBGNBD, ParetoNBD], ids=lambda c: c.name)
def test_analytic_gradients_match_finite_differences(model_class, sample: RFMSummary) -> None:
    model = model_class()
    x, t_x, T = sample.x.astype(float), sample.t_x, sample.T
    for point in ([0.5, 10.0, 0.6, 12.0], [0.5, 20.0, 1.5, 3.0]):
        log_params = np.log(point)
        analytic = model._row_loglik(log_params, x, t_x, T, *x_levels(x))[1].sum(axis=1)
        numeric = approx_fprime(
            log_params, lambda v: model._row_loglik(v, x, t_x, T, *x_levels(x))[0].sum(), 1e-7
        )
        assert analytic == pytest.approx(numeric, rel=1e-4, abs=1e-2)


def test_weighted_rows_fit_the_same_as_raw_rows(sample: RFMSummary) -> None:
    raw = BGNBD().fit(sample.x, sample.t_x, sample.T)
    doubled = BGNBD().fit(sample.x, sample.t_x, sample.T, weights=np.full(len(sample), 2.0))
    assert doubled.params_ == pytest.approx(raw.params_, rel=1e-6)
    assert doubled.log_likelihood_ == pytest.approx(2 * raw.log_likelihood_, rel=1e-9)


def test_non_convergence_is_loud() -> None:
    # Nobody ever buys again: r runs off to zero, there is no interior maximum.
    x, t_x, T = np.zeros(100), np.zeros(100), np.linspace(1, 40, 100)
    with pytest.raises(ConvergenceError, match="did not converge"):
        BGNBD().fit(x, t_x, T)
    with pytest.warns(UserWarning, match="did not converge"):
        model = BGNBD(on_failure="warn").fit(x, t_x, T)
    assert not model.converged_


def test_large_inputs_are_scored_per_distinct_row(sample: RFMSummary) -> None:
    model = MODELS[0]
    index = np.random.default_rng(0).integers(0, len(sample), 60_000)
    x, t_x, T = sample.x[index], sample.t_x[index], sample.T[index]
    fast = model.p_alive(x, t_x, T)
    slow = model._p_alive(x.astype(float), t_x, T)
    assert np.array_equal(fast, slow)


def test_clv_discounting(sample: RFMSummary) -> None:
    model = MODELS[0]
    spend = GammaGamma.from_params(p=6.25, q=3.74, gamma=15.44).conditional_expected_spend(
        sample.x, sample.monetary_value
    )
    args = (sample.x, sample.t_x, sample.T, spend)
    undiscounted = customer_lifetime_value(model, *args, horizon=52, discount_rate=0.0)
    expected = model.conditional_expected_purchases(52, sample.x, sample.t_x, sample.T)
    assert undiscounted == pytest.approx(expected * spend, rel=1e-9)
    discounted = customer_lifetime_value(model, *args, horizon=52, discount_rate=0.1, margin=0.3)
    assert np.all(discounted < 0.3 * undiscounted)
    assert np.all(discounted > 0.3 * undiscounted / 1.1)  # nothing discounted beyond a year


def test_gammagamma_shrinks_light_buyers_toward_the_population() -> None:
    model = GammaGamma.from_params(p=6.25, q=3.74, gamma=15.44)
    population = model.expected_spend()
    spend = model.conditional_expected_spend([0, 1, 50], [0.0, 100.0, 100.0])
    assert spend[0] == pytest.approx(population)
    assert population < spend[1] < spend[2] < 100.0


def test_score_customers_agrees_with_the_separate_predictions(sample: RFMSummary) -> None:
    model = MODELS[2]
    spend = np.full(len(sample), 30.0)
    scores = score_customers(model, sample.x, sample.t_x, sample.T, spend, horizon=39.0)
    assert scores.p_alive == pytest.approx(model.p_alive(sample.x, sample.t_x, sample.T))
    assert scores.expected_purchases == pytest.approx(
        model.conditional_expected_purchases(39.0, sample.x, sample.t_x, sample.T)
    )
    clv = customer_lifetime_value(model, sample.x, sample.t_x, sample.T, spend, horizon=39.0)
    assert scores.clv == pytest.approx(clv)
