"""One pass over every person at given prices, in chunks, and who sits on the margin.

`sweep(problem, structure, base, others, chunk_size, screen=None) -> Sweep` solves every
person at the `base` prices (plan, Lagrangian, objective, coupling usage) and finds the
persons whose plan moves at any of the `others` prices: the only ones a price search needs
to revisit. `Polish` is what one polishing step (breakpoint.py, restricted.py) returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.allocation.person import solve_persons
from optimizer.allocation.problem import AllocationProblem, Structure, person_items

FREE_LIMIT = 400_000  # most free items a restricted LP takes
TOL_DEFAULT = 1e-7
GAP_FLOOR = 1e-6  # gap denominators below this (an all-zero plan) count as this


@dataclass
class Sweep:
    exposures: np.ndarray  # (m, A) plan at the base prices
    lagrangian: float  # sum over persons at the base prices
    objective: float  # sum over persons of the base plan's objective
    usage: np.ndarray  # (K,) coupling usage of the base plan
    marginal: np.ndarray  # (k,) persons whose plan moves inside the box
    free: np.ndarray  # (k, A, S) their items that move
    base_x: np.ndarray  # (k, A, S) their base plan
    exact_lp: int


def screenable(structure: Structure, k: int) -> bool:
    """Whether row k moves every arm's price in proportion to its cost (total budget).

    Then, without per-person mix rows, the order of a person's items inside a channel and by
    value per dollar never depends on lam_k. Raising lam_k from `low` only drops items whose
    break-even price is passed; if no item bought at `low` breaks even inside the window,
    every bought item stays positive, the channel prefixes and the spend-cap cut are the
    same, so the person's plan at `low` stays optimal on the whole window."""
    if structure.person_rows.shape[0]:
        return False
    ratio = structure.G[k] / structure.arm_cost
    return bool(ratio.min() > 0 and np.ptp(ratio) <= 1e-12 * ratio.max())


def sweep(
    problem: AllocationProblem,
    structure: Structure,
    base: np.ndarray,
    others: list[np.ndarray],
    chunk_size: int,
    screen: int | None = None,
) -> Sweep:
    """Solve every person at `base` prices and find who moves at the `others` prices.

    With `screen=k` (see `screenable`; `others` is then one price differing from `base`
    in row k only), movers are found from break-even prices instead of a second solve."""
    m, arms, segs = problem.n, structure.n_arms, structure.n_segments
    exposures = np.zeros((m, arms))
    lagrangian = objective = 0.0
    usage = np.zeros(len(structure.row_names))
    marginal, free, base_x = [], [], []
    exact_lp = 0
    base_price = base @ structure.G if base.size else np.zeros(arms)
    for start in range(0, m, chunk_size):
        part = problem.take(slice(start, start + chunk_size))
        items = person_items(part, structure)
        solution = solve_persons(items, structure, base_price)
        x = solution.x
        y = solution.y
        exposures[start : start + part.n] = y
        lagrangian += float(solution.lagrangian.sum())
        objective += float(solution.objective.sum())
        usage += structure.G @ y.sum(axis=0)
        exact_lp += solution.exact_lp
        if not others:
            continue
        if screen is not None:
            high = max(base[screen], others[0][screen])
            # bought at `low` means objective > low * coef already: test the upper end only
            rest = base.copy()
            rest[screen] = 0.0
            rest_price = rest @ structure.G
            slack = (
                items.objective - rest_price[None, :, None] if rest_price.any() else items.objective
            )
            high_line = (high * structure.G[screen] * (1 + 1e-9) + 1e-12)[None, :, None]
            moved = (x > 0) & (slack <= high_line)
        else:
            moved = np.zeros(x.shape, dtype=bool)
        for other in others if screen is None else []:
            other_x = solve_persons(items, structure, other @ structure.G).x
            moved |= np.abs(other_x - x) > 1e-12 * (1 + np.abs(x))
        who = np.nonzero(moved.reshape(part.n, -1).any(axis=1))[0]
        marginal.append(who + start)
        free.append(moved[who])
        base_x.append(x[who])
    if others:
        return Sweep(
            exposures,
            lagrangian,
            objective,
            usage,
            np.concatenate(marginal),
            np.concatenate(free),
            np.concatenate(base_x),
            exact_lp,
        )
    empty = np.zeros((0, arms, segs))
    return Sweep(
        exposures, lagrangian, objective, usage, np.zeros(0, np.int64), empty > 0, empty, exact_lp
    )


def price_steps(
    prices: np.ndarray, active: np.ndarray, delta: float, floor: np.ndarray
) -> np.ndarray:
    """Half-widths of the price box: relative to the row's price, or to the largest price
    when the row's is 0 (every coupling row is in dollars, so prices are comparable)."""
    scale = np.maximum(np.maximum(prices, floor), 0.1 * float(prices.max(initial=0.0)))
    return np.where(active, delta * scale, 0.0)


def perturbations(
    prices: np.ndarray, active: np.ndarray, delta: float, floor: np.ndarray
) -> list[np.ndarray]:
    out = []
    steps = price_steps(prices, active, delta, floor)
    for k in np.nonzero(active)[0]:
        step = steps[k]
        for sign in (1.0, -1.0):
            moved = prices.copy()
            moved[k] = max(0.0, moved[k] + sign * step)
            if moved[k] != prices[k]:
                out.append(moved)
    return out


@dataclass
class Polish:
    exposures: np.ndarray
    objective: float
    upper_bound: float  # L(base prices)
    new_prices: np.ndarray
    usage: np.ndarray
    marginal: int
    free_items: int
    exact_lp: int
    feasible: bool
    certified: bool = False  # upper_bound is L at new_prices (no further sweep needed)
    recenter: bool = False  # the optimal prices lie outside the box, toward new_prices
    price_sd: float = float("nan")  # sampling sd of the price, times sqrt(persons)
