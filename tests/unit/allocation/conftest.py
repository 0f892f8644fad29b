"""Small random allocation instances shared by the allocation tests."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from optimizer.allocation import AllocationProblem, Policy, parse_policy


def make_policy(**overrides: Any) -> Policy:
    document: dict[str, Any] = {
        "objective": "margin",
        "total_budget": 1.0,
        "curve": {"decay": 0.6, "segment_widths": [1, 1, 2]},
        "channels": {
            "email": {"unit_cost": 0.05, "frequency_cap": 3, "consent": "email_opt_in"},
            "display": {"unit_cost": 0.2, "frequency_cap": 4, "consent": "cookies"},
        },
        "messages": {
            "promo": {"channels": ["email", "display"], "tags": ["promotional"]},
            "brand": {"channels": ["email", "display"], "tags": ["brand"]},
            "winback": {"channels": ["email"], "tags": ["winback"]},
        },
    }
    document.update(overrides)
    return parse_policy(document)


def make_problem(policy: Policy, n: int, seed: int, consent_p: float = 0.8) -> AllocationProblem:
    rng = np.random.default_rng(seed)
    arms = len(policy.arms)
    return AllocationProblem(
        clv=rng.lognormal(2.0, 1.0, n),
        value_per_response=rng.uniform(1.0, 10.0, n),
        response_rate=rng.uniform(0.0, 0.2, (n, arms)),
        consent=rng.random((n, len(policy.channels))) < consent_p,
    )


@st.composite
def instances(draw: st.DrawFn) -> tuple[Policy, AllocationProblem]:
    """A random policy (budgets, caps, mix rules) and population of 1-8 persons."""
    n = draw(st.integers(1, 8))
    seed = draw(st.integers(0, 2**31 - 1))
    objective = draw(st.sampled_from(["margin", "response"]))
    overrides: dict[str, Any] = {
        "objective": objective,
        "total_budget": draw(st.floats(0.0, 3.0)) * n,
    }
    if draw(st.booleans()):
        overrides["spend_cap_fraction_of_clv"] = draw(st.floats(0.01, 0.2))
    if draw(st.booleans()):
        overrides["min_return_per_dollar"] = draw(st.floats(0.5, 3.0))
    channels = {
        "email": {"unit_cost": 0.05, "frequency_cap": draw(st.integers(0, 5)), "consent": "e"},
        "display": {"unit_cost": 0.2, "frequency_cap": draw(st.integers(1, 6)), "consent": "c"},
    }
    if draw(st.booleans()):
        channels["display"]["budget_max"] = draw(st.floats(0.0, 1.0)) * n
    if draw(st.booleans()):
        channels["email"]["budget_min"] = draw(st.floats(0.0, 0.1)) * n
    overrides["channels"] = channels
    mix: dict[str, Any] = {}
    if draw(st.booleans()):
        bound = draw(st.sampled_from(["at_least", "at_most"]))
        mix["global"] = [{"name": "brand_share", "tag": "brand", bound: draw(st.floats(0.1, 0.6))}]
    if draw(st.booleans()):
        mix["per_person"] = {
            "max_message_share": draw(st.floats(0.4, 0.9)),
            "brand_every": draw(st.sampled_from([None, 2.0, 4.0])),
        }
    overrides["mix_rules"] = mix
    policy = make_policy(**overrides)
    return policy, make_problem(policy, n, seed, consent_p=draw(st.floats(0.0, 1.0)))
