"""Segment priors: a model per segment, pooled toward the population where the segment is small.

Pooling rule (empirical-Bayes style, on the log scale where the parameters are estimated):

    log theta_segment = w log theta_hat_segment + (1 - w) log theta_population,
    w = n / (n + pooling_size)

with n the customers that inform the fit (for Gamma-Gamma, those with x > 0). A segment below
``min_size`` customers, or whose own fit does not converge, gets w = 0: it is the population.
With pooling_size = 500 a segment of 500 customers sits halfway, one of 5,000 at 91 % its own.
A person's prediction from their segment's model then moves from the segment toward their own
history as x, t_x and T grow (that is what the BTYD posteriors do).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from optimizer.value.base import ConvergenceError, ConvergenceWarning, FittedModel


@dataclass
class SegmentPriors:
    """Population model, pooled model per segment, and each segment's weight and size."""

    population: FittedModel
    models: dict[str, FittedModel] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)

    def model_for(self, segment: str) -> FittedModel:
        """The segment's pooled model; the population model for an unknown segment."""
        return self.models.get(str(segment), self.population)

    def apply(
        self, method: str, segment: npt.ArrayLike, *columns: npt.ArrayLike, **kwargs: Any
    ) -> npt.NDArray[np.float64]:
        """Call ``method`` (e.g. "p_alive") per customer with the customer's segment model."""
        labels = np.asarray(segment).astype(str)
        arrays = [np.asarray(c) for c in columns]
        out = np.empty(len(labels))
        for label in np.unique(labels):
            rows = labels == label
            predict: Callable[..., Any] = getattr(self.model_for(label), method)
            out[rows] = predict(*(a[rows] for a in arrays), **kwargs)
        return out


def fit_segment_priors(
    model_class: type[FittedModel],
    segment: npt.ArrayLike,
    *columns: npt.ArrayLike,
    pooling_size: float = 500.0,
    min_size: int = 30,
) -> SegmentPriors:
    """Fit ``model_class`` on all customers and on each segment; pool as the module says.
    ``columns`` are what ``model_class.fit`` takes: (x, t_x, T) or (x, monetary_value)."""
    labels = np.asarray(segment).astype(str)
    arrays = [np.asarray(c, dtype=np.float64) for c in columns]
    if any(len(a) != len(labels) for a in arrays):
        raise ValueError("segment and columns must have the same length")
    population = model_class().fit(*arrays)  # type: ignore[attr-defined]
    log_population = np.log([population.params_[n] for n in model_class.param_names])
    priors = SegmentPriors(population)
    for label in np.unique(labels):
        rows = labels == label
        counted = arrays[0][rows] > 0 if model_class.name == "gammagamma" else rows[rows]
        informative = int(np.count_nonzero(counted))
        priors.sizes[label] = int(rows.sum())
        weight = 0.0
        log_segment = log_population
        if informative >= min_size:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                try:
                    own = model_class(on_failure="warn").fit(*(a[rows] for a in arrays))  # type: ignore[attr-defined]
                except (ConvergenceError, ValueError):
                    own = None
            if own is not None and own.converged_:
                weight = informative / (informative + pooling_size)
                log_segment = np.log([own.params_[n] for n in model_class.param_names])
        pooled = weight * log_segment + (1 - weight) * log_population
        params = dict(zip(model_class.param_names, map(float, np.exp(pooled)), strict=True))
        priors.models[label] = model_class.from_params(**params)
        priors.weights[label] = weight
    return priors
