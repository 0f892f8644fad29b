"""Parser models: the event source's record with the event schema inside it.

Powertools validates each record against these models; a record whose body is not a valid
event fails alone and the rest of the batch goes on.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.parser.models import (
    KinesisDataStreamRecord,
    KinesisDataStreamRecordPayload,
    SqsRecordModel,
)
from pydantic import Json

from optimizer.events import Event


class EventSqsRecord(SqsRecordModel):
    body: Json[Event]


class EventKinesisPayload(KinesisDataStreamRecordPayload):
    data: Json[Event]


class EventKinesisRecord(KinesisDataStreamRecord):
    kinesis: EventKinesisPayload
