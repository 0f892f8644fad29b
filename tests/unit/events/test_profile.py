"""The fold: any order, any duplicates, any replay give the same profile."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.events import (
    WINDOW_DAYS,
    ClickEvent,
    ConsentEvent,
    Event,
    ExposureEvent,
    ForgetEvent,
    IdentifyEvent,
    OfflinePurchaseEvent,
    OpenEvent,
    Profile,
    PurchaseEvent,
    VisitEvent,
    fold,
)

START = datetime(2024, 1, 1, tzinfo=UTC)


def _common(draw: st.DrawFn, n: int) -> dict[str, Any]:
    offset = timezone(timedelta(hours=draw(st.integers(-11, 12))))
    moment = START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 300)))
    return {
        "schema_version": 1,
        "event_id": f"e{draw(st.integers(0, 40))}",  # collisions on purpose
        "customer_id": "c",
        "occurred_at": moment.astimezone(offset),
        "source": draw(st.sampled_from(["web", "esp", "pos"])),
    }


@st.composite
def events(draw: st.DrawFn, forget: bool = False) -> Event:
    kinds = ["exposure", "open", "click", "visit", "purchase", "offline", "consent", "identify"]
    kind = draw(st.sampled_from([*kinds, "forget"] if forget else kinds))
    base = _common(draw, 0)
    arm: dict[str, Any] = {
        "channel": draw(st.sampled_from(["email", "display"])),
        "message": draw(st.sampled_from(["m1", "m2"])),
    }
    amount = Decimal(draw(st.integers(0, 50_000))) / 100
    order = f"o{draw(st.integers(0, 15))}"
    if kind == "exposure":
        cost = Decimal(draw(st.integers(0, 10_000))) / 1_000_000
        return ExposureEvent(type="exposure", cost=cost, **arm, **base)
    if kind == "open":
        return OpenEvent(type="open", **arm, **base)
    if kind == "click":
        return ClickEvent(type="click", **arm, **base)
    if kind == "visit":
        return VisitEvent(type="visit", channel=arm["channel"], **base)
    if kind == "purchase":
        return PurchaseEvent(type="purchase", order_id=order, amount=amount, **base)
    if kind == "offline":
        store = draw(st.sampled_from(["s1", "s2"]))
        return OfflinePurchaseEvent(
            type="offline_purchase", store_id=store, order_id=order, amount=amount, **base
        )
    if kind == "consent":
        return ConsentEvent(
            type="consent", channel=arm["channel"], granted=draw(st.booleans()), **base
        )
    if kind == "identify":
        traits = {"region": draw(st.sampled_from(["north", "south"]))}
        return IdentifyEvent(
            type="identify", alias_id=f"a{draw(st.integers(0, 3))}", traits=traits, **base
        )
    return ForgetEvent(type="forget", **base)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(events(forget=True), max_size=40).flatmap(
        lambda xs: st.tuples(
            st.just(xs),
            st.permutations(xs),
            st.lists(st.sampled_from(xs), max_size=20) if xs else st.just([]),
        )
    )
)
def test_any_permutation_with_duplicates_gives_the_same_profile(
    case: tuple[list[Event], list[Event], list[Event]],
) -> None:
    original, shuffled, duplicates = case
    expected = fold(original, owner="c")
    replayed = fold(shuffled + duplicates, owner="c")
    assert replayed.state() == expected.state()
    assert fold(original, owner="c", profile=expected.copy()).state() == expected.state()


@settings(max_examples=100, deadline=None)
@given(st.lists(events(forget=True), max_size=30), st.lists(events(forget=True), max_size=30))
def test_merging_two_partial_profiles_equals_folding_everything(
    left: list[Event], right: list[Event]
) -> None:
    whole = fold(left + right, owner="c")
    merged = fold(left, owner="c").merge(fold(right, owner="c"))
    assert merged.state() == whole.state()
    assert fold(right, owner="c").merge(fold(left, owner="c")).state() == whole.state()


def _event(kind: type, day: int, event_id: str, **fields: Any) -> Any:
    moment = datetime(1997, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)
    names: dict[type, str] = {PurchaseEvent: "purchase", ExposureEvent: "exposure"}
    type_name = names.get(kind, kind.__name__.removesuffix("Event").lower())
    return kind(
        type=type_name,
        schema_version=1,
        event_id=event_id,
        customer_id="c",
        occurred_at=moment,
        source="test",
        **fields,
    )


def test_rfm_follows_the_contract() -> None:
    purchases = [
        _event(PurchaseEvent, 0, "p1", order_id="o1", amount=Decimal("10.00")),
        _event(PurchaseEvent, 0, "p2", order_id="o2", amount=Decimal("5.00")),  # same day
        _event(PurchaseEvent, 14, "p3", order_id="o3", amount=Decimal("20.00")),
        _event(PurchaseEvent, 14, "p4", order_id="o4", amount=Decimal("2.50")),
        _event(PurchaseEvent, 70, "p5", order_id="o5", amount=Decimal("7.50")),
        _event(PurchaseEvent, 300, "p6", order_id="o6", amount=Decimal("99.00")),  # holdout
    ]
    profile = fold(purchases, owner="c")
    rfm = profile.rfm(date(1997, 9, 30))
    assert rfm is not None
    assert (rfm.x, rfm.t_x, round(rfm.T, 2), rfm.monetary_value) == (2, 10.0, 38.86, 15.0)
    assert profile.holdout_purchases(date(1997, 9, 30), date(1998, 6, 30)) == 1
    assert fold(purchases[:1], owner="c").rfm(date(1997, 9, 30)) == type(rfm)(0, 0.0, rfm.T, 0.0)
    assert profile.spend_stats().orders == 6
    assert profile.segment()["cohort"] == "1997-01"


def test_engagements_are_kept_for_the_window_only() -> None:
    old = _event(ExposureEvent, 0, "x1", channel="email", message="m", cost=Decimal("0.01"))
    recent = _event(ExposureEvent, WINDOW_DAYS + 5, "x2", channel="email", message="m")
    click = _event(ClickEvent, WINDOW_DAYS + 6, "k1", channel="email", message="m")
    for order in ([old, recent, click], [click, recent, old]):
        stats = fold(order, owner="c").arm_stats()["email:m"]
        assert (stats.exposures, stats.clicks, stats.cost) == (1, 1, 0.0)


def test_consent_is_last_writer_wins_by_time_then_event_id() -> None:
    grant = _event(ConsentEvent, 1, "k1", channel="email", granted=True)
    revoke = _event(ConsentEvent, 2, "k2", channel="email", granted=False)
    assert fold([revoke, grant], owner="c").consent_by_channel() == {"email": False}
    assert fold([grant, revoke], owner="c").consent_by_channel() == {"email": False}


def test_forget_erases_and_later_replays_do_not_resurrect() -> None:
    purchase = _event(PurchaseEvent, 0, "p1", order_id="o1", amount=Decimal("10.00"))
    forget = _event(ForgetEvent, 5, "f1")
    for order in ([purchase, forget], [forget, purchase]):
        profile = fold(order, owner="c")
        assert profile.forgotten and not profile.orders and profile.first_touch is None


def test_the_same_order_from_two_systems_counts_once() -> None:
    web = _event(PurchaseEvent, 3, "p1", order_id="o1", amount=Decimal("10.00"))
    resent = _event(PurchaseEvent, 3, "p1-resent", order_id="o1", amount=Decimal("10.00"))
    assert fold([web, resent], owner="c").spend_stats().revenue == 10.0


def test_state_round_trips() -> None:
    profile = fold(
        [
            _event(PurchaseEvent, 3, "p1", order_id="o1", amount=Decimal("10.00")),
            _event(IdentifyEvent, 1, "i1", alias_id="cookie-1", traits={"region": "west"}),
            _event(ConsentEvent, 1, "k1", channel="email", granted=True),
        ],
        owner="c",
    )
    assert Profile.from_state(profile.state()) == profile
    assert profile.aliases == {"cookie-1"}
    assert profile.segment() == {"cohort": "1997-01", "first_source": "test", "region": "west"}


def test_since_last_purchase_counts_exposures_and_answers_after_it() -> None:
    """Day 10 purchase; exposures on days 10 (same day: order unknown), 12 and 15; an open on
    day 16; a later purchase on day 40 is after the run date and does not count."""
    events = [
        _event(PurchaseEvent, 0, "p1", order_id="o1", amount=Decimal("10.00")),
        _event(PurchaseEvent, 10, "p2", order_id="o2", amount=Decimal("10.00")),
        _event(ExposureEvent, 10, "x0", channel="email", message="m"),
        _event(ExposureEvent, 12, "x1", channel="email", message="m"),
        _event(ExposureEvent, 15, "x2", channel="social", message="m"),
        _event(OpenEvent, 16, "o1", channel="email", message="m"),
        _event(PurchaseEvent, 40, "p3", order_id="o3", amount=Decimal("10.00")),
    ]
    profile = fold(events, owner="c")
    start = date(1997, 1, 1)
    assert profile.since_last_purchase(start + timedelta(days=15)) == (
        {"email:m": 1, "social:m": 1},
        False,
    )
    assert profile.since_last_purchase(start + timedelta(days=20))[1] is True
    assert profile.since_last_purchase(start + timedelta(days=40)) == ({}, False)
    assert fold(events[2:4], owner="c").since_last_purchase(start) == ({}, False)  # no purchase
