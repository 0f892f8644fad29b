"""Shrinkage limits, decay half-life and exploration of the person posteriors."""

import numpy as np
import pytest

from optimizer.response import (
    ArmEvidence,
    ResponseModel,
    ResponsePosterior,
    decay_factor,
    planning_rates,
)


def _fitted_model(rng: np.random.Generator) -> tuple[ResponseModel, np.ndarray]:
    """Two segments, two arms, with different Beta priors, and 10 exposures per person."""
    persons = 6_000
    segment = np.repeat([0, 1], persons // 2)
    prior_mean = np.array([[0.05, 0.20], [0.30, 0.10]])
    kappa = 10.0
    mean = prior_mean[segment]
    rates = rng.beta(mean * kappa, (1 - mean) * kappa)
    exposures = np.full((persons, 2), 10.0)
    evidence = ArmEvidence.empty(persons, 2, half_life_weeks=np.inf).add(
        exposures, rng.binomial(10, rates).astype(float), 0.0
    )
    return ResponseModel().fit(evidence, segment, 2), prior_mean


def test_segment_priors_match_the_generating_means() -> None:
    model, prior_mean = _fitted_model(np.random.default_rng(1))
    np.testing.assert_allclose(model.prior_mean_, prior_mean, atol=0.015)


def test_never_exposed_person_gets_the_segment_estimate() -> None:
    model, _ = _fitted_model(np.random.default_rng(2))
    fresh = ArmEvidence.empty(2, 2)
    posterior = model.posterior(fresh, np.array([0, 1]))
    np.testing.assert_allclose(posterior.mean, model.prior_mean_)


def test_long_history_gives_the_persons_own_rate() -> None:
    model, _ = _fitted_model(np.random.default_rng(3))
    # 20,000 exposures with 1,000 responses on arm 0 and 18,000 on arm 1: own rates 0.05, 0.9.
    evidence = ArmEvidence.empty(1, 2, half_life_weeks=np.inf).add(
        [[20_000.0, 20_000.0]], [[1_000.0, 18_000.0]], 0.0
    )
    posterior = model.posterior(evidence, np.array([0]))
    np.testing.assert_allclose(posterior.mean[0], [0.05, 0.9], atol=0.002)


def test_more_evidence_moves_the_estimate_monotonically_toward_own_rate() -> None:
    model, _ = _fitted_model(np.random.default_rng(4))
    n = np.array([0.0, 5.0, 50.0, 500.0])
    evidence = ArmEvidence.empty(4, 2, half_life_weeks=np.inf).add(
        np.stack([n, n], axis=1), np.stack([0.6 * n, 0.6 * n], axis=1), 0.0
    )
    means = model.posterior(evidence, np.zeros(4, dtype=int)).mean[:, 0]
    assert np.all(np.diff(means) > 0)
    assert means[0] == pytest.approx(model.prior_mean_[0, 0])
    assert abs(means[-1] - 0.6) < abs(means[1] - 0.6)


def test_evidence_halves_after_one_half_life() -> None:
    evidence = ArmEvidence.empty(1, 1, half_life_weeks=26.0).add([[8.0]], [[4.0]], 0.0)
    later = evidence.decayed_to(26.0)
    assert later.exposures[0, 0] == pytest.approx(4.0)
    assert later.responses[0, 0] == pytest.approx(2.0)
    assert evidence.decayed_to(52.0).exposures[0, 0] == pytest.approx(2.0)
    assert decay_factor(13.0, 26.0) == pytest.approx(2**-0.5)


def test_evidence_of_one_age_is_fitted_as_the_whole_counts_it_came_from() -> None:
    evidence = ArmEvidence.empty(2, 1, half_life_weeks=26.0).add(
        [[3.0], [0.0]], [[1.0], [0.0]], 0.0
    )
    aged = evidence.decayed_to(13.0)
    assert aged.exposures[0, 0] == pytest.approx(3 * 2**-0.5)
    fitting = aged.for_fitting()
    assert fitting.exposures[:, 0] == pytest.approx([3.0, 0.0])
    assert fitting.responses[:, 0] == pytest.approx([1.0, 0.0])
    # Two ages: between the decayed and the whole count (Kish's effective sample size).
    mixed = aged.add([[1.0], [0.0]], [[0.0], [0.0]], 13.0).for_fitting()
    assert aged.exposures[0, 0] + 1 < mixed.exposures[0, 0] < 4.0


def test_decayed_evidence_still_measures_how_much_people_differ() -> None:
    """Three exposures half a year ago: the fitted spread is that of the whole counts.

    Fitted on the decayed counts as they are, the beta-binomial said everybody was alike
    (concentration in the tens of thousands), and no click moved a person's estimate."""
    rng = np.random.default_rng(8)
    persons, kappa, mean = 40_000, 8.0, 0.05
    rates = rng.beta(mean * kappa, (1 - mean) * kappa, size=(persons, 1))
    clicks = rng.binomial(3, rates).astype(float)
    fresh = ArmEvidence.empty(persons, 1, half_life_weeks=52.0, as_of=-26.0)
    evidence = fresh.add(np.full((persons, 1), 3.0), clicks, -26.0).decayed_to(0.0)
    segment = np.zeros(persons, dtype=np.int64)
    model = ResponseModel(pooling_exposures=0.0, engagement=False).fit(evidence, segment, 1)
    concentration = float(model.prior_alpha_[0, 0] + model.prior_beta_[0, 0])
    assert 4.0 < concentration < 16.0


def test_decay_lets_the_estimate_follow_a_person_who_changed() -> None:
    """A year of responding 50%, then a year of 0%: decay follows, no decay remembers."""
    model, _ = _fitted_model(np.random.default_rng(5))
    estimates = {}
    for half_life in (13.0, np.inf):
        evidence = ArmEvidence.empty(1, 2, half_life_weeks=half_life)
        for week in range(104):
            responses = 1.0 if week < 52 else 0.0
            evidence = evidence.add([[2.0, 2.0]], [[responses, responses]], float(week))
        estimates[half_life] = model.posterior(evidence, np.array([0])).mean[0, 0]
    assert estimates[13.0] < 0.05  # the person now ignores arm 0, and decay sees it
    assert estimates[np.inf] > 0.2  # without decay the first year still counts in full


def test_added_evidence_must_match_shape_and_be_consistent() -> None:
    evidence = ArmEvidence.empty(2, 3)
    with pytest.raises(ValueError, match="shape"):
        evidence.add(np.ones((2, 2)), np.ones((2, 2)), 1.0)
    with pytest.raises(ValueError, match="offending person rows: \\[1\\]"):
        evidence.add(np.ones((2, 3)), np.array([[0, 0, 0], [0, 2, 0]]), 1.0)


def test_exploration_rates() -> None:
    posterior = ResponsePosterior(np.array([[2.0, 50.0]]), np.array([[18.0, 450.0]]))
    np.testing.assert_allclose(planning_rates(posterior), [[0.1, 0.1]])
    optimistic = planning_rates(posterior, "ucb", bonus=2.0)
    assert optimistic[0, 0] > optimistic[0, 1] > 0.1  # the less known arm gets the bigger bonus
    draws = np.stack(
        [planning_rates(posterior, "thompson", np.random.default_rng(s)) for s in range(2000)]
    )
    np.testing.assert_allclose(draws.mean(axis=0), [[0.1, 0.1]], atol=0.005)
    assert draws[:, 0, 0].std() > 3 * draws[:, 0, 1].std()
    with pytest.raises(ValueError, match="exploration"):
        planning_rates(posterior, "greedy")  # type: ignore[arg-type]


def test_scores_one_person_and_many_with_the_same_code() -> None:
    model, _ = _fitted_model(np.random.default_rng(6))
    rng = np.random.default_rng(0)
    n = rng.integers(0, 20, size=(1000, 2)).astype(float)
    k = rng.binomial(n.astype(int), 0.2).astype(float)
    segment = rng.integers(0, 2, size=1000)
    evidence = ArmEvidence.empty(1000, 2).add(n, k, 0.0)
    many = model.posterior(evidence, segment).mean
    one = model.posterior(ArmEvidence.empty(1, 2).add(n[[17]], k[[17]], 0.0), segment[[17]])
    np.testing.assert_allclose(one.mean[0], many[17])


def test_a_stored_model_scores_exactly_as_the_fitted_one() -> None:
    """The refit stores the model as JSON; the run and the score Lambda restore it."""
    import json

    rng = np.random.default_rng(5)
    persons, arms = 3000, [("email", "a"), ("email", "b"), ("social", "a"), ("social", "b")]
    exposures = rng.integers(0, 6, size=(persons, len(arms))).astype(np.float64)
    opens = rng.binomial(exposures.astype(np.int64), 0.3).astype(np.float64)
    opens[:, 2:] = 0.0  # social records no opens
    clicks = rng.binomial(opens.astype(np.int64), 0.2).astype(np.float64)
    clicks[:, 2:] = rng.binomial(exposures[:, 2:].astype(np.int64), 0.05)
    segment = rng.integers(0, 3, size=persons)
    evidence = ArmEvidence(exposures, clicks, np.zeros(persons), opens=opens)
    fitted = ResponseModel(arms=arms).fit(evidence, segment, 3)
    assert fitted.open_arms_.tolist() == [True, True, False, False]

    restored = ResponseModel.from_state(json.loads(json.dumps(fitted.to_state())))

    expected = fitted.posterior(evidence, segment).mean
    np.testing.assert_allclose(restored.posterior(evidence, segment).mean, expected, rtol=1e-12)
    clicks_only = ResponseModel.from_state({"prior_alpha": fitted.prior_alpha_.tolist(),
        "prior_beta": fitted.prior_beta_.tolist(), "converged": True})  # fmt: skip
    assert not np.allclose(clicks_only.posterior(evidence, segment).mean, expected)
