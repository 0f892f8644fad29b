"""Lambda entry points of the allocation run's steps (see `steps` for what each does).

Inputs are validated by Powertools Parser models: a malformed state from a hand-started
execution fails the step with a message naming the field, before any work is done.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import Any

import boto3
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from functions.allocation_run import steps
from functions.shared.observability import logger, metrics, tracer
from functions.shared.profile_scan import customer_items
from functions.shared.wiring import allocation_store, run_storage

RUN_ID = r"^[A-Za-z0-9_.:\-]{1,64}$"


class RunRequest(BaseModel):
    """What starts a run (the execution input): optionally the as-of date, default today."""

    as_of: date | None = None


class PrepareInput(BaseModel):
    run_id: str = Field(pattern=RUN_ID, description="The execution name: one run per name.")
    request: RunRequest = Field(default_factory=RunRequest)


class RunState(BaseModel):
    run_id: str = Field(pattern=RUN_ID)
    bucket: str


class ShardInput(RunState):
    key: str = Field(min_length=1)


class FailureInput(BaseModel):
    run_id: str | None = None
    error: dict[str, Any] = Field(default_factory=dict)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=PrepareInput)
def prepare_run(event: PrepareInput, context: LambdaContext) -> dict[str, Any]:
    as_of = event.request.as_of or datetime.now(UTC).date()
    shard_size = int(os.environ.get("SHARD_SIZE", "5000"))
    state = steps.prepare(
        run_storage(),
        event.run_id,
        as_of,
        customer_items(boto3.client("dynamodb"), os.environ["PROFILES_TABLE"]),
        shard_size,
    )
    logger.info("run prepared", extra=state)
    return state


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=ShardInput)
def summarize_shard(event: ShardInput, context: LambdaContext) -> dict[str, Any]:
    return steps.summarize(run_storage(), event.run_id, event.key)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=RunState)
def solve_prices(event: RunState, context: LambdaContext) -> dict[str, Any]:
    limit = os.environ.get("SOLVE_TIME_LIMIT_SECONDS")
    return steps.solve(run_storage(), event.run_id, float(limit) if limit else None)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=ShardInput)
def allocate_shard(event: ShardInput, context: LambdaContext) -> dict[str, Any]:
    writer = steps.records_writer(allocation_store())
    return steps.allocate(run_storage(), event.run_id, event.key, writer)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=RunState)
def publish_run(event: RunState, context: LambdaContext) -> dict[str, Any]:
    """Stores the summary, points `latest` at it and announces it, once per run."""
    already = allocation_store().run(event.run_id)
    summary = already or steps.publish(run_storage(), event.run_id)
    if already is None:
        allocation_store().put_run(summary, make_latest=True)
        boto3.client("events").put_events(
            Entries=[
                {
                    "Source": "percapita.allocation",
                    "DetailType": "AllocationPublished",
                    "Detail": summary.model_dump_json(),
                    "EventBusName": os.environ.get("EVENT_BUS_NAME", "default"),
                }
            ]
        )
        metrics.add_metric(name="RunsPublished", unit="Count", value=1)
        metrics.add_metric(name="CertifiedGap", unit="None", value=summary.gap)
    return summary.model_dump(mode="json")


@logger.inject_lambda_context
@metrics.log_metrics
@event_parser(model=FailureInput)
def record_failure(event: FailureInput, context: LambdaContext) -> dict[str, Any]:
    """Keeps why a run failed beside its files; the RunFailures metric drives the alarm."""
    record = {"run_id": event.run_id, "error": event.error, "at": datetime.now(UTC).isoformat()}
    if event.run_id:
        run_storage().put_json(f"runs/{event.run_id}/failure.json", record)
    logger.error("allocation run failed", extra=record)
    metrics.add_metric(name="RunFailures", unit="Count", value=1)
    return record
