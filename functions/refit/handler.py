"""Nightly refit: fit the value and response models on every profile, store a new version.

Models are versioned in the run bucket (`models/<version>/population.json` with its
diagnostics beside it) and `models/latest.json` points at the one in service. A fit that
did not converge is stored for inspection under `models/rejected/<version>/` but never made
latest: the previous model stays in service and the `RefitRejected` metric raises the alarm.
The schedule's event may carry `{"as_of": "YYYY-MM-DD"}` in its detail (replays, the demo);
otherwise the event's time is the as-of date.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import Any

import boto3
import yaml
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from functions.allocation_run.storage import RunStorage
from functions.shared.observability import logger, metrics, tracer
from functions.shared.profile_scan import customer_profiles
from functions.shared.wiring import run_storage
from optimizer.allocation.policy import parse_policy
from optimizer.pipeline.features import features_from_profiles
from optimizer.pipeline.models import RefitRejected, fit_population
from optimizer.pipeline.settings import RunSettings


class RefitDetail(BaseModel):
    as_of: date | None = None


class RefitSchedule(EventBridgeModel):
    detail: RefitDetail


def refit(storage: RunStorage, profiles: Any, as_of: date, version: str) -> dict[str, Any]:
    policy = parse_policy(yaml.safe_load(storage.get_bytes("config/policy.yaml")), "policy")
    settings = RunSettings.model_validate(
        storage.get_json("config/settings.json") if storage.exists("config/settings.json") else {}
    )
    features = features_from_profiles(list(profiles), policy, as_of, settings)
    try:
        population = fit_population(features, policy.arms, settings.purchase_model)
    except RefitRejected as error:
        storage.put_json(
            f"models/rejected/{version}/reason.json",
            {"reason": str(error), "as_of": as_of.isoformat(), "persons": features.n},
        )
        return {"status": "rejected", "version": version, "reason": str(error)}
    stored = population.to_dict() | {"as_of": as_of.isoformat(), "persons": features.n}
    storage.put_json(f"models/{version}/population.json", stored)
    storage.put_json(f"models/{version}/diagnostics.json", population.diagnostics())
    storage.put_json("models/latest.json", {"version": version})
    return {"status": "fitted", "version": version, "persons": features.n}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=RefitSchedule)
def handler(event: RefitSchedule, context: LambdaContext) -> dict[str, Any]:
    as_of = event.detail.as_of or event.time.date()
    version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    storage = run_storage()
    profiles = customer_profiles(boto3.client("dynamodb"), os.environ["PROFILES_TABLE"])
    result = refit(storage, profiles, as_of, version)
    if result["status"] == "rejected":
        logger.error("refit rejected; previous model stays in service", extra=result)
        metrics.add_metric(name="RefitRejected", unit="Count", value=1)
    else:
        logger.info("refit stored", extra=result)
        metrics.add_metric(name="RefitSucceeded", unit="Count", value=1)
    return result
