"""Moto-backed fixtures for the serving layer: the allocations and runs tables."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "percapita-test")
    with mock_aws():
        yield


@pytest.fixture
def serving_tables(aws: None, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    dynamodb = boto3.resource("dynamodb")
    allocations = dynamodb.create_table(
        TableName="allocations",
        KeySchema=[
            {"AttributeName": "run_id", "KeyType": "HASH"},
            {"AttributeName": "customer_id", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "run_id", "AttributeType": "S"},
            {"AttributeName": "customer_id", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    runs = dynamodb.create_table(
        TableName="runs",
        KeySchema=[{"AttributeName": "run_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "run_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("ALLOCATIONS_TABLE", "allocations")
    monkeypatch.setenv("RUNS_TABLE", "runs")
    from functions.api import app

    app.store.cache_clear()
    return allocations, runs
