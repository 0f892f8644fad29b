"""What a policy has seen of each customer: purchase summaries and response evidence.

A policy never reads the world's truth; it reads these, updated from the period's outcomes
exactly as production profiles are updated from events: purchases give the RFM summary
(x repeat purchases, t_x, T, mean repeat value, the first purchase's value; each purchase
its own period), exposures,
opens and clicks give decayed per-arm evidence for the response model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from optimizer.response import ArmEvidence
from optimizer.simulation.world import Purchases

FloatArray = NDArray[np.float64]


@dataclass
class RFM:
    """BG/NBD and Gamma-Gamma inputs per customer, in weeks."""

    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    monetary_value: FloatArray
    first_value: FloatArray | None = None  # value of the first purchase, when known


class SincePurchase:
    """Per customer since their last purchase: exposures per arm, and whether any was opened or
    clicked (`optimizer.value.engagement` reads them as signs of life). A purchase in the same
    period resets both: the period's events carry no order against it."""

    def __init__(self, n: int, arms: int) -> None:
        self.exposures = np.zeros((n, arms))
        self.engaged = np.zeros(n, dtype=bool)

    def add(
        self, exposures: NDArray[np.int64], answered: NDArray[np.bool_], bought: NDArray[np.bool_]
    ) -> None:
        self.exposures += exposures
        self.engaged |= answered
        self.exposures[bought] = 0.0
        self.engaged[bought] = False


class Observations:
    """Per-customer purchase summary and response evidence, as a profile store holds them."""

    def __init__(
        self, history: Purchases, n: int, arms: int, half_life_weeks: float, now_week: float
    ) -> None:
        order = np.lexsort((history.week, history.customer))
        customer, week, amount = (
            history.customer[order],
            history.week[order],
            history.amount[order],
        )
        first_row = np.r_[True, customer[1:] != customer[:-1]]
        if not np.array_equal(np.unique(customer), np.arange(n)):
            raise ValueError("history must hold at least one purchase of every customer")
        self.first_week = week[first_row].astype(np.float64)
        self.last_week = np.full(n, -np.inf)
        np.maximum.at(self.last_week, customer, week)
        self.repeat_count = np.bincount(customer, minlength=n).astype(np.float64) - 1
        self.first_value = amount[first_row].astype(np.float64)
        self.repeat_value = np.bincount(customer, weights=amount, minlength=n) - self.first_value
        self.evidence = ArmEvidence.empty(n, arms, half_life_weeks, as_of=now_week)
        self.since_purchase = SincePurchase(n, arms)

    def add_purchases(self, purchases: Purchases) -> None:
        n = self.first_week.size
        np.maximum.at(self.last_week, purchases.customer, purchases.week)
        self.repeat_count += np.bincount(purchases.customer, minlength=n)
        self.repeat_value += np.bincount(purchases.customer, weights=purchases.amount, minlength=n)

    def add_responses(
        self,
        exposures: NDArray[np.int64],
        clicks: NDArray[np.int64],
        week: float,
        opens: NDArray[np.int64] | None = None,
    ) -> None:
        self.evidence = self.evidence.add(exposures, clicks, week, opens)

    def rfm(self, now_week: float) -> RFM:
        x = self.repeat_count
        t_x = np.where(x > 0, self.last_week - self.first_week, 0.0)
        monetary = np.where(x > 0, self.repeat_value / np.maximum(x, 1), 0.0)
        return RFM(x.copy(), t_x, now_week - self.first_week, monetary, self.first_value)
