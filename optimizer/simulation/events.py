"""The world's outcomes as the interaction events production ingests (plain dicts).

Each exposure, open, click and purchase of a period becomes one event in the wire schema of
`optimizer.events.schema` (exposure with its cost, click, purchase with an order id), so the
end-to-end demo can feed a simulated world through the real ingestion path. Ids are
deterministic (run, period, customer, arm, k), so a replay produces the same events and
ingestion de-duplicates them. Money is written as decimal strings (two places; six for costs).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from optimizer.simulation.world import Purchases

SCHEMA_VERSION = 1
SOURCE = "simulator"
DEFAULT_START = datetime(1997, 10, 1, tzinfo=UTC)  # the day after CDNOW's calibration ends


def customer_ids(n: int, prefix: str = "sim") -> list[str]:
    """Stable customer ids: sim000000, sim000001, ..."""
    return [f"{prefix}{i:06d}" for i in range(n)]


def week_to_datetime(week: float, start: datetime = DEFAULT_START) -> datetime:
    """Simulation time (weeks from the start) to an aware timestamp, to the second."""
    return start + timedelta(seconds=round(float(week) * 7 * 86400))


def interaction_events(
    run_id: str,
    period: int,
    period_start_week: float,
    ids: Sequence[str],
    arms: Sequence[tuple[str, str]],
    unit_cost: NDArray[np.float64],
    exposures: NDArray[np.int64],
    clicks: NDArray[np.int64],
    purchases: Purchases,
    start: datetime = DEFAULT_START,
    opens: NDArray[np.int64] | None = None,
) -> Iterator[dict[str, Any]]:
    """Events of one period: exposures, opens and clicks per (customer, arm), then purchases.

    Exposures are stamped at the period's start plus one hour per k; opens 30 seconds after
    the exposure they answer (the first `opens[i, a]` exposures of the arm), clicks one
    minute after (the first `clicks[i, a]`; in the world a click follows an open).
    """
    base = week_to_datetime(period_start_week, start)
    for i, a in zip(*np.nonzero(exposures), strict=True):
        channel, message = arms[a]
        for k in range(int(exposures[i, a])):
            at = base + timedelta(hours=k, minutes=int(a))
            key = f"{run_id}-p{period}-{ids[i]}-{channel}-{message}-{k}"
            exposure = _arm_event("exposure", f"exp-{key}", ids[i], at, channel, message)
            yield {**exposure, "cost": f"{unit_cost[a]:.6f}"}
            if opens is not None and k < opens[i, a]:
                at_open = at + timedelta(seconds=30)
                yield _arm_event("open", f"opn-{key}", ids[i], at_open, channel, message)
            if k < clicks[i, a]:
                at_click = at + timedelta(minutes=1)
                yield _arm_event("click", f"clk-{key}", ids[i], at_click, channel, message)
    yield from purchase_events(run_id, f"p{period}", ids, purchases, start)


def _arm_event(
    kind: str, event_id: str, customer: str, at: datetime, channel: str, message: str
) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "type": kind,
        "event_id": event_id,
        "customer_id": customer,
        "occurred_at": at.isoformat(),
        "source": SOURCE,
        "channel": channel,
        "message": message,
    }


def purchase_events(
    run_id: str,
    tag: str,
    ids: Sequence[str],
    purchases: Purchases,
    start: datetime = DEFAULT_START,
) -> Iterator[dict[str, Any]]:
    """One `purchase` event per purchase record (order id = event id)."""
    for j, (i, week, amount) in enumerate(
        zip(purchases.customer, purchases.week, purchases.amount, strict=True)
    ):
        order = f"{run_id}-{tag}-{j}"
        yield {
            "schema_version": SCHEMA_VERSION,
            "type": "purchase",
            "event_id": f"ord-{order}",
            "order_id": order,
            "customer_id": ids[int(i)],
            "occurred_at": week_to_datetime(week, start).isoformat(),
            "source": SOURCE,
            "amount": f"{max(float(amount), 0.0):.2f}",
        }
