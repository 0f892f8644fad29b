"""What a policy believes one click is worth: P(alive) x expected spend x conversion x margin.

The value engine (`optimizer.value`: BG/NBD for P(alive), Gamma-Gamma for the expected value
of the next purchase) is fitted on the purchases the policy has seen. The conversion of a
click into an incremental purchase and the margin rate are taken as known to every policy
(a business measures them once, with a holdout test); what a policy has to learn is who is
still there, what they spend and how they respond.

Until `fit` is called, the published CDNOW parameters from the world's config are used.
Predictions use the closed forms below with per-person (per-segment) parameters, vectorized.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from optimizer.simulation.observed import RFM
from optimizer.simulation.world import WorldConfig

FloatArray = NDArray[np.float64]


def bgnbd_p_alive(rfm: RFM, r: Any, alpha: Any, a: Any, b: Any) -> FloatArray:
    """BG/NBD P(alive | x, t_x, T) (Fader, Hardie & Lee 2005, eq. 8), in log space."""
    x, t_x, T = rfm.x, rfm.t_x, rfm.T
    log_ratio = (
        np.log(a)
        - np.log(np.maximum(b + x - 1, 1e-12))
        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )
    return np.asarray(np.where(x > 0, 1.0 / (1.0 + np.exp(np.minimum(log_ratio, 700))), 1.0))


def gamma_gamma_expected_spend(rfm: RFM, p: Any, q: Any, gamma: Any) -> FloatArray:
    """Gamma-Gamma E[value of a purchase | x, mean repeat value]: shrunk to the population."""
    weight = p * rfm.x / (p * rfm.x + q - 1)
    population = p * gamma / (q - 1)
    return np.asarray((1 - weight) * population + weight * rfm.monetary_value)


class ValueEstimator:
    """Value of one click per customer, from what has been seen of their purchases.

    With `segments`, BG/NBD and Gamma-Gamma are fitted per segment and pooled toward the
    population (`optimizer.value.fit_segment_priors`): the segment is the prior, the
    person's purchases the evidence. Parameters are held per segment, (segments,) arrays.
    """

    def __init__(self, world: WorldConfig) -> None:
        self.world = world
        self.purchase_params_: dict[str, FloatArray] = {
            name: np.array([getattr(world, name)]) for name in ("r", "alpha", "a", "b")
        }
        self.spend_params_: dict[str, FloatArray] = {
            name: np.array([getattr(world, name)]) for name in ("p", "q", "gamma")
        }
        self.segment_: NDArray[np.int64] | None = None
        self.refitted_ = False

    def fit(self, rfm: RFM, segment: NDArray[np.int64] | None = None) -> ValueEstimator:
        """Fit BG/NBD and Gamma-Gamma on the seen purchases (per segment when given)."""
        from optimizer.value import BGNBD, GammaGamma, fit_segment_priors

        labels = np.zeros(rfm.x.size, dtype=np.int64) if segment is None else segment
        n_segments = int(labels.max()) + 1
        buyers = rfm.x > 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            purchase = fit_segment_priors(BGNBD, labels, rfm.x, rfm.t_x, rfm.T)
            spend = fit_segment_priors(
                GammaGamma, labels[buyers], rfm.x[buyers], rfm.monetary_value[buyers]
            )
        self.purchase_params_ = _stack(purchase, n_segments, ("r", "alpha", "a", "b"))
        self.spend_params_ = _stack(spend, n_segments, ("p", "q", "gamma"))
        self.segment_ = None if segment is None else segment.copy()
        self.refitted_ = True
        return self

    def copy(self) -> ValueEstimator:
        twin = ValueEstimator(self.world)
        twin.purchase_params_ = dict(self.purchase_params_)
        twin.spend_params_ = dict(self.spend_params_)
        twin.segment_ = self.segment_
        twin.refitted_ = self.refitted_
        return twin

    def _per_person(self, params: dict[str, FloatArray], n: int) -> dict[str, Any]:
        index = np.zeros(n, dtype=np.int64) if self.segment_ is None else self.segment_
        return {name: values[index] for name, values in params.items()}

    def p_alive(self, rfm: RFM) -> FloatArray:
        return bgnbd_p_alive(rfm, **self._per_person(self.purchase_params_, rfm.x.size))

    def expected_spend(self, rfm: RFM) -> FloatArray:
        return gamma_gamma_expected_spend(rfm, **self._per_person(self.spend_params_, rfm.x.size))

    def value_per_click(self, rfm: RFM) -> FloatArray:
        """Expected incremental margin of one click on the first exposure of a period."""
        c = self.world
        return np.asarray(
            c.conversion * c.margin_rate * self.p_alive(rfm) * self.expected_spend(rfm)
        )


def _stack(priors: Any, n_segments: int, names: tuple[str, ...]) -> dict[str, FloatArray]:
    """Per-segment parameters as arrays; segments without a model get the population's."""
    out = {}
    for name in names:
        out[name] = np.array(
            [float(priors.model_for(str(s)).params_[name]) for s in range(n_segments)]
        )
    return out
