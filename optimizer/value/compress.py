"""Collapse customers with identical sufficient statistics into weighted rows.

The likelihood of a BTYD model depends on a customer only through (x, t_x, T) (or (x, mean
spend) for Gamma-Gamma), so ten million customers usually hold a few thousand to a few hundred
thousand distinct rows. Fitting on the distinct rows with their counts as weights gives the
same estimate at the cost of a small fit.

How, in linear time and exactly: each row's bit pattern is hashed into one of 2^k buckets;
``np.bincount`` counts the buckets and a scatter picks one representative row per bucket; every
row is then compared with its bucket's representative. Rows that differ (hash collisions,
rare) are compressed again with another hash seed, and after a few rounds by ``np.unique``.
No sorting of the full data, no rounding: the distinct rows are the input values bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]
_MULTIPLIERS = (
    0x9E3779B97F4A7C15,
    0xC2B2AE3D27D4EB4F,
    0x165667B19E3779F9,
    0xD6E8FEB86659FD93,
    0xFF51AFD7ED558CCD,
)
_MAX_BUCKET_BITS = 22  # 4M buckets: few collisions below ~100,000 distinct rows
_ROUNDS = 3
_CHUNK = 1 << 18


@dataclass(frozen=True)
class Compressed:
    """Distinct rows (``columns``), how many customers each stands for (``weight``) and, when
    asked for, ``inverse`` such that ``columns[k][inverse]`` rebuilds the k-th input column."""

    columns: tuple[FloatArray, ...]
    weight: FloatArray
    inverse: IndexArray | None

    def expand(self, values: FloatArray) -> FloatArray:
        """Per-row values -> per-customer values."""
        if self.inverse is None:
            raise ValueError("compressed without inverse")
        return values[self.inverse]


def compress(*columns: npt.ArrayLike, with_inverse: bool = False) -> Compressed:
    """Distinct rows of the given equal-length 1-d columns and their counts."""
    arrays = [np.ascontiguousarray(c, dtype=np.float64) for c in columns]
    if any(a.shape != arrays[0].shape or a.ndim != 1 for a in arrays):
        raise ValueError("compress takes 1-d columns of the same length")
    rows, weight, inverse = _distinct(arrays, 0, with_inverse)
    return Compressed(rows, weight, inverse)


def _distinct(
    arrays: list[FloatArray], round_no: int, with_inverse: bool
) -> tuple[tuple[FloatArray, ...], FloatArray, IndexArray | None]:
    n = len(arrays[0])
    if n == 0:
        return tuple(a[:0] for a in arrays), np.zeros(0), np.zeros(0, dtype=np.intp)
    if round_no >= _ROUNDS or n < 64:
        stacked = np.stack(arrays, axis=1)
        unique, where, counts = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
        columns = tuple(np.ascontiguousarray(unique[:, k]) for k in range(len(arrays)))
        return columns, counts.astype(np.float64), where.reshape(-1).astype(np.intp)
    bits = min(_MAX_BUCKET_BITS, max(10, n.bit_length() + 1))
    bucket = _bucket(arrays, round_no, bits)
    # Chunks keep the temporaries small: fresh memory is slow to touch on a busy machine.
    chunks = [(start, min(n, start + _CHUNK)) for start in range(0, n, _CHUNK)]
    representative = np.empty(1 << bits, dtype=np.intp)
    for start, stop in chunks:  # any row of the bucket will do as its representative
        representative[bucket[start:stop]] = np.arange(start, stop, dtype=np.intp)
    same = np.empty(n, dtype=bool)
    for start, stop in chunks:
        rep_row = representative[bucket[start:stop]]
        ok = np.ones(stop - start, dtype=bool)
        for a in arrays:
            ok &= a[rep_row] == a[start:stop]
        same[start:stop] = ok
    everyone = bool(same.all())
    counts = np.bincount(bucket if everyone else bucket[same], minlength=1 << bits)
    filled = np.flatnonzero(counts)
    columns = tuple(a[representative[filled]] for a in arrays)
    weight = counts[filled].astype(np.float64)
    inverse = None
    if with_inverse:
        rank = np.zeros(1 << bits, dtype=np.intp)
        rank[filled] = np.arange(len(filled), dtype=np.intp)
        inverse = rank[bucket]
    if everyone:
        return columns, weight, inverse
    rest = np.flatnonzero(~same)  # rows that collided with another row's bucket
    rest_columns, rest_weight, rest_inverse = _distinct(
        [a[rest] for a in arrays], round_no + 1, with_inverse
    )
    if inverse is not None and rest_inverse is not None:
        inverse[rest] = len(filled) + rest_inverse
    return (
        tuple(np.concatenate(pair) for pair in zip(columns, rest_columns, strict=True)),
        np.concatenate([weight, rest_weight]),
        inverse,
    )


def _bucket(arrays: list[FloatArray], seed: int, bits: int) -> npt.NDArray[np.intp]:
    """Multiplicative hash of the rows' bit patterns into 2^bits buckets (-0.0 and 0.0 may
    land apart: that costs a duplicate row, never a wrong one)."""
    n = len(arrays[0])
    bucket = np.empty(n, dtype=np.intp)
    final = np.uint64(_MULTIPLIERS[(seed + len(arrays)) % len(_MULTIPLIERS)])
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        key = np.zeros(stop - start, dtype=np.uint64)
        for k, a in enumerate(arrays):
            factor = np.uint64(_MULTIPLIERS[(k + seed) % len(_MULTIPLIERS)])
            key ^= a[start:stop].view(np.uint64) * factor
        key *= final
        key >>= np.uint64(64 - bits)
        bucket[start:stop] = key
    return bucket
