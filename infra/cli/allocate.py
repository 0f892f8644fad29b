"""`percapita allocate`: plan the period's spend per customer from a customer file.

    percapita allocate --customers FILE --policy FILE [--solver exact|dual] [--out FILE] [--json]
    percapita allocate --synthetic N --seed S [--policy FILE] ...

The customer CSV columns are documented in `optimizer.allocation.customers`; with
`--synthetic` the population of `optimizer.allocation.synthetic` is drawn instead (and its
16-arm policy used unless --policy is given). `--json` prints one object with objective,
upper_bound, gap, spend, budget, status, seconds and the breakdowns.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from infra.cli import CliError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "allocate",
        help="allocate the budget per customer (exact LP or certified decomposition)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--customers", metavar="FILE", help="customer CSV (see docs)")
    source.add_argument("--synthetic", type=int, metavar="N", help="draw N synthetic persons")
    parser.add_argument("--seed", type=int, default=0, help="seed for --synthetic (default 0)")
    parser.add_argument("--policy", metavar="FILE", help="policy YAML/JSON")
    parser.add_argument("--solver", choices=["exact", "dual"], default="dual")
    parser.add_argument(
        "--lp-solver",
        choices=["cbc", "highs"],
        default="cbc",
        help="LP solver for --solver exact (default cbc)",
    )
    parser.add_argument("--time-limit", type=float, default=None, metavar="SECONDS")
    parser.add_argument("--out", metavar="FILE", help="write the per-customer plan as CSV")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from optimizer.allocation import (
        InfeasiblePolicyError,
        PolicyError,
        load_policy,
        solve_dual,
        solve_exact,
        synthetic_policy,
        synthetic_population,
    )
    from optimizer.allocation.customers import CustomerFileError, read_customers, write_plan

    try:
        if args.customers is not None:
            if args.policy is None:
                raise CliError("--policy is required with --customers")
            policy = load_policy(args.policy)
            try:
                with open(args.customers, newline="") as stream:
                    problem, errors = read_customers(stream, policy)
            except OSError as error:
                raise CliError(f"{args.customers}: cannot read ({error.strerror})") from None
            for message in errors:
                print(f"{args.customers}: skipped {message}", file=sys.stderr)
        else:
            if args.synthetic <= 0:
                raise CliError("--synthetic: N must be positive")
            policy = load_policy(args.policy) if args.policy else synthetic_policy(args.synthetic)
            problem = synthetic_population(args.synthetic, args.seed, policy)
        if args.solver == "exact":
            plan = solve_exact(problem, policy, solver=args.lp_solver, time_limit=args.time_limit)
        else:
            plan = solve_dual(problem, policy, time_limit=args.time_limit)
    except (PolicyError, CustomerFileError, InfeasiblePolicyError, ValueError) as error:
        raise CliError(str(error)) from None
    if args.out:
        with open(args.out, "w", newline="") as stream:
            write_plan(plan, problem, stream)
    summary = plan.summary()
    summary.pop("stats", None)
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"{plan.solver}: {summary['persons']} persons, objective {plan.objective:.6g}, "
            f"upper bound {plan.upper_bound:.6g}, gap {plan.gap:.2e}, status {plan.status}, "
            f"spend {plan.spend:.6g} of {plan.budget}, {plan.seconds:.2f} s"
        )
        for name, value in plan.shadow_prices.items():
            print(f"  shadow price {name}: {value:.6g} per dollar")
    return 0
