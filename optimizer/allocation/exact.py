"""The whole allocation LP in PuLP: the reference answer, and the solver for small problems.

`solve_exact(problem, policy, solver="cbc" | "highs", time_limit=None) -> Plan`.

Variables x[i,a,s] exist only for items a person may receive (consent, min return) and that
could be worth buying: an item with objective <= 0 is dropped when no coupling or per-person
row gives its arm a negative coefficient (nothing could then make it pay). Every expression
is built from (variable, coefficient) pairs in one LpAffineExpression, so building is linear
in the model size. Shadow prices are read from the solver and normalized to
d(objective)/d(rhs): PuLP's HiGHS adapter reports the opposite sign from CBC on a
maximization, so the sign is calibrated once per solver on a one-variable probe model.
"""

from __future__ import annotations

import time
import warnings
from functools import cache

import numpy as np
import pulp

from optimizer.allocation.diagnosis import infeasible_error, precheck
from optimizer.allocation.plan import Plan
from optimizer.allocation.policy import Policy
from optimizer.allocation.problem import AllocationProblem, compile_policy, person_items


def _make_solver(solver: str, time_limit: float | None) -> pulp.LpSolver:
    if solver == "cbc":
        return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit)
    if solver == "highs":
        return pulp.HiGHS(msg=False, timeLimit=time_limit)
    raise ValueError(f"solver: unknown {solver!r} (use 'cbc' or 'highs')")


@cache
def _dual_sign(solver: str) -> float:
    """+1 when the solver's `pi` already is d(max objective)/d(rhs), else -1."""
    model = pulp.LpProblem("probe", pulp.LpMaximize)
    x = pulp.LpVariable("x", lowBound=0)
    model += 2 * x
    model += x <= 3, "row"
    model.solve(_make_solver(solver, None))
    return 1.0 if model.constraints["row"].pi > 0 else -1.0


def solve_exact(
    problem: AllocationProblem,
    policy: Policy,
    solver: str = "cbc",
    time_limit: float | None = None,
) -> Plan:
    """Solve the whole LP with PuLP (CBC by default, HiGHS on request)."""
    with warnings.catch_warnings():
        # PuLP 3.x announces its 4.0 API on every call; we pin pulp<4 (see pyproject)
        warnings.simplefilter("ignore", DeprecationWarning)
        return _solve_exact(problem, policy, solver, time_limit)


def _solve_exact(
    problem: AllocationProblem, policy: Policy, solver: str, time_limit: float | None
) -> Plan:
    start = time.perf_counter()
    problem.validate(policy)
    structure = compile_policy(policy)
    precheck(problem, structure)
    items = person_items(problem, structure)
    n, arms, segs = items.objective.shape
    prunable: np.ndarray = np.asarray((structure.G >= 0).all(axis=0))
    if structure.person_rows.shape[0]:
        prunable &= (structure.person_rows >= 0).all(axis=0)
    keep = (items.upper > 0) & ~((items.objective <= 0) & prunable[None, :, None])
    flat = np.nonzero(keep.reshape(-1))[0]
    person = flat // (arms * segs)
    arm = (flat // segs) % arms
    upper = items.upper.reshape(-1)[flat]
    variables = [
        pulp.LpVariable(f"x{j}", lowBound=0, upBound=float(u)) for j, u in enumerate(upper)
    ]
    model = pulp.LpProblem("allocation", pulp.LpMaximize)
    objective = items.objective.reshape(-1)[flat]
    model.setObjective(pulp.LpAffineExpression(zip(variables, objective.tolist(), strict=True)))
    order = np.argsort(person, kind="stable")
    bounds = np.searchsorted(person[order], np.arange(n + 1))
    cost = structure.arm_cost
    for i in range(n):
        own = order[bounds[i] : bounds[i + 1]]
        if own.size == 0:
            continue
        own_arms = arm[own]
        for c in range(structure.n_channels):
            sel = own[structure.arm_channel[own_arms] == c]
            if sel.size and upper[sel].sum() > items.channel_cap[i, c]:
                expr = pulp.LpAffineExpression([(variables[j], 1.0) for j in sel])
                model.addConstraint(expr <= float(items.channel_cap[i, c]), f"cap_{i}_{c}")
        if (
            np.isfinite(items.spend_cap[i])
            and (upper[own] * cost[own_arms]).sum() > items.spend_cap[i]
        ):
            expr = pulp.LpAffineExpression(
                [(variables[j], float(cost[arm[j]])) for j in own.tolist()]
            )
            model.addConstraint(expr <= float(items.spend_cap[i]), f"spend_{i}")
        for p in range(structure.person_rows.shape[0]):
            coef = structure.person_rows[p][own_arms]
            expr = pulp.LpAffineExpression(
                [(variables[j], float(v)) for j, v in zip(own.tolist(), coef, strict=True) if v]
            )
            model.addConstraint(expr <= 0.0, f"mix_{i}_{p}")
    coupling = []
    for k in range(len(structure.row_names)):
        coef = structure.G[k][arm]
        nz = np.nonzero(coef)[0]
        expr = pulp.LpAffineExpression(
            zip([variables[j] for j in nz], coef[nz].tolist(), strict=True)
        )
        constraint = expr <= float(structure.b[k])
        model.addConstraint(constraint, f"coupling_{k}")
        coupling.append(f"coupling_{k}")
    build_seconds = time.perf_counter() - start
    model.solve(_make_solver(solver, time_limit))
    status = pulp.LpStatus[model.status]
    if status == "Infeasible":
        raise infeasible_error(problem, structure)
    if status != "Optimal":
        raise RuntimeError(f"{solver} returned status {status}")
    values = np.array([v.varValue or 0.0 for v in variables])
    x = np.zeros(n * arms * segs)
    x[flat] = values
    exposures = x.reshape(n, arms, segs).sum(axis=2)
    value = float(objective @ values)
    sign = _dual_sign(solver)
    shadow = {}
    for k, name in enumerate(structure.row_names):
        pi = model.constraints[coupling[k]].pi
        # internal rows are "<="; a ">=" row was negated, so its rhs derivative flips
        shadow[name] = float(sign * (pi or 0.0) * structure.row_sign[k]) + 0.0
    return Plan(
        exposures=exposures,
        structure=structure,
        objective=value,
        upper_bound=value,
        gap=0.0,
        status="optimal",
        seconds=time.perf_counter() - start,
        solver=f"exact-{solver}",
        shadow_prices=shadow,
        stats={"variables": len(variables), "build_seconds": build_seconds},
    )
