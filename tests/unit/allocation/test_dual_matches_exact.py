"""The decomposed solver is feasible and matches the exact PuLP optimum on random instances."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from optimizer.allocation import (
    AllocationProblem,
    InfeasiblePolicyError,
    Plan,
    Policy,
    constraint_violations,
    parse_policy,
    solve_dual,
    solve_exact,
    synthetic_population,
)
from tests.unit.allocation.conftest import instances, make_policy, make_problem

ROOT = Path(__file__).resolve().parents[3]


def assert_feasible(plan_exposures: np.ndarray, problem: AllocationProblem, plan: Plan) -> None:
    violations = constraint_violations(plan.structure, problem, plan_exposures)
    worst = max(violations.values())
    assert worst <= 1e-9, violations


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_dual_plan_is_feasible_and_optimal(case: tuple[Policy, AllocationProblem]) -> None:
    policy, problem = case
    try:
        exact = solve_exact(problem, policy)
    except InfeasiblePolicyError as error:
        assert error.rules
        with pytest.raises(InfeasiblePolicyError):
            solve_dual(problem, policy, sample_size=1)
        return
    # a one-person price sample, so the ladder and the polish do the work even when n is tiny
    plan = solve_dual(problem, policy, sample_size=1)
    assert_feasible(plan.exposures, problem, plan)
    scale = max(1.0, abs(exact.objective))
    assert plan.objective == pytest.approx(exact.objective, abs=1e-6 * scale)
    assert plan.upper_bound >= exact.objective - 1e-6 * scale
    assert plan.gap <= 1e-6
    assert plan.status == "optimal"
    if len(plan.structure.row_names) <= 1 and not plan.structure.person_rows.shape[0]:
        # one price row at most: the breakpoint search alone must get there, no fallback
        assert not any(level.get("whole_lp") for level in plan.stats["levels"])


def test_shadow_price_of_the_budget_matches_the_exact_solvers() -> None:
    # one binding row, continuous random data: the optimal price is unique
    policy = make_policy(total_budget=4.0137)  # not a sum of whole items: unique price
    problem = make_problem(policy, 60, seed=7)
    cbc = solve_exact(problem, policy, solver="cbc")
    highs = solve_exact(problem, policy, solver="highs")
    dual = solve_dual(problem, policy)
    price = cbc.shadow_prices["total_budget"]
    assert price > 0  # the budget binds: the next dollar is worth something
    assert highs.shadow_prices["total_budget"] == pytest.approx(price, rel=1e-6)
    assert dual.shadow_prices["total_budget"] == pytest.approx(price, rel=1e-6)
    assert dual.objective == pytest.approx(cbc.objective, rel=1e-9)
    assert dual.spend == pytest.approx(4.0137, rel=1e-12)


def test_shadow_prices_of_several_binding_rows_match() -> None:
    channels = {
        "email": {"unit_cost": 0.05, "frequency_cap": 3, "consent": "e"},
        "display": {"unit_cost": 0.04, "frequency_cap": 4, "consent": "c", "budget_max": 0.5213},
    }
    policy = make_policy(total_budget=4.0171, channels=channels)
    problem = make_problem(policy, 40, seed=3)
    exact = solve_exact(problem, policy, solver="highs")
    dual = solve_dual(problem, policy)
    assert exact.shadow_prices["channel_max:display"] > 0
    for name, price in exact.shadow_prices.items():
        assert dual.shadow_prices[name] == pytest.approx(price, rel=1e-6, abs=1e-9)
    assert dual.objective == pytest.approx(exact.objective, rel=1e-9)


def test_several_binding_rows_at_scale_are_certified() -> None:
    # the multi-row path (restricted LP on the marginal persons) on a sample ladder
    channels = {
        "email": {"unit_cost": 0.05, "frequency_cap": 3, "consent": "e"},
        "display": {"unit_cost": 0.04, "frequency_cap": 4, "consent": "c", "budget_max": 52.13},
    }
    policy = make_policy(total_budget=401.71, channels=channels)
    problem = make_problem(policy, 4000, seed=5)
    exact = solve_exact(problem, policy, solver="highs")
    dual = solve_dual(problem, policy)
    assert dual.gap <= 1e-6
    assert dual.objective == pytest.approx(exact.objective, rel=1e-6)
    assert_feasible(dual.exposures, problem, dual)
    for name, price in exact.shadow_prices.items():
        assert dual.shadow_prices[name] == pytest.approx(price, rel=1e-4)


def test_cdnow_policy_with_per_person_mix_rules_matches_exact() -> None:
    # the example policy scaled to 600 persons and a tight budget: per-person message-share
    # and brand rules bind for many persons, who are then solved by the block LP
    document = yaml.safe_load((ROOT / "policies" / "cdnow.yaml").read_text())
    document["total_budget"] = 0.03 * 600
    document["channels"]["display"]["budget_min"] = 0.5
    policy = parse_policy(document)
    problem = synthetic_population(600, seed=3, policy=policy)
    exact = solve_exact(problem, policy, solver="highs")
    plan = solve_dual(problem, policy, sample_size=100)
    assert exact.shadow_prices["total_budget"] > 0
    assert plan.stats["exact_lp_persons"] > 0
    assert_feasible(plan.exposures, problem, plan)
    assert plan.objective == pytest.approx(exact.objective, rel=1e-6)
    assert plan.shadow_prices["total_budget"] == pytest.approx(
        exact.shadow_prices["total_budget"], rel=1e-6
    )
