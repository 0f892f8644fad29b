"""A person's engagement: how much more (or less) they respond than their segment, on all arms.

People who click a lot click a lot everywhere. The per-arm Beta-Binomial ignores that, so
a person exposed to one arm teaches nothing about the others. The engagement factor is a
Poisson-Gamma layer across arms: clicks C_i ~ Poisson(f_i * E_i), where E_i is the clicks the
segment priors expect for the person's exposures, and f_i ~ Gamma(s, rate=s) (mean 1). Its
shape `s` is fitted by empirical Bayes (negative-binomial maximum likelihood over persons).

For arm j the factor is estimated leaving arm j out, f_ij = (s + C_i - k_ij) /
(s + E_i - E_ij), so the arm's own evidence enters once, through the Beta posterior, and the
other arms move the prior mean: prior_mean_ij = segment_mean_sj * f_ij. No evidence gives
f = 1 (the segment estimate); a long history on the arm itself still ends at the own rate.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar
from scipy.special import gammaln

FloatArray = NDArray[np.float64]
_LOG_SHAPE_BOUNDS = (np.log(0.05), np.log(1e4))


def fit_engagement_shape(clicks: FloatArray, expected: FloatArray) -> float:
    """EB shape s of the engagement factor from per-person total clicks and expected clicks."""
    use = expected > 0
    c, e = clicks[use], expected[use]
    if c.size < 10:
        return float(np.exp(_LOG_SHAPE_BOUNDS[1]))

    def negative_log_likelihood(log_shape: float) -> float:
        s = np.exp(log_shape)
        ll = gammaln(s + c) - gammaln(s) + s * np.log(s / (s + e)) + c * np.log(e / (s + e))
        return -float(ll.sum())

    result = minimize_scalar(negative_log_likelihood, bounds=_LOG_SHAPE_BOUNDS, method="bounded")
    return float(np.exp(result.x))


def engagement_factor(clicks: FloatArray, expected: FloatArray, shape: float) -> FloatArray:
    """Leave-one-arm-out engagement factor (persons, arms) from (persons, arms) counts."""
    total_clicks = clicks.sum(axis=1, keepdims=True)
    total_expected = expected.sum(axis=1, keepdims=True)
    return np.asarray(
        (shape + total_clicks - clicks) / (shape + np.maximum(total_expected - expected, 0.0))
    )
