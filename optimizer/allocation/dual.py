"""The decomposed solver: prices on the coupling rows, exact persons, a certified gap.

`solve_dual(problem, policy, *, prices=None, time_limit=None, tol=1e-7, chunk_size=2048,
seed=0, sample_size=400) -> Plan`; `Prices`, `plan_prices(plan)`,
`reallocate(person, prices) -> PersonPlan`.

Lagrangian: with prices lam >= 0 on the coupling rows G x <= b (total budget, channel
budgets, global mix rules), the LP splits by person:
    L(lam) = sum_i max_{x_i feasible for i} (c_i - lam G) x_i  +  lam b.
Each person is solved exactly (`person.solve_persons`), so L(lam) is a valid upper bound on
the LP optimum for any lam >= 0 (weak duality); it equals the optimum at the optimal prices.

Finding the prices:
1. an exact LP (HiGHS) on `sample_size` random persons, budgets scaled to the sample, gives
   starting prices and the rows that bind (or a warm start passed as `prices`);
2. a ladder of nested random samples (..., n/100, n/10, then everyone) polishes them.
   With one binding row (`breakpoint.polish_one_row`) the price is bracketed by +-4 standard
   deviations of the previous rung's sampling error (`breakpoint.price_sd`); persons whose
   plan is the same at both ends keep it on the whole bracket (for the budget row this is
   read off the break-even prices of the items a person buys, `sweep.screenable`), and an
   exact breakpoint search (Illinois regula falsi with a bisection safeguard) runs on the
   marginal persons only; at the crossing price both end plans are optimal, and their mix
   that puts the row at equality splits the tie exactly (complementary slackness). With
   several binding rows (`restricted.polish_rows`) the persons whose plan moves when any
   active price moves by +-delta keep their moving items free in one restricted LP (HiGHS;
   fixed persons' usage taken off the right-hand sides; prices held in the box), whose
   solution splits the ties and whose row duals are the new prices; a full sweep at those
   prices then gives the bound. On small problems (at most 20,000 persons) a polish that
   fails to certify falls back to the whole LP by HiGHS, recorded as {"whole_lp": True} in
   `plan.stats["levels"]`;
3. certificate: the plan is feasible by construction and gap = (L(lam) - objective) / L(lam)
   with L evaluated over every person (denominator at least 1e-6).
Persons are processed in chunks of `chunk_size`, so memory is the plan (n x arms) plus one
chunk and the marginal persons. `time_limit` is checked between steps (the last rung always
runs once, so a plan exists): the best feasible plan is returned with its certified gap.
"""

import time

import numpy as np

from optimizer.allocation.breakpoint import polish_one_row
from optimizer.allocation.diagnosis import infeasible_error, precheck
from optimizer.allocation.person import block_lp
from optimizer.allocation.plan import Plan
from optimizer.allocation.policy import Policy
from optimizer.allocation.prices import PersonPlan, Prices, plan_prices, reallocate
from optimizer.allocation.problem import (
    AllocationProblem,
    Structure,
    arm_totals,
    compile_policy,
    person_items,
)
from optimizer.allocation.restricted import polish_rows
from optimizer.allocation.sweep import FREE_LIMIT, GAP_FLOOR, Polish, sweep

__all__ = ["PersonPlan", "Prices", "plan_prices", "reallocate", "solve_dual"]

_WHOLE_LIMIT = 20_000  # below this, a failed polish falls back to the whole LP


def _start_prices(
    problem: AllocationProblem, structure: Structure, order: np.ndarray, sample: int
) -> tuple[np.ndarray, np.ndarray]:
    """Prices and tight rows of the exact LP on a random sample, budgets scaled to it."""
    n, rows = problem.n, len(structure.row_names)
    m = min(n, sample)
    chosen = problem.take(np.sort(order[:m]))
    rhs = structure.b * (m / n)
    first = block_lp(person_items(chosen, structure), structure, rhs)
    if first.status != "optimal":
        if m == n:
            raise infeasible_error(problem, structure)
        return np.zeros(rows), np.ones(rows, dtype=bool)
    usage = structure.G @ arm_totals(first.x).sum(axis=0)
    tight = usage >= rhs - 0.05 * np.maximum(np.abs(rhs), 1e-9)
    return first.prices, tight | (first.prices > 0)


