"""Shared helpers: an independent RFM computation straight from the raw CDNOW file."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

CDNOW_MASTER = Path(__file__).resolve().parents[3] / "data" / "cdnow" / "CDNOW_master.txt"
CALIBRATION_END = date(1997, 9, 30)


def raw_rfm(path: Path, calibration_end: date) -> dict[str, tuple[int, float, float, float]]:
    """customer -> (x, t_x, T, mean repeat value), computed without any project code."""
    per_day: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    with path.open() as lines:
        next(lines)
        for line in lines:
            customer, day, _, dollars = line.split()
            per_day[customer][date(int(day[:4]), int(day[4:6]), int(day[6:]))] += float(dollars)
    result = {}
    for customer, totals in per_day.items():
        days = sorted(d for d in totals if d <= calibration_end)
        first, x = days[0], len(days) - 1
        t_x = (days[-1] - first).days / 7 if x else 0.0
        T = (calibration_end - first).days / 7
        value = sum(totals[d] for d in days[1:]) / x if x else 0.0
        result[customer] = (x, t_x, T, value)
    return result
