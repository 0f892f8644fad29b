"""The period plan used inside the simulator: the allocation LP with one budget row.

For every person, arm and k-th exposure in the period, the expected incremental margin is
`response_rate x value_per_click x decay**(k-1)` and its cost the channel's unit cost. With
per-person channel frequency caps and one total budget, the LP

    max  sum (value - cost) * x    s.t.  sum cost * x <= budget,  caps,  0 <= x <= 1

is solved exactly by two sorts: within a person and channel (one unit cost) keep the `cap`
most valuable exposures; then take exposures by value per dollar, best first, while they
earn more than they cost (or at least `min_return_per_dollar`), until the budget runs out.
The last exposure taken may be fractional, as in the LP. The curve is exposure by exposure
(the world's diminishing returns exactly); `optimizer.allocation` solves the general
problem (channel budgets, mix rules) by its dual method, and agrees on this one.

Rows may stand for several identical persons (`weight`): a persona plan is one row per
segment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Market:
    """The buyable side of the problem: per arm its channel and cost, per channel its cap."""

    arm_channel: IntArray  # (arms,) channel index of each arm
    unit_cost: FloatArray  # (arms,) cost of one exposure
    frequency_cap: FloatArray  # (channels,) exposures per person per period, all messages
    decay: float  # the k-th exposure of an arm in a period is worth decay**(k-1)
    min_return_per_dollar: float = 1.0  # 1.0: buy only what earns at least its cost
    max_per_arm: float = np.inf  # length of the curve: exposures of one arm per period

    @property
    def arms(self) -> int:
        return int(self.arm_channel.size)


def plan_exposures(
    market: Market,
    response_rate: ArrayLike,
    value_per_click: ArrayLike,
    budget: float,
    weight: ArrayLike | None = None,
) -> FloatArray:
    """Optimal expected exposures (rows, arms), possibly fractional, within `budget`."""
    rate = np.asarray(response_rate, dtype=np.float64)
    rows, arms = rate.shape
    if arms != market.arms:
        raise ValueError(f"response_rate has {arms} arms, the market {market.arms}")
    value = np.asarray(value_per_click, dtype=np.float64)
    value = np.broadcast_to(value[:, None] if value.ndim == 1 else value, rate.shape)
    w = np.ones(rows) if weight is None else np.asarray(weight, dtype=np.float64)
    if budget < 0:
        raise ValueError("budget must be >= 0")
    plan = np.zeros((rows, arms))
    if budget == 0 or rows == 0:
        return plan
    steps = int(np.ceil(min(market.frequency_cap.max(initial=0), market.max_per_arm)))
    if steps == 0:
        return plan
    factor = market.decay ** np.arange(steps)
    step_value = (rate * value)[:, :, None] * factor[None, None, :]  # (rows, arms, steps)

    # Per person and channel: the `cap` most valuable exposures; capacity of each (0..1).
    capacity = np.zeros_like(step_value)
    for channel, cap in enumerate(market.frequency_cap):
        arm_ids = np.flatnonzero(market.arm_channel == channel)
        if not arm_ids.size or cap <= 0:
            continue
        block = step_value[:, arm_ids, :].reshape(rows, -1)
        order = np.argsort(-block, axis=1, kind="stable")
        rank_capacity = np.clip(cap - np.arange(block.shape[1]), 0.0, 1.0)
        block_capacity = np.zeros_like(block)
        np.put_along_axis(block_capacity, order, np.broadcast_to(rank_capacity, block.shape), 1)
        capacity[:, arm_ids, :] = block_capacity.reshape(rows, arm_ids.size, steps)

    cost = np.broadcast_to(market.unit_cost[None, :, None], step_value.shape)
    ratio = step_value / cost
    candidate = np.flatnonzero(
        (capacity.ravel() > 0) & (ratio.ravel() >= market.min_return_per_dollar)
    )
    if not candidate.size:
        return plan
    candidate = candidate[np.argsort(-ratio.ravel()[candidate], kind="stable")]
    row_of = candidate // (arms * steps)
    item_cost = cost.ravel()[candidate] * capacity.ravel()[candidate] * w[row_of]
    spent_before = np.cumsum(item_cost) - item_cost
    share = np.clip((budget - spent_before) / np.maximum(item_cost, 1e-300), 0.0, 1.0)
    taken = capacity.ravel()[candidate] * share
    flat = np.zeros(step_value.size)
    flat[candidate] = taken
    return np.asarray(flat.reshape(step_value.shape).sum(axis=2))


def round_plan(expected: FloatArray, rng: np.random.Generator) -> IntArray:
    """Integer exposures whose expectation is the plan (randomized rounding)."""
    whole = np.floor(expected)
    extra = rng.random(expected.shape) < (expected - whole)
    return np.asarray(whole + extra, dtype=np.int64)


def expected_margin(
    market: Market, exposures: ArrayLike, response_rate: ArrayLike, value_per_click: ArrayLike
) -> FloatArray:
    """Expected incremental margin per row of integer or fractional exposures (rows, arms)."""
    x = np.asarray(exposures, dtype=np.float64)
    steps = int(np.ceil(x.max(initial=0)))
    factor = market.decay ** np.arange(steps)
    filled = np.clip(x[:, :, None] - np.arange(steps)[None, None, :], 0.0, 1.0)
    curve = (filled * factor).sum(axis=2)
    value = np.asarray(value_per_click, dtype=np.float64)
    value = value[:, None] if value.ndim == 1 else value
    return np.asarray((curve * np.asarray(response_rate) * value).sum(axis=1))
