"""Channel and message taste: shapes by moments, factors that leave the arm out."""

import numpy as np

from optimizer.response import ArmEvidence, ResponseModel
from optimizer.response.taste import TasteShapes, fit_taste_shapes, taste_factor

CHANNEL = np.array([0, 0, 1, 1])
MESSAGE = np.array([0, 1, 0, 1])
ARMS = [("email", "deal"), ("email", "news"), ("social", "deal"), ("social", "news")]


def _taste_draw(seed: int, channel_shape: float, message_shape: float, persons: int = 40_000):
    rng = np.random.default_rng(seed)
    base = np.array([0.3, 0.2, 0.25, 0.15])
    channel = rng.gamma(channel_shape, 1 / channel_shape, size=(persons, 2))[:, CHANNEL]
    message = rng.gamma(message_shape, 1 / message_shape, size=(persons, 2))[:, MESSAGE]
    rate = np.clip(base * channel * message, 0, 1)
    exposures = np.full((persons, 4), 8.0)
    responses = rng.binomial(8, rate).astype(float)
    return responses, exposures * base, exposures, rate


def test_shapes_are_recovered_by_moments() -> None:
    responses, expected, _, _ = _taste_draw(1, channel_shape=2.0, message_shape=1e6)
    shapes = fit_taste_shapes(responses, expected, CHANNEL, MESSAGE)
    assert 1.5 < shapes.channel < 2.8
    assert shapes.message > 30 and shapes.engagement > 30


def test_factor_of_an_arm_ignores_the_arms_own_responses() -> None:
    responses, expected, _, _ = _taste_draw(2, 2.0, 2.0, persons=50)
    shapes = TasteShapes(2.0, 2.0, 2.0)
    changed = responses.copy()
    changed[:, 0] += 5
    np.testing.assert_allclose(
        taste_factor(responses, expected, CHANNEL, MESSAGE, shapes)[:, 0],
        taste_factor(changed, expected, CHANNEL, MESSAGE, shapes)[:, 0],
    )


def test_taste_recovers_rates_better_than_engagement_alone() -> None:
    responses, _, exposures, rate = _taste_draw(3, 1.5, 1.5, persons=20_000)
    evidence = ArmEvidence.empty(*rate.shape, half_life_weeks=np.inf).add(exposures, responses, 0.0)
    segment = np.zeros(rate.shape[0], dtype=np.int64)
    with_taste = ResponseModel(arms=ARMS).fit(evidence, segment, 1)
    engagement = ResponseModel().fit(evidence, segment, 1)

    def error(model: ResponseModel) -> float:
        # Score arm 0 from the other arms only: how well taste predicts an untried arm.
        held_out = ArmEvidence(exposures * [0, 1, 1, 1], responses * [0, 1, 1, 1], evidence.as_of)
        return float(
            np.sqrt(np.mean((model.posterior(held_out, segment).mean[:, 0] - rate[:, 0]) ** 2))
        )

    assert error(with_taste) < 0.95 * error(engagement)
