"""The ways of spending a period's budget that the simulator compares, at the same budget.

- `uniform`: everybody gets the same plan, chosen on population averages.
- `persona`: one plan per segment (the world's segments when told, else RFM cells), chosen on
  the segment's average value and its empirical-Bayes response rate per arm.
- `person`: percapita: each person's own value (BG/NBD P(alive) x Gamma-Gamma spend) and
  Beta-Binomial posterior response rates with their segment as the prior (opens and clicks
  where the channel records opens), optionally explored (Thompson draw or optimistic
  bonus), then the allocation LP.
- `oracle`: the allocation LP on the true parameters: every person's true response
  propensities, mean spend, purchase rate and dropout probability (so P(alive) from their
  own purchases with their own parameters, and, where lapsed customers stop engaging, from
  the opens and clicks its own exposures drew since). It does not see the dice: whether a
  customer has already quietly dropped out is known to nobody. The ceiling, beaten only by
  luck.

Learning strategies see only their own outcomes (`Observations`); the oracle reads the world.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from optimizer.response import (
    DEFAULT_HALF_LIFE_WEEKS,
    ArmEvidence,
    Exploration,
    ResponseModel,
    planning_rates,
)
from optimizer.simulation.engines import PlanFunction
from optimizer.simulation.ideal import true_prior_rates
from optimizer.simulation.observed import RFM, Observations, SincePurchase
from optimizer.simulation.valuation import ValueEstimator
from optimizer.simulation.world import Purchases, Response, World
from optimizer.value import p_alive_with_engagement

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
SegmentSource = Literal["world", "rfm"]
STRATEGIES = ("uniform", "persona", "person", "oracle")
# Diagnostics, to find where `person` loses to `oracle`: person with the TRUE value of a
# click (estimated rates), person with the TRUE response rates (estimated value), and person
# whose rates are estimated with the world's TRUE priors (`optimizer.simulation.ideal`).
DIAGNOSTICS = ("person_known_value", "person_known_rates", "person_true_priors")


@dataclass(frozen=True)
class LearningSettings:
    """How the learning strategies estimate; documented defaults."""

    exploration: Exploration = "none"
    ucb_bonus: float = 1.0
    half_life_weeks: float = DEFAULT_HALF_LIFE_WEEKS
    pooling_exposures: float = 200.0
    segments: SegmentSource = "world"
    # Periods between refits of the BG/NBD and Gamma-Gamma population parameters (0: fitted
    # once, at the start). Per-person values are rescored every period either way.
    value_refit_every: int = 0
    value_segments: bool = True  # BG/NBD and Gamma-Gamma per segment, pooled to population
    # The first purchase's value counts as spend evidence (`optimizer.simulation.valuation`).
    first_purchase_spend: bool = True
    # Count opens as response evidence (`optimizer.response.funnel`); False: clicks only.
    use_opens: bool = True
    # Person factors by channel and by message on top of engagement (`optimizer.response.taste`).
    taste: bool = True
    # An open or a click since the last purchase is a sign of life, silence a hint of leaving
    # (`optimizer.value.engagement`); right where lapsed customers stop engaging.
    engagement_as_life: bool = True


def rfm_cells(rfm: RFM) -> IntArray:
    """18 RFM cells: recency (3) x frequency (3) x monetary above the buyers' median (2)."""
    recency = np.digitize(rfm.T - rfm.t_x, [8.0, 20.0])
    frequency = np.digitize(rfm.x, [0.5, 2.5])
    buyers = rfm.x > 0
    median = float(np.median(rfm.monetary_value[buyers])) if buyers.any() else 0.0
    monetary = (buyers & (rfm.monetary_value > median)).astype(np.int64)
    return np.asarray((recency * 3 + frequency) * 2 + monetary, dtype=np.int64)


class Strategy:
    """Base: plan a period; observe what the plan caused."""

    name = "strategy"

    def plan(
        self, world: World, week: float, budget: float, rng: np.random.Generator
    ) -> FloatArray:
        raise NotImplementedError

    def observe(
        self, exposures: IntArray, response: Response, baseline: Purchases, week: float
    ) -> None:
        """Default: learn nothing."""


def answered(response: Response) -> NDArray[np.bool_]:
    """Customers who opened or clicked anything in the period."""
    return np.asarray((response.clicks.sum(axis=1) + response.opens.sum(axis=1)) > 0)


def bought(purchases: Purchases, n: int) -> NDArray[np.bool_]:
    return np.bincount(purchases.customer, minlength=n) > 0


def history_since_purchase(world: World, last_purchase_week: FloatArray) -> SincePurchase:
    """The past campaign's exposures and answers, for customers who bought nothing since."""
    since = SincePurchase(*world.history_exposures.shape)
    answers = (world.history_clicks + world.history_opens).sum(axis=1) > 0
    since.add(
        world.history_exposures,
        answers,
        last_purchase_week > world.config.history_campaign_week,
    )
    return since


def true_value_per_click(world: World, week: float, since: SincePurchase) -> FloatArray:
    """The oracle's value of a click: true P(alive), read with engagement where it tells."""
    if world.config.lapsed_customers_engage:
        return world.expected_incremental_value(week)
    pop = world.population
    answer_rate = np.where(world.open_arms, pop.open_rate, pop.response_rate)
    alive = p_alive_with_engagement(
        world.p_alive(week), since.engaged, since.exposures, answer_rate
    )
    return world.expected_incremental_value(alive=alive)


