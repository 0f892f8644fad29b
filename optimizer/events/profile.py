"""The profile: one bounded, mergeable summary of everything a person did.

Folding is exactly-once *by construction*: the profile is a join-semilattice (a state CRDT),
so `merge` is commutative, associative and idempotent, and applying an event is merging the
one-event profile. Any permutation of any multiset of events therefore gives the same profile,
and a replay is a no-op that the store can detect (state unchanged -> no write). There is no
separate "applied ids" log; each part of the state is keyed so that a duplicate lands on its
own key:

- purchases: `orders[order_key] = (day, cents)`; the key is the order id (offline: store id
  and order id), so the same order sent twice, by two systems or in two files, counts once.
  Conflicting copies of one order resolve to the larger (day, cents) so replicas converge.
  Per-day totals (the purchase periods of the RFM contract) are derived from it.
- engagements (exposure, open, click, visit): keyed by event id, kept for `WINDOW_DAYS` days
  ending at the latest engagement day (`horizon`). Anything older than the window is dropped
  on arrival and pruned when the horizon moves; since the final horizon is the maximum over
  all events, the kept set is the same whatever the arrival order (conflicting copies of
  one event id resolve to the latest day, so the copy kept is the last one the window would
  drop). This is the response
  window: per-arm exposures/opens/clicks/cost count the last 90 days of activity.
- consent per channel and traits per key: last writer wins by (occurred_at, event_id).
- aliases: a set (grow-only). first_touch: the minimum (occurred_at, event_id, source).
- forgotten: absorbing. A forget erases everything, and the customer id is retired: events
  replayed afterwards must not resurrect the person, so they fold into nothing.

Days are the calendar date of `occurred_at` in the offset the producer sent (a store's local
day for point-of-sale data). Money is integer cents (costs: micro-units), so sums are exact.

Size bound: the store keeps the state zlib-compressed in one DynamoDB item (400 KB limit).
A purchase costs about 15-25 compressed bytes and an engagement about 30-40, so an item holds
roughly 15,000 orders or 10,000 engagements in the window. A profile past the store's limit
is not written: its events fail with `ProfileTooLarge` and go to the dead-letter queue with
that reason (a reseller or a shared loyalty card, to be split by an operator), never truncated
silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from optimizer.events.schema import (
    ClickEvent,
    ConsentEvent,
    Event,
    ExposureEvent,
    ForgetEvent,
    IdentifyEvent,
    OfflinePurchaseEvent,
    OpenEvent,
    PurchaseEvent,
    VisitEvent,
)

WINDOW_DAYS = 90
"""Engagements (exposures and responses) are kept for this many days before the horizon."""

STATE_VERSION = 1

_KIND = {ExposureEvent: "x", OpenEvent: "o", ClickEvent: "c", VisitEvent: "v"}


def stamp(moment: datetime) -> str:
    """Fixed-width UTC text that sorts like the instant it names."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def order_key(event: PurchaseEvent | OfflinePurchaseEvent) -> str:
    """The purchase's de-duplication key (ids contain no spaces, so the join is unambiguous)."""
    if isinstance(event, OfflinePurchaseEvent):
        return f"{event.store_id} {event.order_id}"
    return event.order_id


def _cents(amount: Decimal) -> int:
    return int(amount * 100)


@dataclass(frozen=True)
class RFM:
    """The value model's inputs, per the RFM contract (times in weeks from first purchase)."""

    x: int
    t_x: float
    T: float
    monetary_value: float


@dataclass(frozen=True)
class ArmStats:
    exposures: int
    opens: int
    clicks: int
    cost: float


@dataclass(frozen=True)
class SpendStats:
    orders: int
    purchase_days: int
    revenue: float
    mean_order_value: float
    largest_order: float
    first_purchase: date | None
    last_purchase: date | None


CUSTOMER_OWNER, ALIAS_OWNER = "c#", "a#"


def customer_key(customer_id: str) -> str:
    """The owner of a customer's profile (and its key in the profile store)."""
    return f"{CUSTOMER_OWNER}{customer_id}"


def alias_key(alias_id: str) -> str:
    """The owner of an anonymous profile seen only under an alias (a device, a cookie)."""
    return f"{ALIAS_OWNER}{alias_id}"


