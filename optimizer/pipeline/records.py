"""A plan's rows -> the allocation records buyers read, with tiers and reasons.

Tiers and bid multipliers are set on the whole run (value quantiles do not stop at a shard
boundary): `RunTiers` is computed once from everyone's CLV and planned value, and every
shard applies the same cut points.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from optimizer.allocation.plan import binding_constraints, segment_fill
from optimizer.allocation.problem import AllocationProblem, Structure
from optimizer.pipeline.scoring import Scores
from optimizer.publishing.records import AllocationRecord, ChannelAllocation
from optimizer.publishing.tiers import assign_tiers, bid_multipliers

FloatArray = NDArray[np.float64]


def gross_value_per_exposure(
    structure: Structure, scores: Scores, exposures: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(n, arms) expected incremental value of the planned exposures, and of the marginal one.

    Value of an exposure in curve segment s of arm a: response_rate[a] x value_per_response
    x factor[s]. Returns the planned value per arm and the value of the last planned (or,
    for an arm with nothing planned, the first) exposure.
    """
    rate = scores.response_rate
    value = np.asarray(scores.value_per_response, dtype=np.float64)
    per_response = np.broadcast_to(value[:, None] if value.ndim == 1 else value, rate.shape)
    unit = rate * per_response  # value of an exposure at factor 1
    fill = segment_fill(exposures, structure.widths)  # (n, arms, S)
    planned = unit * (fill @ structure.factors)
    filled = fill > 1e-12
    last = np.where(filled.any(axis=2), filled.shape[2] - 1 - np.argmax(filled[..., ::-1], 2), 0)
    marginal = unit * structure.factors[last]
    return planned, marginal


@dataclass(frozen=True)
class RunTiers:
    """Tier cut points on CLV (tier 1 = top) and bid multipliers per (channel, tier)."""

    cut_points: list[float]  # descending CLV thresholds between tiers
    multipliers: list[list[float]]  # (channels, tiers)

    def tier_of(self, clv: FloatArray) -> NDArray[np.int64]:
        return 1 + np.sum(np.asarray(clv)[:, None] < np.asarray(self.cut_points)[None, :], axis=1)

    def to_dict(self) -> dict[str, Any]:
        return {"cut_points": self.cut_points, "multipliers": self.multipliers}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunTiers:
        return cls(list(data["cut_points"]), [list(row) for row in data["multipliers"]])


def run_tiers(
    structure: Structure, scores: Scores, exposures: FloatArray, n_tiers: int
) -> RunTiers:
    """Tiers from everyone's CLV; multipliers from planned value per exposure per channel."""
    tier = assign_tiers(scores.clv, n_tiers)
    cut_points = [
        float(scores.clv[tier <= k].min()) if (tier <= k).any() else float("inf")
        for k in range(1, n_tiers)
    ]
    planned, _ = gross_value_per_exposure(structure, scores, exposures)
    channels = structure.n_channels
    per_channel_value = np.stack(
        [planned[:, structure.arm_channel == c].sum(axis=1) for c in range(channels)], axis=1
    )
    per_channel_exposures = np.stack(
        [exposures[:, structure.arm_channel == c].sum(axis=1) for c in range(channels)], axis=1
    )
    value_per_exposure = np.divide(
        per_channel_value,
        per_channel_exposures,
        out=np.zeros_like(per_channel_value),
        where=per_channel_exposures > 0,
    )
    tiers = RunTiers(cut_points, [])
    multipliers = bid_multipliers(
        tiers.tier_of(scores.clv), value_per_exposure, per_channel_exposures, n_tiers
    )
    return RunTiers(cut_points, multipliers.tolist())


def allocation_records(
    run_id: str,
    structure: Structure,
    problem: AllocationProblem,
    scores: Scores,
    exposures: FloatArray,
    tiers: RunTiers,
    updated_at: datetime,
) -> list[AllocationRecord]:
    """One record per person of the shard, planned or not (an empty plan says why)."""
    if problem.customer_id is None:
        raise ValueError("allocation records need the problem's customer ids")
    policy = structure.policy
    channels, messages = policy.channel_names, policy.message_names
    planned, marginal = gross_value_per_exposure(structure, scores, exposures)
    tier = tiers.tier_of(scores.clv)
    spend = exposures * structure.arm_cost
    records = []
    for i, customer_id in enumerate(problem.customer_id.tolist()):
        row = exposures[i]
        channel_plans = {}
        for c, name in enumerate(channels):
            on_channel = structure.arm_channel == c
            count = float(row[on_channel].sum())
            if count > 1e-9:
                channel_plans[name] = ChannelAllocation(
                    spend=float(spend[i, on_channel].sum()),
                    exposures=count,
                    bid_multiplier=tiers.multipliers[c][tier[i] - 1],
                )
        total = float(row.sum())
        mix = {
            name: float(row[structure.arm_message == m].sum() / total)
            for m, name in enumerate(messages)
            if total > 1e-9 and row[structure.arm_message == m].sum() > 1e-9
        }
        active = row > 1e-9
        candidates = marginal[i][active] if active.any() else marginal[i]
        cost = structure.arm_cost[active] if active.any() else structure.arm_cost
        per_dollar = candidates / cost
        records.append(
            AllocationRecord(
                run_id=run_id,
                customer_id=customer_id,
                tier=int(tier[i]),
                channels=channel_plans,
                message_mix=mix,
                clv=float(scores.clv[i]),
                p_alive=float(np.clip(scores.p_alive[i], 0.0, 1.0)),
                expected_incremental_value=float(planned[i].sum()),
                marginal_return=float(per_dollar.min() if active.any() else per_dollar.max()),
                binding=binding_constraints(structure, problem, i, row),
                updated_at=updated_at,
            )
        )
    return records
