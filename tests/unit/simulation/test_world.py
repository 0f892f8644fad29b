"""The world reproduces its configured truth, and its events are the production schema."""

import numpy as np
import pytest

from optimizer.events.schema import parse_event
from optimizer.response import ArmEvidence, ResponseModel
from optimizer.simulation.events import customer_ids, interaction_events
from optimizer.simulation.observed import Observations
from optimizer.simulation.world import Arms, SegmentSpec, World, WorldConfig
from optimizer.value import BGNBD, GammaGamma

ARMS = Arms(("email", "email", "social", "social"), ("discount", "news", "discount", "news"))


def _one_segment(customers: int, **overrides: float) -> WorldConfig:
    return WorldConfig(customers=customers, segments=(SegmentSpec("all", 1.0),), **overrides)  # type: ignore[arg-type]


def test_population_matches_configured_distributions() -> None:
    config = _one_segment(40_000)
    world = World(config, ARMS, seed=1)
    pop = world.population
    # Gamma(r, rate alpha) has mean r / alpha; Beta(a, b) mean a / (a + b); sampling error ~1%.
    assert pop.purchase_rate.mean() == pytest.approx(config.r / config.alpha, rel=0.03)
    assert pop.dropout.mean() == pytest.approx(config.a / (config.a + config.b), rel=0.02)
    # Gamma-Gamma: E[value of a purchase] = p * gamma / (q - 1) = 35.2 on CDNOW's parameters.
    assert world.expected_spend().mean() == pytest.approx(
        config.p * config.gamma / (config.q - 1), rel=0.03
    )
    assert -pop.first_purchase_week.max() >= 27 and -pop.first_purchase_week.min() <= 39


def test_value_models_fitted_on_the_world_recover_its_parameters() -> None:
    config = _one_segment(20_000)
    world = World(config, ARMS, seed=2)
    rfm = Observations(world.history, config.customers, len(ARMS), 26.0, 0.0).rfm(0.0)
    bgnbd = BGNBD().fit(rfm.x, rfm.t_x, rfm.T)
    for name in ("r", "alpha", "a", "b"):
        truth, fitted = getattr(config, name), bgnbd.params_[name]
        se = bgnbd.standard_errors_[name]
        assert abs(fitted - truth) < 3 * se, (name, fitted, truth, se)  # within sampling error
    buyers = rfm.x > 0
    spend = GammaGamma().fit(rfm.x[buyers], rfm.monetary_value[buyers])
    for name in ("p", "q", "gamma"):
        truth, fitted = getattr(config, name), spend.params_[name]
        se = spend.standard_errors_[name]
        assert abs(fitted - truth) < 3 * se, (name, fitted, truth, se)  # within sampling error


def test_response_model_fitted_on_the_world_recovers_segment_means() -> None:
    # Everyone answers by their propensity here, whether or not they have dropped out.
    config = WorldConfig(customers=20_000, engagement_shape=np.inf, lapsed_customers_engage=True)
    world = World(config, ARMS, seed=3)
    exposures = np.full((config.customers, len(ARMS)), 5)
    response = world.respond(exposures, np.random.default_rng(0), 0.0, 4.0)
    evidence = ArmEvidence.empty(config.customers, len(ARMS)).add(exposures, response.clicks, 0.0)
    model = ResponseModel(engagement=False).fit(
        evidence, world.population.segment, len(config.segments)
    )
    np.testing.assert_allclose(
        model.prior_mean_, world.segment_response_mean(), rtol=0.1, atol=0.004
    )
    kappa = model.prior_alpha_ + model.prior_beta_
    assert np.median(kappa) == pytest.approx(config.response_concentration, rel=0.35)