@dataclass(eq=False)
class Profile:
    """Mutable for speed while folding a batch; compare and store through `state()`."""

    owner: str  # customer_key(customer_id) or alias_key(alias_id)
    forgotten: bool = False
    orders: dict[str, tuple[int, int]] = field(default_factory=dict)
    engagements: dict[str, tuple[str, str, int, int]] = field(default_factory=dict)
    horizon: int = 0
    consent: dict[str, tuple[str, str, bool]] = field(default_factory=dict)
    traits: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    aliases: set[str] = field(default_factory=set)
    first_touch: tuple[str, str, str] | None = None

    @property
    def customer_id(self) -> str | None:
        """Whom allocations and erasure name; None for an anonymous alias profile."""
        return self.owner.removeprefix(CUSTOMER_OWNER) if self.is_customer else None

    @property
    def is_customer(self) -> bool:
        return self.owner.startswith(CUSTOMER_OWNER)

    # -- folding -------------------------------------------------------------------------
    def apply(self, event: Event) -> Profile:
        """Fold one event in place (idempotent, commutes with every other event)."""
        if self.forgotten:
            return self
        if isinstance(event, ForgetEvent):
            self._erase()
            return self
        when = stamp(event.occurred_at)
        touch = (when, event.event_id, event.source)
        if self.first_touch is None or touch < self.first_touch:
            self.first_touch = touch
        day = event.occurred_at.date().toordinal()
        if isinstance(event, PurchaseEvent | OfflinePurchaseEvent):
            self._add_order(order_key(event), (day, _cents(event.amount)))
        elif isinstance(event, ExposureEvent):
            cost = int(event.cost * 1_000_000)
            self._add_engagement(
                event.event_id, ("x", f"{event.channel}:{event.message}", day, cost)
            )
        elif isinstance(event, OpenEvent | ClickEvent):
            arm = f"{event.channel}:{event.message}"
            self._add_engagement(event.event_id, (_KIND[type(event)], arm, day, 0))
        elif isinstance(event, VisitEvent):
            self._add_engagement(event.event_id, ("v", event.channel or "", day, 0))
        elif isinstance(event, ConsentEvent):
            _last_writer(self.consent, event.channel, (when, event.event_id, event.granted))
        elif isinstance(event, IdentifyEvent):
            self.aliases.add(event.alias_id)
            for key, value in event.traits.items():
                _last_writer(self.traits, key, (when, event.event_id, value))
        return self

    def merge(self, other: Profile) -> Profile:
        """Join another profile of the same person (e.g. an alias's) into this one, in place."""
        if self.forgotten or other.forgotten:
            self._erase()
            return self
        for key, order in other.orders.items():
            self._add_order(key, order)
        if other.horizon > self.horizon:
            self._move_horizon(other.horizon)
        for event_id, engagement in other.engagements.items():
            self._add_engagement(event_id, engagement)
        for channel, consent in other.consent.items():
            _last_writer(self.consent, channel, consent)
        for key, trait in other.traits.items():
            _last_writer(self.traits, key, trait)
        self.aliases |= other.aliases
        if other.first_touch is not None and (
            self.first_touch is None or other.first_touch < self.first_touch
        ):
            self.first_touch = other.first_touch
        return self

    def _erase(self) -> None:
        self.forgotten = True
        self.orders, self.engagements, self.consent, self.traits = {}, {}, {}, {}
        self.aliases, self.first_touch, self.horizon = set(), None, 0

    def _add_order(self, key: str, order: tuple[int, int]) -> None:
        known = self.orders.get(key)
        if known is None or order > known:
            self.orders[key] = order

    def _add_engagement(self, event_id: str, engagement: tuple[str, str, int, int]) -> None:
        day = engagement[2]
        if day > self.horizon:
            self._move_horizon(day)
        elif day <= self.horizon - WINDOW_DAYS:
            return
        known = self.engagements.get(event_id)
        # Conflicting copies of one id resolve to the latest day first: the copy kept is the
        # one the window keeps longest, so pruning never depends on which copy came first.
        if known is None or (day, engagement) > (known[2], known):
            self.engagements[event_id] = engagement

    def _move_horizon(self, day: int) -> None:
        self.horizon = day
        oldest = day - WINDOW_DAYS
        if any(e[2] <= oldest for e in self.engagements.values()):
            self.engagements = {k: e for k, e in self.engagements.items() if e[2] > oldest}

    # -- state -----------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Canonical JSON-able state: equal states mean equal profiles."""
        return {
            "v": STATE_VERSION,
            "owner": self.owner,
            "forgotten": self.forgotten,
            "orders": {k: list(v) for k, v in sorted(self.orders.items())},
            "engagements": {k: list(v) for k, v in sorted(self.engagements.items())},
            "horizon": self.horizon,
            "consent": {k: list(v) for k, v in sorted(self.consent.items())},
            "traits": {k: list(v) for k, v in sorted(self.traits.items())},
            "aliases": sorted(self.aliases),
            "first_touch": list(self.first_touch) if self.first_touch else None,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Profile:
        if state.get("v") != STATE_VERSION:
            raise ValueError(f"unknown profile state version {state.get('v')!r}")
        touch = state.get("first_touch")
        return cls(
            owner=state["owner"],
            forgotten=bool(state["forgotten"]),
            orders={k: (int(v[0]), int(v[1])) for k, v in state["orders"].items()},
            engagements={
                k: (v[0], v[1], int(v[2]), int(v[3])) for k, v in state["engagements"].items()
            },
            horizon=int(state["horizon"]),
            consent={k: (v[0], v[1], bool(v[2])) for k, v in state["consent"].items()},
            traits={k: (v[0], v[1], v[2]) for k, v in state["traits"].items()},
            aliases=set(state["aliases"]),
            first_touch=(touch[0], touch[1], touch[2]) if touch else None,
        )

    def copy(self) -> Profile:
        return Profile.from_state(self.state())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Profile) and self.state() == other.state()

    # -- what the models read --------------------------------------------------------------
    def daily_totals(self) -> dict[int, int]:
        """Purchase periods: cents spent per day (date ordinal), several orders summed."""
        totals: dict[int, int] = {}
        for day, cents in self.orders.values():
            totals[day] = totals.get(day, 0) + cents
        return totals

    def rfm(self, calibration_end: date) -> RFM | None:
        """x, t_x, T, monetary_value per the RFM contract; None without a calibration purchase."""
        end = calibration_end.toordinal()
        totals = self.daily_totals()
        days = sorted(day for day in totals if day <= end)
        if not days:
            return None
        first, x = days[0], len(days) - 1
        repeat = sum(totals[day] for day in days[1:])
        return RFM(
            x=x,
            t_x=(days[-1] - first) / 7.0 if x else 0.0,
            T=(end - first) / 7.0,
            monetary_value=repeat / x / 100.0 if x else 0.0,
        )

    def since_last_purchase(self, as_of: date) -> tuple[dict[str, int], bool]:
        """Exposures per arm after the last purchase day up to `as_of`, and whether the person
        opened, clicked or visited in that time (`optimizer.value.engagement`). Same-day
        events are left out: their order against the purchase is unknown."""
        end = as_of.toordinal()
        last = max((day for day, _ in self.orders.values() if day <= end), default=None)
        exposures: dict[str, int] = {}
        engaged = False
        if last is None:
            return exposures, engaged
        for kind, arm, day, _ in self.engagements.values():
            if not last < day <= end:
                continue
            if kind == "x":
                exposures[arm] = exposures.get(arm, 0) + 1
            else:
                engaged = True
        return exposures, engaged

    def holdout_purchases(self, calibration_end: date, observation_end: date) -> int:
        """Purchase periods in (calibration_end, observation_end]."""
        start, end = calibration_end.toordinal(), observation_end.toordinal()
        return sum(1 for day in self.daily_totals() if start < day <= end)

    def spend_stats(self) -> SpendStats:
        cents = [c for _, c in self.orders.values()]
        days = [d for d, _ in self.orders.values()]
        return SpendStats(
            orders=len(cents),
            purchase_days=len(set(days)),
            revenue=sum(cents) / 100.0,
            mean_order_value=sum(cents) / len(cents) / 100.0 if cents else 0.0,
            largest_order=max(cents, default=0) / 100.0,
            first_purchase=date.fromordinal(min(days)) if days else None,
            last_purchase=date.fromordinal(max(days)) if days else None,
        )

    def arm_stats(self) -> dict[str, ArmStats]:
        """Per arm ("channel:message"): exposures, opens, clicks and cost in the window."""
        counts: dict[str, list[int]] = {}
        for kind, arm, _, cost in self.engagements.values():
            if kind == "v":
                continue
            row = counts.setdefault(arm, [0, 0, 0, 0])
            row["xoc".index(kind)] += 1
            row[3] += cost
        return {
            arm: ArmStats(exposures=e, opens=o, clicks=c, cost=micros / 1_000_000)
            for arm, (e, o, c, micros) in sorted(counts.items())
        }

    def consent_by_channel(self) -> dict[str, bool]:
        return {channel: granted for channel, (_, _, granted) in sorted(self.consent.items())}

    def segment(self) -> dict[str, str]:
        """Segment attributes: traits from identify events plus derived cohort and first source."""
        attributes = {key: value for key, (_, _, value) in sorted(self.traits.items())}
        if self.orders:
            first = date.fromordinal(min(d for d, _ in self.orders.values()))
            attributes.setdefault("cohort", f"{first.year}-{first.month:02d}")
        if self.first_touch is not None:
            attributes.setdefault("first_source", self.first_touch[2])
        return attributes


def _last_writer(table: dict[str, Any], key: str, value: tuple[Any, ...]) -> None:
    known = table.get(key)
    if known is None or value > known:
        table[key] = value


def fold(events: Iterable[Event], owner: str, profile: Profile | None = None) -> Profile:
    """Fold events into `profile` (a new one for `owner` if None); pure in effect."""
    result = Profile(owner=owner) if profile is None else profile
    for event in events:
        result.apply(event)
    return result
