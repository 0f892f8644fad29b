"""Simulated marketing history for the CDNOW customers, as the events production ingests.

CDNOW gives purchases only. To show the response model at work, the demo adds what a
retailer's ESP and ad platforms would have sent over the weeks before the run: consent
choices, exposures and clicks. The truth behind them, in one place:

- consent: each customer opts in to email with probability 0.7, to social matching with 0.5
  and to the printed catalog with 0.6 (one `consent` event each, granted or refused);
  display (cookies) is not asked here, so it follows the run's `consent_default`;
- segments: the month of the first purchase (1997-01, -02, -03) shifts every arm's click
  rate by a factor (1.3, 1.0, 0.7): earlier cohorts are the keener fans;
- each person's click rate on an arm is Beta with mean = base rate of the arm x segment
  factor and concentration 20, so persons scatter around their segment;
- campaigns: `periods` weekly sends before the run date; each week a random 35% of the
  customers get 1-3 exposures of one random arm they consented to.
Event ids are deterministic, so running the demo twice sends the same events (and ingestion
counts them once).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from optimizer.allocation.policy import Policy

OPT_IN = {"email_opt_in": 0.7, "social_match": 0.5, "postal_ok": 0.6}
COHORT_FACTOR = {"1997-01": 1.3, "1997-02": 1.0, "1997-03": 0.7}
CONCENTRATION = 20.0
BASE_RATE = {"email": 0.04, "direct_mail": 0.03, "display": 0.004, "social": 0.01}
REACHED_PER_WEEK = 0.35


def _event(kind: str, event_id: str, customer: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "type": kind,
        "event_id": event_id,
        "customer_id": customer,
        "occurred_at": at.isoformat(),
        "source": "demo-esp",
        **fields,
    }


def engagement_events(
    customers: Sequence[str],
    cohorts: Sequence[str],
    policy: Policy,
    run_date: date,
    periods: int = 4,
    seed: int = 7,
) -> Iterator[dict[str, Any]]:
    """Consent, exposure and click events, grouped by customer (one profile write each)."""
    rng = np.random.default_rng(seed)
    arms = policy.arms
    cost = policy.arm_cost()
    flags = [policy.channels[channel].consent for channel, _ in arms]
    factor = np.array([COHORT_FACTOR.get(c, 1.0) for c in cohorts])
    mean = np.clip(
        np.array([BASE_RATE.get(channel, 0.01) for channel, _ in arms])[None, :] * factor[:, None],
        1e-4,
        0.5,
    )
    truth = rng.beta(mean * CONCENTRATION, (1 - mean) * CONCENTRATION)
    consent = {flag: rng.random(len(customers)) < p for flag, p in OPT_IN.items()}
    start = datetime(run_date.year, run_date.month, run_date.day, 10, tzinfo=UTC)
    start -= timedelta(weeks=periods)
    for i, customer in enumerate(customers):
        for flag, granted in consent.items():
            yield _event(
                "consent", f"demo-consent-{flag}-{customer}", customer, start - timedelta(days=1),
                channel=flag, granted=bool(granted[i]),
            )  # fmt: skip
        allowed = [a for a, flag in enumerate(flags) if consent.get(flag, [True] * (i + 1))[i]]
        for week in range(periods):
            if not allowed or rng.random() >= REACHED_PER_WEEK:
                continue
            a = int(rng.choice(allowed))
            channel, message = arms[a]
            sent = start + timedelta(weeks=week, hours=int(rng.integers(0, 72)))
            for k in range(int(rng.integers(1, 4))):
                key = f"{customer}-{week}-{channel}-{message}-{k}"
                at = sent + timedelta(hours=k)
                yield _event(
                    "exposure", f"demo-exp-{key}", customer, at,
                    channel=channel, message=message, cost=f"{cost[a]:.6f}",
                )  # fmt: skip
                if rng.random() < truth[i, a]:
                    yield _event(
                        "click", f"demo-clk-{key}", customer, at + timedelta(minutes=3),
                        channel=channel, message=message,
                    )  # fmt: skip
