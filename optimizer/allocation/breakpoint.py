"""One binding row: exact breakpoint search on its price, ties split on the margin.

`polish_one_row(...)` brackets the row's price, fixes the persons whose plan cannot change
inside the bracket, and searches the crossing price on the marginal persons only;
`price_sd(...)` estimates how far a sample's price lies from the population's, which sets
the next bracket.
"""

from __future__ import annotations

import numpy as np

from optimizer.allocation.person import solve_persons
from optimizer.allocation.problem import (
    AllocationProblem,
    Items,
    Structure,
    arm_totals,
    person_items,
)
from optimizer.allocation.sweep import GAP_FLOOR, TOL_DEFAULT, Polish, screenable, sweep


def polish_one_row(
    problem: AllocationProblem,
    structure: Structure,
    rhs: np.ndarray,
    prices: np.ndarray,
    k: int,
    delta: float,
    chunk_size: int,
    floor: np.ndarray,
) -> Polish:
    """One active row: exact breakpoint search on its price, ties split on the margin.

    Persons whose plan is the same at both ends of a price interval keep it on the whole
    interval (their Lagrangian is convex in lam_k and linear through both ends), so only the
    marginal persons are re-solved while the interval shrinks (Illinois regula falsi on the
    row usage, bisection as a safeguard), and persons whose plan stops moving leave the
    marginal set. At the crossing price both end plans are optimal for every marginal person,
    so theta * x_lo + (1 - theta) * x_hi, with theta putting the row at equality, satisfies
    complementary slackness: it is optimal, and L(lam) at the upper end certifies it."""
    step = delta * max(prices[k], floor[k])
    arms, segs = structure.n_arms, structure.n_segments
    low, high = prices.copy(), prices.copy()
    low[k], high[k] = max(0.0, prices[k] - step), prices[k] + step
    screen = k if screenable(structure, k) else None
    swept = sweep(problem, structure, low, [high], chunk_size, screen)
    exposures = swept.exposures
    failed = Polish(
        exposures, float("nan"), float("inf"), prices, swept.usage, swept.marginal.size, 0, 0, False
    )
    index = swept.marginal
    items = person_items(problem.take(index), structure)
    fixed_usage = swept.usage - structure.G @ arm_totals(swept.base_x).sum(axis=0)
    fixed_objective = swept.objective - float((items.objective * swept.base_x).sum())

    def at(lam: np.ndarray) -> tuple[np.ndarray, float, float, float]:
        """Marginal plans, row-k usage, L(lam) over everyone, marginal objective."""
        solution = solve_persons(items, structure, lam @ structure.G)
        use = float(fixed_usage[k] + structure.G[k] @ arm_totals(solution.x).sum(axis=0))
        value = fixed_objective - float(lam @ fixed_usage) + float(solution.lagrangian.sum())
        return solution.x, use, value + float(lam @ rhs), float(solution.objective.sum())

    def weight(u_lo: float, u_hi: float) -> float:
        """theta putting row k at equality between the two end plans."""
        return 0.0 if u_lo == u_hi else min(1.0, max(0.0, (rhs[k] - u_hi) / (u_lo - u_hi)))

    x_low, use_low, _, obj_low = at(low)
    x_high, use_high, upper, obj_high = at(high)
    slope = (use_low - use_high) / max(high[k] - low[k], 1e-300)  # d usage / d price
    if use_high > rhs[k]:
        return failed  # the price must rise beyond the box
    if use_low < rhs[k] and low[k] > 0:
        return failed  # the price must fall below the box
    if use_low <= rhs[k]:  # row slack even at the lowest price: lam_k = 0 or at `low`
        high, x_high, use_high, obj_high = low, x_low, use_low, obj_low
        _, _, upper, _ = at(high)
    else:
        f_low, f_high, side = use_low - rhs[k], use_high - rhs[k], 0
        for _ in range(200):
            theta = weight(use_low, use_high)
            objective = fixed_objective + theta * obj_low + (1 - theta) * obj_high
            close = upper - objective <= 1e-4 * TOL_DEFAULT * max(abs(upper), GAP_FLOOR)
            if close and high[k] - low[k] <= 1e-9 * high[k]:
                break
            moving = (x_high != x_low).reshape(index.size, arms * segs).any(axis=1)
            if moving.sum() < 0.5 * moving.size:  # settled persons leave the marginal set
                still = ~moving
                settled = float((items.objective[still] * x_low[still]).sum())
                fixed_usage = fixed_usage + structure.G @ arm_totals(x_low[still]).sum(axis=0)
                fixed_objective += settled
                obj_low, obj_high = obj_low - settled, obj_high - settled
                exposures[index[still]] = arm_totals(x_low[still])
                index, x_low, x_high = index[moving], x_low[moving], x_high[moving]
                items = Items(
                    items.objective[moving],
                    items.upper[moving],
                    items.spend_cap[moving],
                    items.channel_cap[moving],
                )
            middle = high.copy()
            middle[k] = high[k] - f_high * (high[k] - low[k]) / (f_high - f_low)
            if not low[k] < middle[k] < high[k] or abs(side) >= 3:
                middle[k], side = (low[k] + high[k]) / 2, 0
            if not low[k] < middle[k] < high[k]:
                break
            x_mid, use_mid, value_mid, obj_mid = at(middle)
            if use_mid > rhs[k]:
                low, x_low, use_low, obj_low = middle, x_mid, use_mid, obj_mid
                f_low = use_mid - rhs[k]
                f_high = f_high / 2 if side < 0 else f_high
                side = min(side, 0) - 1
            else:
                high, x_high, use_high, obj_high = middle, x_mid, use_mid, obj_mid
                f_high = use_mid - rhs[k]
                upper = min(upper, value_mid)
                f_low = f_low / 2 if side > 0 else f_low
                side = max(side, 0) + 1
    theta = weight(use_low, use_high)
    x = theta * x_low + (1 - theta) * x_high
    exposures[index] = arm_totals(x)
    usage = fixed_usage + structure.G @ arm_totals(x).sum(axis=0)
    if ((usage - rhs) / np.maximum(1.0, np.abs(rhs)) > 1e-9).any():
        return failed  # another row is violated: it must become active
    objective = fixed_objective + float((items.objective * x).sum())
    return Polish(
        exposures,
        objective,
        upper,
        high,
        usage,
        swept.marginal.size,
        int(swept.free.sum()),
        swept.exact_lp,
        True,
        certified=True,
        price_sd=price_sd(exposures, structure, k, slope),
    )


def price_sd(exposures: np.ndarray, structure: Structure, k: int, slope: float) -> float:
    """How much the row-k price of m persons varies between samples, times sqrt(m).

    The price solves sum_i u_i(lam) = b; a sample's usage has sd sd(u) sqrt(m), and moving
    it by one unit moves the price by 1 / |dU/dlam|, so sd(lam) = sd(u) sqrt(m) / |dU/dlam|."""
    m = exposures.shape[0]
    if m < 2 or slope <= 0:
        return float("nan")
    usage = exposures @ structure.G[k]
    return float(usage.std() * m / slope)
