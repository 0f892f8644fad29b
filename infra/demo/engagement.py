"""Simulated marketing history for the CDNOW customers, as the events production ingests.

CDNOW gives purchases only. To show the response model at work, the demo adds what a
retailer's ESP and ad platforms would have sent over the weeks before the run: consent
choices, exposures and clicks. The truth behind them, in one place:

- consent: each customer opts in to email with probability 0.7, to social matching with 0.5
  and to the printed catalog with 0.6. Checkout opted everyone in to email and the catalog
  and out of social matching (`CONSENT_DEFAULT`, the run's `consent_default`), so the CRM
  sends a `consent` event only where a customer's choice differs from that default: email
  and catalog refusals, social grants. Display (cookies) is not asked: default granted;
- segments: the month of the first purchase (1997-01, -02, -03) shifts every arm's click
  rate by a factor (1.3, 1.0, 0.7): earlier cohorts are the keener fans;
- each person's click rate on an arm is Beta with mean = base rate of the arm x segment
  factor and concentration 20, so persons scatter around their segment;
- campaigns: `periods` weekly sends before the run date; each week a random 35% of the
  customers get 1-3 exposures of one random arm they consented to; each exposure is clicked
  with the person's rate on that arm;
- opens (email only, as ESPs report them): an email is opened with probability
  `OPENS_PER_CLICK` x the person's click rate (at most 0.95), and clicked only once open.
Event ids are deterministic, so running the demo twice sends the same events (and ingestion
counts them once).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from optimizer.allocation.policy import Policy
from optimizer.events.schema import SCHEMA_VERSION
from optimizer.simulation.events import interaction_events
from optimizer.simulation.world import Purchases

OPT_IN = {"email_opt_in": 0.7, "social_match": 0.5, "postal_ok": 0.6}
CONSENT_DEFAULT = {"cookies": True, "email_opt_in": True, "social_match": False, "postal_ok": True}
COHORT_FACTOR = {"1997-01": 1.3, "1997-02": 1.0, "1997-03": 0.7}
CONCENTRATION = 20.0
BASE_RATE = {"email": 0.04, "direct_mail": 0.03, "display": 0.004, "social": 0.01}
REACHED_PER_WEEK = 0.35
OPENS_PER_CLICK = 5.0
OPEN_CHANNELS = ("email",)


def _consent(flag: str, customer: str, at: datetime, granted: bool) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "type": "consent",
        "event_id": f"demo-consent-{flag}-{customer}",
        "customer_id": customer,
        "occurred_at": at.isoformat(),
        "source": "demo-crm",
        "channel": flag,
        "granted": granted,
    }


def engagement_events(
    customers: Sequence[str],
    cohorts: Sequence[str],
    policy: Policy,
    run_date: date,
    periods: int = 4,
    seed: int = 7,
) -> list[dict[str, Any]]:
    """Consent, exposure, open and click events, grouped by customer as an ESP export is (so
    ingestion writes each profile once); exposures and clicks are rendered by the
    simulator's event writer (`optimizer.simulation.events`)."""
    rng = np.random.default_rng(seed)
    n, arms = len(customers), policy.arms
    flags = [policy.channels[channel].consent for channel, _ in arms]
    factor = np.array([COHORT_FACTOR.get(c, 1.0) for c in cohorts])
    base = np.array([BASE_RATE.get(channel, 0.01) for channel, _ in arms])
    mean = np.clip(base[None, :] * factor[:, None], 1e-4, 0.5)
    truth = rng.beta(mean * CONCENTRATION, (1 - mean) * CONCENTRATION)
    records_opens = np.array([channel in OPEN_CHANNELS for channel, _ in arms])[None, :]
    open_rate = np.clip(truth * OPENS_PER_CLICK, truth, 0.95)
    consent = {flag: rng.random(n) < p for flag, p in OPT_IN.items()}
    allowed = np.column_stack([consent.get(f, np.ones(n, dtype=bool)) for f in flags])
    start = datetime(run_date.year, run_date.month, run_date.day, 10, tzinfo=UTC)
    start -= timedelta(weeks=periods)
    events = [
        _consent(flag, customer, start - timedelta(days=1), bool(granted[i]))
        for i, customer in enumerate(customers)
        for flag, granted in consent.items()
        if bool(granted[i]) != CONSENT_DEFAULT[flag]
    ]
    nobody_bought = Purchases.concat([])
    for week in range(periods):
        # A random 35% are reached this week: 1-3 exposures of one arm they consented to.
        reached = (rng.random(n) < REACHED_PER_WEEK) & allowed.any(axis=1)
        pick = rng.random((n, len(arms))) * allowed
        arm = pick.argmax(axis=1)
        exposures = np.zeros((n, len(arms)), dtype=np.int64)
        exposures[reached, arm[reached]] = rng.integers(1, 4, size=int(reached.sum()))
        # Where opens are recorded a click needs an open; elsewhere every exposure may click.
        reachable = np.where(records_opens, rng.binomial(exposures, open_rate), exposures)
        clicks = rng.binomial(reachable, truth / np.where(records_opens, open_rate, 1.0))
        events += interaction_events(
            "demo", week, float(week), customers, arms, policy.arm_cost(), exposures, clicks,
            nobody_bought, start=start, opens=np.where(records_opens, reachable, 0),
        )  # fmt: skip
    order = {customer: i for i, customer in enumerate(customers)}
    return sorted(events, key=lambda event: order[event["customer_id"]])
