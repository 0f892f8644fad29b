"""Opens as evidence: the funnel exposure -> open -> click.

On an arm whose channel records opens (email), a person's click rate is r_ij = o_ij x c_ij:
o_ij the probability they open that message, c_ij the probability they click once it is
open. Each stage is a Beta-Binomial with segment priors by empirical Bayes, exactly as clicks
are (`optimizer.response.prior`): opens out of exposures, clicks out of opens. A person's
taste for an arm shows first in whether they open it, and opens are tens of times more
frequent than clicks, so o_ij is learned within a handful of exposures where clicks would
need a hundred; c_ij, fitted on clicks per open, is pooled where its scatter is small.

The click rate's posterior is the product of the two stage posteriors (independent given
the data), moment-matched to one Beta so that its mean, spread and Thompson draws work as
for a plain click posterior. A click implies an open (clients that block tracking images
record the click but not the open), so a person opened at least as often as they clicked.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def opened(opens: FloatArray, clicks: FloatArray) -> FloatArray:
    """Exposures that were opened: at least the recorded opens, at least the clicks."""
    return np.asarray(np.maximum(opens, clicks), dtype=np.float64)


def open_arms(opens: FloatArray | None) -> BoolArray:
    """Arms whose channel records opens: anyone opened them at all."""
    if opens is None:
        return np.zeros(0, dtype=bool)
    return np.asarray(opens.sum(axis=0) > 0)


def beta_product(
    alpha_1: FloatArray, beta_1: FloatArray, alpha_2: FloatArray, beta_2: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Beta(alpha, beta) with the mean and variance of X1 * X2, Xk ~ Beta(alpha_k, beta_k)."""
    total_1, total_2 = alpha_1 + beta_1, alpha_2 + beta_2
    mean = (alpha_1 / total_1) * (alpha_2 / total_2)
    second = (alpha_1 * (alpha_1 + 1) / (total_1 * (total_1 + 1))) * (
        alpha_2 * (alpha_2 + 1) / (total_2 * (total_2 + 1))
    )
    variance = np.maximum(second - mean**2, 1e-18)
    concentration = np.maximum(mean * (1 - mean) / variance - 1, 1e-6)
    return np.asarray(mean * concentration), np.asarray((1 - mean) * concentration)
