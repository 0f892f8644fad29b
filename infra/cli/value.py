"""`percapita value`: fit the value models on a summary or a transaction log, and score customers.

    percapita value fit --summary FILE --model {bgnbd,mbgnbd,paretonbd,gammagamma} [--json]
    percapita value fit --transactions FILE --calibration-end DATE [--period day|week] ...
    percapita value score (--summary FILE | --transactions FILE ...) --out FILE

A fit that does not converge prints its result and a warning on stderr, and exits with 1.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import warnings
from typing import Any

import numpy as np

from infra.cli import CliError
from optimizer.value import (
    PURCHASE_MODELS,
    ConvergenceWarning,
    GammaGamma,
    PurchaseModel,
    RFMError,
    RFMSummary,
    read_summary_csv,
    read_transactions,
    score_customers,
    summarize,
)
from optimizer.value.base import FittedModel

MODEL_NAMES = (*PURCHASE_MODELS, "gammagamma")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "value",
        help="fit BTYD value models (BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma) and score customers",
        description="Fit customer value models and score customers (times in weeks).",
    )
    actions = parser.add_subparsers(dest="value_command", required=True, metavar="ACTION")
    fit = actions.add_parser("fit", help="fit one model and print its parameters")
    _add_input(fit)
    fit.add_argument("--model", choices=MODEL_NAMES, default="bgnbd")
    fit.add_argument("--json", action="store_true", help="print one JSON object")
    fit.set_defaults(handler=run_fit)
    score = actions.add_parser(
        "score", help="write expected purchases, P(alive), expected spend and CLV per customer"
    )
    _add_input(score)
    score.add_argument("--model", choices=tuple(PURCHASE_MODELS), default="bgnbd")
    score.add_argument("--horizon", type=float, default=52.0, help="weeks ahead (default 52)")
    score.add_argument("--discount-rate", type=float, default=0.10, help="per year (0.10)")
    score.add_argument("--margin", type=float, default=1.0, help="share of spend kept (1.0)")
    score.add_argument("--out", required=True, help="CSV file to write")
    score.set_defaults(handler=run_score)


def _add_input(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--summary", help="per-customer CSV: ID,frequency,recency,T or ID,x,t_x,T,zbar"
    )
    source.add_argument(
        "--transactions",
        help="transaction log: CDNOW master format, or CSV customer_id,date,amount",
    )
    parser.add_argument("--calibration-end", help="last day of the calibration window (YYYY-MM-DD)")
    parser.add_argument("--period", choices=("day", "week"), default="day")


def load_summary(args: argparse.Namespace) -> RFMSummary:
    try:
        if args.summary:
            return read_summary_csv(args.summary)
        if not args.calibration_end:
            raise CliError("--transactions needs --calibration-end")
        return summarize(read_transactions(args.transactions), args.calibration_end, args.period)
    except FileNotFoundError as error:
        raise CliError(f"no such file: {error.filename}") from None
    except RFMError as error:
        raise CliError(str(error)) from None


def _fit(name: str, summary: RFMSummary) -> FittedModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # reported below, once
        try:
            if name == "gammagamma":
                x, spend = summary.x, summary.monetary_value
                free = (x > 0) & (spend == 0)
                if free.any():  # zero-value repeat purchases carry no spend information
                    print(
                        f"note: {int(free.sum())} customers whose repeat purchases are all worth 0 "
                        "are left out of the spend fit",
                        file=sys.stderr,
                    )
                    x, spend = x[~free], spend[~free]
                return GammaGamma(on_failure="warn").fit(x, spend)
            model = PURCHASE_MODELS[name](on_failure="warn")
            return model.fit(summary.x, summary.t_x, summary.T)
        except RFMError as error:
            raise CliError(str(error)) from None


def _report_convergence(model: FittedModel) -> int:
    if model.converged_:
        return 0
    print(f"warning: {model.name} did NOT converge: {model.message_}", file=sys.stderr)
    return 1


def run_fit(args: argparse.Namespace) -> int:
    summary = load_summary(args)
    if args.model == "gammagamma" and not np.any(summary.monetary_value > 0):
        raise CliError("gammagamma needs mean spend per customer (the ID,x,t_x,T,zbar format)")
    model = _fit(args.model, summary)
    if args.json:
        print(json.dumps(model.to_dict(), indent=2))
    else:
        print(describe(model))
    return _report_convergence(model)


def describe(model: FittedModel) -> str:
    """A fit as a few readable lines."""
    state = "converged" if model.converged_ else "DID NOT CONVERGE"
    lines = [
        f"{model.name} on {model.n_customers_:,} customers "
        f"({model.n_rows_:,} distinct rows): {state}"
    ]
    for name, value in model.params_.items():
        lines.append(f"  {name:<6} {value:12.6g}   (se {model.standard_errors_[name]:.4g})")
    lines.append(f"  log-likelihood {model.log_likelihood_:.4f}")
    return "\n".join(lines)


def run_score(args: argparse.Namespace) -> int:
    summary = load_summary(args)
    model = _fit(args.model, summary)
    assert isinstance(model, PurchaseModel)
    status = _report_convergence(model)
    has_spend = bool(np.any(summary.monetary_value > 0))
    if has_spend:
        spend_model = _fit("gammagamma", summary)
        status = max(status, _report_convergence(spend_model))
        assert isinstance(spend_model, GammaGamma)
        spend = spend_model.conditional_expected_spend(summary.x, summary.monetary_value)
    else:
        print("note: no spend in the input: expected_spend and clv left empty", file=sys.stderr)
        spend = np.full(len(summary), np.nan)
    scores = score_customers(
        model,
        summary.x,
        summary.t_x,
        summary.T,
        spend,
        horizon=args.horizon,
        discount_rate=args.discount_rate,
        margin=args.margin,
    )
    purchases, alive, clv = scores.expected_purchases, scores.p_alive, scores.clv
    columns = ["customer_id", "x", "t_x", "T", "expected_purchases", "p_alive"]
    columns += ["expected_spend", "clv"]
    with open(args.out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in zip(
            summary.customer_id,
            summary.x,
            summary.t_x,
            summary.T,
            purchases,
            alive,
            spend,
            clv,
            strict=True,
        ):
            writer.writerow([row[0], int(row[1]), *(_cell(v) for v in row[2:])])
    print(f"scored {len(summary):,} customers with {model.name} -> {args.out}")
    return status


def _cell(value: float) -> str:
    return "" if not np.isfinite(value) else f"{value:.6g}"
