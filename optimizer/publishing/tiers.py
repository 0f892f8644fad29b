"""Value tiers and bid multipliers: how per-person plans reach ad platforms.

Audience uploads work on lists, not on per-person bids, so each run groups persons into
value tiers (tier 1 = most valuable) and gives each (channel, tier) a bid multiplier: the
tier's mean planned value per exposure on that channel over the channel's mean. A buyer
multiplies its base bid by it, so spend follows value even where only lists can be sent.

Tiers are quantiles of the persons' value (CLV by default): tier k holds the persons
between the (1 - k/n)-th and (1 - (k-1)/n)-th quantiles; ties stay in one tier.
"""

from __future__ import annotations

import numpy as np

MIN_MULTIPLIER = 0.1
MAX_MULTIPLIER = 10.0


def assign_tiers(value: np.ndarray, n_tiers: int = 5) -> np.ndarray:
    """Tier per person, 1 (top value) .. n_tiers, by value quantiles."""
    if n_tiers < 1:
        raise ValueError(f"n_tiers must be at least 1, got {n_tiers}")
    value = np.asarray(value, dtype=np.float64)
    if value.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not np.isfinite(value).all():
        raise ValueError(f"value is not finite at rows {np.flatnonzero(~np.isfinite(value))[:5]}")
    # Rank by value descending with ties averaged, then cut the ranks into equal bands.
    order = np.argsort(-value, kind="stable")
    ranks = np.empty(value.size, dtype=np.float64)
    ranks[order] = np.arange(value.size)
    _, inverse = np.unique(-value, return_inverse=True)
    tie_rank = np.bincount(inverse, weights=ranks) / np.bincount(inverse)
    return (1 + np.floor(tie_rank[inverse] * n_tiers / value.size)).astype(np.int64)


def bid_multipliers(
    tier: np.ndarray, value_per_exposure: np.ndarray, exposures: np.ndarray, n_tiers: int
) -> np.ndarray:
    """(channels, n_tiers) multipliers: tier mean value per exposure / channel mean.

    `value_per_exposure` and `exposures` are (persons, channels). Means are weighted by
    planned exposures, so the multiplier describes the exposures actually bought. A tier
    with no planned exposures on a channel gets the floor multiplier (the platform should
    bid as little as it may); multipliers are clipped to [0.1, 10].
    """
    tier = np.asarray(tier)
    exposures = np.asarray(exposures, dtype=np.float64)
    weighted = np.asarray(value_per_exposure, dtype=np.float64) * exposures
    channels = exposures.shape[1]
    tier_value = np.zeros((channels, n_tiers))
    tier_exposures = np.zeros((channels, n_tiers))
    for c in range(channels):
        tier_value[c] = np.bincount(tier - 1, weights=weighted[:, c], minlength=n_tiers)
        tier_exposures[c] = np.bincount(tier - 1, weights=exposures[:, c], minlength=n_tiers)
    total_exposures = tier_exposures.sum(axis=1, keepdims=True)
    channel_mean = np.divide(
        tier_value.sum(axis=1, keepdims=True),
        total_exposures,
        out=np.zeros_like(total_exposures),
        where=total_exposures > 0,
    )
    tier_mean = np.divide(
        tier_value, tier_exposures, out=np.zeros_like(tier_value), where=tier_exposures > 0
    )
    ratio = np.divide(tier_mean, channel_mean, out=np.zeros_like(tier_mean), where=channel_mean > 0)
    return np.clip(ratio, MIN_MULTIPLIER, MAX_MULTIPLIER)
