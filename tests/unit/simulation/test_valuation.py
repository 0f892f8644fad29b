"""The simulator's value of a click uses the value engine's models, per segment."""

import numpy as np
import pytest

from optimizer.simulation.observed import RFM
from optimizer.simulation.valuation import (
    ValueEstimator,
    bgnbd_p_alive,
    gamma_gamma_expected_spend,
)
from optimizer.simulation.world import WorldConfig
from optimizer.value import BGNBD, GammaGamma


def _rfm() -> RFM:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 8, size=200).astype(float)
    T = rng.uniform(20, 40, size=200)
    t_x = np.where(x > 0, rng.uniform(0, 1, size=200) * T, 0.0)
    monetary = np.where(x > 0, rng.gamma(5, 8, size=200), 0.0)
    return RFM(x, t_x, T, monetary)


def test_closed_forms_agree_with_the_value_engine() -> None:
    rfm = _rfm()
    params = {"r": 0.2425945, "alpha": 4.4136019, "a": 0.7929199, "b": 2.4258881}
    engine = BGNBD.from_params(**params)
    np.testing.assert_allclose(
        bgnbd_p_alive(rfm, **params), engine.p_alive(rfm.x, rfm.t_x, rfm.T), rtol=1e-9
    )
    spend = GammaGamma.from_params(p=6.25, q=3.74, gamma=15.44)
    np.testing.assert_allclose(
        gamma_gamma_expected_spend(rfm, p=6.25, q=3.74, gamma=15.44),
        spend.conditional_expected_spend(rfm.x, rfm.monetary_value),
        rtol=1e-9,
    )


def test_hardie_check_value_of_p_alive_inputs() -> None:
    """x=2, t_x=30.43, T=38.86 on CDNOW's fit: P(alive) per the published closed form."""
    rfm = RFM(np.array([2.0]), np.array([30.43]), np.array([38.86]), np.array([0.0]))
    world = WorldConfig()
    p = bgnbd_p_alive(rfm, r=world.r, alpha=world.alpha, a=world.a, b=world.b)[0]
    ratio = (world.a / (world.b + 1)) * ((world.alpha + 38.86) / (world.alpha + 30.43)) ** (
        world.r + 2
    )
    assert p == pytest.approx(1 / (1 + ratio))


def test_value_per_click_is_zero_for_nobody_and_grows_with_spend() -> None:
    rfm = _rfm()
    values = ValueEstimator(WorldConfig()).value_per_click(rfm)
    assert np.all(values > 0)
    richer = RFM(rfm.x, rfm.t_x, rfm.T, rfm.monetary_value * 2)
    grows = ValueEstimator(WorldConfig()).value_per_click(richer) >= values
    assert np.all(grows[rfm.x > 0])
