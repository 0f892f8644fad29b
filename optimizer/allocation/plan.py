"""The plan both solvers return, its feasibility check and per-person explanations.

Shadow prices use one convention whatever the solver: `shadow_prices[row]` is
d(objective)/d(rhs) of the row as the policy writes it, so "total_budget": 0.8 means the
next dollar of budget is worth $0.80, and a binding "channel_min:email" is negative
(each extra dollar forced onto email costs that much).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optimizer.allocation.problem import AllocationProblem, Structure, person_items


class InfeasiblePolicyError(ValueError):
    """The policy's rules cannot all hold; `rules` names the conflicting ones."""

    def __init__(self, message: str, rules: list[str]) -> None:
        super().__init__(message)
        self.rules = rules


@dataclass
class Plan:
    """Exposures per person and arm (columns in `structure.policy.arms` order) and totals."""

    exposures: np.ndarray  # (n, A)
    structure: Structure = field(repr=False)
    objective: float
    upper_bound: float
    gap: float
    status: str  # "optimal", "time_limit", "feasible"
    seconds: float
    solver: str
    shadow_prices: dict[str, float]
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def budget(self) -> float | None:
        return self.structure.policy.total_budget

    def person_spend(self) -> np.ndarray:
        return np.asarray(self.exposures @ self.structure.arm_cost)

    @property
    def spend(self) -> float:
        return float(self.person_spend().sum())

    @property
    def spend_by_channel(self) -> dict[str, float]:
        dollars = self.exposures.sum(axis=0) * self.structure.arm_cost
        names = self.structure.policy.channel_names
        return {
            name: float(dollars[self.structure.arm_channel == c].sum())
            for c, name in enumerate(names)
        }

    @property
    def message_mix(self) -> dict[str, float]:
        """Share of spend per message."""
        dollars = self.exposures.sum(axis=0) * self.structure.arm_cost
        total = dollars.sum()
        names = self.structure.policy.message_names
        return {
            name: float(dollars[self.structure.arm_message == m].sum() / total) if total else 0.0
            for m, name in enumerate(names)
        }

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "solver": self.solver,
            "persons": int(self.exposures.shape[0]),
            "objective": self.objective,
            "upper_bound": self.upper_bound,
            "gap": self.gap,
            "spend": self.spend,
            "budget": self.budget,
            "seconds": self.seconds,
            "spend_by_channel": self.spend_by_channel,
            "message_mix": self.message_mix,
            "shadow_prices": self.shadow_prices,
            "stats": self.stats,
        }

    def binding_constraints(self, problem: AllocationProblem, person: int) -> list[str]:
        """Why person `person` got what they got: the per-person rules that bind."""
        return binding_constraints(self.structure, problem, person, self.exposures[person])


def segment_fill(exposures: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Exposures per arm -> per curve segment, filling segments in order (concave curve)."""
    edges = np.concatenate([[0.0], np.cumsum(widths)[:-1]])
    return np.clip(exposures[..., None] - edges, 0.0, widths)


def binding_constraints(
    structure: Structure, problem: AllocationProblem, person: int, exposures: np.ndarray
) -> list[str]:
    items = person_items(problem.take(slice(person, person + 1)), structure)
    reasons: list[str] = []
    tol = 1e-7
    names = structure.policy.channel_names
    for c, name in enumerate(names):
        used = exposures[structure.arm_channel == c].sum()
        cap = items.channel_cap[0, c]
        if cap == 0:
            reasons.append(f"no consent for {name}")
        elif used >= cap - tol * max(1.0, cap):
            reasons.append(f"frequency cap on {name} ({cap:g} exposures)")
    spend = float(exposures @ structure.arm_cost)
    cap = float(items.spend_cap[0])
    if np.isfinite(cap) and spend >= cap - tol * max(1.0, cap):
        reasons.append(f"spend cap {cap:.4g} (fraction of CLV)")
    if structure.person_rows.shape[0]:
        slack = structure.person_rows @ exposures
        for p, name in enumerate(structure.person_row_names):
            if exposures.sum() > tol and slack[p] >= -tol * max(1.0, exposures.sum()):
                reasons.append(f"mix rule {name}")
    return reasons


def constraint_violations(
    structure: Structure, problem: AllocationProblem, exposures: np.ndarray
) -> dict[str, float]:
    """Largest violation of each constraint family, relative to max(1, |rhs|, activity)."""
    items = person_items(problem, structure)
    x = segment_fill(exposures, structure.widths)
    out: dict[str, float] = {}
    out["bounds"] = float(max(0.0, -x.min(initial=0.0), (x - items.upper).max(initial=0.0)))
    worst = 0.0
    for c in range(structure.n_channels):
        used = exposures[:, structure.arm_channel == c].sum(axis=1)
        cap = items.channel_cap[:, c]
        worst = max(worst, float(((used - cap) / np.maximum(1.0, cap)).max(initial=0.0)))
    out["frequency_caps"] = worst
    spend = exposures @ structure.arm_cost
    finite = np.isfinite(items.spend_cap)
    scale = np.maximum(1.0, items.spend_cap[finite])
    out["spend_caps"] = float(((spend[finite] - items.spend_cap[finite]) / scale).max(initial=0.0))
    if structure.person_rows.shape[0]:
        act = exposures @ structure.person_rows.T
        scale2 = np.maximum(1.0, exposures.sum(axis=1))[:, None]
        out["person_mix"] = float((act / scale2).max(initial=0.0))
    totals = exposures.sum(axis=0)
    for k, name in enumerate(structure.row_names):
        act = float(structure.G[k] @ totals)
        scale3 = max(1.0, abs(float(structure.b[k])), float(np.abs(structure.G[k]) @ totals))
        out[name] = max(0.0, (act - float(structure.b[k])) / scale3)
    return out
