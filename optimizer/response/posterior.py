"""Beta posteriors of each person's response rate per arm, and exploration on top of them.

Posterior for person i, arm j: Beta(alpha_sj + k_ij, beta_sj + n_ij - k_ij), where s is the
person's segment and (k, n) their decayed responses and exposures. With no evidence the
posterior mean is the segment prior mean; as n grows it tends to the person's own k / n.

The allocation LP only exploits posterior means, so it never learns about an arm it does
not try. `planning_rates` offers two ways to try: Thompson sampling (plan on one draw from
each posterior, so uncertain arms are sometimes planned high) and an optimistic bonus
(mean + bonus * standard deviation, UCB style).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Exploration = Literal["none", "thompson", "ucb"]
EXPLORATIONS: tuple[Exploration, ...] = ("none", "thompson", "ucb")


@dataclass(frozen=True)
class ResponsePosterior:
    """Beta(alpha, beta) per person (rows) and arm (columns)."""

    alpha: FloatArray
    beta: FloatArray

    @property
    def mean(self) -> FloatArray:
        return np.asarray(self.alpha / (self.alpha + self.beta), dtype=np.float64)

    @property
    def sd(self) -> FloatArray:
        total = self.alpha + self.beta
        return np.asarray(np.sqrt(self.alpha * self.beta / (total**2 * (total + 1))))

    def sample(self, rng: np.random.Generator) -> FloatArray:
        """One Thompson draw of every rate."""
        return np.asarray(rng.beta(self.alpha, self.beta), dtype=np.float64)

    def optimistic(self, bonus: float = 1.0) -> FloatArray:
        """Mean plus `bonus` standard deviations, capped at 1."""
        return np.asarray(np.minimum(self.mean + bonus * self.sd, 1.0), dtype=np.float64)


def planning_rates(
    posterior: ResponsePosterior,
    exploration: Exploration = "none",
    rng: np.random.Generator | None = None,
    bonus: float = 1.0,
) -> FloatArray:
    """The response rates an allocation plans on: means, a Thompson draw, or optimistic."""
    if exploration == "none":
        return posterior.mean
    if exploration == "thompson":
        return posterior.sample(rng if rng is not None else np.random.default_rng())
    if exploration == "ucb":
        return posterior.optimistic(bonus)
    raise ValueError(f"exploration must be one of {EXPLORATIONS}, got {exploration!r}")
