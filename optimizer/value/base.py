"""Maximum likelihood shared by the value models.

Each model supplies the per-row log-likelihood and its gradient with respect to the LOG of its
parameters (all parameters are positive; the log makes the problem unconstrained and better
scaled). The fit runs BFGS on the weighted mean negative log-likelihood, then a few Newton
steps on a finite-difference Hessian of the analytic gradient, which brings the estimate to
machine precision and gives the standard errors: the inverse Hessian of the total negative
log-likelihood in log space, mapped to the natural scale by the delta method
(se(theta) = theta * se(log theta)).

A fit that does not converge (optimizer failure, gradient not ~0, Hessian not positive definite,
a parameter running off to 0 or infinity, a standard error of a log-parameter above 5, i.e.
a flat ridge) raises ``ConvergenceError`` by default; with
``on_failure="warn"`` it warns (``ConvergenceWarning``) and sets ``converged_ = False``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

FloatArray = npt.NDArray[np.float64]
# (log_params, *columns) -> (per-row log-likelihood (n,), gradient wrt log params (k, n))
RowLikelihood = Callable[..., tuple[FloatArray, FloatArray]]

LOG_BOUND = 25.0  # |log theta| beyond this: the parameter ran off to 0 or infinity
GRADIENT_TOLERANCE = 1e-6  # on the mean log-likelihood, per log-parameter
MAX_LOG_SE = 5.0  # se(log theta) beyond this: a confidence interval spanning e^20, no estimate


class ConvergenceError(RuntimeError):
    """The likelihood maximization did not reach a proper maximum."""


class ConvergenceWarning(UserWarning):
    """Issued instead of ConvergenceError when the model was built with on_failure='warn'."""


@dataclass(frozen=True)
class MLEResult:
    log_params: FloatArray
    log_likelihood: float
    covariance_log: FloatArray
    converged: bool
    message: str


def maximize_likelihood(
    row_loglik: RowLikelihood,
    columns: tuple[npt.NDArray[Any], ...],
    weight: FloatArray,
    log_params0: FloatArray,
) -> MLEResult:
    """Weighted MLE of ``sum(weight * row_loglik(log_params, *columns))``."""
    total = float(weight.sum())
    share = weight / total

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        if np.any(np.abs(log_params) > LOG_BOUND):
            return 1e300, np.zeros_like(log_params)
        with np.errstate(all="ignore"):
            ll, grad = row_loglik(log_params, *columns)
            value = -float(share @ ll)
            gradient = -(grad @ share)
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return 1e300, np.zeros_like(log_params)
        return value, gradient

    # BFGS rather than L-BFGS-B: with 3-4 parameters the latter spends milliseconds per
    # iteration in tiny threaded BLAS calls, which dominates on a busy machine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = minimize(
            objective, log_params0, jac=True, method="BFGS", options={"maxiter": 2000, "gtol": 1e-9}
        )
    params = np.asarray(result.x, dtype=np.float64)
    value, gradient = objective(params)
    hessian = _hessian(objective, params)
    for _ in range(20):  # Newton polish: quadratic convergence from L-BFGS-B's neighbourhood
        if np.max(np.abs(gradient)) < 1e-13:
            break
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            break
        for shrink in (1.0, 0.5, 0.25, 0.125):
            trial = np.clip(params - shrink * step, -LOG_BOUND, LOG_BOUND)
            trial_value, trial_gradient = objective(trial)
            if trial_value <= value + 1e-15 * abs(value):
                break
        else:
            break
        params, value, gradient = trial, trial_value, trial_gradient
        hessian = _hessian(objective, params)
    eigen = np.linalg.eigvalsh(hessian) if np.all(np.isfinite(hessian)) else np.array([np.nan])
    problems = []
    if value >= 1e299:
        problems.append("log-likelihood is not finite")
    if not np.all(np.abs(params) < LOG_BOUND - 1e-6):
        problems.append("a parameter ran off to 0 or infinity")
    if np.max(np.abs(gradient)) > GRADIENT_TOLERANCE:
        problems.append(f"gradient not zero (max {np.max(np.abs(gradient)):.2e})")
    if not np.all(eigen > 0):
        problems.append("Hessian not positive definite (flat or saddle)")
    covariance = np.full((len(params), len(params)), np.nan)
    if not problems:
        covariance = np.linalg.inv(hessian * total)
        if np.max(np.sqrt(np.diag(covariance))) > MAX_LOG_SE:
            problems.append("parameters not identified (flat ridge: a log-parameter's se > 5)")
            covariance[:] = np.nan
    message = "; ".join(problems) or str(result.message)
    return MLEResult(params, -value * total, covariance, not problems, message)


def _hessian(
    objective: Callable[[FloatArray], tuple[float, FloatArray]], params: FloatArray
) -> FloatArray:
    """Central finite differences of the analytic gradient, symmetrized."""
    k = len(params)
    hessian = np.empty((k, k))
    step = 1e-5
    for j in range(k):
        shift = np.zeros(k)
        shift[j] = step
        hessian[:, j] = (objective(params + shift)[1] - objective(params - shift)[1]) / (2 * step)
    return (hessian + hessian.T) / 2


class FittedModel:
    """sklearn-style fitted state shared by the value models: ``params_`` (published names),
    ``log_likelihood_``, ``standard_errors_``, ``converged_``, ``n_customers_``, ``n_rows_``
    (distinct rows after compression)."""

    param_names: ClassVar[tuple[str, ...]]
    name: ClassVar[str]

    def __init__(self, on_failure: str = "raise") -> None:
        if on_failure not in ("raise", "warn"):
            raise ValueError("on_failure must be 'raise' or 'warn'")
        self.on_failure = on_failure
        self.params_: dict[str, float] = {}
        self.standard_errors_: dict[str, float] = {}
        self.log_likelihood_ = float("nan")
        self.converged_ = False
        self.n_customers_ = 0
        self.n_rows_ = 0
        self.message_ = ""

    @classmethod
    def from_params(cls, **params: float) -> Self:
        """A model with given parameters (e.g. published ones), ready to predict."""
        missing = set(cls.param_names) - set(params)
        extra = set(params) - set(cls.param_names)
        if missing or extra:
            raise ValueError(f"{cls.__name__} takes exactly {cls.param_names}")
        if any(not (float(v) > 0 and np.isfinite(v)) for v in params.values()):
            raise ValueError(f"{cls.__name__} parameters must be positive and finite: {params}")
        model = cls()
        model.params_ = {n: float(params[n]) for n in cls.param_names}
        model.standard_errors_ = {n: float("nan") for n in cls.param_names}
        model.converged_ = True
        model.message_ = "parameters given, not fitted"
        return model

    def _store(self, result: MLEResult, n_customers: int, n_rows: int) -> None:
        theta = np.exp(result.log_params)
        se = theta * np.sqrt(np.diag(result.covariance_log))
        self.params_ = dict(zip(self.param_names, map(float, theta), strict=True))
        self.standard_errors_ = dict(zip(self.param_names, map(float, se), strict=True))
        self.log_likelihood_ = float(result.log_likelihood)
        self.converged_ = result.converged
        self.n_customers_ = n_customers
        self.n_rows_ = n_rows
        self.message_ = result.message
        if not result.converged:
            text = f"{self.name} fit did not converge: {result.message}; params {self.params_}"
            if self.on_failure == "raise":
                raise ConvergenceError(text)
            warnings.warn(text, ConvergenceWarning, stacklevel=3)

    def _theta(self) -> tuple[float, ...]:
        if not self.params_:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit() or from_params()")
        return tuple(self.params_[n] for n in self.param_names)

    def to_dict(self) -> dict[str, object]:
        """The fit as plain data (the CLI's --json)."""
        return {
            "model": self.name,
            "params": dict(self.params_),
            "log_likelihood": self.log_likelihood_,
            "standard_errors": dict(self.standard_errors_),
            "converged": self.converged_,
            "n_customers": self.n_customers_,
            "n_rows": self.n_rows_,
            "message": self.message_,
        }