def test_baseline_purchases_never_depend_on_marketing() -> None:
    config = WorldConfig(customers=3_000)
    quiet, loud = World(config, ARMS, seed=4), World(config, ARMS, seed=4)
    loud.respond(np.full((3_000, 4), 3), np.random.default_rng(1), 0.0, 4.0)
    a, b = quiet.baseline_purchases(0.0, 4.0), loud.baseline_purchases(0.0, 4.0)
    np.testing.assert_array_equal(a.customer, b.customer)
    np.testing.assert_allclose(a.amount, b.amount)


def test_dropped_out_customers_make_no_incremental_purchases() -> None:
    world = World(WorldConfig(customers=5_000, lapsed_customers_engage=True), ARMS, seed=5)
    world.population.alive[:] = False
    response = world.respond(np.full((5_000, 4), 3), np.random.default_rng(2), 0.0, 4.0)
    assert response.clicks.sum() > 0
    assert response.incremental_purchases.sum() == 0 and response.incremental_value.sum() == 0


def test_dropped_out_customers_stop_opening_and_clicking() -> None:
    """By default, now and in the past campaign: whoever left before it answered nothing."""
    world = World(WorldConfig(customers=20_000), ARMS, seed=5)
    pop = world.population
    gone = ~pop.alive
    assert 0 < gone.sum() < pop.size
    response = world.respond(np.full((20_000, 4), 3), np.random.default_rng(2), 0.0, 4.0)
    assert response.clicks[gone].sum() == 0 and response.opens[gone].sum() == 0
    assert response.clicks[~gone].sum() > 0
    left_before = pop.dropout_week < world.config.history_campaign_week
    assert left_before.sum() > 0
    assert world.history_clicks[left_before].sum() == world.history_opens[left_before].sum() == 0
    assert world.history_opens[~left_before].sum() > 0
    np.testing.assert_array_equal(np.isfinite(pop.dropout_week), gone)


def test_events_validate_against_the_ingestion_schema() -> None:
    world = World(WorldConfig(customers=50), ARMS, seed=6)
    exposures = np.full((50, 4), 2)
    response = world.respond(exposures, np.random.default_rng(3), 0.0, 4.0)
    events = list(
        interaction_events(
            "run1",
            0,
            0.0,
            customer_ids(50),
            list(zip(ARMS.channels, ARMS.messages, strict=True)),
            np.array([0.02, 0.02, 0.03, 0.03]),
            exposures,
            response.clicks,
            response.purchases,
            opens=response.opens,
        )
    )
    parsed = [parse_event(e) for e in events]
    kinds = [p.type for p in parsed]
    assert kinds.count("exposure") == 400
    assert kinds.count("open") == response.opens.sum() > 0
    assert kinds.count("click") == response.clicks.sum()
    assert kinds.count("purchase") == response.incremental_purchases.sum()
    assert len({e["event_id"] for e in events}) == len(events)


def test_events_folded_into_profiles_give_the_simulators_counts() -> None:
    """The same events through the production fold: per-arm exposures and clicks match."""
    from optimizer.events.profile import fold

    world = World(WorldConfig(customers=20), ARMS, seed=7)
    exposures = np.random.default_rng(4).integers(0, 3, size=(20, 4))
    response = world.respond(exposures, np.random.default_rng(5), 0.0, 4.0)
    ids = customer_ids(20)
    arms = list(zip(ARMS.channels, ARMS.messages, strict=True))
    events = [
        parse_event(e)
        for e in interaction_events(
            "run2",
            0,
            0.0,
            ids,
            arms,
            np.full(4, 0.02),
            exposures,
            response.clicks,
            response.purchases,
            opens=response.opens,
        )
    ]
    for i, customer in enumerate(ids):
        profile = fold([e for e in events if e.customer_id == customer], customer)
        stats = profile.arm_stats()
        for a, (channel, message) in enumerate(arms):
            got = stats.get(f"{channel}:{message}")
            assert (got.exposures if got else 0) == exposures[i, a]
            assert (got.clicks if got else 0) == response.clicks[i, a]
            assert (got.opens if got else 0) == response.opens[i, a]
        assert profile.spend_stats().orders == response.incremental_purchases[i].sum()


