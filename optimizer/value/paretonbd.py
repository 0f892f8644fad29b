"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987), as in Fader & Hardie's 2005 note.

While active a customer buys at a Poisson rate lambda ~ Gamma(r, alpha); their lifetime is
exponential with rate mu ~ Gamma(s, beta). Per-customer log-likelihood:

    ln L = ln G(r+x) - ln G(r) + r ln alpha + s ln beta
           + ln[ (alpha+T)^-(r+x) (beta+T)^-s + s/(r+s+x) A0 ],
    A0 = F(t_x) - F(T),  F(t) = 2F1(r+s+x, b0; r+s+x+1; z_t) / (m+t)^(r+s+x),

with m = max(alpha, beta), b0 = s+1 (alpha >= beta) or r+x (alpha < beta), z_t = |alpha-beta|/(m+t).
Numerically stable for heavy buyers: F is Euler-transformed into a bounded 2F1(1, B; C; z)
(see optimizer.value.special) times a prefactor kept in log space, A0 is a log-difference,
and the two branches are combined with logaddexp. The gradient is analytic.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import digamma, gammaln

from optimizer.value.base import FloatArray
from optimizer.value.btyd import IndexArray, PurchaseModel
from optimizer.value.nbd import log_nbd_pmf
from optimizer.value.special import hyp2f1_one, log_diff_exp

# Fader, Hardie & Lee (2005) on the 2,357-customer CDNOW sample, weeks.
CDNOW_PARAMS = {"r": 0.55315, "alpha": 10.57633, "s": 0.60625, "beta": 11.67150}
_QUADRATURE = np.polynomial.legendre.leggauss(160)


class ParetoNBD(PurchaseModel):
    """Pareto/NBD model; ``params_`` r, alpha, s, beta."""

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    name: ClassVar[str] = "paretonbd"

    def _row_loglik(
        self,
        log_params: FloatArray,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        levels: FloatArray,
        index: IndexArray,
    ) -> tuple[FloatArray, FloatArray]:
        r, alpha, s, beta = np.exp(log_params)
        size = r + s + x
        g1, grad1 = self._log_f(r, alpha, s, beta, x, t_x)
        g2, grad2 = self._log_f(r, alpha, s, beta, x, T)
        log_a0 = log_diff_exp(g1, g2)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            q = np.exp(g2 - g1)
            grad_a0 = np.where(np.isfinite(log_a0), (grad1 - q * grad2) / (1.0 - q), 0.0)
        log_alpha_T, log_beta_T = np.log(alpha + T), np.log(beta + T)
        l1 = -(r + x) * log_alpha_T - s * log_beta_T
        l2 = np.log(s) - np.log(size) + log_a0
        mix = np.logaddexp(l1, l2)
        v1 = np.exp(l1 - mix)  # = P(alive at T)
        v2 = 1.0 - v1
        ll = gammaln(r + levels)[index] - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + mix
        d_r = (digamma(r + levels) - digamma(r))[index]
        grad = np.stack(
            [
                d_r + np.log(alpha) - v1 * log_alpha_T + v2 * (grad_a0[0] - 1.0 / size),
                r / alpha - v1 * (r + x) / (alpha + T) + v2 * grad_a0[1],
                np.log(beta) - v1 * log_beta_T + v2 * (1.0 / s - 1.0 / size + grad_a0[2]),
                s / beta - v1 * s / (beta + T) + v2 * grad_a0[3],
            ]
        )
        return ll, grad * np.array([r, alpha, s, beta])[:, None]

    @staticmethod
    def _log_f(
        r: float, alpha: float, s: float, beta: float, x: FloatArray, t: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """ln F(t) and its gradient with respect to (r, alpha, s, beta)."""
        at, bt = alpha + t, beta + t
        log_at, log_bt = np.log(at), np.log(bt)
        C = r + s + x + 1
        if alpha >= beta:
            z = (alpha - beta) / at
            H, H_B, H_C, H_z = hyp2f1_one(r + x, C, z)
            log_f = -s * log_bt - (r + x) * log_at + np.log(H)
            grad = np.stack(
                [
                    -log_at + (H_B + H_C) / H,
                    -(r + x) / at + H_z / H * bt / at**2,
                    -log_bt + H_C / H,
                    -s / bt - H_z / H / at,
                ]
            )
        else:
            z = (beta - alpha) / bt
            H, H_B, H_C, H_z = hyp2f1_one(np.full_like(x, s + 1), C, z)
            log_f = (1 - r - x) * log_at - (s + 1) * log_bt + np.log(H)
            grad = np.stack(
                [
                    -log_at + H_C / H,
                    (1 - r - x) / at - H_z / H / bt,
                    -log_bt + (H_B + H_C) / H,
                    -(s + 1) / bt + H_z / H * at / bt**2,
                ]
            )
        return log_f, grad

    def _p_alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha, s, beta = self._theta()
        g1, _ = self._log_f(r, alpha, s, beta, x, t_x)
        g2, _ = self._log_f(r, alpha, s, beta, x, T)
        l1 = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        l2 = np.log(s) - np.log(r + s + x) + log_diff_exp(g1, g2)
        return np.asarray(np.exp(l1 - np.logaddexp(l1, l2)), dtype=np.float64)

    def _conditional_expected(
        self, t: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
    ) -> FloatArray:
        # (r+x)(beta+T)/(alpha+T) * [1 - ((beta+T)/(beta+T+t))^(s-1)]/(s-1) * P(alive);
        # the bracket is computed with expm1 and tends to ln((beta+T+t)/(beta+T)) as s -> 1.
        r, alpha, s, beta = self._theta()
        log_ratio = np.log(beta + T) - np.log(beta + T + t)
        if abs(s - 1.0) < 1e-10:
            bracket = -log_ratio
        else:
            bracket = -np.expm1((s - 1.0) * log_ratio) / (s - 1.0)
        rate = (r + x) * (beta + T) / (alpha + T)
        return rate * bracket * self._p_alive(x, t_x, T)

    def _p_purchases(self, n: FloatArray, t: FloatArray) -> FloatArray:
        # P(X(t)=n) = E over the lifetime tau of NBD(n; r, alpha, min(tau, t)); the integral over
        # tau < t is Gauss-Legendre in u = P(tau <= .), where the lifetime density is flat.
        r, alpha, s, beta = self._theta()
        survive = (beta / (beta + t)) ** s
        nodes, weights = _QUADRATURE
        u = (1.0 - survive)[..., None] * (nodes + 1.0) / 2.0
        tau = beta * ((1.0 - u) ** (-1.0 / s) - 1.0)
        died = np.exp(log_nbd_pmf(n[..., None], r, alpha, tau)) @ weights / 2.0
        return np.asarray(
            survive * np.exp(log_nbd_pmf(n, r, alpha, t)) + (1.0 - survive) * died,
            dtype=np.float64,
        )
