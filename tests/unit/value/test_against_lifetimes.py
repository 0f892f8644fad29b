"""Cross-check against lifetimes (the tool users would otherwise pick), when it is installed
(the `bench` extra): at equal parameters, equal predictions."""

import warnings

import numpy as np
import pytest

from optimizer.value import BGNBD, MBGNBD, GammaGamma, ParetoNBD, RFMSummary

lifetimes = pytest.importorskip("lifetimes")
pd = pytest.importorskip("pandas")

PAIRS = [
    (BGNBD, "BetaGeoFitter"),
    (MBGNBD, "ModifiedBetaGeoFitter"),
    (ParetoNBD, "ParetoNBDFitter"),
]


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=lambda v: getattr(v, "name", v))
def test_same_predictions_at_same_parameters(ours, theirs, sample: RFMSummary) -> None:
    model = ours().fit(sample.x, sample.t_x, sample.T)
    other = getattr(lifetimes, theirs)()
    other.params_ = pd.Series(model.params_)
    x, t_x, T = sample.x, sample.t_x, sample.T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = other.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T)
        alive = other.conditional_probability_alive(x, t_x, T)
    assert model.conditional_expected_purchases(39, x, t_x, T) == pytest.approx(
        np.asarray(expected), rel=1e-9
    )
    assert model.p_alive(x, t_x, T) == pytest.approx(np.asarray(alive), rel=1e-9, abs=1e-12)


def test_gammagamma_same_fit_and_spend(sample: RFMSummary) -> None:
    buyers = sample.x > 0
    model = GammaGamma().fit(sample.x, sample.monetary_value)
    other = lifetimes.GammaGammaFitter().fit(sample.x[buyers], sample.monetary_value[buyers])
    assert model.params_["p"] == pytest.approx(other.params_["p"], rel=1e-5)
    assert model.params_["gamma"] == pytest.approx(other.params_["v"], rel=1e-5)
    spend = other.conditional_expected_average_profit(sample.x, sample.monetary_value)
    assert model.conditional_expected_spend(sample.x, sample.monetary_value) == pytest.approx(
        np.asarray(spend), rel=1e-4
    )
