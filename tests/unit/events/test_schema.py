"""The wire schema: what producers may send, and what they are told when they get it wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from optimizer.events import EVENT_TYPES, PurchaseEvent, describe_error, parse_event
from optimizer.events.jsonschema import json_schemas, render

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"

GOOD: dict[str, Any] = {
    "schema_version": 1,
    "type": "purchase",
    "event_id": "e-1",
    "customer_id": "c-1",
    "occurred_at": "2024-03-01T10:00:00+01:00",
    "source": "web",
    "order_id": "o-1",
    "amount": "19.90",
}


def test_committed_json_schemas_match_the_models() -> None:
    documents = json_schemas()
    assert set(documents) == {f"v1/{name}.json" for name in EVENT_TYPES} | {"v1/event.json"}
    committed = {str(p.relative_to(SCHEMAS)) for p in SCHEMAS.rglob("*.json")}
    assert committed == set(documents), "run: python -m optimizer.events.jsonschema schemas"
    for name, schema in documents.items():
        assert (SCHEMAS / name).read_text() == render(schema), f"{name} is stale"


def test_union_schema_names_every_type() -> None:
    union = json.loads((SCHEMAS / "v1" / "event.json").read_text())
    assert set(union["discriminator"]["mapping"]) == set(EVENT_TYPES)


def test_a_good_event_parses_from_json_and_from_a_mapping() -> None:
    event = parse_event(json.dumps(GOOD))
    assert isinstance(event, PurchaseEvent)
    assert event == parse_event(GOOD)
    assert str(event.amount) == "19.90"
    assert event.occurred_at.utcoffset() is not None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "refund"}, "does not match any of the expected tags"),
        ({"schema_version": 2}, "schema_version"),
        ({"occurred_at": "2024-03-01T10:00:00"}, "occurred_at"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "1.999"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"order_id": ""}, "order_id"),
        ({"event_id": "has space"}, "event_id"),
        ({"customer_id": None}, "customer_id or alias_id"),
        ({"source": ""}, "source"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_event_is_rejected_naming_the_field(change: dict[str, Any], field: str) -> None:
    data = {**GOOD, **change}
    with pytest.raises(ValidationError) as error:
        parse_event(json.dumps(data))
    assert field in describe_error(error.value)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"type": "forget", "customer_id": None}, "customer_id"),
        ({"type": "forget", "alias_id": "a-1"}, "alias_id"),
        ({"type": "identify", "customer_id": "c-1"}, "alias_id"),
        ({"type": "consent", "channel": "email"}, "granted"),
        ({"type": "exposure", "channel": "Email!", "message": "m"}, "channel"),
        ({"type": "click", "channel": "email"}, "message"),
        ({"type": "offline_purchase", "order_id": "o", "amount": 1}, "store_id"),
    ],
)
def test_each_type_checks_its_own_fields(data: dict[str, Any], field: str) -> None:
    base = {k: GOOD[k] for k in ("schema_version", "event_id", "occurred_at", "source")}
    with pytest.raises(ValidationError) as error:
        parse_event({**base, "customer_id": "c-1", **data})
    assert field in describe_error(error.value)


def test_not_json_at_all_is_rejected() -> None:
    with pytest.raises(ValidationError) as error:
        parse_event(b"\x00not json")
    assert "Invalid JSON" in describe_error(error.value)