def test_open_and_click_through_rates_reproduce_the_configured_funnel() -> None:
    """Email records opens: P(open) and P(click | open) per segment and arm match the truth."""
    config = WorldConfig(customers=20_000, engagement_shape=np.inf, lapsed_customers_engage=True)
    world = World(config, ARMS, seed=8)
    exposures = np.full((config.customers, len(ARMS)), 4)
    response = world.respond(exposures, np.random.default_rng(6), 0.0, 4.0)
    email = np.array([c == "email" for c in ARMS.channels])
    assert response.opens[:, ~email].sum() == 0  # social records no opens
    assert np.all(response.clicks[:, email] <= response.opens[:, email])
    open_mean, through_mean = world.segment_open_means()
    seg = world.population.segment
    for s in range(len(config.segments)):  # 3,000 to 7,000 persons per segment
        rows = seg == s
        opens = response.opens[rows][:, email].sum(axis=0)
        clicks = response.clicks[rows][:, email].sum(axis=0)
        np.testing.assert_allclose(
            opens / exposures[rows][:, email].sum(axis=0), open_mean[s, email], rtol=0.06
        )
        np.testing.assert_allclose(clicks / opens, through_mean[s, email], rtol=0.12)
    # The funnel keeps each segment's mean click rate where it was (3 standard errors).
    rate = world.population.response_rate[:, email]
    click_rate = np.array([rate[seg == s].mean(axis=0) for s in range(4)])
    np.testing.assert_allclose(click_rate, world.segment_response_mean()[:, email], rtol=0.09)


def test_without_opens_the_world_records_none() -> None:
    world = World(WorldConfig(customers=2_000, open_rate={}), ARMS, seed=9)
    response = world.respond(np.full((2_000, 4), 3), np.random.default_rng(7), 0.0, 4.0)
    assert response.opens.sum() == 0 and world.history_opens.sum() == 0
    assert response.clicks.sum() > 0
    np.testing.assert_array_equal(world.population.open_rate, 1.0)


def test_taste_makes_arms_of_a_channel_or_message_move_together() -> None:
    """Channel taste only, no engagement: arms of one channel correlate, others do not."""
    config = WorldConfig(
        customers=30_000,
        channel_taste_shape=2.0,
        message_taste_shape=np.inf,
        open_rate={},
        engagement_shape=np.inf,
    )
    world = World(config, ARMS, seed=10)
    # Relative to the segment's mean: segments alone make arms of one message co-vary.
    rate = world.population.response_rate / world.segment_response_mean()[world.population.segment]
    same_channel = np.corrcoef(rate[:, 0], rate[:, 1])[0, 1]  # email-discount, email-news
    same_message = np.corrcoef(rate[:, 0], rate[:, 2])[0, 1]  # email-discount, social-discount
    assert same_channel > 0.1
    assert abs(same_message) < 0.03  # sampling error of a correlation: ~0.006


def test_past_marketing_follows_each_channels_cadence() -> None:
    """An email a fortnight, a social ad every three weeks, a catalog a quarter by default."""
    arms = Arms(("email", "social", "direct_mail", "display"), ("a", "a", "a", "a"))
    world = World(WorldConfig(customers=3_000), arms, seed=11)
    np.testing.assert_array_equal(world.history_exposures, np.tile([5, 3, 1, 1], (3_000, 1)))
    assert np.all(world.history_clicks <= world.history_exposures)
    assert np.all(world.history_opens[:, 1:] == 0) and world.history_opens[:, 0].sum() > 0
    silent = World(
        WorldConfig(customers=100, history_exposures={"email": 0}, default_history_exposures=0),
        arms,
        seed=11,
    )
    assert silent.history_exposures.sum() == 0 and silent.history_clicks.sum() == 0
    with pytest.raises(ValueError, match="history_exposures"):
        WorldConfig(history_exposures={"email": -1})
