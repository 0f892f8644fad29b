"""The buyers' API as a buying system sees it: real handler, real event shape, moto tables."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.api import app as api
from functions.api.store import AllocationStore
from infra.openapi import SPEC_PATH, generate_spec
from optimizer.publishing.records import AllocationRecord, ChannelAllocation, RunSummary

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class FakeContext:
    """The few LambdaContext attributes Powertools' Logger reads."""

    function_name = "percapita-api"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:percapita-api"
    aws_request_id = "request-1"


def rest_event(path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway REST proxy event as IAM-authorized requests arrive."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {"Accept": "application/json"},
        "multiValueHeaders": {"Accept": ["application/json"]},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "GET",
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"userArn": "arn:aws:iam::123456789012:user/buyer", "sourceIp": "1.2.3.4"},
            "accountId": "123456789012",
        },
        "body": None,
        "isBase64Encoded": False,
    }


def call(path: str, query: dict[str, str] | None = None) -> tuple[int, Any]:
    response = api.handler(rest_event(path, query), FakeContext())  # type: ignore[arg-type]
    return response["statusCode"], json.loads(response["body"])


def record(run_id: str, customer_id: str, tier: int, channels: list[str]) -> AllocationRecord:
    return AllocationRecord(
        run_id=run_id,
        customer_id=customer_id,
        tier=tier,
        channels={
            name: ChannelAllocation(spend=0.25, exposures=2.0, bid_multiplier=1.5)
            for name in channels
        },
        message_mix={"new_release": 0.75, "brand_story": 0.25},
        clv=123.45,
        p_alive=0.8,
        expected_incremental_value=3.2,
        marginal_return=1.1,
        binding=["frequency_cap:email"],
        updated_at=NOW,
    )


def summary(run_id: str) -> RunSummary:
    return RunSummary(
        run_id=run_id,
        status="optimal",
        created_at=NOW,
        persons=30,
        budget=100.0,
        spend=99.5,
        objective=250.0,
        upper_bound=250.0001,
        gap=4e-7,
        spend_by_channel={"email": 20.0, "display": 79.5},
        shadow_prices={"budget": 0.35},
    )


@pytest.fixture
def published(serving_tables: tuple[Any, Any]) -> AllocationStore:
    store = AllocationStore(*serving_tables)
    store.put_run(summary("run-1"), make_latest=False)
    store.put_run(summary("run-2"), make_latest=True)
    store.put_allocations(
        record("run-2", f"c{i:03d}", tier=1 + i % 3, channels=["email"] if i % 2 else ["display"])
        for i in range(30)
    )
    store.put_allocations([record("run-1", "c000", tier=3, channels=["email"])])
    return store


def test_customer_allocation_comes_from_the_latest_run(published: AllocationStore) -> None:
    status, body = call("/v1/customers/c000/allocation")
    assert status == 200
    assert body["run_id"] == "run-2"
    assert body["tier"] == 1
    assert body["channels"]["display"] == {"spend": 0.25, "exposures": 2.0, "bid_multiplier": 1.5}


def test_unknown_customer_and_run_are_404_with_a_reason(published: AllocationStore) -> None:
    status, body = call("/v1/customers/nobody/allocation")
    assert status == 404
    assert "nobody" in body["message"] and "run-2" in body["message"]
    status, body = call("/v1/runs/run-9")
    assert status == 404
    assert "run-9" in body["message"]


def test_latest_run_before_any_run_is_404(serving_tables: tuple[Any, Any]) -> None:
    status, body = call("/v1/runs/latest")
    assert status == 404
    assert "no allocation run" in body["message"]


def test_latest_run_summary(published: AllocationStore) -> None:
    status, body = call("/v1/runs/latest")
    assert status == 200
    assert body["run_id"] == "run-2"
    assert body["shadow_prices"] == {"budget": 0.35}


def test_pagination_walks_every_filtered_record_once(published: AllocationStore) -> None:
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {"channel": "email", "limit": "4"} | ({"cursor": cursor} if cursor else {})
        status, body = call("/v1/runs/run-2/allocations", query)
        assert status == 200
        assert len(body["items"]) <= 4
        seen.extend(item["customer_id"] for item in body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"c{i:03d}" for i in range(30) if i % 2]
    assert pages >= 4


def test_tier_filter(published: AllocationStore) -> None:
    status, body = call("/v1/runs/run-2/allocations", {"tier": "2", "limit": "1000"})
    assert status == 200
    assert {item["tier"] for item in body["items"]} == {2}
    assert len(body["items"]) == 10


@pytest.mark.parametrize(
    ("query", "field"),
    [({"tier": "zero"}, "tier"), ({"limit": "0"}, "limit"), ({"limit": "5000"}, "limit")],
)
def test_invalid_query_is_422_naming_the_field(
    published: AllocationStore, query: dict[str, str], field: str
) -> None:
    status, body = call("/v1/runs/run-2/allocations", query)
    assert status == 422
    assert any(field in error["loc"] for error in body["detail"])


def test_forged_cursor_is_400(published: AllocationStore) -> None:
    status, body = call("/v1/runs/run-2/allocations", {"cursor": "bm90LWpzb24="})
    assert status == 400
    assert "invalid cursor" in body["message"]


def test_committed_openapi_spec_matches_the_code() -> None:
    assert SPEC_PATH.read_text() == generate_spec(), "run `python -m infra.openapi`"


@pytest.mark.parametrize("customer_id", ["bad%20id", "x" * 129, "c%2300001"])
def test_an_invalid_customer_id_is_422(published: AllocationStore, customer_id: str) -> None:
    status, body = call(f"/v1/customers/{customer_id}/allocation")
    assert status == 422
    assert any("customer_id" in error["loc"] for error in body["detail"])
