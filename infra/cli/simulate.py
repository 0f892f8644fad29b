"""`percapita simulate`: persona against person in a synthetic world with a known truth.

    percapita simulate [--customers N] [--periods P] [--seeds S] [--policy FILE] [--out DIR]
                       [--json] [--budget-per-customer X] [--strategies a,b,...]
                       [--exploration none|thompson|ucb] [--segments world|rfm]
                       [--engine simulator|allocation] [--jobs J]
                       [--world KEY=VALUE ...] [--learning KEY=VALUE ...]

Plays uniform, persona, person (percapita) and oracle spending at the same budget, period by
period, over several seeds; prints a table of cumulative incremental margin, spend, return
per dollar and share of oracle, each with a 95% interval over seeds (`--json`: one object).
`--out DIR` writes index.html with three plots (cumulative incremental margin by strategy,
share of oracle over time, spend by true value decile) and summary.json. The world and its
parameters: `optimizer.simulation.world.WorldConfig`; `--world` overrides any of them and
`--learning` any field of `LearningSettings`, values in JSON (`--world open_rate={}` is the
click-only world, `--world channel_taste_shape=2.5`, `--learning use_opens=false`).
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import json
import os
import sys
from pathlib import Path
from typing import Any

from infra.cli import CliError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="measure persona against person spending in a synthetic world",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--customers", type=int, default=20_000, metavar="N")
    parser.add_argument("--periods", type=int, default=12, metavar="P", help="4-week periods")
    parser.add_argument("--seeds", type=int, default=5, metavar="S")
    parser.add_argument("--first-seed", type=int, default=1, metavar="K")
    parser.add_argument("--policy", metavar="FILE", help="allocation policy YAML/JSON")
    parser.add_argument(
        "--budget-per-customer",
        type=float,
        default=None,
        metavar="X",
        help="budget per customer per period (default: the policy's total_budget / N, or 0.05)",
    )
    parser.add_argument(
        "--strategies",
        default="uniform,persona,person,oracle",
        help="comma-separated, from uniform, persona, person, oracle (diagnostics: "
        "person_known_value, person_known_rates, person_true_priors)",
    )
    parser.add_argument("--exploration", choices=["none", "thompson", "ucb"], default="none")
    parser.add_argument(
        "--segments",
        choices=["world", "rfm"],
        default="world",
        help="persona (and person priors) use the world's segments or RFM cells",
    )
    parser.add_argument("--engine", choices=["simulator", "allocation"], default=None)
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="J",
        help="seeds played in parallel processes (default: one per core, at most --seeds)",
    )
    for name, what in (("world", "WorldConfig"), ("learning", "LearningSettings")):
        parser.add_argument(
            f"--{name}",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help=f"override a field of {what} (value in JSON; inf allowed); repeatable",
        )
    parser.add_argument("--out", metavar="DIR", help="write index.html, plots, summary.json")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def _config(args: argparse.Namespace) -> Any:
    from optimizer.allocation import PolicyError, load_policy
    from optimizer.simulation.engines import Engine, default_policy, unsupported_by_simulator
    from optimizer.simulation.loop import SimulationConfig
    from optimizer.simulation.strategies import DIAGNOSTICS, STRATEGIES, LearningSettings
    from optimizer.simulation.world import WorldConfig

    if args.customers < 1:
        raise CliError("--customers: must be at least 1")
    if args.periods < 1 or args.seeds < 1:
        raise CliError("--periods and --seeds: must be at least 1")
    strategies = tuple(s.strip() for s in args.strategies.split(",") if s.strip())
    known = (*STRATEGIES, *DIAGNOSTICS)
    unknown = [s for s in strategies if s not in known]
    if unknown or not strategies:
        raise CliError(f"--strategies: unknown {unknown}; choose from {', '.join(known)}")
    world = _override(WorldConfig(customers=args.customers), args.world, "--world")
    try:
        policy = load_policy(args.policy) if args.policy else default_policy()
    except PolicyError as error:
        raise CliError(str(error)) from None
    if args.policy:
        # The policy's curve is taken as the truth of diminishing returns.
        world = dataclasses.replace(world, saturation_decay=policy.curve.decay)
    budget = args.budget_per_customer
    if budget is None:
        total = policy.total_budget
        budget = total / args.customers if total is not None else 0.05
    if budget < 0:
        raise CliError("--budget-per-customer: must be >= 0")
    engine: Engine = args.engine or (
        "allocation" if unsupported_by_simulator(policy) else "simulator"
    )
    if engine == "simulator" and unsupported_by_simulator(policy):
        reasons = ", ".join(unsupported_by_simulator(policy))
        raise CliError(f"--engine simulator: the policy has {reasons}; use --engine allocation")
    learning = _override(
        LearningSettings(exploration=args.exploration, segments=args.segments),
        args.learning,
        "--learning",
    )
    return SimulationConfig(
        world=world,
        policy=policy,
        engine=engine,
        periods=args.periods,
        budget_per_customer=budget,
        strategies=strategies,
        learning=learning,
    )


def _override(settings: Any, pairs: list[str], flag: str) -> Any:
    """`settings` with KEY=VALUE (JSON values) replaced; errors name the flag."""
    fields = {f.name for f in dataclasses.fields(settings)}
    changes = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or key not in fields:
            raise CliError(
                f"{flag} {pair}: expected KEY=VALUE with KEY in {', '.join(sorted(fields))}"
            )
        try:
            value = json.loads(text.replace("inf", "Infinity"))
        except json.JSONDecodeError:
            value = text
        changes[key] = tuple(value) if isinstance(value, list) else value
    try:
        return dataclasses.replace(settings, **changes)
    except (TypeError, ValueError) as error:
        raise CliError(f"{flag}: {error}") from None


def single_threaded_blas() -> list[str]:
    """Best effort: one OpenBLAS thread in this process (and the seeds' worker processes).

    The simulation makes many small linear-algebra calls (L-BFGS-B inside the value fits);
    OpenBLAS threads spinning on a shared, busy machine made those calls several times
    slower. Parallelism comes from playing seeds in separate processes instead. Returns the
    libraries that were set; nothing happens where the symbols are not found.
    """
    import ctypes

    done: list[str] = []
    names = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads")
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line and ".so" in line}
    except OSError:
        return done
    for path in sorted(paths):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for name in (*names, "openblas_set_num_threads64_", "openblas_set_num_threads"):
            setter = getattr(library, name, None)
            if setter is not None:
                setter(1)
                done.append(path)
                break
    return done


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from optimizer.simulation.loop import run
    from optimizer.simulation.summary import Summary

    config = _config(args)
    single_threaded_blas()
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    jobs = args.jobs if args.jobs is not None else min(len(seeds), os.cpu_count() or 1)
    if jobs < 1:
        raise CliError("--jobs: must be at least 1")
    with tqdm(
        total=len(seeds) * config.periods, desc="simulate", unit="period", file=sys.stderr
    ) as bar:
        results = run(config, seeds, on_period=lambda: bar.update(1), jobs=jobs)
    summary = Summary.from_results(results)
    document = summary.to_json()
    document["config"] = {
        "customers": args.customers,
        "periods": config.periods,
        "period_weeks": config.period_weeks,
        "budget_per_period": config.budget,
        "seeds": seeds,
        "jobs": jobs,
        "engine": config.engine,
        "exploration": config.learning.exploration,
        "segments": config.learning.segments,
    }
    if args.out:
        write_report(summary, document, Path(args.out))
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print(
            f"{args.customers:,} customers, {config.periods} periods of "
            f"{config.period_weeks:g} weeks, {len(seeds)} seeds, budget "
            f"{config.budget:,.0f} per period; means with 95% intervals over seeds"
        )
        print(summary.format_table())
        if args.out:
            print(f"report: {Path(args.out) / 'index.html'}")
    return 0


def write_report(summary: Any, document: dict[str, Any], out: Path) -> None:
    """Three PNG plots, summary.json and an index.html that shows them with the table."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CliError(f"--out {out}: cannot create ({error.strerror})") from None
    names = summary.strategies
    periods = np.arange(1, summary.margin.shape[2] + 1)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    cumulative = np.cumsum(summary.margin, axis=2)
    for s, name in enumerate(names):
        mean = cumulative[:, s].mean(axis=0)
        ax.plot(periods, mean, marker="o", label=name)
        ax.fill_between(periods, cumulative[:, s].min(0), cumulative[:, s].max(0), alpha=0.15)
    ax.set(
        xlabel="period",
        ylabel="cumulative incremental margin",
        title="Cumulative incremental margin (mean; band: min-max over seeds)",
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "cumulative_margin.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    if summary.has_oracle:
        share = summary.share_of_oracle_by_period()
        for s, name in enumerate(names):
            if name != "oracle":
                ax.plot(periods, np.nanmean(share[:, s], axis=0), marker="o", label=name)
    ax.axhline(0.85, color="grey", linestyle="--", linewidth=1)
    ax.set(
        xlabel="period", ylabel="share of oracle (period)", title="Share of oracle", ylim=(0, 1.05)
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "share_of_oracle.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4.5))
    spend = summary.spend_by_decile.mean(axis=0)
    share = spend / np.maximum(spend.sum(axis=1, keepdims=True), 1e-12)
    width = 0.8 / len(names)
    for s, name in enumerate(names):
        ax.bar(np.arange(1, 11) + (s - (len(names) - 1) / 2) * width, share[s], width, label=name)
    ax.set(
        xlabel="true value decile (10 = most valuable)",
        ylabel="share of spend",
        title="Spend by true value decile",
        xticks=np.arange(1, 11),
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "spend_by_decile.png", dpi=110)
    plt.close(fig)

    (out / "summary.json").write_text(json.dumps(document, indent=2))
    table = html.escape(summary.format_table())
    (out / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>percapita simulate</title>"
        "</head><body><h1>Persona against person</h1>"
        f"<pre>{html.escape(json.dumps(document['config']))}</pre><pre>{table}</pre>"
        "<img src='cumulative_margin.png' alt='cumulative incremental margin'>"
        "<img src='share_of_oracle.png' alt='share of oracle over time'>"
        "<img src='spend_by_decile.png' alt='spend by true value decile'>"
        "</body></html>\n"
    )
