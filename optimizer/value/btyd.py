"""What the purchase-count models (BG/NBD, MBG/NBD, Pareto/NBD) share: fitting on compressed
(x, t_x, T) rows and vectorized predictions over customers.

Predictions for more than ``DISTINCT_ROWS_FROM`` customers are computed once per distinct
(x, t_x, T) row and spread back, which is what makes scoring a million customers cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

import numpy as np
import numpy.typing as npt

from optimizer.value.base import FittedModel, FloatArray, maximize_likelihood
from optimizer.value.compress import Compressed, compress
from optimizer.value.validation import RFMError, validate_rfm, validate_shapes

DISTINCT_ROWS_FROM = 20_000
IndexArray = npt.NDArray[np.intp]


def as_columns(
    x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    return (
        np.asarray(x, dtype=np.float64),
        np.asarray(t_x, dtype=np.float64),
        np.asarray(T, dtype=np.float64),
    )


def compress_valid(
    x: FloatArray, t_x: FloatArray, T: FloatArray, with_inverse: bool = False
) -> Compressed:
    """Compress, then check the RFM rules on the distinct rows only (cheap); when a rule is
    broken, check the full input again so that the error names the customer rows."""
    validate_shapes(x, t_x, T)
    packed = compress(x, t_x, T, with_inverse=with_inverse)
    try:
        validate_rfm(*packed.columns)
    except RFMError:
        validate_rfm(x, t_x, T)
        raise
    return packed


def x_levels(x: FloatArray) -> tuple[FloatArray, IndexArray]:
    """Distinct values of x and each row's position among them."""
    levels, index = np.unique(x, return_inverse=True)
    return levels, index.reshape(-1)


class PurchaseModel(FittedModel):
    """Base of the purchase-count models. Times are in the unit of the data (weeks here)."""

    def _row_loglik(
        self,
        log_params: FloatArray,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        levels: FloatArray,
        index: IndexArray,
    ) -> tuple[FloatArray, FloatArray]:
        """Per-row log-likelihood and its gradient wrt the log-parameters; functions of x alone
        (gammaln, digamma, betaln) are evaluated on its distinct ``levels`` and gathered."""
        raise NotImplementedError

    def _initial(self, x: FloatArray, T: FloatArray, weight: FloatArray) -> FloatArray:
        """Log-space start: shapes at 1, scales (alpha, beta) at a quarter of the mean age."""
        scale = max(float(weight @ T / weight.sum()) / 4.0, 1e-3)
        scales = ("alpha", "beta")
        return np.array([np.log(scale) if n in scales else 0.0 for n in self.param_names])

    def fit(
        self,
        x: npt.ArrayLike,
        t_x: npt.ArrayLike,
        T: npt.ArrayLike,
        weights: npt.ArrayLike | None = None,
    ) -> Self:
        """Maximum likelihood on the distinct (x, t_x, T) rows (or on the given weighted rows)."""
        xs, ts, Ts = as_columns(x, t_x, T)
        if weights is None:
            packed = compress_valid(xs, ts, Ts)
            (xs, ts, Ts), weight = packed.columns, packed.weight
        else:
            validate_rfm(xs, ts, Ts)
            weight = np.asarray(weights, dtype=np.float64)
            if weight.shape != xs.shape or not np.all(np.isfinite(weight)) or np.any(weight < 0):
                raise ValueError("weights must be finite, non-negative, one per row")
        result = maximize_likelihood(
            self._row_loglik, (xs, ts, Ts, *x_levels(xs)), weight, self._initial(xs, Ts, weight)
        )
        self._store(result, round(float(weight.sum())), len(xs))
        return self

    def log_likelihood(self, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> FloatArray:
        """Per-customer log-likelihood at the current parameters."""
        log_params = np.log(np.asarray(self._theta()))
        xs, ts, Ts = as_columns(x, t_x, T)
        return self._row_loglik(log_params, xs, ts, Ts, *x_levels(xs))[0]

    def _per_distinct_row(
        self,
        compute: Callable[[FloatArray, FloatArray, FloatArray], FloatArray],
        x: npt.ArrayLike,
        t_x: npt.ArrayLike,
        T: npt.ArrayLike,
    ) -> FloatArray:
        xs, ts, Ts = as_columns(x, t_x, T)
        self._theta()
        if xs.ndim == 1 and xs.shape == ts.shape == Ts.shape and len(xs) > DISTINCT_ROWS_FROM:
            packed = compress_valid(xs, ts, Ts, with_inverse=True)
            return packed.expand(compute(*packed.columns))
        return compute(*np.broadcast_arrays(xs, ts, Ts))

    def p_alive(self, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> FloatArray:
        """Probability that each customer is still active at T, given (x, t_x, T)."""
        return self._per_distinct_row(self._p_alive, x, t_x, T)

    def conditional_expected_purchases(
        self, t: float, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """Expected purchases in (T, T + t] for each customer, given (x, t_x, T)."""
        if not np.isscalar(t):
            xs, ts, Ts = as_columns(x, t_x, T)
            return self._conditional_expected(np.asarray(t, dtype=np.float64), xs, ts, Ts)
        horizon = np.asarray(t, dtype=np.float64)
        return self._per_distinct_row(
            lambda a, b, c: self._conditional_expected(horizon, a, b, c), x, t_x, T
        )

    def expected_purchases(self, t: npt.ArrayLike) -> FloatArray:
        """Expected repeat purchases in (0, t] of a customer just acquired."""
        t_arr = np.asarray(t, dtype=np.float64)
        zero = np.zeros_like(t_arr)
        return self._conditional_expected(t_arr, zero, zero, zero)

    def p_purchases(self, n: npt.ArrayLike, t: npt.ArrayLike) -> FloatArray:
        """P(X(t) = n): probability that a just-acquired customer makes n repeat purchases in
        (0, t]. Broadcasts over n and t."""
        n_arr, t_arr = np.broadcast_arrays(
            np.asarray(n, dtype=np.float64), np.asarray(t, dtype=np.float64)
        )
        if np.any(n_arr < 0) or np.any(n_arr != np.floor(n_arr)) or np.any(t_arr < 0):
            raise ValueError("n must be whole numbers >= 0 and t >= 0")
        self._theta()
        return self._p_purchases(n_arr, t_arr)

    def _p_alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        raise NotImplementedError

    def _conditional_expected(
        self, t: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
    ) -> FloatArray:
        raise NotImplementedError

    def _p_purchases(self, n: FloatArray, t: FloatArray) -> FloatArray:
        raise NotImplementedError
