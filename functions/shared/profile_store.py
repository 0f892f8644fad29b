"""The profile store port, and its DynamoDB adapter.

One table, one item per owner: `pk = "c#<customer_id>"` for a customer, `pk = "a#<alias_id>"`
for an alias. An alias item is either an anonymous profile (events seen under the alias
before anybody linked it) or, once linked, a pointer `linked_to` to the customer. Every item
carries a `version` number; writes are conditional on the version that was read
(optimistic concurrency), so two Lambdas updating the same person never lose an update.
The profile state is stored zlib-compressed in one binary attribute (`state`), which keeps a
heavy buyer far below the 400 KB item limit and keeps every write to three attributes
(tombstones add `forgotten = true` so that scans can skip them).
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

from optimizer.events import Profile
from optimizer.events.profile import alias_key, customer_key

__all__ = ["DynamoDBProfileStore", "ProfileStore", "StoredProfile", "alias_key", "customer_key"]

MAX_STATE_BYTES = 350_000
"""Largest compressed state written; DynamoDB's item limit is 400 KB, the rest is headroom."""


class ProfileTooLarge(Exception):
    """The profile would not fit in one item; its events go to the dead-letter queue."""


@dataclass
class StoredProfile:
    """What the store holds for a key: a profile or a link, and the version read."""

    profile: Profile | None
    version: int
    linked_to: str | None = None


class ProfileStore(Protocol):
    """The port the ingestion service writes through."""

    def load(self, keys: Sequence[str]) -> dict[str, StoredProfile]:
        """Items for the keys that exist (strongly consistent)."""
        ...

    def save(self, key: str, profile: Profile, expected_version: int) -> bool:
        """Write if the stored version is still `expected_version` (0: absent); False if not."""
        ...

    def link(self, alias_id: str, customer_id: str, expected_version: int) -> bool:
        """Turn the alias item into a pointer to the customer, same condition as `save`."""
        ...

    def erase(self, customer_id: str, alias_ids: Iterable[str]) -> int:
        """Delete alias items and every derived item of the customer; returns items deleted."""
        ...


def encode_state(profile: Profile) -> bytes:
    blob = zlib.compress(json.dumps(profile.state(), separators=(",", ":")).encode(), 6)
    if len(blob) > MAX_STATE_BYTES:
        raise ProfileTooLarge(
            f"profile {profile.owner} needs {len(blob)} bytes compressed, "
            f"more than the {MAX_STATE_BYTES} one DynamoDB item can hold"
        )
    return blob


def decode_state(blob: bytes) -> Profile:
    return Profile.from_state(json.loads(zlib.decompress(blob)))


class DynamoDBProfileStore:
    """`ProfileStore` on a DynamoDB table with a string partition key `pk`.

    `derived_tables` maps table name -> key attribute for items derived from a profile
    (scores, allocations); `erase` deletes the customer's item in each.
    """

    def __init__(
        self, client: Any, table_name: str, derived_tables: dict[str, str] | None = None
    ) -> None:
        self.client = client
        self.table_name = table_name
        self.derived_tables = derived_tables or {}
        self.writes = 0

    def load(self, keys: Sequence[str]) -> dict[str, StoredProfile]:
        found: dict[str, StoredProfile] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 100):
            request: dict[str, Any] = {
                self.table_name: {
                    "Keys": [{"pk": {"S": k}} for k in unique[start : start + 100]],
                    "ConsistentRead": True,
                }
            }
            for _ in range(8):
                answer = self.client.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.table_name, []):
                    found[item["pk"]["S"]] = _stored(item)
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError("DynamoDB kept keys unprocessed; retry the batch")
        return found

    def save(self, key: str, profile: Profile, expected_version: int) -> bool:
        item: dict[str, Any] = {
            "pk": {"S": key},
            "version": {"N": str(expected_version + 1)},
            "state": {"B": encode_state(profile)},
        }
        if profile.forgotten:
            item["forgotten"] = {"BOOL": True}  # lets scans skip tombstones without decoding
        return self._put(item, expected_version)

    def link(self, alias_id: str, customer_id: str, expected_version: int) -> bool:
        item = {
            "pk": {"S": alias_key(alias_id)},
            "version": {"N": str(expected_version + 1)},
            "linked_to": {"S": customer_id},
        }
        return self._put(item, expected_version)

    def erase(self, customer_id: str, alias_ids: Iterable[str]) -> int:
        deleted = 0
        for alias_id in sorted(set(alias_ids)):
            self.client.delete_item(
                TableName=self.table_name, Key={"pk": {"S": alias_key(alias_id)}}
            )
            deleted += 1
        for table, attribute in sorted(self.derived_tables.items()):
            self.client.delete_item(TableName=table, Key={attribute: {"S": customer_id}})
            deleted += 1
        self.writes += deleted
        return deleted

    def _put(self, item: dict[str, Any], expected_version: int) -> bool:
        if expected_version == 0:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}},
            }
        self.writes += 1
        try:
            self.client.put_item(TableName=self.table_name, Item=item, **condition)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _stored(item: dict[str, Any]) -> StoredProfile:
    version = int(item["version"]["N"])
    if "linked_to" in item:
        return StoredProfile(profile=None, version=version, linked_to=item["linked_to"]["S"])
    blob = item["state"]["B"]
    return StoredProfile(profile=decode_state(bytes(blob)), version=version)


def derived_tables_from(text: str) -> dict[str, str]:
    """Parse `table:key_attribute,table2:key` (the DERIVED_TABLES environment variable)."""
    tables: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        table, _, attribute = part.partition(":")
        tables[table] = attribute or "customer_id"
    return tables