def solve_dual(
    problem: AllocationProblem,
    policy: Policy,
    *,
    prices: Prices | dict[str, float] | None = None,
    time_limit: float | None = None,
    tol: float = 1e-7,
    chunk_size: int = 2048,
    seed: int = 0,
    sample_size: int = 400,
) -> Plan:
    """Solve by price decomposition; see the module docstring."""
    start = time.perf_counter()
    problem.validate(policy)
    structure = compile_policy(policy)
    precheck(problem, structure)
    n, rows = problem.n, len(structure.row_names)
    deadline = start + time_limit if time_limit is not None else float("inf")
    order = np.random.default_rng(seed).permutation(n)
    levels: list[dict[str, float]] = []
    if isinstance(prices, Prices | dict):
        given = prices if isinstance(prices, Prices) else Prices.from_shadow(structure, prices)
        lam, active = given.values.copy(), np.ones(rows, dtype=bool)
        sizes = [n]
    else:
        lam, active = _start_prices(problem, structure, order, sample_size)
        # nested samples n/10**j down to ~10x the price sample, then everyone
        sizes = [n // 10**j for j in range(12, 0, -1) if n // 10**j >= 5 * sample_size] + [n]
    # price scale for rows whose price is still 0: the value per unit of the row's activity
    sample_items = person_items(problem.take(np.sort(order[: min(n, 1000)])), structure)
    top = float(np.abs(sample_items.objective).max(initial=0.0)) or 1.0
    floor = 1e-3 * top / np.maximum(np.abs(structure.G).max(axis=1, initial=0.0), 1e-12)
    history = [lam]
    history_sd: list[float] = []
    previous = sample_size
    best: Polish | None = None
    upper = float("inf")
    for m in sizes:
        last = m == n
        sub = problem if last else problem.take(np.sort(order[:m]))
        rhs = structure.b * (m / n)
        sd = history_sd[-1] if history_sd else float("nan")
        if len(history) >= 2 and np.isfinite(sd) and active.sum() == 1:
            # 4 standard deviations of the previous level's price, finite-population corrected
            k = int(np.nonzero(active)[0][0])
            spread = sd / np.sqrt(previous) * np.sqrt(max(0.0, 1 - previous / m))
            delta = float(np.clip(4 * spread / max(lam[k], 1e-300), 1e-6, 0.3))
        elif len(history) >= 2:
            change = np.abs(history[-1] - history[-2]) / np.maximum(history[-1], 1e-12)
            delta = float(np.clip(1.2 * change[active].max(initial=0.0), 1e-6, 0.3))
        else:
            delta = 0.3 if prices is None else 1e-3
        for _attempt in range(8):
            if rows == 0:
                delta = 0.0
            if active.sum() == 1:
                k = int(np.nonzero(active)[0][0])
                result = polish_one_row(sub, structure, rhs, lam, k, delta, chunk_size, floor)
                if not result.feasible:
                    violated = result.usage > rhs + 1e-9 * np.maximum(1.0, np.abs(rhs))
                    violated[k] = False
                    if violated.any():
                        active |= violated
                        continue
            else:
                result = polish_rows(sub, structure, rhs, lam, active, delta, chunk_size, floor)
            levels.append(
                {
                    "persons": m,
                    "delta": delta,
                    "marginal": result.marginal,
                    "free_items": result.free_items,
                    "feasible": result.feasible,
                    "prices": result.new_prices.tolist(),
                }
            )
            if last:
                upper = min(upper, result.upper_bound)
                if result.feasible and (best is None or result.objective > best.objective):
                    best = result
            if result.feasible:
                active |= result.new_prices > 0
                lam = result.new_prices
                if not last or rows == 0:
                    break
                if not result.certified:
                    certificate = sweep(problem, structure, lam, [], chunk_size)
                    upper = min(upper, certificate.lagrangian + float(lam @ rhs))
                assert best is not None
                if (upper - best.objective) <= tol * max(abs(upper), GAP_FLOOR):
                    break
                delta = max(1e-7, delta / 4)
            else:
                active |= result.usage > rhs + 1e-9 * np.maximum(1.0, np.abs(rhs))
                if result.recenter:
                    lam = result.new_prices
                    delta = min(1e6, delta * 2)
                    continue
                too_many = result.free_items > FREE_LIMIT
                delta = delta / 4 if too_many else min(1e6, delta * 4)
            if time.perf_counter() > deadline and (not last or best is not None):
                break
        history.append(lam)
        history_sd.append(result.price_sd if result.feasible else float("nan"))
        previous = m
    if (best is None or upper - best.objective > tol * max(abs(upper), GAP_FLOOR)) and (
        n <= _WHOLE_LIMIT
    ):
        # last resort on small problems: every person marginal, one block LP
        whole = block_lp(person_items(problem, structure), structure, structure.b)
        if whole.status != "optimal":
            raise infeasible_error(problem, structure)
        lam = whole.prices
        certificate = sweep(problem, structure, lam, [], chunk_size)
        upper = min(upper, certificate.lagrangian + float(lam @ structure.b))
        exposures = arm_totals(whole.x)
        usage = structure.G @ exposures.sum(axis=0)
        if best is None or whole.value > best.objective:
            best = Polish(exposures, whole.value, upper, lam, usage, n, 0, 0, True)
        levels.append({"persons": n, "whole_lp": True})
    if best is None:
        raise infeasible_error(problem, structure)
    if rows == 0:
        upper = best.objective
    gap = max(0.0, (upper - best.objective) / max(abs(upper), GAP_FLOOR))
    status = "optimal" if gap <= tol else ("time_limit" if time_limit else "feasible")
    return Plan(
        exposures=best.exposures,
        structure=structure,
        objective=best.objective,
        upper_bound=upper,
        gap=gap,
        status=status,
        seconds=time.perf_counter() - start,
        solver="dual",
        shadow_prices=Prices(structure, lam).shadow_prices(),
        stats={
            "levels": levels,
            "exact_lp_persons": best.exact_lp,
            "marginal_persons": best.marginal,
        },
    )
