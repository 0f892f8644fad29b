"""The learner told the world's true priors: the ceiling the fitted response model aims at."""

import numpy as np
import pytest

from optimizer.response import ArmEvidence, ResponseModel
from optimizer.simulation.ideal import true_prior_rates
from optimizer.simulation.world import Arms, World, WorldConfig

ARMS = Arms(
    ("email", "email", "social", "social", "direct_mail"),
    ("discount", "new_release", "discount", "new_release", "discount"),
)


def _world_and_evidence(customers: int, exposures: int) -> tuple[World, ArmEvidence]:
    # Response propensities only: those who dropped out answer too (no silence to explain).
    world = World(WorldConfig(customers=customers, lapsed_customers_engage=True), ARMS, seed=12)
    shown = np.full((customers, len(ARMS)), exposures)
    response = world.respond(shown, np.random.default_rng(3), 0.0, 4.0)
    evidence = ArmEvidence.empty(customers, len(ARMS), opens=True).add(
        shown, response.clicks, 4.0, response.opens
    )
    return world, evidence


def test_without_evidence_it_is_the_segments_true_mean() -> None:
    world = World(WorldConfig(customers=500), ARMS, seed=12)
    rates = true_prior_rates(world, ArmEvidence.empty(500, len(ARMS), opens=True))
    truth = world.segment_response_mean()[world.population.segment]
    # Where a segment opens half its emails, the top grid points would lift the mean past 1:
    # clipped, as the world clips, it sits up to 5% lower.
    np.testing.assert_allclose(rates, truth, rtol=0.05)


def test_the_fitted_model_estimates_nearly_as_well_as_the_true_priors() -> None:
    """Two exposures of every arm: the true priors' posterior has the smaller error, and the
    response model fitted on the same evidence comes within 10% of it (without engagement,
    it does not)."""
    world, evidence = _world_and_evidence(20_000, 2)
    truth = world.population.response_rate
    segment = world.population.segment
    arm_names = list(zip(ARMS.channels, ARMS.messages, strict=True))
    fitted = ResponseModel(arms=arm_names).fit(evidence, segment, len(world.config.segments))
    error = {
        "ideal": np.mean((true_prior_rates(world, evidence) - truth) ** 2),
        "fitted": np.mean((fitted.posterior(evidence, segment).mean - truth) ** 2),
        "segment": np.mean((world.segment_response_mean()[segment] - truth) ** 2),
    }
    plain = ResponseModel(engagement=False).fit(evidence, segment, len(world.config.segments))
    error["no engagement"] = np.mean((plain.posterior(evidence, segment).mean - truth) ** 2)
    assert error["ideal"] < error["fitted"] < 1.1 * error["ideal"], error
    assert error["no engagement"] > 1.1 * error["ideal"], error
    assert error["fitted"] < 0.8 * error["segment"], error


def test_needs_the_opens_the_world_records() -> None:
    world = World(WorldConfig(customers=10), ARMS, seed=12)
    with pytest.raises(ValueError, match="opens"):
        true_prior_rates(world, ArmEvidence.empty(10, len(ARMS)))
