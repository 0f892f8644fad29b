"""Why a policy is infeasible, in the words of its rules.

`precheck` catches the common conflicts before any solve (channel minimums above the total
budget or above a channel's maximum, a channel minimum that eligible persons cannot absorb
under consent, frequency and spend caps). `diagnose` runs after a solver reports
infeasibility: it drops each coupling rule in turn and names the ones whose removal makes
the problem feasible (on a sample of persons when the problem is large).
"""

from __future__ import annotations

import numpy as np

from optimizer.allocation.person import block_lp
from optimizer.allocation.plan import InfeasiblePolicyError
from optimizer.allocation.problem import AllocationProblem, Items, Structure, person_items

_DIAGNOSE_PERSONS = 2000


def channel_capacity(structure: Structure, items: Items) -> np.ndarray:
    """Most each channel can spend on these persons (consent, frequency and spend caps)."""
    capacity = np.zeros(structure.n_channels)
    width = items.upper.sum(axis=2)  # (n, A)
    for c in range(structure.n_channels):
        in_channel = structure.arm_channel == c
        if not in_channel.any():
            continue
        exposures = np.minimum(width[:, in_channel].sum(axis=1), items.channel_cap[:, c])
        cost = structure.arm_cost[in_channel][0]
        capacity[c] = np.minimum(exposures * cost, items.spend_cap).sum()
    return capacity


def precheck(problem: AllocationProblem, structure: Structure, chunk: int = 200_000) -> None:
    """Raise InfeasiblePolicyError naming the rules when an obvious conflict exists."""
    policy = structure.policy
    minimums = {n: c.budget_min for n, c in policy.channels.items() if c.budget_min}
    conflicts: list[str] = []
    if policy.total_budget is not None and sum(minimums.values()) > policy.total_budget:
        names = ", ".join(f"channel_min:{n}" for n in minimums)
        conflicts.append(
            f"{names} add up to {sum(minimums.values()):.6g}, above total_budget "
            f"{policy.total_budget:.6g}"
        )
    if minimums:
        capacity = np.zeros(structure.n_channels)
        for start in range(0, problem.n, chunk):
            part = problem.take(slice(start, start + chunk))
            capacity += channel_capacity(structure, person_items(part, structure))
        for c, name in enumerate(policy.channel_names):
            need = minimums.get(name)
            if need is None:
                continue
            limit = capacity[c]
            budget_max = policy.channels[name].budget_max
            if need > limit * (1 + 1e-9):
                conflicts.append(
                    f"channel_min:{name} needs {need:.6g} but consenting persons can absorb at "
                    f"most {limit:.6g} under frequency_cap, consent and spend caps"
                )
            elif budget_max is not None and need > budget_max:
                conflicts.append(f"channel_min:{name} {need:.6g} above budget_max {budget_max:.6g}")
    if conflicts:
        raise InfeasiblePolicyError("infeasible policy: " + "; ".join(conflicts), conflicts)


def diagnose(problem: AllocationProblem, structure: Structure, seed: int = 0) -> list[str]:
    """Names of coupling rules whose removal alone makes the problem feasible."""
    if problem.n > _DIAGNOSE_PERSONS:
        rng = np.random.default_rng(seed)
        index = np.sort(rng.choice(problem.n, _DIAGNOSE_PERSONS, replace=False))
        sample, scale = problem.take(index), _DIAGNOSE_PERSONS / problem.n
    else:
        sample, scale = problem, 1.0
    items = person_items(sample, structure)
    rhs = structure.b * scale
    if block_lp(items, structure, rhs).status == "optimal":
        return []
    culprits: list[str] = []
    for k, name in enumerate(structure.row_names):
        relaxed = rhs.copy()
        relaxed[k] = 1e18
        if block_lp(items, structure, relaxed).status == "optimal":
            culprits.append(name)
    if not culprits:
        culprits = ["per-person rules together with " + ", ".join(structure.row_names)]
    return culprits


def infeasible_error(problem: AllocationProblem, structure: Structure) -> InfeasiblePolicyError:
    rules = diagnose(problem, structure)
    return InfeasiblePolicyError(
        "infeasible policy: the LP has no solution; conflicting rules: " + ", ".join(rules), rules
    )
