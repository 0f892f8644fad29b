"""Adapters built once per Lambda container from the environment (see template.yaml)."""

from __future__ import annotations

import os
from functools import cache

import boto3

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
