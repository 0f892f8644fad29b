"""Several binding rows: the marginal persons' moving items in one restricted LP.

`polish_rows(...)` solves everyone at the prices and at each active price moved by
+-delta; items that move stay free, everything else is fixed, and HiGHS solves the
restricted LP with the fixed usage taken off the coupling rows and the prices kept in the
box (capacity bought at the box's upper price, sold at its lower one). If the box holds the
optimal prices the plan is feasible and its row duals are the new prices; otherwise the
duals point where to move the box (`recenter`).
"""

from __future__ import annotations

import numpy as np

from optimizer.allocation.person import block_lp
from optimizer.allocation.problem import AllocationProblem, Structure, arm_totals, person_items
from optimizer.allocation.sweep import FREE_LIMIT, Polish, perturbations, price_steps, sweep


def polish_rows(
    problem: AllocationProblem,
    structure: Structure,
    rhs: np.ndarray,
    prices: np.ndarray,
    active: np.ndarray,
    delta: float,
    chunk_size: int,
    floor: np.ndarray,
) -> Polish:
    """Solve at `prices`, free the items that move within +-delta, re-solve those exactly."""
    swept = sweep(
        problem, structure, prices, perturbations(prices, active, delta, floor), chunk_size
    )
    upper = swept.lagrangian + float(prices @ rhs)
    index = swept.marginal
    exposures = swept.exposures
    free_items = int(swept.free.sum())
    failed = Polish(
        exposures, float("nan"), upper, prices, swept.usage, index.size, free_items, 0, False
    )
    if free_items > FREE_LIMIT:
        return failed
    items = person_items(problem.take(index), structure)
    own_usage = structure.G @ arm_totals(swept.base_x).sum(axis=0)
    own_objective = float((items.objective * swept.base_x).sum())
    steps = price_steps(prices, active, delta, floor)
    box = (
        np.where(active, np.maximum(prices - steps, 0.0), np.nan),
        np.where(active, prices + steps, np.nan),
    )
    result = block_lp(
        items,
        structure,
        rhs - (swept.usage - own_usage),
        fixed=swept.base_x,
        free=swept.free,
        price_box=box,
    )
    if result.status != "optimal":
        return failed
    if result.relaxed > 1e-9:  # the box had to buy capacity: move it toward these prices
        failed.new_prices = np.where(active, result.prices, prices)
        failed.recenter = True
        return failed
    exposures[index] = arm_totals(result.x)
    usage = structure.G @ exposures.sum(axis=0)
    # rows with no free item keep their price: the restricted LP says nothing about them
    touched = np.abs(structure.G) @ arm_totals(swept.free).sum(axis=0) > 0
    new_prices = np.where(touched, result.prices, prices)
    return Polish(
        exposures,
        swept.objective - own_objective + result.value,
        upper,
        new_prices,
        usage,
        index.size,
        free_items,
        swept.exact_lp,
        True,
    )
