"""Adapters built once per Lambda container from the environment (see template.yaml)."""

from __future__ import annotations

import os
from functools import cache

import boto3

from functions.allocation_run.storage import RunStorage
from functions.api.store import AllocationStore
from functions.shared.profile_service import ProfileWriter
from functions.shared.profile_store import DynamoDBProfileStore, derived_tables_from


@cache
def profile_store(table_name: str | None = None) -> DynamoDBProfileStore:
    name = table_name or os.environ["PROFILES_TABLE"]
    return DynamoDBProfileStore(
        boto3.client("dynamodb"), name, derived_tables_from(os.environ.get("DERIVED_TABLES", ""))
    )


def profile_writer() -> ProfileWriter:
    return ProfileWriter(profile_store(os.environ["PROFILES_TABLE"]))


@cache
def s3_client() -> object:
    return boto3.client("s3")


@cache
def allocation_store() -> AllocationStore:
    """The allocations and runs tables (API, allocation run, score)."""
    dynamodb = boto3.resource("dynamodb")
    return AllocationStore(
        dynamodb.Table(os.environ["ALLOCATIONS_TABLE"]), dynamodb.Table(os.environ["RUNS_TABLE"])
    )


@cache
def run_storage() -> RunStorage:
    """The run bucket (refit, allocation run, score)."""
    return RunStorage(boto3.client("s3"), os.environ["RUN_BUCKET"])
