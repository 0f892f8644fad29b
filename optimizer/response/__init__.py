"""Per-person, per-arm response rates: segment priors by empirical Bayes, person posteriors.

Public API: `ResponseModel` (fit priors, score posteriors), `ArmEvidence` (decayed exposures,
clicks and optionally opens), `ResponsePosterior` and `planning_rates` (exploration),
`fit_beta_binomial`. Person factors: engagement (`engagement`), channel and message taste
(`taste`); opens as evidence: `funnel`.
"""

from optimizer.response.evidence import DEFAULT_HALF_LIFE_WEEKS, ArmEvidence, decay_factor
from optimizer.response.model import ResponseModel
from optimizer.response.posterior import (
    EXPLORATIONS,
    Exploration,
    ResponsePosterior,
    planning_rates,
)
from optimizer.response.prior import BetaBinomialFit, fit_beta_binomial, pool_toward_population

__all__ = [
    "DEFAULT_HALF_LIFE_WEEKS",
    "EXPLORATIONS",
    "ArmEvidence",
    "BetaBinomialFit",
    "Exploration",
    "ResponseModel",
    "ResponsePosterior",
    "decay_factor",
    "fit_beta_binomial",
    "planning_rates",
    "pool_toward_population",
]
