"""REST API for ad buying systems (API Gateway REST, IAM-authorized in the template).

Routes:
- GET /v1/customers/{customer_id}/allocation   the person's plan in the latest run
- GET /v1/runs/latest                           summary of the latest published run
- GET /v1/runs/{run_id}                         summary of one run
- GET /v1/runs/{run_id}/allocations             a page of plans (?channel=&tier=&cursor=&limit=)

Powertools validates path and query parameters (422 with the offending field) and the
responses against the same pydantic records the allocation run writes; unknown ids are 404
with a body that says what was not found.
"""

from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.exceptions import BadRequestError, NotFoundError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from functions.api.store import InvalidCursorError
from functions.shared.wiring import allocation_store
from optimizer.publishing.records import AllocationRecord, RunSummary

logger = Logger(service="percapita-api")
tracer = Tracer(service="percapita-api")
metrics = Metrics(namespace="percapita", service="percapita-api")
app = APIGatewayRestResolver(enable_validation=True)

CustomerId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")]
RunId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]


class AllocationPage(BaseModel):
    """A page of a run's allocation records; pass `next_cursor` back as `cursor`."""

    run_id: str
    items: list[AllocationRecord]
    next_cursor: str | None


def latest_run_id() -> str:
    run_id = allocation_store().latest_run_id()
    if run_id is None:
        raise NotFoundError("no allocation run has been published yet")
    return run_id


@app.get("/v1/customers/<customer_id>/allocation", tags=["allocations"])
@tracer.capture_method
def get_customer_allocation(customer_id: CustomerId) -> AllocationRecord:
    """The person's plan in the latest published run."""
    run_id = latest_run_id()
    record = allocation_store().allocation(run_id, customer_id)
    if record is None:
        raise NotFoundError(f"customer {customer_id!r} has no allocation in run {run_id!r}")
    return record


@app.get("/v1/runs/latest", tags=["runs"])
@tracer.capture_method
def get_latest_run() -> RunSummary:
    """Summary of the latest published run: spend, certified gap, shadow prices, exports."""
    return get_run(latest_run_id())


@app.get("/v1/runs/<run_id>", tags=["runs"])
@tracer.capture_method
def get_run(run_id: RunId) -> RunSummary:
    """Summary of one run."""
    summary = allocation_store().run(run_id)
    if summary is None:
        raise NotFoundError(f"run {run_id!r} does not exist")
    return summary


@app.get("/v1/runs/<run_id>/allocations", tags=["allocations"])
@tracer.capture_method
def list_run_allocations(
    run_id: RunId,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    tier: Annotated[int | None, Query(ge=1, le=100)] = None,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AllocationPage:
    """One page of a run's plans, optionally only persons on a channel or in a tier."""
    if allocation_store().run(run_id) is None:
        raise NotFoundError(f"run {run_id!r} does not exist")
    try:
        items, next_cursor = allocation_store().page(
            run_id, channel=channel, tier=tier, limit=limit, cursor=cursor
        )
    except InvalidCursorError as error:
        raise BadRequestError(f"invalid cursor: {error}") from error
    metrics.add_metric(name="AllocationsServed", unit="Count", value=len(items))
    return AllocationPage(run_id=run_id, items=items, next_cursor=next_cursor)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
