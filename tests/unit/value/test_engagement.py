"""P(alive) read with engagement: proof of life, silence as evidence, calibrated on the world."""

import numpy as np
import pytest

from optimizer.simulation.strategies import history_since_purchase
from optimizer.simulation.world import Arms, World, WorldConfig
from optimizer.value import p_alive_with_engagement


def test_an_answer_since_the_last_purchase_proves_life() -> None:
    p = p_alive_with_engagement([0.3, 0.3], [True, False], [[4.0], [0.0]], [[0.2], [0.2]])
    np.testing.assert_allclose(p, [1.0, 0.3])  # no exposures since: the purchase models' own


def test_silence_updates_by_bayes() -> None:
    """P = 0.6, two unanswered exposures of an arm answered half the time: S = 1/4."""
    p = p_alive_with_engagement([0.6], [False], [[2.0, 0.0]], [[0.5, 0.9]])
    assert p[0] == pytest.approx(0.6 * 0.25 / (0.6 * 0.25 + 0.4))
    longer = p_alive_with_engagement([0.6], [False], [[5.0, 0.0]], [[0.5, 0.9]])
    assert longer[0] < p[0]
    with pytest.raises(ValueError, match="non-negative"):
        p_alive_with_engagement([0.6], [False], [[-1.0, 0.0]], [[0.5, 0.9]])


def test_with_the_true_rates_it_is_calibrated_against_who_is_still_there() -> None:
    """The world's past campaign, read with each customer's true parameters: those who
    answered are all there, and among the silent the predicted share is the actual one."""
    arms = Arms(("email", "email", "social", "direct_mail"), ("a", "b", "a", "a"))
    world = World(WorldConfig(customers=40_000), arms, seed=21)
    pop = world.population
    since = history_since_purchase(world, pop.last_purchase_week)
    rate = np.where(world.open_arms, pop.open_rate, pop.response_rate)
    prior = world.p_alive(0.0)
    p = p_alive_with_engagement(prior, since.engaged, since.exposures, rate)
    assert since.engaged.sum() > 1_000 and np.all(pop.alive[since.engaged])
    # BG/NBD customers drop out only after a repeat purchase: silence is news for those.
    silent = ~since.engaged & (since.exposures.sum(axis=1) > 0) & (pop.repeat_purchases > 0)
    assert silent.sum() > 1_000
    assert p[silent].mean() == pytest.approx(pop.alive[silent].mean(), abs=0.015)
    assert prior[silent].mean() > p[silent].mean() + 0.03  # purchases alone: too hopeful
    assert p.mean() == pytest.approx(pop.alive.mean(), abs=0.01)
