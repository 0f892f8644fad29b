"""Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005, JMR; Hardie's note
"The Gamma-Gamma Model of Monetary Value").

A customer's purchase values are Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers. The
likelihood of the mean zbar of x repeat purchases (density of the mean, Jacobian included):

    ln L = ln G(px+q) - ln G(px) - ln G(q) + q ln gamma + (px-1) ln zbar + px ln x
           - (px+q) ln(gamma + x zbar)

Only customers with x > 0 inform the fit; the prediction for x == 0 is the population mean.
"""

from __future__ import annotations

from typing import ClassVar, Self

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln

from optimizer.value.base import FittedModel, FloatArray, maximize_likelihood
from optimizer.value.btyd import IndexArray, x_levels
from optimizer.value.compress import compress
from optimizer.value.validation import RFMError, offending_rows

# Fader, Hardie & Lee (2005, JMR) on the 946 CDNOW sample customers with x > 0.
CDNOW_PARAMS = {"p": 6.25, "q": 3.74, "gamma": 15.44}


class GammaGamma(FittedModel):
    """Spend per purchase; ``params_`` p, q, gamma."""

    param_names: ClassVar[tuple[str, ...]] = ("p", "q", "gamma")
    name: ClassVar[str] = "gammagamma"

    @staticmethod
    def _check(x: FloatArray, m: FloatArray) -> None:
        if x.shape != m.shape or x.ndim != 1:
            raise RFMError("x and monetary_value must be 1-d arrays of the same length")
        for message, mask in {
            "x is NaN, infinite or negative": ~(np.isfinite(x) & (x >= 0)),
            "monetary_value is NaN, infinite or negative": ~(np.isfinite(m) & (m >= 0)),
            "x > 0 but monetary_value == 0": (x > 0) & (m == 0),
        }.items():
            rows = offending_rows(mask)
            if rows:
                raise RFMError(f"{message} in rows {rows}")

    def _row_loglik(
        self,
        log_params: FloatArray,
        x: FloatArray,
        m: FloatArray,
        levels: FloatArray,
        index: IndexArray,
    ) -> tuple[FloatArray, FloatArray]:
        p, q, gamma = np.exp(log_params)
        px = p * x
        log_m, log_x, log_total = np.log(m), np.log(x), np.log(gamma + x * m)
        p_levels = p * levels
        by_x = (gammaln(p_levels + q) - gammaln(p_levels))[index]
        ll = (
            by_x
            - gammaln(q)
            + q * np.log(gamma)
            + (px - 1) * log_m
            + px * log_x
            - (px + q) * log_total
        )
        d_pq = digamma(p_levels + q)[index]
        d_p = d_pq - digamma(p_levels)[index]
        grad = np.stack(
            [
                x * (d_p + log_m + log_x - log_total),
                d_pq - digamma(q) + np.log(gamma) - log_total,
                q / gamma - (px + q) / (gamma + x * m),
            ]
        )
        return ll, grad * np.array([p, q, gamma])[:, None]

    def fit(
        self,
        x: npt.ArrayLike,
        monetary_value: npt.ArrayLike,
        weights: npt.ArrayLike | None = None,
    ) -> Self:
        """Maximum likelihood on the customers with x > 0 (distinct (x, zbar) rows)."""
        xs = np.asarray(x, dtype=np.float64)
        ms = np.asarray(monetary_value, dtype=np.float64)
        self._check(xs, ms)
        weight = np.ones_like(xs) if weights is None else np.asarray(weights, dtype=np.float64)
        buyers = xs > 0
        if not buyers.any():
            raise RFMError("no customer with x > 0: Gamma-Gamma has nothing to fit")
        xs, ms, weight = xs[buyers], ms[buyers], weight[buyers]
        if weights is None:
            packed = compress(xs, ms)
            (xs, ms), weight = packed.columns, packed.weight
        mean = float(weight @ ms / weight.sum())
        start = np.log([1.0, 2.0, mean])  # population mean p*gamma/(q-1) = mean at the start
        result = maximize_likelihood(self._row_loglik, (xs, ms, *x_levels(xs)), weight, start)
        self._store(result, round(float(weight.sum())), len(xs))
        return self

    def log_likelihood(self, x: npt.ArrayLike, monetary_value: npt.ArrayLike) -> FloatArray:
        """Per-customer log-likelihood (customers with x > 0) at the current parameters."""
        log_params = np.log(np.asarray(self._theta()))
        xs = np.asarray(x, dtype=np.float64)
        ms = np.asarray(monetary_value, dtype=np.float64)
        return self._row_loglik(log_params, xs, ms, *x_levels(xs))[0]

    def conditional_expected_spend(
        self, x: npt.ArrayLike, monetary_value: npt.ArrayLike
    ) -> FloatArray:
        """E[spend per purchase | x, zbar]: a weighted blend of the population mean
        p*gamma/(q-1) and the customer's own mean, the weight on the customer being
        p*x / (p*x + q - 1). Customers with x == 0 get the population mean. Needs q > 1."""
        p, q, gamma = self._theta()
        if q <= 1:
            raise ValueError(f"expected spend is infinite for q <= 1 (q = {q:.4g})")
        xs = np.asarray(x, dtype=np.float64)
        ms = np.asarray(monetary_value, dtype=np.float64)
        own = p * xs / (p * xs + q - 1)
        return np.asarray(own * ms + (1 - own) * p * gamma / (q - 1), dtype=np.float64)

    def expected_spend(self) -> float:
        """Population mean spend per purchase, p*gamma/(q-1)."""
        p, q, gamma = self._theta()
        return p * gamma / (q - 1) if q > 1 else float("inf")
