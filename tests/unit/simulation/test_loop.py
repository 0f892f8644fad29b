"""The campaign loop: budgets hold, zero budget earns nothing, the oracle is the ceiling."""

import dataclasses

import numpy as np
import pytest

from optimizer.simulation.loop import SimulationConfig, run, run_seed
from optimizer.simulation.summary import Summary
from optimizer.simulation.world import WorldConfig

SMALL = SimulationConfig(world=WorldConfig(customers=3_000), periods=4)


def test_zero_budget_gives_zero_incremental_margin_for_every_strategy() -> None:
    result = run_seed(dataclasses.replace(SMALL, budget_per_customer=0.0), seed=1)
    assert result.strategies == ("uniform", "persona", "person", "oracle")
    assert np.all(result.spend == 0)
    assert np.all(result.margin == 0)
    assert np.all(result.expected_margin == 0)


pytestmark = pytest.mark.slow  # a few seconds: small worlds played for a few periods


@pytest.fixture(scope="module")
def summary() -> Summary:
    return Summary.from_results(run(SMALL, seeds=[11, 12]))


def test_every_strategy_spends_the_same_budget(summary: Summary) -> None:
    budget = SMALL.budget
    # Randomized rounding of the plan: the spend is the budget up to a few exposures.
    assert np.all(np.abs(summary.spend - budget) < 0.05 * budget)


def test_oracle_is_never_beaten_by_more_than_noise(summary: Summary) -> None:
    oracle = summary.strategies.index("oracle")
    cumulative = summary.expected_margin.sum(axis=2)
    for s in range(len(summary.strategies)):
        assert np.all(cumulative[:, s] <= cumulative[:, oracle] * 1.03)
    realized = summary.margin.sum(axis=2)
    assert np.all(realized.max(axis=1) <= realized[:, oracle] * 1.15)


def test_person_beats_persona_beats_nothing(summary: Summary) -> None:
    share = summary.share_of_oracle_cumulative()[:, :, -1].mean(axis=0)
    by_name = dict(zip(summary.strategies, share, strict=True))
    assert by_name["oracle"] == pytest.approx(1.0)
    assert by_name["person"] > by_name["persona"] > 0
    assert by_name["uniform"] > 0


def test_summary_json_has_intervals_for_every_strategy(summary: Summary) -> None:
    out = summary.to_json()
    assert out["seeds"] == 2 and out["periods"] == 4
    for name in ("uniform", "persona", "person", "oracle"):
        figures = out["strategies"][name]
        for key in ("incremental_margin", "spend", "share_of_oracle"):
            assert figures[key]["low"] <= figures[key]["mean"] <= figures[key]["high"]
    assert "person" in summary.format_table()


def test_configuration_errors_are_named() -> None:
    with pytest.raises(ValueError, match="budget_per_customer"):
        SimulationConfig(budget_per_customer=-1.0)
    with pytest.raises(ValueError, match="segments: shares must sum to 1"):
        WorldConfig(segments=())


def test_seeds_in_parallel_processes_give_the_same_results() -> None:
    tiny = dataclasses.replace(SMALL, world=WorldConfig(customers=300), periods=2)
    serial = run(tiny, seeds=[3, 4])
    parallel = run(tiny, seeds=[3, 4], jobs=2)
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a.margin, b.margin)
        np.testing.assert_array_equal(a.spend, b.spend)
