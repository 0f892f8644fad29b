"""`percapita demo`: the value engine on all 23,570 CDNOW customers, in a few seconds.

Fits BG/NBD, MBG/NBD, Pareto/NBD on the calibration window (1997-01-01..1997-09-30, 39 weeks)
and Gamma-Gamma on the repeat buyers' spend, predicts the holdout (to 1998-06-30, 39 weeks),
prints predicted against actual totals and per-customer RMSE, and writes a small report
(PNG plots and index.html) into --out.
"""

from __future__ import annotations

import argparse
import html
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from infra.cli import CliError
from optimizer.pipeline.settings import DEFAULT_PURCHASE_MODEL
from optimizer.value import (
    PURCHASE_MODELS,
    GammaGamma,
    PurchaseModel,
    RFMSummary,
    customer_lifetime_value,
    read_cdnow_master,
    summarize,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "cdnow" / "CDNOW_master.txt"
VALUE_MODEL = DEFAULT_PURCHASE_MODEL  # CLV and P(alive) as allocation runs compute them
CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo", help="fit every value model on CDNOW, check the holdout, write a report"
    )
    parser.add_argument("--out", default="report", help="report folder (default: report)")
    parser.add_argument("--data", default=str(DATA), help="CDNOW_master.txt to use")
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="also run the whole serverless pipeline on the local moto stack (minutes)",
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=None,
        metavar="N",
        help="pipeline: only the first N CDNOW customers, budgets scaled (default: all)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    started = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        transactions = read_cdnow_master(args.data)
    except FileNotFoundError:
        raise CliError(f"no such file: {args.data}") from None
    summary = summarize(transactions, CALIBRATION_END, observation_end=OBSERVATION_END)
    assert summary.holdout_purchases is not None and summary.holdout_weeks is not None
    weeks = summary.holdout_weeks
    print(
        f"CDNOW: {len(summary):,} customers; calibration to {CALIBRATION_END} "
        f"({summary.x.sum():,} repeat purchases), holdout to {OBSERVATION_END} "
        f"({weeks:.0f} weeks, {summary.holdout_purchases.sum():,} purchases)"
    )
    models: dict[str, PurchaseModel] = {}
    for name in tqdm(PURCHASE_MODELS, desc="fitting", unit="model", leave=False):
        models[name] = PURCHASE_MODELS[name]().fit(summary.x, summary.t_x, summary.T)
    actual = summary.holdout_purchases.astype(float)
    rows = []
    predictions = {}
    header = (
        f"{'model':<10} {'log-lik':>11} {'predicted':>10} {'actual':>8} {'error':>7} {'RMSE':>6}"
    )
    print(header)
    for name, model in models.items():
        predicted = model.conditional_expected_purchases(weeks, summary.x, summary.t_x, summary.T)
        predictions[name] = predicted
        rmse = float(np.sqrt(np.mean((predicted - actual) ** 2)))
        error = predicted.sum() / actual.sum() - 1
        params = ", ".join(f"{k}={v:.4g}" for k, v in model.params_.items())
        rows.append(
            (name, params, model.log_likelihood_, predicted.sum(), actual.sum(), error, rmse)
        )
        print(
            f"{name:<10} {model.log_likelihood_:11.2f} {predicted.sum():10.1f} "
            f"{actual.sum():8.0f} {error:+7.1%} {rmse:6.3f}"
        )
    buyers = (summary.x > 0) & (summary.monetary_value > 0)
    spend_model = GammaGamma().fit(summary.x[buyers], summary.monetary_value[buyers])
    spend = spend_model.conditional_expected_spend(summary.x, summary.monetary_value)
    clv = customer_lifetime_value(
        models[VALUE_MODEL],
        summary.x,
        summary.t_x,
        summary.T,
        spend,
        horizon=52.0,
        discount_rate=0.1,
    )
    gg = ", ".join(f"{k}={v:.4g}" for k, v in spend_model.params_.items())
    print(f"gammagamma {gg}; mean spend per purchase {spend_model.expected_spend():.2f}")
    print(
        f"52-week CLV ({VALUE_MODEL} x Gamma-Gamma, 10%/year): total {clv.sum():,.0f}, "
        f"median {np.median(clv):.2f}, top decile holds {_top_share(clv, 0.1):.0%}"
    )
    plots = _plots(out, summary, transactions, models, predictions, clv)
    _index(out, rows, gg, plots, _pipeline(out, args.customers) if args.pipeline else "")
    print(f"report: {out / 'index.html'} ({time.perf_counter() - started:.1f} s)")
    return 0


