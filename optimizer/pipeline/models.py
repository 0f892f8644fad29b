"""The fitted population: purchase, spend and response models, stored as plain JSON.

The nightly refit fits them on every profile; runs and re-plans read them. A refit whose
purchase or spend model did not converge is refused (`RefitRejected`): the caller keeps the
previous version and raises an alarm, so a bad night never replaces a good model.

Response priors are per segment label (see `RunSettings.segment_trait`); index 0 is the
catch-all for labels not seen at fit time, which the pooling rule pulls to the arm's
population prior because it holds no evidence of its own.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.pipeline.features import PersonFeatures, arm_evidence
from optimizer.pipeline.settings import DEFAULT_PURCHASE_MODEL, PurchaseModelName
from optimizer.response import ResponseModel
from optimizer.value import PURCHASE_MODELS, GammaGamma, PurchaseModel
from optimizer.value.validation import RFMError

UNSEEN_SEGMENT = ""


class RefitRejected(RuntimeError):
    """A model did not converge; the previous version must stay in service."""


@dataclass
class FittedPopulation:
    purchase: PurchaseModel
    spend: GammaGamma
    response: ResponseModel
    segments: list[str]  # label of each response-prior row; index 0 = unseen labels

    def segment_ids(self, labels: np.ndarray) -> np.ndarray:
        lookup = {label: i for i, label in enumerate(self.segments)}
        return np.array([lookup.get(str(label), 0) for label in labels], dtype=np.int64)

    def diagnostics(self) -> dict[str, Any]:
        return {
            "purchase": self.purchase.to_dict(),
            "spend": self.spend.to_dict(),
            "response": {
                "converged": bool(self.response.converged_),
                "segments": len(self.segments),
                "engagement_shape": _finite_or_none(self.response.engagement_shape_),
                "channel_shape": _finite_or_none(self.response.channel_shape_),
                "message_shape": _finite_or_none(self.response.message_shape_),
                "open_arms": int(self.response.open_arms_.sum()),
            },
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "purchase_model": self.purchase.name,
            "purchase": self.purchase.params_,
            "spend": self.spend.params_,
            "response": self.response.to_state(),
            "segments": self.segments,
            "diagnostics": self.diagnostics(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FittedPopulation:
        response = ResponseModel.from_state(data["response"])
        return cls(
            purchase=PURCHASE_MODELS[data.get("purchase_model", "bgnbd")].from_params(
                **data["purchase"]
            ),
            spend=GammaGamma.from_params(**data["spend"]),
            response=response,
            segments=list(data["segments"]),
        )


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def fit_population(
    features: PersonFeatures,
    arms: Sequence[tuple[str, str]] | None = None,
    purchase_model: PurchaseModelName = DEFAULT_PURCHASE_MODEL,
) -> FittedPopulation:
    """Fit every model on everyone; raise `RefitRejected` if a value model did not converge.

    `arms`: the policy's (channel, message) per arm, so the response model can learn a
    person's taste for a channel and a message across arms."""
    if features.n == 0:
        raise RefitRejected("no profile with a purchase: nothing to fit")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            purchases = PURCHASE_MODELS[purchase_model](on_failure="warn")
            purchase = purchases.fit(features.x, features.t_x, features.T)
            # Gamma-Gamma models positive spend: repeat buyers whose purchases were all free
            # (CDNOW has $0 rows) tell it nothing and are left out of its fit.
            buyers = (features.x > 0) & (features.monetary_value > 0)
            spend = GammaGamma(on_failure="warn").fit(
                features.x[buyers], features.monetary_value[buyers]
            )
    except RFMError as error:
        raise RefitRejected(f"the profiles cannot be fitted: {error}") from error
    for fitted in (purchase, spend):
        if not fitted.converged_:
            raise RefitRejected(f"{fitted.name} did not converge: {fitted.message_}")
    segments = [UNSEEN_SEGMENT, *sorted(set(features.segment.tolist()) - {UNSEEN_SEGMENT})]
    population = FittedPopulation(purchase, spend, ResponseModel(arms=arms), segments)
    segment_ids = population.segment_ids(features.segment)
    population.response.fit(arm_evidence(features), segment_ids, len(segments))
    return population
