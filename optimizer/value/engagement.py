"""P(alive) that also reads engagement: an open or a click after the last purchase.

BG/NBD and its kin judge whether a customer is still there from purchases alone. Where a
customer who has left also stops opening and clicking, engagement is evidence too. Since
the last purchase:

- an open or a click proves the customer was there after it, and in these models a customer
  leaves only just after a purchase, so they are there now: P(alive) = 1;
- silence through n_j exposures of arm j is likelier for one who left (certain) than for one
  who stayed (prod_j (1 - r_j)^n_j, r_j their chance of answering arm j at all: the open
  where the channel records opens, else the click), so by Bayes

      P(alive | silence) = P x S / (P x S + 1 - P),   S = prod_j (1 - r_j)^n_j.

No exposures since the last purchase leaves the purchase models' P(alive) as it is.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def p_alive_with_engagement(
    p_alive: ArrayLike,
    engaged_since_purchase: ArrayLike,
    exposures_since_purchase: ArrayLike,
    answer_rate: ArrayLike,
) -> FloatArray:
    """P(alive) per person from the purchase models' `p_alive` (n,), whether they opened or
    clicked since their last purchase (n,), the exposures since then (n, arms) and their
    chance of answering one exposure of each arm (n, arms)."""
    prior = np.asarray(p_alive, dtype=np.float64)
    exposed = np.asarray(exposures_since_purchase, dtype=np.float64)
    rate = np.clip(np.asarray(answer_rate, dtype=np.float64), 0.0, 1.0 - 1e-12)
    if np.any(exposed < 0):
        raise ValueError("exposures_since_purchase must be non-negative")
    silence = np.exp((exposed * np.log1p(-rate)).sum(axis=1))
    stayed = prior * silence
    posterior = stayed / np.maximum(stayed + (1.0 - prior), 1e-300)
    return np.asarray(np.where(np.asarray(engaged_since_purchase, dtype=bool), 1.0, posterior))
