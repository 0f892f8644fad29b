"""Every live customer profile in the profile table, for the jobs that read everyone.

The nightly refit and the allocation run read all profiles. At tens of millions of persons
the same readers would take a DynamoDB export to S3 instead of a scan; the shape they
consume (the `state` blob per customer) is the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from functions.shared.profile_store import decode_state
from optimizer.events import Profile


def customer_items(dynamodb_client: Any, table_name: str) -> Iterator[dict[str, Any]]:
    """`{"pk", "state"}` of every customer item (aliases and tombstones left out)."""
    paginator = dynamodb_client.get_paginator("scan")
    for page in paginator.paginate(
        TableName=table_name,
        FilterExpression="begins_with(pk, :customer) AND attribute_exists(#state)",
        ExpressionAttributeNames={"#state": "state"},
        ExpressionAttributeValues={":customer": {"S": "c#"}},
    ):
        for item in page["Items"]:
            if not item.get("forgotten", {}).get("BOOL", False):
                yield {"pk": item["pk"]["S"], "state": bytes(item["state"]["B"])}


def customer_profiles(dynamodb_client: Any, table_name: str) -> Iterator[Profile]:
    for item in customer_items(dynamodb_client, table_name):
        yield decode_state(item["state"])
