"""MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD where a customer may also drop out
right after the first purchase, so customers with x == 0 need not be alive. Log-likelihood:

    ln L = ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x+1) - ln B(a, b)
           + ln[ (alpha+T)^-(r+x) + a/(b+x) (alpha+t_x)^-(r+x) ]
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from optimizer.value.base import FloatArray
from optimizer.value.btyd import IndexArray, PurchaseModel
from optimizer.value.nbd import log_nbd_pmf, nbd_at_least

# As fitted by lifetimes 0.11.3 on the 2,357-customer CDNOW sample, weeks.
CDNOW_PARAMS = {"r": 0.5248, "alpha": 6.1830, "a": 0.8914, "b": 1.6140}


class MBGNBD(PurchaseModel):
    """Modified beta-geometric / NBD model; ``params_`` r, alpha, a, b."""

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    name: ClassVar[str] = "mbgnbd"

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
        log_at_T = np.log(alpha + T)
        log_at_tx = np.log(alpha + t_x)
        a3 = -(r + x) * log_at_T
        a4 = np.log(a) - np.log(b + x) - (r + x) * log_at_tx
        mix = np.logaddexp(a3, a4)
        w4 = np.exp(a4 - mix)
        w3 = 1.0 - w4
        by_x = (gammaln(r + levels) + betaln(a, b + levels + 1))[index]
        ll = by_x - gammaln(r) + r * np.log(alpha) - betaln(a, b) + mix
        d_ab = (digamma(a + b) - digamma(a + b + levels + 1))[index]
        d_r = (digamma(r + levels) - digamma(r))[index]
        d_b = (digamma(b + levels + 1) - digamma(b))[index]
        grad = np.stack(
            [
                d_r + np.log(alpha) - w3 * log_at_T - w4 * log_at_tx,
                r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x)),
                d_ab + w4 / a,
                d_ab + d_b - w4 / (b + x),
            ]
        )
        return ll, grad * np.array([r, alpha, a, b])[:, None]

    def _p_alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha, a, b = self._theta()
        log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        return np.asarray(expit(-log_odds), dtype=np.float64)

    def _conditional_expected(
        self, t: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
    ) -> FloatArray:
        # (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; z)] P(alive),
        # Euler-transformed as in BG/NBD so heavy buyers stay finite.
        r, alpha, a, b = self._theta()
        z = t / (alpha + T + t)
        c = a + b + x
        bracket = 1.0 - np.exp((a - 1) * np.log1p(-z)) * hyp2f1(a + b - r, a - 1, c, z)
        return c / (a - 1) * bracket * self._p_alive(x, t_x, T)

    def _p_purchases(self, n: FloatArray, t: FloatArray) -> FloatArray:
        # Alive after the first purchase and after each of the n repeats: (1-p)^(n+1);
        # dropped right after the n-th (or the first, n == 0) and N(t) >= n: p (1-p)^n.
        r, alpha, a, b = self._theta()
        alive = np.exp(betaln(a, b + n + 1) - betaln(a, b) + log_nbd_pmf(n, r, alpha, t))
        dropped = np.exp(betaln(a + 1, b + n) - betaln(a, b))
        return alive + dropped * nbd_at_least(n, r, alpha, t)
