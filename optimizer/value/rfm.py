"""RFM summaries: the sufficient statistics of the Buy-'Til-You-Die models.

Definitions (the ingestion profiles reproduce them exactly):

- Purchases are grouped per period (``"day"``, the default, or ``"week"``): several purchases in
  the same period count as ONE purchase whose value is their sum. A customer's week periods are
  counted from their first purchase day: week k covers days [first + 7k, first + 7k + 7).
- Times are in weeks (days / 7) from the customer's first purchase.
- ``x``: purchase periods after the first one with a purchase on or before ``calibration_end``.
- ``t_x``: (start day of the last calibration purchase period - first purchase day) / 7; 0 when
  x == 0. In day mode this is simply the last purchase day.
- ``T``: (calibration_end - first purchase day) / 7. CDNOW, calibration_end 1997-09-30, first
  purchase 1997-01-01: T = 272 / 7 = 38.86.
- ``monetary_value``: mean value of the repeat purchase periods (excluding the first), 0 if x == 0.
- Holdout: purchases in (calibration_end, observation_end]; ``holdout_purchases`` counts the
  distinct purchase periods there that are not already calibration periods.

Customers whose first purchase is after ``calibration_end`` are not in the summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from optimizer.value.validation import RFMError, offending_rows, validate_rfm

__all__ = [
    "RFMError",
    "RFMSummary",
    "Transactions",
    "read_cdnow_master",
    "read_summary_csv",
    "read_transactions",
    "summarize",
    "validate_rfm",
]

FloatArray = npt.NDArray[np.float64]
PERIODS = ("day", "week")


@dataclass(frozen=True)
class Transactions:
    """A purchase log: one row per purchase (customer, calendar day, amount)."""

    customer_id: npt.NDArray[np.str_]
    day: npt.NDArray[np.datetime64]
    amount: FloatArray

    def __post_init__(self) -> None:
        n = len(self.customer_id)
        if len(self.day) != n or len(self.amount) != n:
            raise RFMError("customer_id, day and amount must have the same length")
        if n == 0:
            raise RFMError("no transactions: the log is empty")
        amount = np.asarray(self.amount, dtype=np.float64)
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "day", np.asarray(self.day, dtype="datetime64[D]"))
        bad = offending_rows(~np.isfinite(amount))
        if bad:
            raise RFMError(f"amount is NaN or infinite in rows {bad}")
        bad = offending_rows(amount < 0)
        if bad:
            raise RFMError(f"amount is negative in rows {bad}")
        bad = offending_rows(np.isnat(self.day))
        if bad:
            raise RFMError(f"day is missing in rows {bad}")


@dataclass(frozen=True)
class RFMSummary:
    """Per-customer (x, t_x, T, monetary_value), plus the holdout counts when one was asked for."""

    customer_id: npt.NDArray[np.str_]
    x: npt.NDArray[np.int64]
    t_x: FloatArray
    T: FloatArray
    monetary_value: FloatArray
    holdout_purchases: npt.NDArray[np.int64] | None = None
    holdout_weeks: float | None = None

    def __len__(self) -> int:
        return len(self.x)


def read_cdnow_master(path: str | Path) -> Transactions:
    """Read CDNOW_master.txt as distributed: a header line, then whitespace separated
    ``customer_id  YYYYMMDD  number_of_cds  dollar_value``. Malformed lines are named by number."""
    ids: list[str] = []
    dates: list[int] = []
    amounts: list[float] = []
    bad: list[int] = []
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields or (line_no == 1 and not fields[-1].replace(".", "", 1).isdigit()):
                continue  # blank line or the header
            try:
                if len(fields) != 4:
                    raise ValueError
                date, _, amount = int(fields[1]), float(fields[2]), float(fields[3])
            except ValueError:
                bad.append(line_no)
                continue
            ids.append(fields[0])
            dates.append(date)
            amounts.append(amount)
    if bad:
        raise RFMError(f"{path}: malformed lines {bad[:10]}{' ...' if len(bad) > 10 else ''}")
    yyyymmdd = np.asarray(dates, dtype=np.int64)
    day = _parse_yyyymmdd(yyyymmdd)
    wrong = np.flatnonzero(np.isnat(day))
    if wrong.size:
        lines = [int(i) + 2 for i in wrong[:10]]
        raise RFMError(f"{path}: invalid dates on lines {lines}")
    return Transactions(np.asarray(ids), day, np.asarray(amounts, dtype=np.float64))


def read_transactions(path: str | Path) -> Transactions:
    """A transaction log: a ``.csv`` with a header naming ``customer_id`` (or ``id``), ``date``
    (ISO, a time part is ignored) and ``amount`` (or ``value``); anything else is read as the
    CDNOW master format."""
    if Path(path).suffix.lower() != ".csv":
        return read_cdnow_master(path)
    with open(path, encoding="utf-8") as handle:
        header = [h.strip().lower() for h in handle.readline().strip().split(",")]
        rows = [line.strip().split(",") for line in handle if line.strip()]
    index = {}
    for field, names in {
        "customer_id": ("customer_id", "id", "customer"),
        "date": ("date", "day", "timestamp", "time"),
        "amount": ("amount", "value", "dollar_value", "revenue"),
    }.items():
        found = [header.index(n) for n in names if n in header]
        if not found:
            raise RFMError(f"{path}: no {field} column (header {header})")
        index[field] = found[0]
    bad: list[int] = []
    ids, days, amounts = [], [], []
    for line_no, row in enumerate(rows, start=2):
        try:
            day = np.datetime64(row[index["date"]].strip()[:10], "D")
            amount = float(row[index["amount"]])
            ids.append(row[index["customer_id"]].strip())
        except (ValueError, IndexError):
            bad.append(line_no)
            continue
        days.append(day)
        amounts.append(amount)
    if bad:
        raise RFMError(f"{path}: malformed lines {bad[:10]}{' ...' if len(bad) > 10 else ''}")
    return Transactions(
        np.asarray(ids), np.asarray(days, dtype="datetime64[D]"), np.asarray(amounts)
    )


def _parse_yyyymmdd(value: npt.NDArray[np.int64]) -> npt.NDArray[np.datetime64]:
    """Vectorized YYYYMMDD -> datetime64[D]; impossible dates (month 13, Feb 30) become NaT."""
    year, month, dom = value // 10000, value // 100 % 100, value % 100
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    day = months.astype("datetime64[D]") + (dom - 1).astype("timedelta64[D]")
    ok = (month >= 1) & (month <= 12) & (dom >= 1) & (day.astype("datetime64[M]") == months)
    return np.where(ok, day, np.datetime64("NaT"))


def summarize(
    transactions: Transactions,
    calibration_end: object,
    period: str = "day",
    observation_end: object | None = None,
) -> RFMSummary:
    """RFM summary of the calibration window (definitions in the module docstring); with
    ``observation_end``, also the holdout purchase counts in (calibration_end, observation_end]."""
    if period not in PERIODS:
        raise RFMError(f"period must be one of {PERIODS}, got {period!r}")
    end = _epoch_day(calibration_end, "calibration_end")
    obs = None if observation_end is None else _epoch_day(observation_end, "observation_end")
    if obs is not None and obs <= end:
        raise RFMError("observation_end must be after calibration_end")
    customers, code = np.unique(transactions.customer_id, return_inverse=True)
    day = transactions.day.astype(np.int64)
    in_calibration = day <= end
    n_customers = len(customers)
    first = np.full(n_customers, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, code[in_calibration], day[in_calibration])
    known = first[code] <= end  # customers present in the calibration window
    keep = known & (day <= obs) if obs is not None else known & in_calibration
    code, day, amount = code[keep], day[keep], transactions.amount[keep]
    start = first[code]
    start_of_period = start + (day - start) // 7 * 7 if period == "week" else day
    # One row per (customer, purchase period): the period's start day and total value.
    key = code * (1 << 32) + (start_of_period - start)
    uniq, inverse = np.unique(key, return_inverse=True)
    totals = np.bincount(inverse, weights=amount, minlength=len(uniq))
    p_code, p_offset = uniq >> 32, uniq & ((1 << 32) - 1)
    cal = np.zeros(len(uniq), dtype=bool)
    cal[inverse[day <= end]] = True  # a week straddling calibration_end belongs to calibration
    present = first <= end
    periods = np.bincount(p_code[cal], minlength=n_customers)
    x = periods - 1
    last = np.zeros(n_customers, dtype=np.int64)
    np.maximum.at(last, p_code[cal], p_offset[cal])
    value = np.bincount(p_code[cal], weights=totals[cal], minlength=n_customers)
    first_value = np.zeros(n_customers)
    is_first = cal & (p_offset == 0)
    first_value[p_code[is_first]] = totals[is_first]
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(x > 0, (value - first_value) / np.maximum(x, 1), 0.0)
    holdout = None
    weeks = None
    if obs is not None:
        holdout = np.bincount(p_code[~cal], minlength=n_customers)[present]
        weeks = (obs - end) / 7.0
    return RFMSummary(
        customer_id=customers[present],
        x=x[present].astype(np.int64),
        t_x=last[present] / 7.0,
        T=(end - first[present]) / 7.0,
        monetary_value=monetary[present],
        holdout_purchases=holdout,
        holdout_weeks=weeks,
    )


def _epoch_day(value: object, name: str) -> int:
    """A date (ISO string, datetime.date or datetime64) as days since 1970-01-01."""
    try:
        day = np.array(value, dtype="datetime64[D]")
    except (ValueError, TypeError):
        raise RFMError(f"{name}: not a date: {value!r}") from None
    if day.ndim != 0 or np.isnat(day):
        raise RFMError(f"{name}: not a date: {value!r}")
    return int(day.astype(np.int64))


def read_summary_csv(path: str | Path) -> RFMSummary:
    """Read a per-customer summary in either CDNOW format: ``ID,frequency,recency,T`` or
    ``ID,x,t_x,T,zbar``. Rows are validated; the error names offending customer IDs."""
    with open(path, encoding="utf-8") as handle:
        header = [h.strip() for h in handle.readline().strip().split(",")]
        rows = [line.strip().split(",") for line in handle if line.strip()]
    columns = {name.lower(): i for i, name in enumerate(header)}
    aliases = {"x": ("x", "frequency"), "t_x": ("t_x", "recency"), "T": ("t",)}
    index: dict[str, int] = {}
    for field, names in aliases.items():
        found = [columns[n] for n in names if n in columns]
        if not found:
            raise RFMError(f"{path}: no column for {field} (header {header})")
        index[field] = found[0]
    money = columns.get("zbar", columns.get("monetary_value"))
    id_col = columns.get("id", columns.get("customer_id", 0))
    bad = [n + 2 for n, row in enumerate(rows) if len(row) != len(header)]
    if bad:
        raise RFMError(f"{path}: wrong number of fields on lines {bad[:10]}")
    try:
        table = np.array(
            [[row[i] for i in (index["x"], index["t_x"], index["T"])] for row in rows], dtype=float
        )
        zbar = np.array([row[money] for row in rows], dtype=float) if money is not None else None
    except ValueError as error:
        raise RFMError(f"{path}: non-numeric value ({error})") from None
    ids = np.array([row[id_col].strip() for row in rows])
    x, t_x, T = table[:, 0], table[:, 1], table[:, 2]
    validate_rfm(x, t_x, T, zbar, ids=ids)
    return RFMSummary(
        customer_id=ids,
        x=x.astype(np.int64),
        t_x=t_x,
        T=T,
        monetary_value=zbar if zbar is not None else np.zeros(len(x)),
    )
