"""A synthetic population and policy for trying the allocator and benchmarking it.

`synthetic_policy(n, person_rules=False, budget_per_person=0.1)`: 4 channels (email,
push, display, social) x 4 messages (new_releases, recommendations, brand_story, winback) =
16 arms, curve decay 0.7 over segments of 1, 1, 2, 4 exposures; margin objective; total
budget $0.10 per person (it binds), display capped at 30% of it, spend cap 5% of CLV. With
`person_rules`: no message above 60% of a person's exposures, one brand message per 5.

`synthetic_population(n, seed, policy)`: per person
- clv ~ lognormal(mean log 3.5, sd 1.0) dollars (median about $33, long right tail);
- value_per_response = 0.3 x order value, order value ~ lognormal(log 25, 0.5);
- response_rate[arm] = base[channel] x lift[message] x propensity x noise, propensity
  ~ lognormal(0, 0.8) per person, noise ~ lognormal(0, 0.3) per person-arm, clipped to 0.5;
  base: email 0.02, push 0.012, display 0.003, social 0.006;
  lift: new_releases 1.2, recommendations 1.0, brand_story 0.6, winback 0.8;
- consent: email 70%, push 40%, display (cookies) 90%, social 80%, independently.
Generated in chunks with a seeded generator, so a given (n, seed) is reproducible.
"""

from __future__ import annotations

import numpy as np

from optimizer.allocation.policy import Policy, parse_policy
from optimizer.allocation.problem import AllocationProblem

_BASE = {"email": 0.02, "push": 0.012, "display": 0.003, "social": 0.006}
_LIFT = {"new_releases": 1.2, "recommendations": 1.0, "brand_story": 0.6, "winback": 0.8}
_CONSENT = {"email_opt_in": 0.7, "push_opt_in": 0.4, "cookies": 0.9, "social_match": 0.8}


def synthetic_policy(n: int, person_rules: bool = False, budget_per_person: float = 0.1) -> Policy:
    """The 16-arm benchmark policy, budgets scaled to n persons."""
    budget = budget_per_person * n
    every = ["email", "push", "display", "social"]
    document = {
        "objective": "margin",
        "total_budget": budget,
        "spend_cap_fraction_of_clv": 0.05,
        "curve": {"decay": 0.7, "segment_widths": [1, 1, 2, 4]},
        "channels": {
            "email": {"unit_cost": 0.01, "frequency_cap": 8, "consent": "email_opt_in"},
            "push": {"unit_cost": 0.005, "frequency_cap": 10, "consent": "push_opt_in"},
            "display": {
                "unit_cost": 0.04,
                "frequency_cap": 12,
                "budget_max": 0.3 * budget,
                "consent": "cookies",
            },
            "social": {"unit_cost": 0.06, "frequency_cap": 6, "consent": "social_match"},
        },
        "messages": {
            "new_releases": {"channels": every, "tags": ["promotional"]},
            "recommendations": {"channels": every, "tags": ["promotional"]},
            "brand_story": {"channels": every, "tags": ["brand"]},
            "winback": {"channels": every, "tags": ["winback"]},
        },
    }
    if person_rules:
        document["mix_rules"] = {
            "per_person": {"max_message_share": 0.6, "brand_every": 5, "brand_tag": "brand"}
        }
    return parse_policy(document, "synthetic policy")


def synthetic_population(
    n: int, seed: int = 0, policy: Policy | None = None, chunk: int = 1_000_000
) -> AllocationProblem:
    """Draw n persons for `policy` (default: `synthetic_policy(n)`); see module docstring."""
    policy = policy or synthetic_policy(n)
    rng = np.random.default_rng(seed)
    arms = policy.arms
    base = np.array([_BASE.get(c, 0.005) * _LIFT.get(m, 1.0) for c, m in arms])
    flags = [policy.channels[c].consent for c in policy.channels]
    consent_p = np.array([_CONSENT.get(f, 0.8) for f in flags])
    clv = np.empty(n)
    vpr = np.empty(n)
    rate = np.empty((n, len(arms)))
    consent = np.empty((n, len(flags)), dtype=bool)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        part = slice(start, start + m)
        clv[part] = rng.lognormal(3.5, 1.0, m)
        vpr[part] = 0.3 * rng.lognormal(np.log(25.0), 0.5, m)
        propensity = rng.lognormal(0.0, 0.8, (m, 1))
        noise = rng.lognormal(0.0, 0.3, (m, len(arms)))
        rate[part] = np.minimum(base * propensity * noise, 0.5)
        consent[part] = rng.random((m, len(flags))) < consent_p
    return AllocationProblem(
        clv=clv,
        value_per_response=vpr,
        response_rate=rate,
        consent=consent,
        customer_id=None,
    )
