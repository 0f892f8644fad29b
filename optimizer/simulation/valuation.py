"""What a policy believes one click is worth: P(alive) x expected spend x conversion x margin.

The value engine (`optimizer.value`: BG/NBD for P(alive), Gamma-Gamma for the expected value
of the next purchase) is fitted on the purchases the policy has seen. The conversion of a
click into an incremental purchase and the margin rate are taken as known to every policy
(a business measures them once, with a holdout test); what a policy has to learn is who is
still there, what they spend and how they respond.

Until `fit` is called, the published CDNOW parameters from the world's config are used.

Spend evidence: Gamma-Gamma is conventionally conditioned on repeat purchases only (Fader,
Hardie & Lee 2005), because a first order often differs from the ones after it. In this
world it does not (every purchase is Gamma(p, nu)), so by default the first purchase counts
too: for the 60% of customers with no repeat purchase it is the only sign of what they spend,
and it is worth 3.4 points of the oracle (README). A business should check that its first
orders look like its repeat orders before turning it on.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray

from optimizer.simulation.observed import RFM
from optimizer.simulation.world import WorldConfig
from optimizer.value import BGNBD, GammaGamma, SegmentPriors, fit_segment_priors

FloatArray = NDArray[np.float64]


class ValueEstimator:
    """Value of one click per customer, from what has been seen of their purchases.

    With `segments`, BG/NBD and Gamma-Gamma are fitted per segment and pooled toward the
    population (`optimizer.value.fit_segment_priors`): the segment is the prior, the
    person's purchases the evidence.
    """

    def __init__(self, world: WorldConfig, first_purchase_spend: bool = True) -> None:
        self.world = world
        self.first_purchase_spend = first_purchase_spend
        self.purchase_ = SegmentPriors(
            BGNBD.from_params(r=world.r, alpha=world.alpha, a=world.a, b=world.b)
        )
        self.spend_ = SegmentPriors(GammaGamma.from_params(p=world.p, q=world.q, gamma=world.gamma))
        self.segment_: NDArray[np.int64] | None = None
        self.refitted_ = False

    def fit(self, rfm: RFM, segment: NDArray[np.int64] | None = None) -> ValueEstimator:
        """Fit BG/NBD and Gamma-Gamma on the seen purchases (per segment when given)."""
        labels = np.zeros(rfm.x.size, dtype=np.int64) if segment is None else segment
        count, mean = self._spend_evidence(rfm)
        buyers = count > 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.purchase_ = fit_segment_priors(BGNBD, labels, rfm.x, rfm.t_x, rfm.T)
            self.spend_ = fit_segment_priors(
                GammaGamma, labels[buyers], count[buyers], mean[buyers]
            )
        self.segment_ = None if segment is None else segment.copy()
        self.refitted_ = True
        return self

    def copy(self) -> ValueEstimator:
        """A twin that refits on its own (fitted models are only read, never changed)."""
        twin = ValueEstimator(self.world, self.first_purchase_spend)
        twin.purchase_, twin.spend_ = self.purchase_, self.spend_
        twin.segment_, twin.refitted_ = self.segment_, self.refitted_
        return twin

    def _labels(self, n: int) -> NDArray[np.int64]:
        return np.zeros(n, dtype=np.int64) if self.segment_ is None else self.segment_

    def p_alive(self, rfm: RFM) -> FloatArray:
        return self.purchase_.apply("p_alive", self._labels(rfm.x.size), rfm.x, rfm.t_x, rfm.T)

    def expected_spend(self, rfm: RFM) -> FloatArray:
        """Gamma-Gamma's expected value of a purchase given the purchases seen."""
        count, mean = self._spend_evidence(rfm)
        return self.spend_.apply(
            "conditional_expected_spend", self._labels(rfm.x.size), count, mean
        )

    def _spend_evidence(self, rfm: RFM) -> tuple[FloatArray, FloatArray]:
        """(purchases, their mean value) that Gamma-Gamma fits and conditions on."""
        if self.first_purchase_spend and rfm.first_value is not None:
            count = rfm.x + 1
            return count, (rfm.monetary_value * rfm.x + rfm.first_value) / count
        return rfm.x, rfm.monetary_value

    def value_per_click(self, rfm: RFM, p_alive: FloatArray | None = None) -> FloatArray:
        """Expected incremental margin of one click on the first exposure of a period
        (`p_alive`: what else is known of who is still there; default, purchases only)."""
        c = self.world
        alive = self.p_alive(rfm) if p_alive is None else p_alive
        return np.asarray(c.conversion * c.margin_rate * alive * self.expected_spend(rfm))
