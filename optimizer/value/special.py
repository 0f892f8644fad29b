"""The Gauss hypergeometric function 2F1(1, B; C; z) with its derivatives, for Pareto/NBD.

Pareto/NBD's likelihood needs 2F1(r+s+x, b0; r+s+x+1; z) with 0 <= z < 1 (Fader & Hardie,
"A Note on Deriving the Pareto/NBD Model and Related Expressions", 2005). For heavy buyers
(x in the hundreds) that function and its prefactors overflow a double. Euler's
transformation turns it into (1-z)^(1-b0) 2F1(1, B; C; z) with C = r+s+x+1 > B, whose series

    2F1(1, B; C; z) = sum_n prod_{k<n} (B+k)/(C+k) z^n

has positive terms shrinking at least as fast as z^n: no cancellation, and the value lies
in [1, 1/(1-z)], so it never overflows. The prefactor is kept in log space by the caller.
The derivatives with respect to B, C and z come from the same series, which gives the
likelihood an analytic gradient.
"""

from __future__ import annotations

import numpy as np

from optimizer.value.base import FloatArray

RELATIVE_TOLERANCE = 1e-16
MAX_TERMS = 20_000


def hyp2f1_one(
    B: FloatArray, C: FloatArray, z: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(F, dF/dB, dF/dC, dF/dz) for F = 2F1(1, B; C; z), elementwise, C > 0, 0 <= z < 1.

    Terms are summed until each one is below 1e-16 of the partial sum; rows that have
    converged drop out of the loop, so the rare row with z near 1 costs alone. A row that
    still runs after MAX_TERMS terms gets a geometric estimate of its tail added: that happens
    only for z > ~0.998, i.e. alpha and beta a thousand-fold apart, where the log-likelihood
    is then good to ~1e-4 relative (measured against quadrature). The CDNOW fits have
    z < 0.25."""
    B, C, z = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (B, C, z)))
    shape = B.shape
    B, C, z = B.ravel(), C.ravel(), z.ravel()
    total = np.ones(B.size)
    d_B = np.zeros(B.size)
    d_C = np.zeros(B.size)
    d_z = np.zeros(B.size)
    active = np.arange(B.size)
    b, c, w = B, C, z
    term = np.ones(B.size)
    harmonic_B = np.zeros(B.size)
    harmonic_C = np.zeros(B.size)
    s = total.copy()
    s_B, s_C, s_z = d_B.copy(), d_C.copy(), d_z.copy()
    for n in range(1, MAX_TERMS + 1):
        ratio = (b + (n - 1)) / (c + (n - 1)) * w
        term = term * ratio
        harmonic_B = harmonic_B + 1.0 / (b + (n - 1))
        harmonic_C = harmonic_C + 1.0 / (c + (n - 1))
        s = s + term
        s_B = s_B + term * harmonic_B
        s_C = s_C - term * harmonic_C
        s_z = s_z + n * term
        if n % 8 == 0 or n == MAX_TERMS:
            error = term * n * (1.0 + harmonic_B + harmonic_C)
            done = error <= RELATIVE_TOLERANCE * s if n < MAX_TERMS else np.ones(len(s), bool)
            if n == MAX_TERMS:  # tail of a series whose term ratio is at most `ratio`
                tail = term * ratio / (1.0 - ratio)
                s = s + tail
            if done.any():
                where = active[done]
                total[where], d_B[where], d_C[where] = s[done], s_B[done], s_C[done]
                with np.errstate(invalid="ignore", divide="ignore"):
                    d_z[where] = np.where(w[done] > 0, s_z[done] / w[done], b[done] / c[done])
                keep = ~done
                active = active[keep]
                if active.size == 0:
                    break
                b, c, w, term = b[keep], c[keep], w[keep], term[keep]
                harmonic_B, harmonic_C = harmonic_B[keep], harmonic_C[keep]
                s, s_B, s_C, s_z = s[keep], s_B[keep], s_C[keep], s_z[keep]
    return total.reshape(shape), d_B.reshape(shape), d_C.reshape(shape), d_z.reshape(shape)


def log_diff_exp(a: FloatArray, b: FloatArray) -> FloatArray:
    """log(exp(a) - exp(b)) for a >= b, -inf where a == b."""
    with np.errstate(divide="ignore"):
        return np.asarray(a + np.log(-np.expm1(b - a)), dtype=np.float64)
