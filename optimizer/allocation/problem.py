"""The allocation problem: per-person inputs, and the LP pieces the policy turns them into.

`AllocationProblem` holds arrays over n persons (the arm order is `policy.arms`):
- `clv` (n,): customer lifetime value, used for the per-person spend cap;
- `value_per_response` (n,) or (n, arms): margin of one response;
- `response_rate` (n, arms): probability that one exposure of the arm triggers a response;
- `consent` (n, channels) bool: the person may be reached on the channel.

`Structure` is what the policy compiles to; both solvers read it. Decision variables are
exposures x[i, a, s] of person i, arm a, curve segment s, continuous (the LP relaxation
of counting exposures: a planned 2.4 exposures is an intensity for the ad platform), with
0 <= x <= segment_width. The objective coefficient of one exposure in segment s is
  margin:   response_rate * value_per_response * factor_s - unit_cost
  response: response_rate * factor_s
where factor_s is the mean of decay**(k-1) over the exposures k of the segment.

Coupling rows are stored as G x <= b over arm totals (a ">=" row is negated); each row's
shadow price is reported as d(objective)/d(rhs) of the row as the user wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from optimizer.allocation.policy import Policy

_INF = float("inf")


@dataclass
class AllocationProblem:
    """Per-person inputs of one planning period (see the module docstring)."""

    clv: np.ndarray
    value_per_response: np.ndarray
    response_rate: np.ndarray
    consent: np.ndarray
    customer_id: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.clv.shape[0])

    def validate(self, policy: Policy) -> None:
        """Check shapes and values; raise ValueError naming the offending array and rows."""
        n, arms, channels = self.n, len(policy.arms), len(policy.channels)
        shapes: dict[str, tuple[tuple[int, ...], list[tuple[int, ...]]]] = {
            "clv": (self.clv.shape, [(n,)]),
            "value_per_response": (self.value_per_response.shape, [(n,), (n, arms)]),
            "response_rate": (self.response_rate.shape, [(n, arms)]),
            "consent": (self.consent.shape, [(n, channels)]),
        }
        for name, (shape, allowed) in shapes.items():
            if shape not in allowed:
                raise ValueError(f"{name}: shape {shape}, expected one of {allowed}")
        for name in ("clv", "value_per_response", "response_rate"):
            values = np.asarray(getattr(self, name), dtype=np.float64)
            bad = ~np.isfinite(values) | (values < 0)
            if name == "response_rate":
                bad |= values > 1
            if bad.any():
                rows = np.unique(np.nonzero(bad)[0])[:5].tolist()
                raise ValueError(
                    f"{name}: invalid (negative, non-finite or rate > 1) at rows {rows}"
                )

    def take(self, index: np.ndarray | slice) -> AllocationProblem:
        """The sub-problem of the selected persons."""
        return AllocationProblem(
            clv=self.clv[index],
            value_per_response=self.value_per_response[index],
            response_rate=self.response_rate[index],
            consent=self.consent[index],
            customer_id=None if self.customer_id is None else self.customer_id[index],
        )


@dataclass
class Structure:
    """The LP structure a policy defines, shared by every person."""

    policy: Policy
    arm_channel: np.ndarray  # (A,) channel index of each arm
    arm_message: np.ndarray  # (A,) message index
    arm_cost: np.ndarray  # (A,)
    widths: np.ndarray  # (S,)
    factors: np.ndarray  # (S,)
    frequency_cap: np.ndarray  # (C,)
    row_names: list[str]
    G: np.ndarray  # (K, A) coupling rows on arm exposures, "<=" form
    b: np.ndarray  # (K,)
    row_sign: np.ndarray  # (K,) +1 for rows written "<=", -1 for ">=" rows (negated)
    person_rows: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (P, A) <= 0
    person_row_names: list[str] = field(default_factory=list)

    @property
    def n_arms(self) -> int:
        return int(self.arm_cost.shape[0])

    @property
    def n_segments(self) -> int:
        return int(self.widths.shape[0])

    @property
    def n_channels(self) -> int:
        return int(self.frequency_cap.shape[0])


def compile_policy(policy: Policy) -> Structure:
    """Turn a policy into arm-level arrays, coupling rows and per-person mix rows."""
    cost = policy.arm_cost()
    chan = policy.arm_channel_index()
    names: list[str] = []
    rows: list[np.ndarray] = []
    rhs: list[float] = []
    sign: list[float] = []
    if policy.total_budget is not None:
        names.append("total_budget")
        rows.append(cost.copy())
        rhs.append(policy.total_budget)
        sign.append(1.0)
    for c, (cname, spec) in enumerate(policy.channels.items()):
        in_channel = (chan == c).astype(np.float64)
        if spec.budget_max is not None:
            names.append(f"channel_max:{cname}")
            rows.append(cost * in_channel)
            rhs.append(spec.budget_max)
            sign.append(1.0)
        if spec.budget_min is not None and spec.budget_min > 0:
            names.append(f"channel_min:{cname}")
            rows.append(-cost * in_channel)
            rhs.append(-spec.budget_min)
            sign.append(-1.0)
    for rule in policy.mix_rules.global_:
        tagged = policy.arm_has_tag(rule.tag).astype(np.float64)
        if rule.at_least is not None:  # tagged - share * total >= 0
            rows.append(-(tagged - rule.at_least) * cost)
            sign.append(-1.0)
        else:
            assert rule.at_most is not None
            rows.append((tagged - rule.at_most) * cost)
            sign.append(1.0)
        names.append(f"mix:{rule.name}")
        rhs.append(0.0)
    person_rows: list[np.ndarray] = []
    person_names: list[str] = []
    per_person = policy.mix_rules.per_person
    message = policy.arm_message_index()
    if per_person.max_message_share is not None and per_person.max_message_share < 1:
        for m, mname in enumerate(policy.messages):
            if (message == m).any():
                person_rows.append((message == m) - per_person.max_message_share)
                person_names.append(f"max_message_share:{mname}")
    if per_person.brand_every is not None and per_person.brand_every > 1:
        brand = policy.arm_has_tag(per_person.brand_tag).astype(np.float64)
        person_rows.append(-(brand - 1.0 / per_person.brand_every))
        person_names.append("brand_every")
    n_arms = len(policy.arms)
    return Structure(
        policy=policy,
        arm_channel=chan,
        arm_message=message,
        arm_cost=cost,
        widths=np.asarray(policy.curve.segment_widths, dtype=np.float64),
        factors=policy.curve.segment_factors(),
        frequency_cap=np.array([c.frequency_cap for c in policy.channels.values()]),
        row_names=names,
        G=np.array(rows, dtype=np.float64).reshape(len(rows), n_arms),
        b=np.array(rhs, dtype=np.float64),
        row_sign=np.array(sign, dtype=np.float64),
        person_rows=np.array(person_rows, dtype=np.float64).reshape(len(person_rows), n_arms),
        person_row_names=person_names,
    )


def arm_totals(x: np.ndarray) -> np.ndarray:
    """Exposures per arm from exposures per (arm, segment): (n, A, S) -> (n, A).

    A loop over the few segments: several times faster than x.sum(axis=2) in numpy."""
    total = x[..., 0].copy()
    for s in range(1, x.shape[2]):
        total += x[..., s]
    return total


@dataclass
class Items:
    """LP coefficients of a block of persons: objective, gross value and bounds per item."""

    objective: np.ndarray  # (n, A, S) objective coefficient of one exposure
    upper: np.ndarray  # (n, A, S) segment width, 0 where not allowed
    spend_cap: np.ndarray  # (n,) max spend of the person (inf when no cap)
    channel_cap: np.ndarray  # (n, C) frequency cap, 0 without consent


def person_items(problem: AllocationProblem, structure: Structure) -> Items:
    """Build the items of every person in `problem` (call on chunks to bound memory)."""
    policy = structure.policy
    rate = np.asarray(problem.response_rate, dtype=np.float64)
    vpr = np.asarray(problem.value_per_response, dtype=np.float64)
    if vpr.ndim == 1:
        vpr = vpr[:, None]
    factors = structure.factors[None, None, :]
    consent = np.asarray(problem.consent, dtype=bool)
    arm_ok = consent[:, structure.arm_channel]  # (n, A)
    if policy.objective == "margin":
        objective = (rate * vpr)[:, :, None] * factors
        if policy.min_return_per_dollar is not None:
            low = objective < policy.min_return_per_dollar * structure.arm_cost[None, :, None]
        objective -= structure.arm_cost[None, :, None]
    else:
        objective = rate[:, :, None] * factors
        if policy.min_return_per_dollar is not None:
            gross = (rate * vpr)[:, :, None] * factors
            low = gross < policy.min_return_per_dollar * structure.arm_cost[None, :, None]
    upper = arm_ok[:, :, None] * structure.widths[None, None, :]
    if policy.min_return_per_dollar is not None:
        upper *= ~low
    n = problem.n
    if policy.spend_cap_fraction_of_clv is not None:
        spend_cap = policy.spend_cap_fraction_of_clv * np.asarray(problem.clv, dtype=np.float64)
    else:
        spend_cap = np.full(n, _INF)
    channel_cap = np.where(consent, structure.frequency_cap[None, :], 0.0)
    return Items(objective=objective, upper=upper, spend_cap=spend_cap, channel_cap=channel_cap)
