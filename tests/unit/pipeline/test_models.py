"""The fitted population the refit stores and runs restore: CDNOW's 2,357-customer sample."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from optimizer.pipeline.features import PersonFeatures
from optimizer.pipeline.models import FittedPopulation, fit_population
from optimizer.pipeline.scoring import score
from optimizer.pipeline.settings import RunSettings
from optimizer.value import read_summary_csv

DATA = Path(__file__).resolve().parents[3] / "data" / "cdnow"


@pytest.fixture(scope="module")
def features() -> PersonFeatures:
    rfm = read_summary_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    n, arms = len(rfm), 2
    rng = np.random.default_rng(3)
    exposures = rng.integers(0, 4, size=(n, arms)).astype(np.float64)
    return PersonFeatures(
        customer_id=rfm.customer_id,
        x=rfm.x.astype(np.float64),
        t_x=rfm.t_x,
        T=rfm.T,
        monetary_value=rfm.monetary_value,
        exposures=exposures,
        responses=rng.binomial(exposures.astype(np.int64), 0.05).astype(np.float64),
        opens=np.zeros((n, arms)),
        consent=np.ones((n, 1), dtype=bool),
        segment=np.full(n, "1997-01"),
        exposures_since_purchase=exposures,
        engaged_since_purchase=np.zeros(n, dtype=bool),
    )


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_a_stored_population_scores_as_the_fitted_one(features: PersonFeatures, model: str) -> None:
    fitted = fit_population(features, purchase_model=model)
    restored = FittedPopulation.from_dict(json.loads(json.dumps(fitted.to_dict())))
    assert restored.purchase.name == model
    settings = RunSettings(purchase_model=model)  # type: ignore[arg-type]
    expected, again = score(features, fitted, settings), score(features, restored, settings)
    np.testing.assert_allclose(again.value_per_response, expected.value_per_response)
    np.testing.assert_allclose(again.clv, expected.clv)


def test_one_time_buyers_are_not_taken_for_alive_by_default(features: PersonFeatures) -> None:
    """BG/NBD holds every one-time buyer alive; the default model lets them have left."""
    one_time = features.x == 0
    default = score(features, fit_population(features), RunSettings())
    bgnbd = score(features, fit_population(features, purchase_model="bgnbd"), RunSettings())
    assert np.all(bgnbd.p_alive[one_time] == 1.0)
    assert np.median(default.p_alive[one_time]) < 0.8
    assert RunSettings().purchase_model == "mbgnbd"


def test_engagement_as_life_moves_p_alive_and_clv_together(features: PersonFeatures) -> None:
    """Off: purchases alone. On: an answer since the last purchase makes P(alive) 1, silence
    through exposures lowers it, nothing since leaves it; CLV moves in proportion."""
    population = fit_population(features, purchase_model="bgnbd")
    n = features.n
    engaged = np.arange(n) % 3 == 0
    since = np.where((np.arange(n) % 3 == 1)[:, None], 6.0, 0.0) * np.ones((n, 2))
    read = dataclasses.replace(
        features, engaged_since_purchase=engaged, exposures_since_purchase=since
    )
    plain = score(read, population, RunSettings(purchase_model="bgnbd"))
    live = score(read, population, RunSettings(purchase_model="bgnbd", engagement_as_life=True))
    np.testing.assert_allclose(
        plain.p_alive, score(features, population, RunSettings(purchase_model="bgnbd")).p_alive
    )
    np.testing.assert_allclose(live.p_alive[engaged], 1.0)
    silent = (np.arange(n) % 3 == 1) & (plain.p_alive < 0.999)
    assert silent.sum() > 100 and np.all(live.p_alive[silent] < plain.p_alive[silent])
    untouched = np.arange(n) % 3 == 2
    np.testing.assert_allclose(live.p_alive[untouched], plain.p_alive[untouched])
    ratio = live.clv / plain.clv
    np.testing.assert_allclose(ratio, live.p_alive / plain.p_alive, rtol=1e-9)
    np.testing.assert_allclose(
        live.value_per_response / plain.value_per_response, live.p_alive / plain.p_alive, rtol=1e-9
    )
