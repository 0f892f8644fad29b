"""The simulator's period plan is the LP optimum (checked against HiGHS via scipy)."""

import numpy as np
import pytest
from scipy.optimize import linprog

from optimizer.simulation.planner import Market, expected_margin, plan_exposures, round_plan

MARKET = Market(
    arm_channel=np.array([0, 0, 1, 1, 2]),
    unit_cost=np.array([0.02, 0.02, 0.05, 0.05, 0.3]),
    frequency_cap=np.array([3.0, 2.5, 1.0]),
    decay=0.6,
)


def _lp_optimum(rate: np.ndarray, value: np.ndarray, budget: float) -> float:
    """The same LP written out in full: x[i, a, k], caps per person-channel, one budget row."""
    n = rate.shape[0]
    steps = 3
    coef = (rate * value[:, None])[:, :, None] * MARKET.decay ** np.arange(steps)
    cost = np.broadcast_to(MARKET.unit_cost[None, :, None], coef.shape)
    rows, rhs = [cost.ravel()], [budget]
    for i in range(n):
        for c, cap in enumerate(MARKET.frequency_cap):
            row = np.zeros(coef.shape)
            row[i, MARKET.arm_channel == c, :] = 1.0
            rows.append(row.ravel())
            rhs.append(cap)
    result = linprog(-(coef - cost).ravel(), A_ub=np.array(rows), b_ub=rhs, bounds=(0, 1))
    assert result.status == 0
    return -float(result.fun)


@pytest.mark.parametrize("budget", [0.0, 0.5, 3.0, 100.0])
def test_plan_reaches_the_lp_optimum(budget: float) -> None:
    rng = np.random.default_rng(int(budget * 10))
    rate = rng.beta(0.5, 5, size=(30, 5))
    value = rng.gamma(1.0, 3.0, size=30)
    plan = plan_exposures(MARKET, rate, value, budget)
    spend = float((plan * MARKET.unit_cost).sum())
    assert spend <= budget + 1e-9
    ours = float(expected_margin(MARKET, plan, rate, value).sum()) - spend
    assert ours == pytest.approx(_lp_optimum(rate, value, budget), abs=1e-6)


def test_caps_hold_and_nothing_unprofitable_is_bought() -> None:
    rng = np.random.default_rng(1)
    rate = rng.beta(0.5, 5, size=(200, 5))
    value = rng.gamma(1.0, 3.0, size=200)
    plan = plan_exposures(MARKET, rate, value, budget=1e9)
    for c, cap in enumerate(MARKET.frequency_cap):
        assert plan[:, MARKET.arm_channel == c].sum(axis=1).max() <= cap + 1e-9
    # An exposure is bought only when its value covers its cost: the first one of an arm.
    bought = plan > 0
    assert np.all(
        rate[bought] * np.broadcast_to(value[:, None], rate.shape)[bought]
        >= MARKET.unit_cost[np.nonzero(bought)[1]] - 1e-12
    )


def test_weighted_rows_stand_for_identical_persons() -> None:
    rate = np.array([[0.1, 0.05, 0.02, 0.02, 0.1]])
    value = np.array([2.0])
    alone = plan_exposures(MARKET, np.repeat(rate, 4, axis=0), np.repeat(value, 4), 0.3)
    grouped = plan_exposures(MARKET, rate, value, 0.3, weight=[4.0])
    np.testing.assert_allclose(alone.sum(axis=0), 4 * grouped[0])


def test_randomized_rounding_keeps_the_expectation() -> None:
    expected = np.full((20_000, 2), 1.3)
    rounded = round_plan(expected, np.random.default_rng(0))
    assert set(np.unique(rounded)) == {1, 2}
    assert rounded.mean() == pytest.approx(1.3, abs=0.01)


def test_allocation_engine_agrees_with_the_simulator_planner() -> None:
    """On the default policy both engines solve the same LP: same objective."""
    from optimizer.simulation.engines import default_policy, make_planner, market_from_policy

    policy = default_policy()
    market = market_from_policy(policy)
    rng = np.random.default_rng(9)
    rate = rng.beta(0.5, 8, size=(400, len(policy.arms)))
    value = rng.gamma(1.0, 2.0, size=400)
    budget = 8.0
    net = {}
    for engine in ("simulator", "allocation"):
        plan = make_planner(engine, policy)(rate, value, budget, None)  # type: ignore[arg-type]
        spend = float((plan * market.unit_cost).sum())
        assert spend <= budget * (1 + 1e-6)
        net[engine] = float(expected_margin(market, plan, rate, value).sum()) - spend
    assert net["allocation"] == pytest.approx(net["simulator"], rel=1e-3)
