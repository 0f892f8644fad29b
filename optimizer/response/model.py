"""`ResponseModel`: segment priors fitted by empirical Bayes, person posteriors from evidence.

    model = ResponseModel(pooling_exposures=200).fit(evidence, segment, n_segments)
    posterior = model.posterior(evidence, segment, t_weeks=now)
    posterior.mean            # (persons, arms) expected response rate per exposure

The same two calls score one person (arrays with one row) in the score Lambda and ten
million in an allocation run; `fit` is the periodic refit of the priors.

Evidence with opens (`ArmEvidence.opens`) adds the funnel of `optimizer.response.funnel` on
the arms that record them: open-rate and click-per-open priors per (segment, arm), and the
engagement factor measured on opens. Without opens (or a model fitted without them), only
clicks are used, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optimizer.response.engagement import (
    engagement_factor,
    engagement_mixture,
    fit_engagement_shape,
)
from optimizer.response.evidence import ArmEvidence
from optimizer.response.funnel import beta_product, open_arms, opened
from optimizer.response.posterior import ResponsePosterior
from optimizer.response.prior import fit_beta_binomial, pool_toward_population
from optimizer.response.taste import TasteShapes, fit_taste_shapes, taste_factor

FloatArray = NDArray[np.float64]


class Posteriors(NamedTuple):
    """A person's two posteriors per arm, from one pass over their evidence."""

    click: ResponsePosterior  # P(click | exposure): what an allocation plans on
    answer: ResponsePosterior  # P(open | exposure) where opens are recorded, else the click:
    # answering at all, by which silence since the last purchase is judged


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
    arms:
        (channel, message) of each evidence column. Given (with `engagement`), a person's
        prior also moves by their taste for the arm's channel and message
        (`optimizer.response.taste`).
    """

    def __init__(
        self,
        pooling_exposures: float = 200.0,
        fallback_mean: float = 0.05,
        fallback_concentration: float = 2.0,
        engagement: bool = True,
        arms: Sequence[tuple[str, str]] | None = None,
    ) -> None:
        if pooling_exposures < 0:
            raise ValueError("pooling_exposures must be >= 0")
        if not 0 < fallback_mean < 1 or fallback_concentration <= 0:
            raise ValueError("fallback_mean must be in (0, 1) and fallback_concentration > 0")
        self.pooling_exposures = pooling_exposures
        self.fallback_mean = fallback_mean
        self.fallback_concentration = fallback_concentration
        self.engagement = engagement
        self.arms = None if arms is None else [(str(c), str(m)) for c, m in arms]

    def fit(
        self, evidence: ArmEvidence, segment: ArrayLike, n_segments: int | None = None
    ) -> ResponseModel:
        """Fit population priors per arm and pooled segment priors per (segment, arm)."""
        seg = _segment_index(segment, evidence.shape[0])
        evidence = evidence.for_fitting()
        segments = int(seg.max()) + 1 if n_segments is None else int(n_segments)
        if seg.size and seg.max() >= segments:
            raise ValueError(f"segment ids must be < n_segments={segments}")
        self.prior_alpha_, self.prior_beta_, converged = self._fit_priors(
            evidence.responses, evidence.exposures, seg, segments
        )
        self.converged_ = converged
        # First stage per arm: the open where the channel records opens, else the click.
        self.open_arms_ = open_arms(evidence.opens)
        self.open_alpha_, self.open_beta_ = self.prior_alpha_.copy(), self.prior_beta_.copy()
        self.through_alpha_ = np.full_like(self.prior_alpha_, np.nan)  # clicks per open
        self.through_beta_ = np.full_like(self.prior_beta_, np.nan)
        if self.open_arms_.any() and evidence.opens is not None:
            columns = self.open_arms_
            opens = opened(evidence.opens, evidence.responses)[:, columns]
            alpha, beta, open_ok = self._fit_priors(
                opens, evidence.exposures[:, columns], seg, segments
            )
            self.open_alpha_[:, columns], self.open_beta_[:, columns] = alpha, beta
            alpha, beta, through_ok = self._fit_priors(
                evidence.responses[:, columns], opens, seg, segments
            )
            self.through_alpha_[:, columns], self.through_beta_[:, columns] = alpha, beta
            self.converged_ = converged and open_ok and through_ok
        self.engagement_shape_ = np.inf
        self.channel_shape_ = self.message_shape_ = np.inf
        if self.engagement:
            alpha, beta = self._first_stage_prior()
            responses, _ = self._first_stage(evidence)
            expected = evidence.exposures * (alpha / (alpha + beta))[seg]
            # Engagement by negative-binomial likelihood: it planned better than the moment
            # estimate (which over-trusts it when arms also scatter on their own).
            self.engagement_shape_ = fit_engagement_shape(
                responses.sum(axis=1), expected.sum(axis=1)
            )
            if self.arms is not None:
                channel, message = self._arm_groups(evidence.shape[1])
                shapes = fit_taste_shapes(responses, expected, channel, message)
                self.channel_shape_, self.message_shape_ = shapes.channel, shapes.message
        return self

    def _arm_groups(self, n_arms: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Channel and message index of every arm."""
        if self.arms is None or len(self.arms) != n_arms:
            raise ValueError(f"arms: need (channel, message) for each of the {n_arms} arms")
        channels = [c for c, _ in self.arms]
        messages = [m for _, m in self.arms]
        return (
            np.array([channels.index(c) for c in channels], dtype=np.int64),
            np.array([messages.index(m) for m in messages], dtype=np.int64),
        )

    def _fit_priors(
        self, responses: FloatArray, exposures: FloatArray, seg: NDArray[np.int64], segments: int
    ) -> tuple[FloatArray, FloatArray, bool]:
        """Pooled (segments, arms) Beta priors of responses out of exposures, and convergence."""
        n_persons, arms = exposures.shape
        arm_of = np.broadcast_to(np.arange(arms), (n_persons, arms))
        population = fit_beta_binomial(responses, exposures, arm_of, arms)
        group = seg[:, None] * arms + arm_of
        segment_fit = fit_beta_binomial(responses, exposures, group, segments * arms)
        alpha, beta = pool_toward_population(
            segment_fit,
            population,
            self.pooling_exposures,
            self.fallback_mean,
            self.fallback_concentration,
        )
        return alpha, beta, population.converged and segment_fit.converged

    def _uses_opens(self, evidence: ArmEvidence) -> bool:
        """Opens in the evidence, and open priors fitted (a restored model may lack them)."""
        fitted = all(
            hasattr(self, name)
            for name in ("open_alpha_", "open_beta_", "through_alpha_", "through_beta_")
        )
        arms = getattr(self, "open_arms_", None)
        return evidence.opens is not None and fitted and arms is not None and bool(arms.any())

    def _first_stage_prior(self) -> tuple[FloatArray, FloatArray]:
        """Priors of the first response to an exposure: the open where recorded, else the click."""
        if not hasattr(self, "open_alpha_"):  # restored models may lack it
            return self.prior_alpha_, self.prior_beta_
        return self.open_alpha_, self.open_beta_

    def _first_stage(self, evidence: ArmEvidence) -> tuple[FloatArray, FloatArray | None]:
        """(first responses, opens on the open arms or None) per person and arm."""
        if not self._uses_opens(evidence) or evidence.opens is None:
            return evidence.responses, None
        opens = opened(evidence.opens, evidence.responses)
        return np.where(self.open_arms_, opens, evidence.responses), opens

    @property
    def prior_mean_(self) -> FloatArray:
        """(segments, arms) prior mean response rate: the persona's estimate."""
        return np.asarray(self.prior_alpha_ / (self.prior_alpha_ + self.prior_beta_))

    def posterior(
        self, evidence: ArmEvidence, segment: ArrayLike, t_weeks: float | None = None
    ) -> ResponsePosterior:
        """Each person's posterior, their evidence decayed to `t_weeks` (default: as stored)."""
        return self.posteriors(evidence, segment, t_weeks).click

    def posteriors(
        self, evidence: ArmEvidence, segment: ArrayLike, t_weeks: float | None = None
    ) -> Posteriors:
        """The click posterior and the answer posterior (`Posteriors`), computed once."""
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
        uses_opens = self._uses_opens(current)
        first, opens = self._first_stage(current)
        stage_alpha, stage_beta = (
            self._first_stage_prior() if uses_opens else (self.prior_alpha_, self.prior_beta_)
        )
        prior_alpha, prior_beta = stage_alpha[seg], stage_beta[seg]
        shape = float(getattr(self, "engagement_shape_", np.inf))  # restored models may lack it
        taste = TasteShapes(
            shape,
            float(getattr(self, "channel_shape_", np.inf)),
            float(getattr(self, "message_shape_", np.inf)),
        )
        if np.isfinite(shape):
            concentration = prior_alpha + prior_beta
            mean = prior_alpha / concentration
            if self.arms is not None and np.isfinite([taste.channel, taste.message]).any():
                # Taste relative to engagement; engagement itself is integrated out below.
                channel, message = self._arm_groups(current.shape[1])
                expected = current.exposures * mean
                mean = mean * (
                    taste_factor(first, expected, channel, message, taste)
                    / engagement_factor(first, expected, shape)
                )
            alpha, beta = engagement_mixture(first, current.exposures, mean, concentration, shape)
        else:
            alpha = prior_alpha + first
            beta = np.maximum(prior_beta + (current.exposures - first), 1e-12)
        answer = ResponsePosterior(alpha, beta)
        if uses_opens and opens is not None:
            columns = self.open_arms_
            through_alpha = self.through_alpha_[seg][:, columns] + current.responses[:, columns]
            through_beta = self.through_beta_[seg][:, columns] + np.maximum(
                opens[:, columns] - current.responses[:, columns], 0.0
            )
            alpha, beta = alpha.copy(), beta.copy()
            alpha[:, columns], beta[:, columns] = beta_product(
                alpha[:, columns], beta[:, columns], through_alpha, through_beta
            )
        return Posteriors(click=ResponsePosterior(alpha, beta), answer=answer)

    def to_state(self) -> dict[str, Any]:
        """The fitted model as JSON-ready values (infinite shapes and NaN priors as None)."""
        if not hasattr(self, "prior_alpha_"):
            raise RuntimeError("ResponseModel.to_state called before fit")
        return {
            "arms": self.arms,
            "prior_alpha": _json_array(self.prior_alpha_),
            "prior_beta": _json_array(self.prior_beta_),
            "open_arms": self.open_arms_.tolist(),
            "open_alpha": _json_array(self.open_alpha_),
            "open_beta": _json_array(self.open_beta_),
            "through_alpha": _json_array(self.through_alpha_),
            "through_beta": _json_array(self.through_beta_),
            "engagement_shape": _json_number(self.engagement_shape_),
            "channel_shape": _json_number(self.channel_shape_),
            "message_shape": _json_number(self.message_shape_),
            "converged": bool(self.converged_),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ResponseModel:
        """A model from `to_state`; a state written before opens and taste scores on clicks."""
        model = cls(arms=state.get("arms"))
        model.prior_alpha_ = _array(state["prior_alpha"])
        model.prior_beta_ = _array(state["prior_beta"])
        model.converged_ = bool(state["converged"])
        model.engagement_shape_ = _number(state.get("engagement_shape"))
        model.channel_shape_ = _number(state.get("channel_shape"))
        model.message_shape_ = _number(state.get("message_shape"))
        if "open_arms" in state:
            model.open_arms_ = np.asarray(state["open_arms"], dtype=bool)
            for name in ("open_alpha", "open_beta", "through_alpha", "through_beta"):
                setattr(model, f"{name}_", _array(state[name]))
        return model


def _json_array(values: FloatArray) -> list[Any]:
    return [[None if np.isnan(v) else float(v) for v in row] for row in np.asarray(values)]


def _array(rows: list[Any]) -> FloatArray:
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=np.float64)


def _json_number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _number(value: float | None) -> float:
    return np.inf if value is None else float(value)


def _segment_index(segment: ArrayLike, n_persons: int) -> NDArray[np.int64]:
    seg = np.asarray(segment)
    if seg.shape != (n_persons,):
        raise ValueError(f"segment must have shape ({n_persons},), got {seg.shape}")
    if seg.size and (not np.issubdtype(seg.dtype, np.integer) or seg.min() < 0):
        raise ValueError("segment must hold non-negative integer segment ids")
    return seg.astype(np.int64)
