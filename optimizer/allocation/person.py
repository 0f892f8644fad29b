"""One person's LP at given coupling-row prices, solved exactly and vectorized over persons.

Given prices (lambda >= 0 on the coupling rows G x <= b), person i maximizes
    sum_{a,s} (objective[i,a,s] - price[a]) * x[i,a,s],   price = lambda @ G,
subject to 0 <= x <= upper, per-channel frequency caps, the spend cap, and the per-person
mix rows. Why a greedy is exact without the mix rows: all arms of a channel cost the same,
so relaxing the spend cap with a multiplier mu shifts every item of a channel by the same
mu * unit_cost and never changes their order inside the channel. The items a channel keeps
are therefore always a prefix of its items sorted by reduced value, cut at the frequency
cap; the spend cap then is a fractional knapsack over those prefixes, solved by taking items
in decreasing value per dollar (mu* is the value per dollar of the item cut in two). Each
arm's segments have decreasing values, so every arm's exposures fill its segments in order.

The per-person mix rows (message share, brand frequency) are homogeneous and can reorder
items, so no greedy is exact with them. They are checked on the greedy answer, which is
optimal whenever it satisfies them (it solves a relaxation); persons who violate them are
solved exactly as one block-diagonal LP by HiGHS (`block_lp`), so the answer is exact for
every person either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from optimizer.allocation.problem import Items, Structure, arm_totals

_TOL = 1e-9
# tight tolerances: plans must satisfy every row to 1e-9 relative
_HIGHS_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


@dataclass
class PersonSolution:
    x: np.ndarray  # (n, A, S) exposures per item
    y: np.ndarray  # (n, A) exposures per arm
    lagrangian: np.ndarray  # (n,) sum (objective - price) * x
    objective: np.ndarray  # (n,) sum objective * x
    exact_lp: int  # persons that needed the block LP (mix rules bound)


def channel_slices(structure: Structure) -> list[tuple[int, int, int]]:
    """(channel, first arm, end arm): `policy.arms` is channel-major, so arms are contiguous."""
    out = []
    for c in range(structure.n_channels):
        arms = np.nonzero(structure.arm_channel == c)[0]
        if arms.size:
            out.append((c, int(arms[0]), int(arms[-1]) + 1))
    return out


def solve_persons(items: Items, structure: Structure, price: np.ndarray) -> PersonSolution:
    """Exact optimum of each person's LP at arm prices `price` (A,)."""
    reduced = items.objective - price[None, :, None]
    x = items.upper * (reduced > 0)
    n, arms, segs = x.shape
    if n == 0:
        return PersonSolution(x, np.zeros((0, arms)), np.zeros(0), np.zeros(0), 0)
    slices = channel_slices(structure)
    starts = np.array([first * segs for _, first, _ in slices], dtype=np.int64)
    totals = np.add.reduceat(x.reshape(n, -1), starts, axis=1) if n else np.zeros((0, len(slices)))
    for j, (c, first, end) in enumerate(slices):
        total = totals[:, j]
        over = np.nonzero(total > items.channel_cap[:, c] * (1 + _TOL) + _TOL)[0]
        if over.size == 0:
            continue
        sub_x = x[over, first:end, :].reshape(over.size, -1)
        sub_r = reduced[over, first:end, :].reshape(over.size, -1)
        order = np.argsort(-sub_r, axis=1, kind="stable")
        width = np.take_along_axis(sub_x, order, axis=1)
        before = np.cumsum(width, axis=1) - width
        cap = items.channel_cap[over, c][:, None]
        taken = np.clip(cap - before, 0.0, width)
        out = np.empty_like(sub_x)
        np.put_along_axis(out, order, taken, axis=1)
        x[over, first:end, :] = out.reshape(over.size, end - first, segs)
    cost = structure.arm_cost
    flat_cost = np.repeat(cost, segs)[None, :]
    spend = np.einsum("ij,j->i", x.reshape(n, -1), flat_cost[0])
    over = np.nonzero(spend > items.spend_cap * (1 + _TOL) + _TOL)[0]
    if over.size:
        sub_x = x[over].reshape(over.size, -1)
        ratio = reduced[over].reshape(over.size, -1) / flat_cost
        order = np.argsort(-ratio, axis=1, kind="stable")
        dollars = np.take_along_axis(sub_x * flat_cost, order, axis=1)
        before = np.cumsum(dollars, axis=1) - dollars
        taken = np.clip(items.spend_cap[over][:, None] - before, 0.0, dollars)
        out = np.empty_like(sub_x)
        np.put_along_axis(out, order, taken, axis=1)
        x[over] = (out / flat_cost).reshape(over.size, arms, segs)
    exact_lp = 0
    if structure.person_rows.shape[0]:
        exposures = arm_totals(x)
        excess = exposures @ structure.person_rows.T
        bad = np.nonzero((excess > _TOL * (1 + exposures.sum(axis=1))[:, None]).any(axis=1))[0]
        if bad.size:
            exact_lp = int(bad.size)
            sub = Items(
                objective=reduced[bad],
                upper=items.upper[bad],
                spend_cap=items.spend_cap[bad],
                channel_cap=items.channel_cap[bad],
            )
            x[bad] = block_lp(sub, structure).x
    objective = np.einsum("ijk,ijk->i", items.objective, x)
    y = arm_totals(x)
    lagrangian = objective - np.einsum("ij,j->i", y, price)
    return PersonSolution(x=x, y=y, lagrangian=lagrangian, objective=objective, exact_lp=exact_lp)


