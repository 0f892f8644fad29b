"""The embedded stack (template.yaml on moto) and small event builders."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from functions.shared.profile_store import customer_key, decode_state
from infra.local.stack import LocalStack, local_stack
from optimizer.events import Profile


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with local_stack() as created:
        yield created


def event(kind: str, event_id: str, day: int = 1, **fields: Any) -> dict[str, Any]:
    """A valid event document of `kind` on 2024-01-<day> (customer c-1 unless told)."""
    body: dict[str, Any] = {
        "schema_version": 1,
        "type": kind,
        "event_id": event_id,
        "occurred_at": f"2024-01-{day:02d}T10:00:00+01:00",
        "source": "test",
    }
    if "alias_id" not in fields or kind == "identify":
        body["customer_id"] = "c-1"
    defaults: dict[str, dict[str, Any]] = {
        "purchase": {"order_id": f"o-{event_id}", "amount": "10.00"},
        "exposure": {"channel": "email", "message": "spring", "cost": "0.002"},
        "click": {"channel": "email", "message": "spring"},
        "consent": {"channel": "email", "granted": True},
    }
    body.update(defaults.get(kind, {}))
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def body(document: dict[str, Any]) -> str:
    return json.dumps(document)


def item(stack: LocalStack, key: str) -> dict[str, Any] | None:
    answer = stack.dynamodb.get_item(
        TableName=stack.table_name(), Key={"pk": {"S": key}}, ConsistentRead=True
    )
    found: dict[str, Any] | None = answer.get("Item")
    return found


def profile(stack: LocalStack, customer_id: str) -> tuple[Profile, int]:
    """The stored profile of a customer and its version (number of writes so far)."""
    stored = item(stack, customer_key(customer_id))
    assert stored is not None, f"no profile for {customer_id}"
    return decode_state(bytes(stored["state"]["B"])), int(stored["version"]["N"])
