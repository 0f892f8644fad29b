"""Profile changed -> re-score and re-plan that one person at the latest run's prices.

The run's prices are what make one person's plan consistent with everybody else's: at those
prices the person's own LP is exact (`optimizer.allocation.dual.reallocate`, well under a
millisecond), so a purchase or a consent change shows in the served allocation within
seconds instead of at the next run. The new record replaces the person's record in the
latest run. A forgotten person's tombstone erases their records from every run instead
(exports expire with the run bucket's 30-day lifecycle). The as-of date is the run's, or
the person's last purchase day if later, so the value models see the purchase that
triggered the change.

Records are processed with Powertools' BatchProcessor: a record that fails is reported in
`batchItemFailures`; with `BisectBatchOnFunctionError` the stream retries it alone and its
on-failure destination keeps it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import numpy as np
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.allocation_run.steps import RunInputs
from functions.shared.observability import logger, metrics, tracer
from functions.shared.profile_store import decode_state
from functions.shared.wiring import allocation_store, run_storage
from optimizer.allocation.dual import Prices, reallocate
from optimizer.allocation.problem import Structure, compile_policy
from optimizer.pipeline.features import features_from_profiles
from optimizer.pipeline.models import FittedPopulation
from optimizer.pipeline.records import RunTiers, allocation_records
from optimizer.pipeline.scoring import allocation_problem, score

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@dataclass(frozen=True)
class ServingRun:
    """What re-planning needs from the latest run, loaded once per run per container."""

    inputs: RunInputs
    population: FittedPopulation
    structure: Structure
    prices: Prices
    tiers: RunTiers


@cache
def serving_run(run_id: str) -> ServingRun:
    storage = run_storage()
    inputs = RunInputs(storage, run_id)
    solution = storage.get_json(f"runs/{run_id}/solution.json")
    structure = compile_policy(inputs.policy)
    return ServingRun(
        inputs=inputs,
        population=inputs.population(storage),
        structure=structure,
        prices=Prices(structure, np.asarray(solution["prices"], dtype=np.float64)),
        tiers=RunTiers.from_dict(solution["tiers"]),
    )


def replan(record: DynamoDBRecord) -> str | None:
    """Re-plans the person of one stream record; returns their id, or None if not a person."""
    image = record.dynamodb.new_image if record.dynamodb else None
    if record.event_name == DynamoDBRecordEventName.REMOVE or not image:
        return None
    if "state" not in image:
        return None  # an alias pointer: its customer's own record carries the change
    profile = decode_state(base64.b64decode(image["state"]))
    if profile.customer_id is None:
        return None  # an anonymous profile: nobody to address until it is linked
    if profile.forgotten:  # the tombstone of an erased person: erase what derives from it
        erased = allocation_store().erase_customer(profile.customer_id)
        metrics.add_metric(name="AllocationsErased", unit="Count", value=erased)
        return None
    run_id = allocation_store().latest_run_id()
    if run_id is None:
        return None  # nothing served yet: the first run plans everyone
    run = serving_run(run_id)
    last_purchase = profile.spend_stats().last_purchase
    as_of = max(run.inputs.as_of, last_purchase or date.min)
    features = features_from_profiles([profile], run.inputs.policy, as_of, run.inputs.settings)
    if features.n == 0:
        return None  # a prospect: no purchase to value yet
    scores = score(features, run.population, run.inputs.settings)
    problem = allocation_problem(features, scores)
    plan = reallocate(problem, run.prices)
    (allocation,) = allocation_records(
        run_id,
        run.structure,
        problem,
        scores,
        plan.exposures[None, :],
        run.tiers,
        datetime.now(UTC),
    )
    allocation_store().put_allocations([allocation])
    metrics.add_metric(name="PersonsReplanned", unit="Count", value=1)
    return profile.customer_id


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=replan, processor=processor, context=context
    )
