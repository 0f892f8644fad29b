"""BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way").

While active, a customer buys at a Poisson rate lambda ~ Gamma(r, alpha); after each repeat
purchase they drop out with probability p ~ Beta(a, b). Per-customer log-likelihood:

    ln L = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x) - ln B(a, b)
           + ln[ (alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x) ]

evaluated with logaddexp so heavy buyers do not overflow.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from optimizer.value.base import FloatArray
from optimizer.value.btyd import IndexArray, PurchaseModel
from optimizer.value.nbd import log_nbd_pmf, nbd_at_least

# Fader, Hardie & Lee (2005) on the 2,357-customer CDNOW sample, weeks.
CDNOW_PARAMS = {"r": 0.2425945, "alpha": 4.4136019, "a": 0.7929199, "b": 2.4258881}


class BGNBD(PurchaseModel):
    """Beta-geometric / NBD model; ``params_`` r, alpha, a, b."""

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    name: ClassVar[str] = "bgnbd"

    def _row_loglik(
        self,
        log_params: FloatArray,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        levels: FloatArray,
        index: IndexArray,
    ) -> tuple[FloatArray, FloatArray]:
        r, alpha, a, b = np.exp(log_params)
        repeat = x > 0
        log_at_T = np.log(alpha + T)
        log_at_tx = np.log(alpha + t_x)
        a3 = -(r + x) * log_at_T
        bx1 = np.where(repeat, b + x - 1, 1.0)
        a4 = np.where(repeat, np.log(a) - np.log(bx1) - (r + x) * log_at_tx, -np.inf)
        mix = np.logaddexp(a3, a4)
        w4 = np.exp(a4 - mix)  # share of the "dropped out after t_x" branch
        w3 = 1.0 - w4
        by_x = (gammaln(r + levels) + betaln(a, b + levels))[index]
        ll = by_x - gammaln(r) + r * np.log(alpha) - betaln(a, b) + mix
        d_ab = (digamma(a + b) - digamma(a + b + levels))[index]
        d_r = (digamma(r + levels) - digamma(r))[index]
        d_b = (digamma(b + levels) - digamma(b))[index]
        grad = np.stack(
            [
                d_r + np.log(alpha) - w3 * log_at_T - w4 * log_at_tx,
                r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x)),
                d_ab + w4 / a,
                d_ab + d_b - w4 / bx1,
            ]
        )
        return ll, grad * np.array([r, alpha, a, b])[:, None]

    def _p_alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha, a, b = self._theta()
        with np.errstate(divide="ignore"):
            log_odds = (
                np.log(a)
                - np.log(np.maximum(b + x - 1, 1e-300))
                + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
            )
        return np.where(x > 0, expit(-log_odds), 1.0)

    def _conditional_expected(
        self, t: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
    ) -> FloatArray:
        # (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)] P(alive),
        # with Euler's transformation (1-z)^(r+x) 2F1(r+x, b+x; c; z)
        # = (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z), which stays finite for heavy buyers.
        r, alpha, a, b = self._theta()
        z = t / (alpha + T + t)
        c = a + b + x - 1
        bracket = 1.0 - np.exp((a - 1) * np.log1p(-z)) * hyp2f1(a + b - 1 - r, a - 1, c, z)
        return c / (a - 1) * bracket * self._p_alive(x, t_x, T)

    def _p_purchases(self, n: FloatArray, t: FloatArray) -> FloatArray:
        r, alpha, a, b = self._theta()
        alive = np.exp(betaln(a, b + n) - betaln(a, b) + log_nbd_pmf(n, r, alpha, t))
        with np.errstate(invalid="ignore"):
            dropped = np.exp(betaln(a + 1, np.maximum(b + n - 1, 1e-300)) - betaln(a, b))
        return alive + np.where(n > 0, dropped * nbd_at_least(n, r, alpha, t), 0.0)