class Oracle(Strategy):
    name = "oracle"

    def __init__(self, planner: PlanFunction, world: World) -> None:
        self.planner = planner
        self.since = history_since_purchase(world, world.population.last_purchase_week)

    def plan(
        self, world: World, week: float, budget: float, rng: np.random.Generator
    ) -> FloatArray:
        true_rate = world.population.response_rate
        value = true_value_per_click(world, week, self.since)
        return self.planner(true_rate, value, budget, None)

    def observe(
        self, exposures: IntArray, response: Response, baseline: Purchases, week: float
    ) -> None:
        purchases = Purchases.concat([baseline, response.purchases])
        self.since.add(exposures, answered(response), bought(purchases, exposures.shape[0]))


class Learner(Strategy):
    """A strategy that estimates from its own outcomes, at the person or segment level."""

    def __init__(
        self,
        name: str,
        world: World,
        planner: PlanFunction,
        arms: int,
        settings: LearningSettings,
        week: float,
        values: ValueEstimator | None = None,
    ) -> None:
        if name not in ("uniform", "persona", "person", *DIAGNOSTICS):
            raise ValueError(f"unknown learning strategy {name!r}")
        self.name = name
        self.planner = planner
        self.settings = settings
        self.world_segment = world.population.segment
        self.arm_names = list(zip(world.arms.channels, world.arms.messages, strict=True))
        self.observed = Observations(
            world.history, world.population.size, arms, settings.half_life_weeks, week
        )
        past_week = world.config.history_campaign_week
        self.observed.evidence = ArmEvidence.empty(
            world.population.size, arms, settings.half_life_weeks, past_week, settings.use_opens
        ).add(world.history_exposures, world.history_clicks, past_week, world.history_opens)
        self.observed.since_purchase = history_since_purchase(world, self.observed.last_week)
        if values is None:
            rfm = self.observed.rfm(week)
            values = ValueEstimator(world.config, settings.first_purchase_spend).fit(
                rfm, self.value_segment(rfm)
            )
        self.values = values.copy()
        self.periods_seen = 0

    def value_segment(self, rfm: RFM) -> IntArray | None:
        """Segments of the value models: the world's when told, else none (population)."""
        if self.settings.value_segments and self.settings.segments == "world":
            return self.world_segment
        return None

    def segments(self, rfm: RFM) -> IntArray:
        if self.name == "uniform":
            return np.zeros(rfm.x.size, dtype=np.int64)
        if self.settings.segments == "world":
            return self.world_segment
        return rfm_cells(rfm)

    def plan(
        self, world: World, week: float, budget: float, rng: np.random.Generator
    ) -> FloatArray:
        rfm = self.observed.rfm(week)
        segment = self.segments(rfm)
        n_segments = int(segment.max()) + 1
        evidence = self.observed.evidence.decayed_to(week)
        model = ResponseModel(
            pooling_exposures=self.settings.pooling_exposures,
            arms=self.arm_names if self.settings.taste else None,
        )
        model.fit(evidence, segment, n_segments)
        posteriors = model.posteriors(evidence, segment)
        alive = self.values.p_alive(rfm)
        if self.settings.engagement_as_life:
            since = self.observed.since_purchase
            alive = p_alive_with_engagement(
                alive, since.engaged, since.exposures, posteriors.answer.mean
            )
        value = self.values.value_per_click(rfm, alive)
        if self.name == "person_known_value":
            value = true_value_per_click(world, week, self.observed.since_purchase)
        if self.name not in ("uniform", "persona"):
            if self.name == "person_known_rates":
                rates = world.population.response_rate
            elif self.name == "person_true_priors":
                rates = true_prior_rates(world, evidence)
            else:
                s = self.settings
                rates = planning_rates(posteriors.click, s.exploration, rng, s.ucb_bonus)
            return self.planner(rates, value, budget, None)
        # One plan per segment: segment-average value, segment prior mean rate.
        size = np.bincount(segment, minlength=n_segments).astype(np.float64)
        segment_value = np.bincount(segment, weights=value, minlength=n_segments) / np.maximum(
            size, 1
        )
        segment_plan = self.planner(model.prior_mean_, segment_value, budget, size)
        return np.asarray(segment_plan[segment])

    def observe(
        self, exposures: IntArray, response: Response, baseline: Purchases, week: float
    ) -> None:
        purchases = Purchases.concat([baseline, response.purchases])
        self.observed.add_responses(exposures, response.clicks, week, response.opens)
        self.observed.add_purchases(purchases)
        self.observed.since_purchase.add(
            exposures, answered(response), bought(purchases, exposures.shape[0])
        )
        self.periods_seen += 1
        every = self.settings.value_refit_every
        if every > 0 and self.periods_seen % every == 0:
            rfm = self.observed.rfm(week)
            self.values.fit(rfm, self.value_segment(rfm))


def make_strategies(
    names: tuple[str, ...],
    world: World,
    planner: PlanFunction,
    arms: int,
    settings: LearningSettings,
) -> list[Strategy]:
    """The strategies at the start (week 0); learners share the first fit of the value models."""
    unknown = [n for n in names if n not in (*STRATEGIES, *DIAGNOSTICS)]
    if unknown:
        known = ", ".join((*STRATEGIES, *DIAGNOSTICS))
        raise ValueError(f"unknown strategies {unknown}; known: {known}")
    values: ValueEstimator | None = None
    players: list[Strategy] = []
    for name in names:
        if name == "oracle":
            players.append(Oracle(planner, world))
            continue
        learner = Learner(name, world, planner, arms, settings, 0.0, values)
        values = learner.values
        players.append(learner)
    return players
