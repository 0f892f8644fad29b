"""Fixtures for the serving layer: template.yaml's tables on moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.local.stack import local_stack


@pytest.fixture
def serving_tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    """(allocations, runs) tables as the template defines them, the API's environment set."""
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    with local_stack() as local:
        for key, value in local.function_environment("ApiFunction").items():
            monkeypatch.setenv(key, value)
        dynamodb = boto3.resource("dynamodb")
        yield (
            dynamodb.Table(local.physical["AllocationsTable"]),
            dynamodb.Table(local.physical["RunsTable"]),
        )
