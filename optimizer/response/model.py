"""`ResponseModel`: segment priors fitted by empirical Bayes, person posteriors from evidence.

    model = ResponseModel(pooling_exposures=200).fit(evidence, segment, n_segments)
    posterior = model.posterior(evidence, segment, t_weeks=now)
    posterior.mean            # (persons, arms) expected response rate per exposure

The same two calls score one person (arrays with one row) in the score Lambda and ten
million in an allocation run; `fit` is the periodic refit of the priors.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optimizer.response.engagement import engagement_factor, fit_engagement_shape
from optimizer.response.evidence import ArmEvidence
from optimizer.response.posterior import ResponsePosterior
from optimizer.response.prior import BetaBinomialFit, fit_beta_binomial, pool_toward_population

FloatArray = NDArray[np.float64]


class ResponseModel:
    """Beta-Binomial response rates per person and arm with the person's segment as prior.

    Parameters
    ----------
    pooling_exposures:
        How many exposures a segment needs on an arm before its own prior counts as much as
        the arm's population prior (see `optimizer.response.prior`).
    fallback_mean, fallback_concentration:
        Prior for an arm nobody has been exposed to yet.
    engagement:
        Move each person's prior by their responses on the other arms
        (`optimizer.response.engagement`); False gives independent arms.
    """

    def __init__(
        self,
        pooling_exposures: float = 200.0,
        fallback_mean: float = 0.05,
        fallback_concentration: float = 2.0,
        engagement: bool = True,
    ) -> None:
        if pooling_exposures < 0:
            raise ValueError("pooling_exposures must be >= 0")
        if not 0 < fallback_mean < 1 or fallback_concentration <= 0:
            raise ValueError("fallback_mean must be in (0, 1) and fallback_concentration > 0")
        self.pooling_exposures = pooling_exposures
        self.fallback_mean = fallback_mean
        self.fallback_concentration = fallback_concentration
        self.engagement = engagement

    def fit(
        self, evidence: ArmEvidence, segment: ArrayLike, n_segments: int | None = None
    ) -> ResponseModel:
        """Fit population priors per arm and pooled segment priors per (segment, arm)."""
        seg = _segment_index(segment, evidence.shape[0])
        segments = int(seg.max()) + 1 if n_segments is None else int(n_segments)
        if seg.size and seg.max() >= segments:
            raise ValueError(f"segment ids must be < n_segments={segments}")
        n_persons, arms = evidence.shape
        arm_of = np.broadcast_to(np.arange(arms), (n_persons, arms))
        self.population_: BetaBinomialFit = fit_beta_binomial(
            evidence.responses, evidence.exposures, arm_of, arms
        )
        group = seg[:, None] * arms + arm_of
        self.segment_fit_: BetaBinomialFit = fit_beta_binomial(
            evidence.responses, evidence.exposures, group, segments * arms
        )
        self.prior_alpha_, self.prior_beta_ = pool_toward_population(
            self.segment_fit_,
            self.population_,
            self.pooling_exposures,
            self.fallback_mean,
            self.fallback_concentration,
        )
        self.converged_ = self.population_.converged and self.segment_fit_.converged
        self.engagement_shape_ = np.inf
        if self.engagement:
            expected = evidence.exposures * self.prior_mean_[seg]
            self.engagement_shape_ = fit_engagement_shape(
                evidence.responses.sum(axis=1), expected.sum(axis=1)
            )
        return self

    @property
    def prior_mean_(self) -> FloatArray:
        """(segments, arms) prior mean response rate: the persona's estimate."""
        return np.asarray(self.prior_alpha_ / (self.prior_alpha_ + self.prior_beta_))

    def posterior(
        self, evidence: ArmEvidence, segment: ArrayLike, t_weeks: float | None = None
    ) -> ResponsePosterior:
        """Each person's posterior, their evidence decayed to `t_weeks` (default: as stored)."""
        if not hasattr(self, "prior_alpha_"):
            raise RuntimeError("ResponseModel.posterior called before fit")
        seg = _segment_index(segment, evidence.shape[0])
        if seg.size and seg.max() >= self.prior_alpha_.shape[0]:
            raise ValueError(
                f"segment id {int(seg.max())} unknown: priors fitted for "
                f"{self.prior_alpha_.shape[0]} segments"
            )
        if evidence.shape[1] != self.prior_alpha_.shape[1]:
            raise ValueError(
                f"evidence has {evidence.shape[1]} arms, priors {self.prior_alpha_.shape[1]}"
            )
        current = evidence if t_weeks is None else evidence.decayed_to(t_weeks)
        prior_alpha, prior_beta = self.prior_alpha_[seg], self.prior_beta_[seg]
        shape = float(getattr(self, "engagement_shape_", np.inf))  # restored models may lack it
        if np.isfinite(shape):
            concentration = prior_alpha + prior_beta
            mean = prior_alpha / concentration
            factor = engagement_factor(current.responses, current.exposures * mean, shape)
            mean = np.clip(mean * factor, 1e-6, 1 - 1e-6)
            prior_alpha, prior_beta = mean * concentration, (1 - mean) * concentration
        alpha = prior_alpha + current.responses
        beta = prior_beta + (current.exposures - current.responses)
        return ResponsePosterior(alpha, np.maximum(beta, 1e-12))


def _segment_index(segment: ArrayLike, n_persons: int) -> NDArray[np.int64]:
    seg = np.asarray(segment)
    if seg.shape != (n_persons,):
        raise ValueError(f"segment must have shape ({n_persons},), got {seg.shape}")
    if seg.size and (not np.issubdtype(seg.dtype, np.integer) or seg.min() < 0):
        raise ValueError("segment must hold non-negative integer segment ids")
    return seg.astype(np.int64)
