"""Prices of the coupling rows, and one person re-planned at them.

`Prices(structure, values)` holds the prices in the internal "<=" form (all >= 0);
`Prices.shadow_prices()` converts to d(objective)/d(rhs) as the policy writes each row.
`plan_prices(plan)` recovers a plan's prices (warm starts, the scoring function);
`reallocate(person, prices) -> PersonPlan` solves one person's LP at those prices, exactly,
in a fraction of a millisecond: a profile change is answered at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from optimizer.allocation.person import solve_persons
from optimizer.allocation.plan import Plan, binding_constraints
from optimizer.allocation.problem import AllocationProblem, Items, Structure, person_items


@dataclass
class Prices:
    """Prices of the coupling rows: `values` in the internal "<=" form (all >= 0)."""

    structure: Structure = field(repr=False)
    values: np.ndarray

    def arm_price(self) -> np.ndarray:
        return (
            np.asarray(self.values @ self.structure.G)
            if self.values.size
            else np.zeros(self.structure.n_arms)
        )

    def shadow_prices(self) -> dict[str, float]:
        """d(objective)/d(rhs) per row, as the policy writes it."""
        return {
            name: float(self.values[k] * self.structure.row_sign[k]) + 0.0
            for k, name in enumerate(self.structure.row_names)
        }

    @classmethod
    def from_shadow(cls, structure: Structure, shadow: dict[str, float]) -> Prices:
        values = np.array(
            [
                max(0.0, shadow.get(name, 0.0) * structure.row_sign[k])
                for k, name in enumerate(structure.row_names)
            ]
        )
        return cls(structure, values)


@dataclass
class PersonPlan:
    exposures: np.ndarray  # (A,)
    spend: float
    objective: float
    spend_by_channel: dict[str, float]
    binding: list[str]


def plan_prices(plan: Plan) -> Prices:
    """The prices a plan was made at, for `reallocate` and warm starts."""
    return Prices.from_shadow(plan.structure, plan.shadow_prices)


def reallocate(person: AllocationProblem, prices: Prices) -> PersonPlan:
    """Re-plan one person (a one-row problem) at fixed prices: their exact per-person LP."""
    structure = prices.structure
    items: Items = person_items(person, structure)
    solution = solve_persons(items, structure, prices.arm_price())
    exposures = solution.x[0].sum(axis=1)
    dollars = exposures * structure.arm_cost
    names = structure.policy.channel_names
    return PersonPlan(
        exposures=exposures,
        spend=float(dollars.sum()),
        objective=float(solution.objective[0]),
        spend_by_channel={
            name: float(dollars[structure.arm_channel == c].sum()) for c, name in enumerate(names)
        },
        binding=binding_constraints(structure, person, 0, exposures),
    )
