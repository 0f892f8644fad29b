"""The pipeline part of the demo report: what the run decided, in plots and tables."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infra.demo.pipeline import PipelineResult


def pipeline_section(result: PipelineResult, out: Path) -> str:
    """Writes the pipeline's plots into `out` and returns its HTML section."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = result.solution["summary"]
    figure, axes = plt.subplots(2, 2, figsize=(11, 8))
    clv = sorted({(r["customer_id"], r["clv"]) for r in result.records})
    axes[0, 0].hist([max(v, 1e-2) for _, v in clv], bins=60, log=True, color="#4477aa")
    axes[0, 0].set(title="CLV of the planned persons", xlabel="52-week CLV ($)", ylabel="persons")
    deciles = result.solution["spend_by_value_decile"]
    axes[0, 1].bar(range(1, len(deciles) + 1), deciles, color="#228833")
    axes[0, 1].set(title="Spend by value decile (1 = top CLV)", xlabel="decile", ylabel="$")
    channels = summary["spend_by_channel"]
    axes[1, 0].bar(list(channels), list(channels.values()), color="#ee6677")
    axes[1, 0].set(title="Spend by channel", ylabel="$")
    mix = summary["message_mix"]
    axes[1, 1].bar(list(mix), list(mix.values()), color="#ccbb44")
    axes[1, 1].set(title="Message mix (share of spend)")
    axes[1, 1].tick_params(axis="x", rotation=20)
    figure.tight_layout()
    figure.savefig(out / "pipeline.png", dpi=100)
    plt.close(figure)

    def rows(pairs: Mapping[str, object]) -> str:
        return "".join(
            f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
            for k, v in pairs.items()
        )

    run = {
        "status": summary["status"],
        "persons": result.solution["persons"],
        "budget": summary["budget"],
        "spend": f"{summary['spend']:.2f}",
        "objective (incremental margin net of spend)": f"{summary['objective']:.2f}",
        "upper bound": f"{summary['upper_bound']:.2f}",
        "certified gap": f"{summary['gap']:.2e}",
        "shadow prices": json.dumps({k: round(v, 4) for k, v in summary["shadow_prices"].items()}),
        "spend by channel": ", ".join(
            f"{channel} {spend:.2f}" for channel, spend in summary["spend_by_channel"].items()
        ),
        "is the budget binding?": _budget_note(summary),
    }
    calls = "".join(
        f"<tr><td><code>GET {html.escape(path)}</code></td><td>{status}</td>"
        f"<td><code>{html.escape(json.dumps(body)[:160])}</code></td></tr>"
        for path, status, body in result.api_calls
    )
    timings = {name: f"{seconds:.1f} s" for name, seconds in result.timings.items()}
    return (
        "<h2>The serverless pipeline on the local stack</h2>"
        f"<table>{rows(result.counts)}{rows(timings)}</table>"
        f"<h3>Allocation run</h3><table>{rows(run)}</table>"
        '<figure><img src="pipeline.png" alt="run plots"></figure>'
        f"<h3>An ad buying system asks the API</h3><table>{calls}</table>"
    )


def _budget_note(summary: Mapping[str, Any]) -> str:
    """Why the run spent what it spent: the total budget binds, or nothing more pays."""
    if float(summary["shadow_prices"].get("total_budget", 0.0)) > 0:
        return "binding: one more dollar would earn its shadow price"
    return (
        "not binding: what is left unbought returns less than the policy's minimum return "
        "per dollar or is held back by a frequency cap or a channel budget"
    )
