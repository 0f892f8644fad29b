"""Response rates of a learner told the world's true priors: the ceiling of estimation.

With the evidence `person` has, it knows what `person` must fit: every segment's mean open
and click rates per arm, the per-arm Beta concentrations and engagement's Gamma shape. Its
posterior (engagement integrated out as `optimizer.response` does) is the best any learner
can do with that evidence in a world without taste factors. The distance from `person` to
it is what estimation still costs; from it to `person_known_rates`, what the evidence cannot
tell.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from optimizer.response import ArmEvidence
from optimizer.response.engagement import engagement_mixture
from optimizer.response.funnel import opened
from optimizer.simulation.world import World

FloatArray = NDArray[np.float64]


def true_prior_rates(world: World, evidence: ArmEvidence) -> FloatArray:
    """(persons, arms) posterior mean click rates under the world's own generative priors."""
    config, segment, funnel = world.config, world.population.segment, world.open_arms
    if funnel.any() and evidence.opens is None:
        raise ValueError("true_prior_rates: the world records opens, the evidence has none")
    open_mean, through_mean = world.segment_open_means()
    first_mean = np.where(funnel, open_mean, world.segment_response_mean())[segment]
    concentration = np.broadcast_to(
        np.where(funnel, config.open_concentration, config.response_concentration),
        first_mean.shape,
    )
    opens = opened(evidence.opens, evidence.responses) if evidence.opens is not None else None
    first = evidence.responses if opens is None else np.where(funnel, opens, evidence.responses)
    if np.isfinite(config.engagement_shape):
        alpha, beta = engagement_mixture(
            first, evidence.exposures, first_mean, concentration, config.engagement_shape
        )
    else:
        alpha = first_mean * concentration + first
        beta = (1 - first_mean) * concentration + evidence.exposures - first
    rate = alpha / (alpha + beta)
    if opens is None:
        return np.asarray(rate)
    through = through_mean[segment]
    k = config.click_through_concentration
    click_per_open = (through * k + evidence.responses) / (k + opens)
    return np.asarray(np.where(funnel, rate * click_per_open, rate))
