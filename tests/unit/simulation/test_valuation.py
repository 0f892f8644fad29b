"""The simulator's value of a click uses the value engine's models, per segment."""

import numpy as np
import pytest

from optimizer.simulation.observed import RFM, Observations
from optimizer.simulation.valuation import ValueEstimator
from optimizer.simulation.world import Arms, World, WorldConfig
from optimizer.value import BGNBD, GammaGamma


def _rfm() -> RFM:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 8, size=200).astype(float)
    T = rng.uniform(20, 40, size=200)
    t_x = np.where(x > 0, rng.uniform(0, 1, size=200) * T, 0.0)
    monetary = np.where(x > 0, rng.gamma(5, 8, size=200), 0.0)
    return RFM(x, t_x, T, monetary)


def test_before_any_fit_the_published_cdnow_models_value_a_click() -> None:
    rfm = _rfm()
    world = WorldConfig()
    values = ValueEstimator(world)
    purchase = BGNBD.from_params(r=world.r, alpha=world.alpha, a=world.a, b=world.b)
    spend = GammaGamma.from_params(p=world.p, q=world.q, gamma=world.gamma)
    expected = (
        world.conversion
        * world.margin_rate
        * purchase.p_alive(rfm.x, rfm.t_x, rfm.T)
        * spend.conditional_expected_spend(rfm.x, rfm.monetary_value)
    )
    np.testing.assert_allclose(values.value_per_click(rfm), expected, rtol=1e-12)


def test_hardie_check_value_of_p_alive_inputs() -> None:
    """x=2, t_x=30.43, T=38.86 on CDNOW's fit: P(alive) per the published closed form."""
    rfm = RFM(np.array([2.0]), np.array([30.43]), np.array([38.86]), np.array([0.0]))
    world = WorldConfig()
    p = ValueEstimator(world).p_alive(rfm)[0]
    ratio = (world.a / (world.b + 1)) * ((world.alpha + 38.86) / (world.alpha + 30.43)) ** (
        world.r + 2
    )
    assert p == pytest.approx(1 / (1 + ratio))


def test_segments_get_their_own_fitted_models() -> None:
    """Two segments, one buying three times as often: their P(alive) models differ."""
    rng = np.random.default_rng(1)
    n = 4_000
    segment = np.repeat([0, 1], n // 2)
    rate = rng.gamma(0.5, 1 / 8, size=n) * np.where(segment == 1, 3.0, 1.0)
    T = rng.uniform(30, 40, size=n)
    x = rng.poisson(rate * T).astype(float)
    t_x = np.where(x > 0, T * rng.beta(x + 1e-9, 1.0), 0.0)
    rfm = RFM(x, t_x, T, np.where(x > 0, rng.gamma(6, 6, size=n), 0.0))
    fitted = ValueEstimator(WorldConfig()).fit(rfm, segment)
    models = [fitted.purchase_.model_for(str(s)) for s in (0, 1)]
    rates = [m.params_["r"] / m.params_["alpha"] for m in models]
    assert rates[1] > 1.2 * rates[0]  # heavy buyers' segment model buys more
    heavy = segment == 1
    np.testing.assert_allclose(
        fitted.p_alive(rfm)[heavy], models[1].p_alive(x[heavy], t_x[heavy], T[heavy])
    )


def test_value_per_click_is_zero_for_nobody_and_grows_with_spend() -> None:
    rfm = _rfm()
    values = ValueEstimator(WorldConfig()).value_per_click(rfm)
    assert np.all(values > 0)
    richer = RFM(rfm.x, rfm.t_x, rfm.T, rfm.monetary_value * 2)
    grows = ValueEstimator(WorldConfig()).value_per_click(richer) >= values
    assert np.all(grows[rfm.x > 0])


def test_first_purchase_counts_as_one_more_purchase_of_spend_evidence() -> None:
    rfm = _rfm()
    first = np.random.default_rng(2).gamma(5, 8, size=rfm.x.size)
    with_first = RFM(rfm.x, rfm.t_x, rfm.T, rfm.monetary_value, first)
    world = WorldConfig()
    spend = GammaGamma.from_params(p=world.p, q=world.q, gamma=world.gamma)
    mean = (rfm.monetary_value * rfm.x + first) / (rfm.x + 1)
    np.testing.assert_allclose(
        ValueEstimator(world).expected_spend(with_first),
        spend.conditional_expected_spend(rfm.x + 1, mean),
    )
    repeat_only = ValueEstimator(world, first_purchase_spend=False).expected_spend(with_first)
    np.testing.assert_allclose(
        repeat_only, spend.conditional_expected_spend(rfm.x, rfm.monetary_value)
    )


def test_in_the_world_the_first_purchase_brings_spend_estimates_closer_to_the_truth() -> None:
    config = WorldConfig(customers=20_000)
    world = World(config, Arms(("email",), ("discount",)), seed=4)
    rfm = Observations(world.history, config.customers, 1, 52.0, 0.0).rfm(0.0)
    truth = world.expected_spend()
    errors = {}
    for first in (True, False):
        values = ValueEstimator(config, first_purchase_spend=first).fit(rfm)
        errors[first] = float(np.mean((values.expected_spend(rfm) - truth) ** 2))
    assert errors[True] < 0.5 * errors[False], errors
