"""Per-person, per-arm response evidence with exponential forgetting.

Evidence is two (n, arms) float arrays: exposures and responses, both exponentially
weighted by age. An exposure seen `h` weeks ago counts `0.5 ** (h / half_life)` of a fresh
one, so a person whose taste changes is followed within a few half-lives instead of being
held to what they did years ago. Decay is applied lazily: each person carries the time
(`as_of`, in weeks) their counts refer to, and counts are decayed when new evidence arrives
or when the posterior is read. The decayed counts are sufficient statistics: a profile
stores them (per arm: exposures, responses, opens and the sum of squared weights that
fitting the priors needs, see `for_fitting`) instead of the raw history.

Opens (optional) are a weak response recorded between the exposure and the click (an email
opened). They are tens of times more frequent than clicks, so they pin a person's taste for
an arm down far sooner; `optimizer.response.funnel` explains how they are used. Absent
(`None`), the model sees clicks only. An arm whose channel records no opens (direct mail)
simply has zero opens everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

# Default half-life of response evidence, in weeks: a year. It lets a person whose taste
# changed be followed within a year or two; set it from how fast responses drift. In the
# simulator's (stationary) world no decay at all does no better since priors are fitted on
# effective counts (`for_fitting`; README); before that, decay also hid how much people
# differ, and shorter half-lives planned worse.
DEFAULT_HALF_LIFE_WEEKS = 52.0


def decay_factor(elapsed_weeks: ArrayLike, half_life_weeks: float) -> FloatArray:
    """Weight of evidence that is `elapsed_weeks` old: 1 when fresh, 1/2 after one half-life."""
    elapsed = np.asarray(elapsed_weeks, dtype=np.float64)
    if np.any(elapsed < 0):
        raise ValueError("elapsed_weeks: evidence cannot be decayed backwards in time")
    if not half_life_weeks > 0:
        raise ValueError(
            f"half_life_weeks must be positive (inf = no decay), got {half_life_weeks}"
        )
    if np.isinf(half_life_weeks):
        return np.ones_like(elapsed)
    return np.asarray(np.exp2(-elapsed / half_life_weeks), dtype=np.float64)


@dataclass(frozen=True)
class ArmEvidence:
    """Exponentially weighted exposures and responses per person (rows) and arm (columns)."""

    exposures: FloatArray
    responses: FloatArray
    as_of: FloatArray
    half_life_weeks: float = DEFAULT_HALF_LIFE_WEEKS
    opens: FloatArray | None = None
    # Sum of each exposure's squared weight, when tracked: see `for_fitting`.
    squared_weights: FloatArray | None = None

    def __post_init__(self) -> None:
        if self.exposures.shape != self.responses.shape or self.exposures.ndim != 2:
            raise ValueError(
                f"exposures {self.exposures.shape} and responses {self.responses.shape} "
                "must be (persons, arms) arrays of the same shape"
            )
        if self.squared_weights is not None and self.squared_weights.shape != self.exposures.shape:
            raise ValueError("squared_weights must have the shape of exposures")
        if self.as_of.shape != (self.exposures.shape[0],):
            raise ValueError(f"as_of must have shape ({self.exposures.shape[0]},)")
        _check_counts("responses", self.responses, self.exposures)
        if self.opens is not None:
            if self.opens.shape != self.exposures.shape:
                raise ValueError(f"opens {self.opens.shape} must have the shape of exposures")
            _check_counts("opens", self.opens, self.exposures)

    @classmethod
    def empty(
        cls,
        n_persons: int,
        n_arms: int,
        half_life_weeks: float = DEFAULT_HALF_LIFE_WEEKS,
        as_of: float = 0.0,
        opens: bool = False,
    ) -> ArmEvidence:
        """No evidence yet: every person is scored by their segment prior.

        `opens`: also count opens (then `add` requires them)."""
        zeros = np.zeros((n_persons, n_arms))
        return cls(
            zeros,
            zeros.copy(),
            np.full(n_persons, float(as_of)),
            half_life_weeks,
            zeros.copy() if opens else None,
            zeros.copy(),
        )

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.exposures.shape[0]), int(self.exposures.shape[1]))

    def decayed_to(self, t_weeks: float) -> ArmEvidence:
        """The same evidence seen from time `t_weeks` (no later than any person's `as_of`)."""
        weight = decay_factor(t_weeks - self.as_of, self.half_life_weeks)[:, None]
        return ArmEvidence(
            self.exposures * weight,
            self.responses * weight,
            np.full_like(self.as_of, float(t_weeks)),
            self.half_life_weeks,
            None if self.opens is None else self.opens * weight,
            None if self.squared_weights is None else self.squared_weights * weight**2,
        )

    def for_fitting(self) -> ArmEvidence:
        """The evidence as counts of the same information, for fitting the priors.

        Decay scales exposures and responses alike, so 3 exposures and 1 click half a
        half-life ago count as 2.1 and 0.7: right for a posterior (old evidence weighs
        less), wrong for measuring how much people differ, because scaled counts look less
        dispersed than the counts they came from (a Bernoulli of weight 0.7 says nothing of
        dispersion, and the beta-binomial fit runs off to "everybody is alike"). Dividing by
        the mean weight of the person's exposures on the arm (sum of weights squared over sum
        of weights, Kish's effective sample size) gives back whole counts when the evidence
        has one age, and the effective number of exposures in general. Evidence without
        tracked squared weights is returned as it is."""
        if self.squared_weights is None:
            return self
        tracked = self.squared_weights > 0
        scale = np.where(
            tracked, self.exposures / np.where(tracked, self.squared_weights, 1.0), 1.0
        )
        return ArmEvidence(
            self.exposures * scale,
            self.responses * scale,
            self.as_of,
            self.half_life_weeks,
            None if self.opens is None else self.opens * scale,
        )

    def add(
        self,
        exposures: ArrayLike,
        responses: ArrayLike,
        t_weeks: float,
        opens: ArrayLike | None = None,
    ) -> ArmEvidence:
        """Decay existing evidence to `t_weeks`, then add fresh counts seen at that time.

        Evidence that counts opens needs the fresh opens too; evidence that does not, ignores
        them."""
        new_exposures = np.asarray(exposures, dtype=np.float64)
        new_responses = np.asarray(responses, dtype=np.float64)
        if new_exposures.shape != self.exposures.shape:
            raise ValueError(
                f"exposures shape {new_exposures.shape} != evidence shape {self.exposures.shape}"
            )
        if new_responses.shape != self.exposures.shape:
            raise ValueError(
                f"responses shape {new_responses.shape} != evidence shape {self.exposures.shape}"
            )
        if self.opens is not None and opens is None:
            raise ValueError("this evidence counts opens: pass the fresh opens to add")
        current = self.decayed_to(t_weeks)
        merged_opens = None
        if current.opens is not None:
            new_opens = np.asarray(opens, dtype=np.float64)
            if new_opens.shape != self.exposures.shape:
                raise ValueError(
                    f"opens shape {new_opens.shape} != evidence shape {self.exposures.shape}"
                )
            merged_opens = current.opens + new_opens
        squared = current.squared_weights
        return ArmEvidence(
            current.exposures + new_exposures,
            current.responses + new_responses,
            current.as_of,
            self.half_life_weeks,
            merged_opens,
            None if squared is None else squared + new_exposures,
        )


def _check_counts(name: str, counts: FloatArray, exposures: FloatArray) -> None:
    """Responses of any kind lie in [0, exposures]; the error names the offending rows."""
    bad = np.flatnonzero(np.any((counts < 0) | (counts > exposures + 1e-9), axis=1))
    if bad.size:
        raise ValueError(
            f"{name} must lie in [0, exposures]; offending person rows: {bad[:10].tolist()}"
        )
