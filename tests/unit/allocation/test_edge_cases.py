"""Degenerate inputs, infeasible policies, re-allocation of one person, explanations."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.allocation import (
    InfeasiblePolicyError,
    constraint_violations,
    plan_prices,
    reallocate,
    solve_dual,
    solve_exact,
    synthetic_policy,
    synthetic_population,
)
from tests.unit.allocation.conftest import make_policy, make_problem


def test_zero_budget_buys_nothing() -> None:
    policy = make_policy(total_budget=0.0)
    problem = make_problem(policy, 20, seed=1)
    for plan in (solve_exact(problem, policy), solve_dual(problem, policy, sample_size=5)):
        assert plan.spend == 0.0
        assert plan.objective == 0.0
        assert plan.gap == 0.0


def test_nobody_consents_gives_an_empty_plan() -> None:
    policy = make_policy()
    problem = make_problem(policy, 30, seed=2, consent_p=0.0)
    plan = solve_dual(problem, policy)
    assert plan.spend == 0.0 and plan.objective == 0.0
    assert plan.status == "optimal"
    assert "no consent for email" in plan.binding_constraints(problem, 0)


def test_identical_persons_split_the_budget_exactly() -> None:
    # ties everywhere: 50 copies of one person, a budget that buys a fraction of them
    policy = make_policy(total_budget=1.2345)
    one = make_problem(policy, 1, seed=3, consent_p=1.0)
    problem = one.take(np.zeros(50, dtype=np.int64))
    exact = solve_exact(problem, policy)
    plan = solve_dual(problem, policy, sample_size=5)
    assert plan.spend == pytest.approx(1.2345, rel=1e-12)
    assert plan.objective == pytest.approx(exact.objective, rel=1e-9)
    assert max(constraint_violations(plan.structure, problem, plan.exposures).values()) <= 1e-9


def test_one_person() -> None:
    policy = make_policy(total_budget=0.3)
    problem = make_problem(policy, 1, seed=4, consent_p=1.0)
    exact = solve_exact(problem, policy)
    plan = solve_dual(problem, policy)
    assert plan.objective == pytest.approx(exact.objective, rel=1e-9)
    assert plan.spend == pytest.approx(0.3, rel=1e-12)


def test_channel_minimums_above_the_budget_name_the_rules() -> None:
    channels = {
        "email": {"unit_cost": 0.05, "frequency_cap": 3, "consent": "e", "budget_min": 0.6},
        "display": {"unit_cost": 0.2, "frequency_cap": 4, "consent": "c", "budget_min": 0.6},
    }
    policy = make_policy(total_budget=1.0, channels=channels)
    problem = make_problem(policy, 10, seed=5)
    for solve in (solve_exact, solve_dual):
        with pytest.raises(InfeasiblePolicyError, match="channel_min:email, channel_min:display"):
            solve(problem, policy)


def test_channel_minimum_nobody_can_absorb_is_named() -> None:
    channels = {
        "email": {"unit_cost": 0.05, "frequency_cap": 1, "consent": "e", "budget_min": 5.0},
        "display": {"unit_cost": 0.2, "frequency_cap": 4, "consent": "c"},
    }
    policy = make_policy(total_budget=100.0, channels=channels)
    problem = make_problem(policy, 10, seed=6)  # at most 10 x 1 x $0.05 on email
    with pytest.raises(InfeasiblePolicyError) as error:
        solve_exact(problem, policy)
    assert error.value.rules and "channel_min:email" in error.value.rules[0]
    assert "frequency_cap" in str(error.value)


def test_conflict_found_after_the_solve_is_named() -> None:
    # brand share >= 90% of spend while email (no brand on it here) has a minimum
    policy = make_policy(
        total_budget=10.0,
        channels={
            "email": {"unit_cost": 0.05, "frequency_cap": 3, "consent": "e", "budget_min": 0.5},
            "display": {"unit_cost": 0.2, "frequency_cap": 4, "consent": "c"},
        },
        messages={
            "promo": {"channels": ["email", "display"], "tags": ["promotional"]},
            "brand": {"channels": ["display"], "tags": ["brand"]},
        },
        mix_rules={"global": [{"name": "brand_share", "tag": "brand", "at_least": 0.9}]},
    )
    problem = make_problem(policy, 5, seed=7, consent_p=1.0)
    with pytest.raises(InfeasiblePolicyError) as error:
        solve_exact(problem, policy)
    assert "mix:brand_share" in error.value.rules
    assert "channel_min:email" in error.value.rules


def test_reallocate_matches_the_full_solve_at_final_prices() -> None:
    policy = synthetic_policy(20_000)
    problem = synthetic_population(20_000, seed=8, policy=policy)
    plan = solve_dual(problem, policy)
    prices = plan_prices(plan)
    same = 0
    for i in range(0, 20_000, 97):
        person = reallocate(problem.take(slice(i, i + 1)), prices)
        value = person.objective
        planned = plan.exposures[i]
        if np.allclose(person.exposures, planned, atol=1e-9):
            same += 1
        else:  # a person on the margin: same per-person value at these prices (a tie)
            price = prices.arm_price()
            items_value = value - float(person.exposures @ price)
            from optimizer.allocation.plan import segment_fill
            from optimizer.allocation.problem import person_items

            items = person_items(problem.take(slice(i, i + 1)), plan.structure)
            x = segment_fill(planned[None, :], plan.structure.widths)
            planned_value = float(((items.objective - price[None, :, None]) * x).sum())
            assert planned_value == pytest.approx(items_value, abs=1e-9)
    assert same >= 190  # nearly everyone is off the margin


def test_binding_constraints_explain_a_capped_person() -> None:
    policy = make_policy(total_budget=1000.0, spend_cap_fraction_of_clv=0.001)
    problem = make_problem(policy, 5, seed=9, consent_p=1.0)
    plan = solve_dual(problem, policy)
    reasons = plan.binding_constraints(problem, 0)
    assert any(reason.startswith("spend cap") for reason in reasons)


def test_warm_start_from_earlier_prices_gives_the_same_plan() -> None:
    policy = synthetic_policy(30_000)
    problem = synthetic_population(30_000, seed=10, policy=policy)
    cold = solve_dual(problem, policy)
    warm = solve_dual(problem, policy, prices=plan_prices(cold))
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert warm.gap <= 1e-7
    assert len(warm.stats["levels"]) == 1  # no sample ladder: straight to everyone


def test_time_limit_still_returns_a_feasible_plan_with_its_gap() -> None:
    policy = synthetic_policy(30_000)
    problem = synthetic_population(30_000, seed=11, policy=policy)
    plan = solve_dual(problem, policy, time_limit=0.0)
    assert max(constraint_violations(plan.structure, problem, plan.exposures).values()) <= 1e-9
    assert plan.upper_bound >= plan.objective
    assert plan.gap == pytest.approx((plan.upper_bound - plan.objective) / plan.upper_bound)
    assert plan.status in ("optimal", "time_limit")
