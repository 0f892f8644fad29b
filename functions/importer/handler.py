"""S3 ObjectCreated on the landing bucket -> offline purchase events -> profiles.

The object is streamed line by line (never loaded whole), turned into events by
`optimizer.events.pos` (CDNOW master as published, or the generic CSV documented there),
and applied in chunks of `IMPORT_CHUNK_ROWS` rows through the same `ProfileWriter` as the
ingest Lambda, so a chunk costs one write per customer in it. Bad rows are written to an
error object beside the file (`<key>.errors.csv`: line, reason, row) and the good rows are
applied. Event ids are deterministic, so importing the same file again counts nothing twice;
that is also the retry story: if some profile writes still conflict after the writer's own
retries, the function raises after applying everything else, Lambda's asynchronous retry
re-imports the object (a no-op for what was applied) and, if that fails too, the event goes
to the function's on-failure destination.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.shared.observability import logger, metrics, tracer
from functions.shared.profile_service import ProfileWriter, Record
from functions.shared.wiring import profile_writer, s3_client
from optimizer.events.pos import read_rows

ERROR_SUFFIX = ".errors.csv"
DEFAULT_CHUNK_ROWS = 100_000


class ImportIncomplete(Exception):
    """Some rows were valid but could not be written yet; the object will be re-imported."""


@dataclass
class ImportReport:
    bucket: str
    key: str
    rows: int = 0
    events: int = 0
    rejected: int = 0
    writes: int = 0
    chunks: int = 0
    error_key: str | None = None
    not_applied: dict[str, str] = field(default_factory=dict)


def _lines(body: Any) -> Iterator[str]:
    for raw in body.iter_lines(chunk_size=1 << 20, keepends=True):
        yield raw.decode("utf-8", errors="replace")


def import_object(
    bucket: str,
    key: str,
    writer: ProfileWriter,
    s3: Any,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Stream one object into profiles; write `<key>.errors.csv` if any row was rejected."""
    report = ImportReport(bucket=bucket, key=key)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    errors = io.StringIO()
    error_rows = csv.writer(errors)
    error_rows.writerow(["line", "reason", "row"])
    chunk: list[Record] = []

    def flush() -> None:
        if chunk:
            applied = writer.apply(chunk)
            report.writes += applied.writes
            report.not_applied.update(applied.failed)
            report.chunks += 1
            if on_progress is not None:
                on_progress(len(chunk))
            chunk.clear()

    for row in read_rows(_lines(body), source="pos-import"):
        report.rows += 1
        if row.event is None:
            report.rejected += 1
            error_rows.writerow([row.line, row.reason, row.text])
            if on_progress is not None:
                on_progress(1)
            continue
        report.events += 1
        chunk.append((f"{key}:{row.line}", row.event))
        if len(chunk) >= chunk_rows:
            flush()
    flush()
    if report.rejected:
        report.error_key = key + ERROR_SUFFIX
        s3.put_object(
            Bucket=bucket,
            Key=report.error_key,
            Body=errors.getvalue().encode(),
            ContentType="text/csv",
        )
    return report


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=S3Event)
def handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    chunk_rows = int(os.environ.get("IMPORT_CHUNK_ROWS", DEFAULT_CHUNK_ROWS))
    summaries = []
    incomplete = []
    for record in event.records:
        bucket, key = record.s3.bucket.name, unquote_plus(record.s3.get_object.key)
        if key.endswith(ERROR_SUFFIX):
            continue  # our own error report: never import it
        report = import_object(bucket, key, profile_writer(), s3_client(), chunk_rows)
        summary = {k: v for k, v in vars(report).items() if k != "not_applied"}
        summary["not_applied"] = len(report.not_applied)
        logger.info("object imported", extra=summary)
        metrics.add_metric(name="RowsImported", unit=MetricUnit.Count, value=report.events)
        metrics.add_metric(name="RowsRejected", unit=MetricUnit.Count, value=report.rejected)
        metrics.add_metric(name="ProfileWrites", unit=MetricUnit.Count, value=report.writes)
        summaries.append(summary)
        if report.not_applied:
            incomplete.append(f"s3://{bucket}/{key}: {len(report.not_applied)} rows")
    if incomplete:
        raise ImportIncomplete("not all rows applied, will retry: " + "; ".join(incomplete))
    return {"imported": summaries}
