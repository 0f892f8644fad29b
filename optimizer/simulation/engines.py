"""Who solves a period's plan: the simulator's one-row LP, or the allocation engine.

Both take the same inputs (per row: response rate per arm, value of one click, optional
weight = identical persons the row stands for) and return expected exposures (rows, arms).

- `simulator`: `optimizer.simulation.planner`, exact for a policy whose only coupling row is
  the total budget (frequency caps per person and channel, a minimum return per dollar).
- `allocation`: `optimizer.allocation.solve_dual`, the production engine, for any policy
  (channel budgets, mix rules, spend caps). Weighted rows are expanded to persons.

`default_policy()` is the simulator's market as an allocation `Policy`: three channels,
three messages on each, the world's diminishing returns (decay 0.5 per exposure).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from optimizer.allocation import AllocationProblem, Policy, parse_policy, solve_dual
from optimizer.simulation.planner import Market, plan_exposures

FloatArray = NDArray[np.float64]
Engine = Literal["simulator", "allocation"]
ENGINES: tuple[Engine, ...] = ("simulator", "allocation")
PlanFunction = Callable[[FloatArray, FloatArray, float, "FloatArray | None"], FloatArray]


def default_policy() -> Policy:
    """Email (cheap, 3 a period), social (3 a period), direct mail (dear, 1 a period)."""
    messages = ("discount", "new_release", "recommendation")
    channels = ["email", "social", "direct_mail"]
    return parse_policy(
        {
            "objective": "margin",
            "curve": {"decay": 0.5, "segment_widths": [1.0, 1.0, 1.0]},
            "channels": {
                "email": {"unit_cost": 0.02, "frequency_cap": 3, "consent": "email"},
                "social": {"unit_cost": 0.03, "frequency_cap": 3, "consent": "social"},
                "direct_mail": {"unit_cost": 0.30, "frequency_cap": 1, "consent": "mail"},
            },
            "messages": {m: {"channels": channels} for m in messages},
        },
        "default simulation policy",
    )


def market_from_policy(policy: Policy) -> Market:
    """The simulator planner's view of a policy (budget rows other than total are ignored)."""
    caps = np.array([policy.channels[c].frequency_cap for c in policy.channel_names])
    per_arm = float(sum(policy.curve.segment_widths))
    return Market(
        arm_channel=policy.arm_channel_index(),
        unit_cost=policy.arm_cost(),
        frequency_cap=np.minimum(caps, per_arm * np.bincount(policy.arm_channel_index())),
        decay=policy.curve.decay,
        min_return_per_dollar=policy.min_return_per_dollar or 1.0,
        max_per_arm=per_arm,
    )


def unsupported_by_simulator(policy: Policy) -> list[str]:
    """Rules of `policy` the simulator's planner does not model (use the allocation engine)."""
    reasons = []
    if policy.objective != "margin":
        reasons.append("objective 'response'")
    if any(c.budget_max is not None or c.budget_min is not None for c in policy.channels.values()):
        reasons.append("channel budgets")
    if policy.mix_rules.global_ or policy.mix_rules.per_person.max_message_share is not None:
        reasons.append("message-mix rules")
    if policy.mix_rules.per_person.brand_every is not None:
        reasons.append("brand rules")
    if policy.spend_cap_fraction_of_clv is not None:
        reasons.append("spend cap by CLV")
    return reasons


def make_planner(engine: Engine, policy: Policy) -> PlanFunction:
    """The plan function of `engine` for `policy`."""
    if engine == "simulator":
        reasons = unsupported_by_simulator(policy)
        if reasons:
            raise ValueError(
                f"engine 'simulator' cannot plan a policy with {', '.join(reasons)}; "
                "use engine 'allocation'"
            )
        market = market_from_policy(policy)

        def simulator(
            rate: FloatArray, value: FloatArray, budget: float, weight: FloatArray | None
        ) -> FloatArray:
            return plan_exposures(market, rate, value, budget, weight)

        return simulator
    if engine == "allocation":

        def allocation(
            rate: FloatArray, value: FloatArray, budget: float, weight: FloatArray | None
        ) -> FloatArray:
            rows = np.arange(rate.shape[0])
            if weight is not None:
                rows = np.repeat(rows, np.rint(weight).astype(np.int64))
            n = rows.size
            if budget <= 0 or n == 0:
                return np.zeros(rate.shape)
            problem = AllocationProblem(
                clv=np.full(n, 1e9),
                value_per_response=np.asarray(value, dtype=np.float64)[rows],
                response_rate=np.clip(rate[rows], 0.0, 1.0),
                consent=np.ones((n, len(policy.channels)), dtype=bool),
            )
            period_policy = policy.model_copy(update={"total_budget": budget})
            exposures = solve_dual(problem, period_policy, tol=1e-4).exposures
            if weight is None:
                return np.asarray(exposures, dtype=np.float64)
            per_row = np.zeros(rate.shape)
            np.add.at(per_row, rows, exposures)
            return np.asarray(per_row / np.maximum(weight, 1.0)[:, None])

        return allocation
    raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