def _top_share(values: np.ndarray, top: float) -> float:
    ordered = np.sort(values)[::-1]
    return float(ordered[: max(1, int(len(ordered) * top))].sum() / ordered.sum())


def _plots(
    out: Path,
    summary: RFMSummary,
    transactions: Any,
    models: dict[str, PurchaseModel],
    predictions: dict[str, np.ndarray],
    clv: np.ndarray,
) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert summary.holdout_purchases is not None
    made = []
    # 1. Mean holdout purchases by calibration purchases: actual against each model.
    figure, axes = plt.subplots(figsize=(7, 4.5))
    groups = np.minimum(summary.x, 7)
    labels = [str(k) for k in range(7)] + ["7+"]
    axes.plot(labels, _by(groups, summary.holdout_purchases), "k-o", label="actual")
    for name, predicted in predictions.items():
        axes.plot(labels, _by(groups, predicted), "--", marker=".", label=name)
    axes.set(
        xlabel="repeat purchases in calibration (39 weeks)",
        ylabel="mean purchases in holdout (39 weeks)",
        title="Conditional expectations: calibration vs holdout",
    )
    axes.legend()
    made.append(_save(figure, out, "calibration_vs_holdout.png", "Calibration vs holdout"))
    # 2. P(alive) over (x, t_x) at T = 38.86 weeks, with the model runs use.
    figure, axes = plt.subplots(figsize=(6.5, 5))
    T = float(summary.T.max())
    xs, ts = np.meshgrid(np.arange(0, 31), np.linspace(0, T, 60))
    alive = models[VALUE_MODEL].p_alive(
        xs.ravel(), np.where(xs.ravel() > 0, ts.ravel(), 0), np.full(xs.size, T)
    )
    image = axes.imshow(
        alive.reshape(xs.shape),
        origin="lower",
        aspect="auto",
        cmap="viridis",
        extent=(0, 30, 0, T),
        vmin=0,
        vmax=1,
    )
    figure.colorbar(image, label="P(alive)")
    axes.set(
        xlabel="repeat purchases x",
        ylabel="time of last purchase t_x (weeks)",
        title=f"{VALUE_MODEL} P(alive) at T = {T:.2f} weeks",
    )
    made.append(_save(figure, out, "p_alive_matrix.png", "P(alive) matrix"))
    # 3. CLV distribution.
    figure, axes = plt.subplots(figsize=(7, 4.5))
    axes.hist(np.log10(np.maximum(clv, 1e-2)), bins=60, color="tab:blue")
    axes.set(
        xlabel="log10 of 52-week CLV ($, 10%/year)",
        ylabel="customers",
        title=f"CLV distribution ({VALUE_MODEL} x Gamma-Gamma)",
    )
    made.append(_save(figure, out, "clv_distribution.png", "CLV distribution"))
    # 4. Weekly cumulative repeat purchases: actual against the unconditional forecasts.
    figure, axes = plt.subplots(figsize=(7, 4.5))
    first_week, cumulative = _tracking(transactions, summary)
    horizon = np.arange(1, len(cumulative) + 1, dtype=float)
    cohort_weeks, cohort_sizes = np.unique(first_week, return_counts=True)
    axes.plot(horizon, cumulative, "k-", label="actual")
    for name, model in models.items():
        age = np.maximum(horizon[:, None] - cohort_weeks[None, :], 0)
        axes.plot(horizon, model.expected_purchases(age) @ cohort_sizes, "--", label=name)
    axes.axvline(summary.T.max(), color="grey", lw=0.8)
    axes.set(
        xlabel="weeks since 1997-01-01",
        ylabel="cumulative repeat purchases",
        title="Tracking: cumulative repeat purchases",
    )
    axes.legend()
    made.append(_save(figure, out, "tracking.png", "Cumulative repeat purchases"))
    return made


