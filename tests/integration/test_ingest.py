"""The ingest Lambda on moto: SQS and Kinesis batches, bad records, replays, conflicts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.ingest.handler import kinesis_handler, sqs_handler
from functions.shared.profile_service import ProfileWriter
from functions.shared.profile_store import DynamoDBProfileStore
from infra.local.stack import LocalStack
from optimizer.events import Profile, parse_event
from tests.integration.conftest import body, event, profile

MALFORMED = {
    "not json": "{this is not json",
    "unknown type": body(event("refund", "b1")),
    "naive time": body(event("purchase", "b2", occurred_at="2024-01-01T10:00:00")),
    "negative amount": body(event("purchase", "b3", amount="-5")),
    "three decimals": body(event("purchase", "b4", amount="1.005")),
    "nobody": body(event("click", "b5", customer_id=None)),
    "bad channel": body(event("exposure", "b6", channel="E-Mail")),
    "future schema": body(event("click", "b7", schema_version=2)),
    "extra field": body(event("click", "b8", coupon="X")),
    "empty": "",
}


def _good_batch() -> list[str]:
    documents = [
        event("purchase", "p1", day=1),
        event("purchase", "p2", day=1, amount="5.50"),
        event("purchase", "p3", day=8, amount="20.00"),
        event("exposure", "x1", day=2),
        event("click", "k1", day=3),
        event("consent", "g1", day=1),
        event("consent", "g2", day=4, granted=False),
        event("purchase", "q1", day=2, customer_id="c-2"),
    ]
    return [body(d) for d in documents]


def _run_sqs(stack: LocalStack) -> tuple[dict[str, Any], dict[str, Any]]:
    sqs_event = stack.receive_sqs_event()
    if not sqs_event["Records"]:  # Lambda never invokes with an empty batch
        return sqs_event, {"batchItemFailures": []}
    with stack.function("IngestQueueFunction") as context:
        response = sqs_handler(sqs_event, context)
    stack.settle_sqs(sqs_event, response)
    return sqs_event, dict(response)


def test_sqs_batch_applies_good_records_and_fails_each_bad_one_alone(
    stack: LocalStack, caplog: pytest.LogCaptureFixture
) -> None:
    stack.send_to_queue(_good_batch() + list(MALFORMED.values()))
    sqs_event, response = _run_sqs(stack)
    by_body = {r["body"]: r["messageId"] for r in sqs_event["Records"]}
    failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    assert failed == {by_body[text] for text in MALFORMED.values()}

    customer, version = profile(stack, "c-1")
    assert version == 1, "one write per customer per batch"
    assert profile(stack, "c-2")[1] == 1
    assert customer.spend_stats().revenue == 35.5
    assert customer.spend_stats().purchase_days == 2
    assert customer.arm_stats()["email:spring"].clicks == 1
    assert customer.consent_by_channel() == {"email": False}

    reasons = {
        str(getattr(r, "record_id", "")): str(getattr(r, "reason", ""))
        for r in caplog.records
        if r.getMessage() == "record rejected"
    }
    assert set(reasons) == failed
    assert "amount" in reasons[by_body[MALFORMED["negative amount"]]]
    assert "occurred_at" in reasons[by_body[MALFORMED["naive time"]]]
    assert "refund" in reasons[by_body[MALFORMED["unknown type"]]]


def test_a_replayed_batch_writes_nothing(stack: LocalStack) -> None:
    stack.send_to_queue(_good_batch())
    _run_sqs(stack)
    before = profile(stack, "c-1")
    stack.send_to_queue(list(reversed(_good_batch())) * 2)
    _, response = _run_sqs(stack)
    assert response["batchItemFailures"] == []
    assert profile(stack, "c-1") == before  # same state, version not bumped: no write


def test_poison_records_reach_the_dead_letter_queue_after_retries(stack: LocalStack) -> None:
    stack.send_to_queue(["{broken", _good_batch()[0]])
    for _ in range(6):  # maxReceiveCount is 5 in template.yaml
        _run_sqs(stack)
    dlq = stack.sqs.receive_message(QueueUrl=stack.physical["EventsDeadLetterQueue"])
    assert [m["Body"] for m in dlq.get("Messages", [])] == ["{broken"]
    assert stack.receive_sqs_event()["Records"] == []
    assert profile(stack, "c-1")[1] == 1


def test_kinesis_batch_is_coalesced_and_bad_records_fail_alone(stack: LocalStack) -> None:
    good = _good_batch()
    records = [(json.loads(text)["customer_id"], text.encode()) for text in good]
    records.append(("c-1", b"\xff\xfe not even utf-8"))
    records.append(("c-1", MALFORMED["negative amount"].encode()))
    stack.put_to_stream(records)
    failures = []
    for kinesis_event in stack.kinesis_events():
        with stack.function("IngestStreamFunction") as context:
            failures += kinesis_handler(kinesis_event, context)["batchItemFailures"]
    assert len(failures) == 2
    customer, version = profile(stack, "c-1")
    assert version == 1
    expected = Profile(owner="c#c-1")
    for text in good[:-1]:
        expected.apply(parse_event(text))
    assert customer == expected


class _InterleavedStore(DynamoDBProfileStore):
    """The real adapter, but another Lambda writes the same person just before our first save."""

    def __init__(self, *args: Any, rival: list[str]) -> None:
        super().__init__(*args)
        self.rival = rival

    def save(self, key: str, profile: Profile, expected_version: int) -> bool:
        if self.rival:
            rival_events = [("r", parse_event(self.rival.pop()))]
            ProfileWriter(DynamoDBProfileStore(self.client, self.table_name)).apply(rival_events)
        return super().save(key, profile, expected_version)


def test_a_concurrent_write_is_detected_and_both_updates_survive(stack: LocalStack) -> None:
    rival = body(event("purchase", "rival", day=20, amount="99.00"))
    store = _InterleavedStore(stack.dynamodb, stack.table_name(), rival=[rival])
    report = ProfileWriter(store).apply([("m1", parse_event(_good_batch()[0]))])
    assert report.conflicts == 1 and not report.failed
    customer, version = profile(stack, "c-1")
    assert version == 2
    assert customer.spend_stats().revenue == 109.0


def test_a_profile_past_the_item_bound_fails_with_its_reason(stack: LocalStack) -> None:
    import hashlib
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from optimizer.events import PurchaseEvent

    start = datetime(2020, 1, 1, tzinfo=UTC)
    heavy = [
        (
            f"r{i}",
            PurchaseEvent(
                type="purchase",
                schema_version=1,
                event_id=f"e{i}",
                customer_id="reseller",
                occurred_at=start + timedelta(hours=i),
                source="web",
                order_id=hashlib.blake2b(str(i).encode(), digest_size=8).hexdigest(),
                amount=Decimal(i % 9000) / 100,
            ),
        )
        for i in range(40_000)
    ]
    light = ("ok", parse_event(_good_batch()[0]))
    report = ProfileWriter(DynamoDBProfileStore(stack.dynamodb, stack.table_name())).apply(
        [*heavy, light]
    )
    assert set(report.failed) == {r for r, _ in heavy}
    assert "DynamoDB item" in report.failed["r0"]
    assert profile(stack, "c-1")[1] == 1
