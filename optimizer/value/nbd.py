"""Pieces of the NBD purchase process (Poisson purchases, gamma-distributed rates) that the
BG/NBD and MBG/NBD formulas share."""

from __future__ import annotations

import numpy as np
from scipy.special import betainc, gammaln

from optimizer.value.base import FloatArray


def log_nbd_pmf(n: FloatArray, r: float, alpha: float, t: FloatArray) -> FloatArray:
    """log P(N(t) = n) for purchases at a gamma(r, alpha)-distributed Poisson rate."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_t_share = np.where(n > 0, n * (np.log(t) - np.log(alpha + t)), 0.0)
    return (
        gammaln(r + n)
        - gammaln(r)
        - gammaln(n + 1)
        + r * (np.log(alpha) - np.log(alpha + t))
        + log_t_share
    )


def nbd_at_least(n: FloatArray, r: float, alpha: float, t: FloatArray) -> FloatArray:
    """P(N(t) >= n) (1 when n == 0), via the regularized incomplete beta function."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = betainc(np.maximum(n, 1e-300), r, t / (alpha + t))
    return np.where(n > 0, tail, 1.0)