def _by(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.bincount(groups, weights=values, minlength=8) / np.maximum(
        np.bincount(groups, minlength=8), 1
    )


def _tracking(transactions: Any, summary: RFMSummary) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's first day (weeks from 1997-01-01) and the weekly cumulative count of
    repeat purchase days, across everyone."""
    start = np.datetime64("1997-01-01")
    days = (transactions.day - start).astype(np.int64)
    _, code = np.unique(transactions.customer_id, return_inverse=True)
    pairs = np.unique(code.astype(np.int64) * 100_000 + days)
    customer, day = pairs // 100_000, pairs % 100_000
    first = np.full(code.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, customer, day)
    repeat_days = day[day > first[customer]]
    end = int((np.datetime64(OBSERVATION_END) - start).astype(np.int64)) + 1
    weekly = np.bincount(repeat_days // 7, minlength=end // 7 + 1)[: end // 7]
    return first / 7.0, np.cumsum(weekly)


def _save(figure: Any, out: Path, name: str, title: str) -> tuple[str, str]:
    figure.tight_layout()
    figure.savefig(out / name, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(figure)
    return name, title


def _pipeline(out: Path, customers: int | None) -> str:
    """Runs the pipeline on the embedded stack with a progress bar, and the simulator's
    persona-against-person comparison beside it on the other core; their report sections."""
    from concurrent.futures import ProcessPoolExecutor

    from tqdm import tqdm

    # The console is for the progress bars: the functions' JSON logs speak only of warnings,
    # their metrics (EMF lines on AWS) and traces stay off. Set before the handlers import.
    for key, value in {
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }.items():
        os.environ.setdefault(key, value)

    from infra.demo.pipeline import run_pipeline
    from infra.demo.report import pipeline_section
    from infra.demo.simulation import persona_vs_person_section, play_small_world
    from infra.local.stack import local_stack

    with ProcessPoolExecutor(max_workers=1) as pool:
        simulation = pool.submit(play_small_world)
        with local_stack() as stack, tqdm(total=5, unit="stage") as bar:

            def step(name: str) -> None:  # called as a stage starts: the last one is done
                if bar.desc:
                    bar.update(1)
                bar.set_description(name)

            result = run_pipeline(stack, step, log=bar.write, customers=customers)
            bar.update(1)
        simulated = simulation.result()
    summary = result.solution["summary"]
    print(
        f"allocation run: {result.solution['persons']:,} persons, spend {summary['spend']:,.2f} "
        f"of {summary['budget']:,.2f}, certified gap {summary['gap']:.1e}"
    )
    return pipeline_section(result, out) + persona_vs_person_section(simulated, out)


def _index(
    out: Path, rows: list[tuple], spend: str, plots: list[tuple[str, str]], extra: str = ""
) -> None:
    table = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(params)}</td><td>{ll:.2f}</td>"
        f"<td>{pred:.1f}</td><td>{act:.0f}</td><td>{err:+.1%}</td><td>{rmse:.3f}</td></tr>"
        for name, params, ll, pred, act, err, rmse in rows
    )
    images = "".join(
        f'<figure><img src="{name}" alt="{html.escape(title)}"><figcaption>'
        f"{html.escape(title)}</figcaption></figure>"
        for name, title in plots
    )
    (out / "index.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>percapita: CDNOW value report</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
        "td,th{padding:.2em .6em;text-align:right}</style>"
        "<h1>CDNOW value report</h1>"
        f"<p>Calibration to {CALIBRATION_END}, holdout to {OBSERVATION_END} (39 weeks).</p>"
        "<table><tr><th>model</th><th>parameters</th><th>log-lik</th><th>holdout predicted</th>"
        f"<th>actual</th><th>error</th><th>RMSE</th></tr>{table}</table>"
        f"<p>Gamma-Gamma: {html.escape(spend)}</p>{images}{extra}",
        encoding="utf-8",
    )
