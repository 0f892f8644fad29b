"""Interaction events: the versioned wire schema every producer writes.

One pydantic model per event type, joined into a discriminated union on `type`, so a record
is validated against exactly one model and an error names the offending field. Every event
carries `event_id` (the producer's id, the unit of de-duplication), `customer_id` or
`alias_id` (a device or cookie id not yet linked to a customer), a timezone-aware
`occurred_at`, a `source` and `schema_version`. The JSON Schema files in `schemas/` are
generated from these models (`python -m optimizer.events.jsonschema schemas`), never by hand.

Money is `Decimal` with at most two decimals (costs: six), so that sums are exact and the
fold does not depend on the order in which floating point additions happen.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)

SCHEMA_VERSION: Literal[1] = 1

Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
]
"""Printable ASCII without spaces: ids end up in DynamoDB keys and log lines."""

ChannelName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
MessageName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Amount = Annotated[Decimal, Field(ge=0, le=Decimal("1e9"), decimal_places=2)]
Cost = Annotated[Decimal, Field(ge=0, le=Decimal("1e6"), decimal_places=6)]


class _Event(BaseModel):
    """Fields every event has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = Field(description="Version of this schema the producer wrote.")
    event_id: Identifier = Field(description="Producer's unique id; replays carry the same id.")
    customer_id: Identifier | None = Field(default=None, description="Known customer id.")
    alias_id: Identifier | None = Field(
        default=None, description="Device, cookie or loyalty-card id not (yet) linked."
    )
    occurred_at: AwareDatetime = Field(description="When it happened, with a UTC offset.")
    source: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="Producing system, e.g. 'web', 'esp', 'pos:store-12', 'import:s3'."
    )

    @model_validator(mode="after")
    def _someone(self) -> _Event:
        if self.customer_id is None and self.alias_id is None:
            raise ValueError("an event needs customer_id or alias_id")
        return self


class _ArmEvent(_Event):
    channel: ChannelName = Field(description="Marketing channel, e.g. 'email', 'display'.")
    message: MessageName = Field(description="Creative or message id within the channel.")


class ExposureEvent(_ArmEvent):
    """A send or an impression of one message on one channel, with what it cost."""

    type: Literal["exposure"]
    cost: Cost = Field(default=Decimal(0), description="Media cost of this exposure.")


class OpenEvent(_ArmEvent):
    """An email or push opened: a weak response, attributed to the arm."""

    type: Literal["open"]


class ClickEvent(_ArmEvent):
    """A click on a message: the response the response model counts."""

    type: Literal["click"]


class VisitEvent(_Event):
    """A web or app session."""

    type: Literal["visit"]
    channel: ChannelName | None = Field(default=None, description="Referring channel, if any.")
    page: Annotated[str, StringConstraints(max_length=512)] | None = None


class PurchaseEvent(_Event):
    """An online order. `order_id` is the de-duplication key of the purchase."""

    type: Literal["purchase"]
    order_id: Identifier
    amount: Amount
    quantity: Annotated[int, Field(ge=0, le=1_000_000)] | None = None


class OfflinePurchaseEvent(_Event):
    """A point-of-sale purchase; may arrive days late, lands at `occurred_at`."""

    type: Literal["offline_purchase"]
    store_id: Identifier
    order_id: Identifier
    amount: Amount
    quantity: Annotated[int, Field(ge=0, le=1_000_000)] | None = None


class ConsentEvent(_Event):
    """Opt-in (`granted`) or opt-out for one channel; the latest by time wins."""

    type: Literal["consent"]
    channel: ChannelName
    granted: bool


class IdentifyEvent(_Event):
    """Links `alias_id` to `customer_id`; may carry segment attributes (`traits`)."""

    type: Literal["identify"]
    customer_id: Identifier
    alias_id: Identifier
    traits: dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")],
        Annotated[str, StringConstraints(max_length=128)],
    ] = Field(default_factory=dict, max_length=32, description="Segment attributes.")


class ForgetEvent(_Event):
    """Erase the person (right to erasure). The customer id is retired for good."""

    type: Literal["forget"]
    customer_id: Identifier
    alias_id: None = None


Event = Annotated[
    ExposureEvent
    | OpenEvent
    | ClickEvent
    | VisitEvent
    | PurchaseEvent
    | OfflinePurchaseEvent
    | ConsentEvent
    | IdentifyEvent
    | ForgetEvent,
    Field(discriminator="type"),
]
"""Any event; validated against the one model its `type` names."""

EVENT_TYPES: dict[str, type[_Event]] = {
    "exposure": ExposureEvent,
    "open": OpenEvent,
    "click": ClickEvent,
    "visit": VisitEvent,
    "purchase": PurchaseEvent,
    "offline_purchase": OfflinePurchaseEvent,
    "consent": ConsentEvent,
    "identify": IdentifyEvent,
    "forget": ForgetEvent,
}

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: str | bytes | dict[str, Any]) -> Event:
    """Validate one event from JSON text or a decoded mapping (raises pydantic.ValidationError)."""
    if isinstance(data, str | bytes):
        return EVENT_ADAPTER.validate_json(data)
    return EVENT_ADAPTER.validate_python(data)


def describe_error(error: Exception) -> str:
    """One line naming each offending field, for logs and error files."""
    errors = getattr(error, "errors", None)
    if not callable(errors):
        return f"{type(error).__name__}: {error}"
    parts = []
    for item in errors(include_url=False):
        where = ".".join(str(p) for p in item.get("loc", ())) or "event"
        parts.append(f"{where}: {item.get('msg')}")
    return "; ".join(parts)
