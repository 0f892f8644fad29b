"""Customer lifetime value from a purchase model and an expected spend per purchase.

Discounting: the horizon is cut into steps of ``step`` weeks (default a month, 52/12 weeks);
the purchases expected in step k, E[X(k step)] - E[X((k-1) step)] given (x, t_x, T), are valued
at the end of the step and discounted at ``discount_rate`` per year (52 weeks):

    CLV = margin * spend * sum_k (E[X(t_k)] - E[X(t_{k-1})]) / (1 + discount_rate)^(t_k / 52)

with t_k = min(k step, horizon). The expectation is computed once per distinct (x, t_x, T) row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optimizer.value.base import FloatArray
from optimizer.value.btyd import PurchaseModel, as_columns, compress_valid

WEEKS_PER_YEAR = 52.0


def discounted_expected_purchases(
    model: PurchaseModel,
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    horizon: float = 52.0,
    discount_rate: float = 0.10,
    step: float = WEEKS_PER_YEAR / 12,
) -> FloatArray:
    """Sum over the horizon of the expected purchases per step, discounted (see module doc)."""
    xs, ts, Ts = as_columns(x, t_x, T)
    model._theta()
    packed = compress_valid(xs, ts, Ts, with_inverse=True)
    return packed.expand(_discounted(model, packed.columns, horizon, discount_rate, step))


def _discounted(
    model: PurchaseModel,
    columns: tuple[FloatArray, ...],
    horizon: float,
    discount_rate: float,
    step: float,
) -> FloatArray:
    if horizon <= 0 or step <= 0 or discount_rate <= -1:
        raise ValueError("horizon and step must be > 0 and discount_rate > -1")
    total = np.zeros(len(columns[0]))
    before = np.zeros(len(columns[0]))
    ends = np.minimum(np.arange(1, int(np.ceil(horizon / step - 1e-9)) + 1) * step, horizon)
    for end in ends:
        after = model._conditional_expected(np.asarray(end), *columns)
        total += (after - before) / (1.0 + discount_rate) ** (end / WEEKS_PER_YEAR)
        before = after
    return total


def customer_lifetime_value(
    model: PurchaseModel,
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    expected_spend: npt.ArrayLike,
    horizon: float = 52.0,
    discount_rate: float = 0.10,
    margin: float = 1.0,
    step: float = WEEKS_PER_YEAR / 12,
) -> FloatArray:
    """Discounted margin over ``horizon`` weeks per customer; ``expected_spend`` per purchase,
    e.g. GammaGamma.conditional_expected_spend(x, monetary_value), scalar or per customer."""
    purchases = discounted_expected_purchases(model, x, t_x, T, horizon, discount_rate, step)
    return np.asarray(margin * np.asarray(expected_spend, dtype=np.float64) * purchases)


@dataclass(frozen=True)
class CustomerScores:
    """What scoring gives per customer."""

    expected_purchases: FloatArray  # over the horizon, undiscounted
    p_alive: FloatArray
    clv: FloatArray


def score_customers(
    model: PurchaseModel,
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    expected_spend: npt.ArrayLike,
    horizon: float = 52.0,
    discount_rate: float = 0.10,
    margin: float = 1.0,
    step: float = WEEKS_PER_YEAR / 12,
) -> CustomerScores:
    """Expected purchases, P(alive) and CLV in one pass over the distinct (x, t_x, T) rows."""
    xs, ts, Ts = as_columns(x, t_x, T)
    model._theta()
    packed = compress_valid(xs, ts, Ts, with_inverse=True)
    columns = packed.columns
    purchases = model._conditional_expected(np.asarray(horizon, dtype=np.float64), *columns)
    alive = model._p_alive(*columns)
    discounted = _discounted(model, columns, horizon, discount_rate, step)
    spend = np.asarray(expected_spend, dtype=np.float64)
    return CustomerScores(
        expected_purchases=packed.expand(purchases),
        p_alive=packed.expand(alive),
        clv=margin * spend * packed.expand(discounted),
    )
