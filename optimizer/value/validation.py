"""Input checks for per-customer summaries: bad rows get an error that names them."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

MAX_NAMED = 10


class RFMError(ValueError):
    """Invalid purchase data; the message names the offending rows (or customer IDs)."""


def offending_rows(mask: npt.NDArray[np.bool_], ids: npt.ArrayLike | None = None) -> str:
    """'' when no row is flagged; else a short list of the first rows (IDs when given)."""
    where = np.flatnonzero(mask)
    if where.size == 0:
        return ""
    shown = where[:MAX_NAMED]
    names = [str(i) for i in (np.asarray(ids)[shown] if ids is not None else shown)]
    more = f" ... ({where.size} in all)" if where.size > MAX_NAMED else ""
    return ", ".join(names) + more


def validate_shapes(*columns: npt.NDArray[np.float64]) -> None:
    """Same-length 1-d columns, at least one row."""
    if any(c.ndim != 1 or c.shape != columns[0].shape for c in columns):
        raise RFMError("x, t_x and T must be 1-d arrays of the same length")
    if columns[0].size == 0:
        raise RFMError("no customers: the summary is empty")


def validate_rfm(
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary_value: npt.ArrayLike | None = None,
    ids: npt.ArrayLike | None = None,
) -> None:
    """Raise RFMError naming the rows (positions, or ``ids``) that break the RFM definitions:
    NaN, negative values, non-integer x, t_x > T, x > 0 with t_x == 0, x == 0 with t_x > 0."""
    x_arr = np.asarray(x, dtype=np.float64)
    t_arr = np.asarray(t_x, dtype=np.float64)
    T_arr = np.asarray(T, dtype=np.float64)
    if x_arr.shape != t_arr.shape or x_arr.shape != T_arr.shape or x_arr.ndim != 1:
        raise RFMError("x, t_x and T must be 1-d arrays of the same length")
    if x_arr.size == 0:
        raise RFMError("no customers: the summary is empty")
    label = "customers" if ids is not None else "rows"
    columns = {"x": x_arr, "t_x": t_arr, "T": T_arr}
    if monetary_value is not None:
        columns["monetary_value"] = np.asarray(monetary_value, dtype=np.float64)
    problems = []
    for name, values in columns.items():
        rows = offending_rows(~np.isfinite(values), ids)
        if rows:
            problems.append(f"{name} is NaN or infinite in {label} {rows}")
        rows = offending_rows(values < 0, ids)
        if rows:
            problems.append(f"{name} is negative in {label} {rows}")
    if not problems:
        checks = {
            "x is not a whole number": x_arr != np.floor(x_arr),
            "t_x > T": t_arr > T_arr,
            "x > 0 but t_x == 0": (x_arr > 0) & (t_arr == 0),
            "x == 0 but t_x > 0": (x_arr == 0) & (t_arr > 0),
        }
        for message, mask in checks.items():
            rows = offending_rows(mask, ids)
            if rows:
                problems.append(f"{message} in {label} {rows}")
    if problems:
        raise RFMError("; ".join(problems))