@dataclass
class BlockSolution:
    x: np.ndarray  # (n, A, S)
    value: float  # objective of the block LP
    prices: np.ndarray  # (K,) d(max objective)/d(rhs) of the "<=" coupling rows, >= 0
    status: str  # "optimal" or "infeasible" (or another HiGHS status)
    relaxed: float = 0.0  # capacity bought through `price_box`, relative to the rows' scale


def block_lp(
    items: Items,
    structure: Structure,
    coupling_rhs: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
    free: np.ndarray | None = None,
    price_box: tuple[np.ndarray, np.ndarray] | None = None,
) -> BlockSolution:
    """Maximize sum objective * x over a block of persons by HiGHS, with every per-person
    row and, when `coupling_rhs` is given, the coupling rows G x <= coupling_rhs.

    With `fixed` (n, A, S) and `free` (bool, same shape), only the free items are variables;
    the others stay at their `fixed` values, which are taken off every right-hand side.

    With `price_box` (low, high) per coupling row (NaN: no box), the row may buy capacity
    at `high` and sell it at `low`, which keeps its dual price inside [low, high]: a trust
    region on the prices. `relaxed` reports the capacity bought (0 when the box holds
    the optimal prices; then the plan is feasible for the original rows)."""
    n, arms, segs = items.objective.shape
    if fixed is None or free is None:
        base = np.zeros((n, arms, segs))
        keep = items.upper.reshape(-1) > 0
    else:
        base = np.where(free, 0.0, fixed)
        keep = (items.upper > 0).reshape(-1) & free.reshape(-1)
    base_y = arm_totals(base)
    var = np.nonzero(keep)[0]
    person = var // (arms * segs)
    arm = (var // segs) % arms
    cols = np.arange(var.size)
    rows_i: list[np.ndarray] = []
    rows_j: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    rhs: list[np.ndarray] = []
    offset = 0
    channels = structure.n_channels
    # frequency caps: one row per (person, channel)
    rows_i.append(offset + person * channels + structure.arm_channel[arm])
    rows_j.append(cols)
    vals.append(np.ones(var.size))
    used = np.zeros((n, channels))
    for c in range(channels):
        used[:, c] = base_y[:, structure.arm_channel == c].sum(axis=1)
    rhs.append((items.channel_cap - used).reshape(-1))
    offset += n * channels
    finite = np.isfinite(items.spend_cap)
    if finite.any():
        row_of = np.cumsum(finite) - 1
        sel = finite[person]
        rows_i.append(offset + row_of[person[sel]])
        rows_j.append(cols[sel])
        vals.append(structure.arm_cost[arm[sel]])
        rhs.append(items.spend_cap[finite] - base_y[finite] @ structure.arm_cost)
        offset += int(finite.sum())
    n_person_rows = structure.person_rows.shape[0]
    for p in range(n_person_rows):
        coef = structure.person_rows[p][arm]
        sel = coef != 0
        rows_i.append(offset + person[sel])
        rows_j.append(cols[sel])
        vals.append(coef[sel])
        rhs.append(-(base_y @ structure.person_rows[p]))
        offset += n
    n_coupling = 0
    if coupling_rhs is not None:
        n_coupling = int(coupling_rhs.shape[0])
        for k in range(n_coupling):
            coef = structure.G[k][arm]
            sel = coef != 0
            rows_i.append(np.full(int(sel.sum()), offset + k))
            rows_j.append(cols[sel])
            vals.append(coef[sel])
        rhs.append(np.asarray(coupling_rhs, dtype=np.float64) - structure.G @ base_y.sum(axis=0))
        offset += n_coupling
    extra_cost: list[float] = []
    boxed: list[int] = []
    if price_box is not None and coupling_rhs is not None:
        low, high = price_box
        for k in range(n_coupling):
            if np.isnan(low[k]) or np.isnan(high[k]):
                continue
            row = offset - n_coupling + k
            column = var.size + len(extra_cost)
            rows_i.append(np.array([row, row]))
            rows_j.append(np.array([column, column + 1]))
            vals.append(np.array([-1.0, 1.0]))
            extra_cost.extend([float(high[k]), -float(low[k])])
            boxed.append(k)
    row_index = np.concatenate(rows_i)
    b_all = np.concatenate(rhs)
    # rows without a variable only constrain the fixed part: check them, do not send them
    used_rows = np.zeros(offset, dtype=bool)
    used_rows[row_index] = True
    empty_ok = bool((b_all[~used_rows] >= -1e-7 * (1 + np.abs(b_all[~used_rows]))).all())
    renumber = np.cumsum(used_rows) - 1
    n_extra = len(extra_cost)
    matrix = sp.csr_matrix(
        (np.concatenate(vals), (renumber[row_index], np.concatenate(rows_j))),
        shape=(int(used_rows.sum()), var.size + n_extra),
    )
    item_cost = -items.objective.reshape(-1)[var]
    cost_vector = np.concatenate([item_cost, np.asarray(extra_cost)])
    bounds = np.column_stack(
        [
            np.zeros(var.size + n_extra),
            np.concatenate([items.upper.reshape(-1)[var], np.full(n_extra, np.inf)]),
        ]
    )
    x = base.reshape(-1).copy()
    prices = np.zeros(n_coupling)
    b_ub = b_all[used_rows]
    fixed_value = float((items.objective * base).sum())
    if var.size == 0:  # nothing to choose: the fixed part must satisfy every row
        empty_ok = bool((b_all >= -1e-7 * (1 + np.abs(b_all))).all())
    if var.size == 0 or not empty_ok:
        status = "optimal" if empty_ok else "infeasible"
        return BlockSolution(x.reshape(n, arms, segs), fixed_value, prices, status)
    result = linprog(
        cost_vector, A_ub=matrix, b_ub=b_ub, bounds=bounds, method="highs", options=_HIGHS_OPTIONS
    )
    if result.status != 0:
        status = "infeasible" if result.status == 2 else f"highs status {result.status}"
        return BlockSolution(x.reshape(n, arms, segs), float("nan"), prices, status)
    solution = np.clip(result.x[: var.size], 0.0, bounds[: var.size, 1])
    x[var] = solution
    if n_coupling:
        marginals = np.zeros(offset)
        marginals[used_rows] = result.ineqlin.marginals
        prices = np.maximum(-marginals[-n_coupling:], 0.0)
    relaxed = 0.0
    if n_extra and coupling_rhs is not None:
        bought = np.asarray(result.x[var.size :: 2])
        scale = np.maximum(1.0, np.abs(np.asarray(coupling_rhs)[boxed]))
        relaxed = float((bought / scale).max(initial=0.0))
    value = fixed_value - float(item_cost @ solution)
    return BlockSolution(x.reshape(n, arms, segs), value, prices, "optimal", relaxed)
