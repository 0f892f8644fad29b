"""Ingest handlers: parse each record, then apply the whole batch coalesced per person.

Two entry points, one per event source (`sqs_handler`, `kinesis_handler`); both report
partial batch failures (`ReportBatchItemFailures`): a malformed record fails alone with its
reason logged, and records whose profile could not be written are reported too, so the
source retries only those and eventually moves them to the dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.ingest.models import EventKinesisRecord, EventSqsRecord
from functions.shared.observability import logger, metrics, tracer
from functions.shared.profile_service import ApplyReport, Record
from functions.shared.wiring import profile_writer
from optimizer.events import Event, describe_error


class RejectingBatchProcessor(BatchProcessor):
    """BatchProcessor that logs why each record was rejected, in one structured line."""

    def failure_handler(self, record: Any, exception: Any) -> Any:
        identifier = getattr(record, "message_id", None) or getattr(
            getattr(record, "kinesis", None), "sequence_number", None
        )
        logger.warning(
            "record rejected",
            extra={"record_id": identifier, "reason": describe_error(exception[1])},
        )
        metrics.add_metric(name="RecordsRejected", unit=MetricUnit.Count, value=1)
        return super().failure_handler(record, exception)


sqs_processor = RejectingBatchProcessor(
    event_type=EventType.SQS, model=EventSqsRecord, raise_on_entire_batch_failure=False
)
kinesis_processor = RejectingBatchProcessor(
    event_type=EventType.KinesisDataStreams,
    model=EventKinesisRecord,
    raise_on_entire_batch_failure=False,
)


def ingest_batch(
    event: dict[str, Any],
    context: LambdaContext,
    processor: BatchProcessor,
    unwrap: Callable[[Any], tuple[str, Event]],
) -> PartialItemFailureResponse:
    """Validate records one by one, then fold and write the valid ones in one pass."""
    parsed: list[Record] = []

    def collect(record: Any) -> None:
        parsed.append(unwrap(record))

    response = process_partial_response(
        event=event, record_handler=collect, processor=processor, context=context
    )
    report = profile_writer().apply(parsed)
    for record_id, reason in report.failed.items():
        logger.warning("record not applied", extra={"record_id": record_id, "reason": reason})
    failures = list(response["batchItemFailures"])
    failures += [{"itemIdentifier": record_id} for record_id in report.failed]
    _publish(report)
    return {"batchItemFailures": failures}


def _publish(report: ApplyReport) -> None:
    metrics.add_metric(name="EventsApplied", unit=MetricUnit.Count, value=report.events)
    metrics.add_metric(name="ProfileWrites", unit=MetricUnit.Count, value=report.profile_writes)
    metrics.add_metric(name="ProfilesUnchanged", unit=MetricUnit.Count, value=report.unchanged)
    metrics.add_metric(name="WriteConflicts", unit=MetricUnit.Count, value=report.conflicts)
    metrics.add_metric(name="RecordsNotApplied", unit=MetricUnit.Count, value=len(report.failed))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def sqs_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return ingest_batch(
        event, context, sqs_processor, lambda record: (record.messageId, record.body)
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def kinesis_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return ingest_batch(
        event,
        context,
        kinesis_processor,
        lambda record: (record.kinesis.sequenceNumber, record.kinesis.data),
    )
