"""Features + fitted population -> value estimates and the allocation problem.

One click on a person is worth
    P(alive) x E[spend per purchase] x conversion_per_response x margin,
(purchase model for P(alive), Gamma-Gamma for the spend, both conditional on the person's
own history), and each arm's response rate is the person's Beta posterior mean with their
segment as the prior. The same code scores one person (score Lambda) and a shard (run).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from optimizer.allocation.problem import AllocationProblem
from optimizer.pipeline.features import PersonFeatures, arm_evidence
from optimizer.pipeline.models import FittedPopulation
from optimizer.pipeline.settings import RunSettings
from optimizer.value import p_alive_with_engagement, score_customers

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Scores:
    clv: FloatArray
    p_alive: FloatArray
    expected_purchases: FloatArray
    expected_spend: FloatArray
    value_per_response: FloatArray
    response_rate: FloatArray  # (n, arms)


def score(features: PersonFeatures, population: FittedPopulation, settings: RunSettings) -> Scores:
    if features.n == 0:
        empty = np.zeros(0)
        return Scores(empty, empty, empty, empty, empty, features.exposures.copy())
    spend = population.spend.conditional_expected_spend(features.x, features.monetary_value)
    customers = score_customers(
        population.purchase,
        features.x,
        features.t_x,
        features.T,
        spend,
        horizon=settings.horizon_weeks,
        discount_rate=settings.discount_rate,
        margin=settings.margin,
    )
    segment = population.segment_ids(features.segment)
    posteriors = population.response.posteriors(arm_evidence(features), segment)
    p_alive, clv = customers.p_alive, customers.clv
    if settings.engagement_as_life:
        p_alive = p_alive_with_engagement(
            customers.p_alive,
            features.engaged_since_purchase,
            features.exposures_since_purchase,
            posteriors.answer.mean,
        )
        # CLV is P(alive) x what an active customer is worth: it moves with P(alive).
        clv = np.where(
            customers.p_alive > 0, clv * p_alive / np.maximum(customers.p_alive, 1e-300), clv
        )
    value_per_response = p_alive * spend * settings.conversion_per_response * settings.margin
    return Scores(
        clv=clv,
        p_alive=p_alive,
        expected_purchases=customers.expected_purchases,
        expected_spend=spend,
        value_per_response=value_per_response,
        response_rate=posteriors.click.mean,
    )


def allocation_problem(features: PersonFeatures, scores: Scores) -> AllocationProblem:
    return AllocationProblem(
        clv=scores.clv,
        value_per_response=scores.value_per_response,
        response_rate=scores.response_rate,
        consent=features.consent,
        customer_id=features.customer_id,
    )
