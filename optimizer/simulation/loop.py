"""The campaign loop, period by period, for several strategies in the same world.

Each period: every strategy plans the period's budget on what it has seen; its integer
exposures (randomized rounding of the LP plan) are shown; the world answers with clicks and
incremental purchases; baseline purchases happen anyway (the same for every strategy, never
credited); each strategy folds its outcomes into its observations; the next period is
planned. All strategies play in the same world (same customers, same baseline purchases),
each with its own random stream for responses, so differences are the strategies'.

Measured per seed, strategy and period: incremental margin (realized: margin of the
incremental purchases), expected incremental margin (of the exposures actually shown, at the
true parameters: the same quantity without response noise), spend, and spend by the
customer's true value decile (decile of max over arms of true rate x true value per click).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from optimizer.allocation import Policy
from optimizer.simulation.engines import (
    Engine,
    default_policy,
    make_planner,
    market_from_policy,
    unsupported_by_simulator,
)
from optimizer.simulation.planner import Market, expected_margin, round_plan
from optimizer.simulation.strategies import STRATEGIES, LearningSettings, make_strategies
from optimizer.simulation.world import Arms, World, WorldConfig

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SimulationConfig:
    """One experiment: a world, a market, a budget and the strategies to compare."""

    world: WorldConfig = field(default_factory=WorldConfig)
    policy: Policy = field(default_factory=default_policy)
    engine: Engine = "simulator"
    periods: int = 12
    period_weeks: float = 4.0
    budget_per_customer: float = 0.05  # per period; the policy's total_budget is ignored
    strategies: tuple[str, ...] = STRATEGIES
    learning: LearningSettings = field(default_factory=LearningSettings)

    def __post_init__(self) -> None:
        if self.periods < 1 or self.period_weeks <= 0:
            raise ValueError("periods must be >= 1 and period_weeks > 0")
        if self.budget_per_customer < 0:
            raise ValueError("budget_per_customer must be >= 0")
        if self.engine == "simulator" and unsupported_by_simulator(self.policy):
            reasons = ", ".join(unsupported_by_simulator(self.policy))
            raise ValueError(f"engine: the simulator's planner cannot plan {reasons}")

    @property
    def arms(self) -> Arms:
        return Arms(tuple(c for c, _ in self.policy.arms), tuple(m for _, m in self.policy.arms))

    @property
    def market(self) -> Market:
        return market_from_policy(self.policy)

    @property
    def budget(self) -> float:
        """Budget of one period, for the whole population."""
        return self.budget_per_customer * self.world.customers


@dataclass
class SeedResult:
    """Per strategy (rows) and period (columns)."""

    strategies: tuple[str, ...]
    margin: FloatArray
    expected_margin: FloatArray
    spend: FloatArray
    spend_by_decile: FloatArray  # (strategies, 10), whole run


def run_seed(
    config: SimulationConfig, seed: int, on_period: Callable[[], None] | None = None
) -> SeedResult:
    """Play all strategies for `config.periods` periods in the world drawn with `seed`."""
    world = World(config.world, config.arms, seed)
    market = config.market
    names = config.strategies
    planner = make_planner(config.engine, config.policy)
    players = make_strategies(names, world, planner, market.arms, config.learning)
    streams = np.random.SeedSequence([seed, 1]).spawn(len(players))
    rngs = [np.random.default_rng(s) for s in streams]
    shape = (len(players), config.periods)
    margin, expected, spend = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    decile = _true_value_decile(world)
    spend_by_decile = np.zeros((len(players), 10))
    for period in range(config.periods):
        start = period * config.period_weeks
        end = start + config.period_weeks
        true_value = world.expected_incremental_value()
        outcomes = []
        for s, (player, rng) in enumerate(zip(players, rngs, strict=True)):
            plan = player.plan(world, start, config.budget, rng)
            exposures = round_plan(plan, rng)
            response = world.respond(exposures, rng, start, end)
            cost = exposures @ market.unit_cost
            margin[s, period] = response.incremental_margin(config.world.margin_rate)
            expected[s, period] = expected_margin(
                market, exposures, world.population.response_rate, true_value
            ).sum()
            spend[s, period] = cost.sum()
            spend_by_decile[s] += np.bincount(decile, weights=cost, minlength=10)
            outcomes.append((exposures, response))
        baseline = world.baseline_purchases(start, end)
        for player, (exposures, response) in zip(players, outcomes, strict=True):
            player.observe(exposures, response, baseline, end)
        if on_period is not None:
            on_period()
    return SeedResult(names, margin, expected, spend, spend_by_decile)


def _true_value_decile(world: World) -> NDArray[np.int64]:
    value = world.population.response_rate.max(axis=1) * world.expected_incremental_value()
    rank = np.argsort(np.argsort(value, kind="stable"), kind="stable")
    return np.asarray(rank * 10 // value.size, dtype=np.int64)


def run(
    config: SimulationConfig,
    seeds: Sequence[int],
    on_period: Callable[[], None] | None = None,
    jobs: int = 1,
) -> list[SeedResult]:
    """One `SeedResult` per seed, in seed order; `jobs` > 1 plays seeds in processes.

    With processes, `on_period` is called `config.periods` times as each seed finishes.
    """
    if jobs <= 1 or len(seeds) <= 1:
        return [run_seed(config, seed, on_period) for seed in seeds]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_seed, config, seed) for seed in seeds]
        for future in as_completed(futures):
            future.result()
            for _ in range(config.periods):
                if on_period is not None:
                    on_period()
        return [future.result() for future in futures]
