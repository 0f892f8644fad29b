"""The demo's persona-against-person section: a small run of the simulator.

CDNOW has no record of marketing, so whether spending by person beats spending by persona
is measured in the synthetic world (`optimizer.simulation`), where the truth is known. The
demo plays a small world in a second process while the pipeline runs (the embedded stack
keeps one core busy), so it costs no wall time; the README gives the full-size figures
(`percapita simulate`, 20,000 customers x 12 periods x 5 seeds).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from infra.cli.simulate import single_threaded_blas, write_report
from optimizer.simulation.loop import SimulationConfig, run
from optimizer.simulation.summary import Summary
from optimizer.simulation.world import WorldConfig

CUSTOMERS, PERIODS, SEEDS = 3_000, 12, 2


def play_small_world(
    customers: int = CUSTOMERS, periods: int = PERIODS, seeds: int = SEEDS
) -> tuple[Summary, dict[str, Any]]:
    """The comparison's summary and the settings it was played with."""
    single_threaded_blas()
    config = SimulationConfig(world=WorldConfig(customers=customers), periods=periods)
    summary = Summary.from_results(run(config, list(range(1, seeds + 1)), jobs=1))
    settings = {
        "customers": customers,
        "periods": periods,
        "period_weeks": config.period_weeks,
        "budget_per_period": config.budget,
        "seeds": seeds,
    }
    return summary, settings


def persona_vs_person_section(played: tuple[Summary, dict[str, Any]], out: Path) -> str:
    """Writes the simulator's plots under `out/simulation`; returns the HTML section."""
    summary, settings = played
    folder = out / "simulation"
    write_report(summary, summary.to_json() | {"config": settings}, folder)
    plots = "".join(
        f'<figure><img src="simulation/{name}.png" alt="{name}"></figure>'
        for name in ("cumulative_margin", "share_of_oracle", "spend_by_decile")
    )
    return (
        "<h2>Persona against person (simulator)</h2>"
        f"<p>{settings['customers']:,} simulated customers, {settings['periods']} periods of "
        f"{settings['period_weeks']:g} weeks, {settings['seeds']} seeds, "
        "the same budget for every strategy: uniform, persona (one plan per segment), "
        "person (percapita) and the oracle that knows the truth. Full-size figures are in "
        "the README.</p>"
        f"<pre>{html.escape(summary.format_table())}</pre>{plots}"
    )
