"""The allocation engine: a per-person marketing LP, exact and decomposed.

Public API (stable names):
- `Policy`, `load_policy(path)`, `parse_policy(data)`, `PolicyError` — the policy file.
- `AllocationProblem(clv, value_per_response, response_rate, consent, customer_id=None)` —
  arrays over n persons; arms in `policy.arms` order, channels in `policy.channel_names`.
- `solve_exact(problem, policy, solver="cbc" | "highs", time_limit=None) -> Plan` — the
  whole LP in PuLP.
- `solve_dual(problem, policy, *, prices=None, time_limit=None, tol=1e-7,
  chunk_size=2048, seed=0, sample_size=400) -> Plan` — price decomposition with a certified gap.
- `Plan` — exposures (n, arms), objective, upper_bound, gap, status, seconds, spend,
  budget, spend_by_channel, message_mix, shadow_prices (d objective / d rhs per coupling
  row: "total_budget", "channel_max:<c>", "channel_min:<c>", "mix:<rule>"),
  `binding_constraints(problem, i)`, `summary()`.
- `Prices`, `plan_prices(plan) -> Prices`, `reallocate(person, prices) -> PersonPlan` —
  re-plan one person (a one-row AllocationProblem) at fixed prices.
- `InfeasiblePolicyError` (`.rules` names the conflicting rules).
- `synthetic_policy(n)`, `synthetic_population(n, seed, policy)` — documented test data.
- `constraint_violations(structure, problem, exposures)` — feasibility check per rule family.
"""

from optimizer.allocation.dual import PersonPlan, Prices, plan_prices, reallocate, solve_dual
from optimizer.allocation.exact import solve_exact
from optimizer.allocation.plan import InfeasiblePolicyError, Plan, constraint_violations
from optimizer.allocation.policy import Policy, PolicyError, load_policy, parse_policy
from optimizer.allocation.problem import AllocationProblem, compile_policy
from optimizer.allocation.synthetic import synthetic_policy, synthetic_population

__all__ = [
    "AllocationProblem",
    "InfeasiblePolicyError",
    "PersonPlan",
    "Plan",
    "Policy",
    "PolicyError",
    "Prices",
    "compile_policy",
    "constraint_violations",
    "load_policy",
    "parse_policy",
    "plan_prices",
    "reallocate",
    "solve_dual",
    "solve_exact",
    "synthetic_policy",
    "synthetic_population",
]
