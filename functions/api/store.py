"""DynamoDB adapter for what the API serves: allocation records and run summaries.

Layout (both tables on-demand, keys as strings):
- allocations: partition `run_id`, sort `customer_id`; one item per person per run. The
  record itself is one JSON string (`record`); only what queries filter on is an attribute
  of its own (`tier`, and `channels`, the set of channels the person is bought on). Flat
  items cost a fraction of nested maps to write and read, a run writes millions.
  The index `by_customer` (customer_id, run_id) finds a person's records for erasure.
- runs: partition `run_id`; one item per run holding its `RunSummary`, plus the item
  `run_id = "latest"` whose `current_run_id` points at the last published run.
A person's current allocation is the item of the latest run: the score function re-plans a
person in place in that run when their profile changes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from optimizer.publishing.records import AllocationRecord, RunSummary

LATEST_RUN_KEY = "latest"
CUSTOMER_INDEX = "by_customer"
READ_SIZE = 1000


class InvalidCursorError(ValueError):
    """The pagination cursor was not one this API handed out."""


def to_dynamo(value: Any) -> Any:
    """JSON-compatible value -> DynamoDB-compatible value (floats become Decimals)."""
    return json.loads(json.dumps(value), parse_float=Decimal)


def from_dynamo(value: Any) -> Any:
    """DynamoDB item -> plain JSON types (Decimals become int or float)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: from_dynamo(item) for key, item in value.items()}
    if isinstance(value, list | set):
        return [from_dynamo(item) for item in value]
    return value


def encode_cursor(last_key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(from_dynamo(last_key)).encode()).decode()


def decode_cursor(cursor: str, run_id: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidCursorError("cursor is not valid base64 JSON") from error
    if not isinstance(key, dict) or set(key) != {"run_id", "customer_id"}:
        raise InvalidCursorError("cursor does not name a position in a run")
    if key["run_id"] != run_id:
        raise InvalidCursorError("cursor belongs to another run")
    return key


class AllocationStore:
    """Reads and writes allocation records and run summaries (boto3 Table resources)."""

    def __init__(self, allocations_table: Any, runs_table: Any) -> None:
        self._allocations = allocations_table
        self._runs = runs_table

    def latest_run_id(self) -> str | None:
        item = self._runs.get_item(Key={"run_id": LATEST_RUN_KEY}).get("Item")
        return None if item is None else str(item["current_run_id"])

    def run(self, run_id: str) -> RunSummary | None:
        item = self._runs.get_item(Key={"run_id": run_id}).get("Item")
        return None if item is None else RunSummary.model_validate(from_dynamo(item))

    def allocation(self, run_id: str, customer_id: str) -> AllocationRecord | None:
        key = {"run_id": run_id, "customer_id": customer_id}
        item = self._allocations.get_item(Key=key).get("Item")
        return None if item is None else _record(item)

    def put_run(self, summary: RunSummary, *, make_latest: bool) -> None:
        self._runs.put_item(Item=to_dynamo(summary.model_dump(mode="json")))
        if make_latest:
            self._runs.put_item(Item={"run_id": LATEST_RUN_KEY, "current_run_id": summary.run_id})

    def put_allocations(self, records: Iterator[AllocationRecord] | list[AllocationRecord]) -> int:
        """Writes records with batch writes (25 items a request, retries by boto3)."""
        written = 0
        with self._allocations.batch_writer() as batch:
            for record in records:
                batch.put_item(Item=_item(record))
                written += 1
        return written

    def erase_customer(self, customer_id: str) -> int:
        """Deletes the person's record in every run (right to erasure); returns how many."""
        keys: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "IndexName": CUSTOMER_INDEX,
            "KeyConditionExpression": "customer_id = :customer",
            "ExpressionAttributeValues": {":customer": customer_id},
        }
        while True:
            response = self._allocations.query(**request)
            keys.extend(
                {"run_id": item["run_id"], "customer_id": item["customer_id"]}
                for item in response["Items"]
            )
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        with self._allocations.batch_writer() as batch:
            for key in keys:
                batch.delete_item(Key=key)
        return len(keys)

    def page(
        self,
        run_id: str,
        *,
        channel: str | None,
        tier: int | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[AllocationRecord], str | None]:
        """One page of a run's records, filtered; returns the records and the next cursor.

        DynamoDB applies a filter after reading, so each query reads a full 1,000 items and
        the page ends at the `limit`-th match; the cursor is that record's key (not the
        query's LastEvaluatedKey), so nothing read past it is skipped. Pages are full except
        the last.
        """
        start = decode_cursor(cursor, run_id) if cursor else None
        records: list[AllocationRecord] = []
        while True:
            request: dict[str, Any] = {
                "KeyConditionExpression": "run_id = :run",
                "ExpressionAttributeValues": {":run": run_id},
                "Limit": READ_SIZE,
            }
            filters = []
            if channel is not None:
                filters.append("contains(channels, :channel)")
                request["ExpressionAttributeValues"][":channel"] = channel
            if tier is not None:
                filters.append("tier = :tier")
                request["ExpressionAttributeValues"][":tier"] = tier
            if filters:
                request["FilterExpression"] = " AND ".join(filters)
            if start is not None:
                request["ExclusiveStartKey"] = start
            response = self._allocations.query(**request)
            items = response["Items"]
            for position, item in enumerate(items):
                records.append(_record(item))
                if len(records) == limit:
                    more = position < len(items) - 1 or "LastEvaluatedKey" in response
                    key = {"run_id": item["run_id"], "customer_id": item["customer_id"]}
                    return records, encode_cursor(key) if more else None
            start = response.get("LastEvaluatedKey")
            if start is None:
                return records, None


def _item(record: AllocationRecord) -> dict[str, Any]:
    item: dict[str, Any] = {
        "run_id": record.run_id,
        "customer_id": record.customer_id,
        "tier": record.tier,
        "record": record.model_dump_json(),
    }
    if record.channels:  # a string set cannot be empty: a person bought on no channel has none
        item["channels"] = set(record.channels)
    return item


def _record(item: dict[str, Any]) -> AllocationRecord:
    return AllocationRecord.model_validate_json(item["record"])
