"""The allocation run end to end on moto: refit, the real state machine, records, exports, event.

The ASL in infra/statemachine runs in moto's interpreter; Lambda invocations are answered
in-process by the real handlers (infra.statemachine.runner), everything else is moto.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from functions.allocation_run import steps
from functions.api.store import AllocationStore
from functions.shared.profile_store import DynamoDBProfileStore, customer_key
from infra.local.stack import LambdaContext as LocalContext
from infra.local.stack import local_stack
from infra.statemachine.runner import run_allocation
from optimizer.events import parse_event
from optimizer.events.pos import read_rows
from optimizer.events.profile import fold

ROOT = Path(__file__).resolve().parents[2]
PERSONS = 300


def cdnow_profiles(limit: int) -> list[Any]:
    events: dict[str, list[Any]] = defaultdict(list)
    with (ROOT / "data" / "cdnow" / "CDNOW_master.txt").open() as lines:
        for row in read_rows(lines):
            if row.event is not None and row.event.customer_id is not None:
                if len(events) == limit and row.event.customer_id not in events:
                    break
                events[row.event.customer_id].append(row.event)
    return [fold(found, owner=customer_key(c)) for c, found in events.items()]


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """template.yaml's resources on moto, with 300 CDNOW profiles and a budget that binds."""
    from functions.score import handler as score

    score.serving_run.cache_clear()  # a run id names different files in each fresh stack
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    with local_stack() as local:
        for function in ("RefitFunction", "ScoreFunction", "PrepareRunFunction"):
            for key, value in local.function_environment(function).items():
                monkeypatch.setenv(key, value)
        monkeypatch.setenv("SHARD_SIZE", "100")
        bucket = local.physical["RunBucket"]
        s3 = boto3.client("s3")
        policy = yaml.safe_load((ROOT / "policies" / "cdnow.yaml").read_text())
        policy["total_budget"] = 12.0
        del policy["channels"]["display"]["budget_min"]  # sized for 23,570 persons, not 300
        s3.put_object(Bucket=bucket, Key="config/policy.yaml", Body=yaml.safe_dump(policy))
        flags = sorted({c["consent"] for c in policy["channels"].values()})
        settings = {"consent_default": {flag: True for flag in flags}}
        s3.put_object(Bucket=bucket, Key="config/settings.json", Body=json.dumps(settings))
        store = DynamoDBProfileStore(boto3.client("dynamodb"), local.table_name())
        for profile in cdnow_profiles(PERSONS):
            assert store.save(profile.owner, profile, 0)
        sqs = boto3.client("sqs")
        queue_url = sqs.create_queue(QueueName="published")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events = boto3.client("events")
        events.put_rule(
            Name="published", EventPattern=json.dumps({"detail-type": ["AllocationPublished"]})
        )
        events.put_targets(Rule="published", Targets=[{"Id": "q", "Arn": queue_arn}])
        yield {"local": local, "queue_url": queue_url, "policy": policy, "bucket": bucket}


def serving_store(stack: dict[str, Any]) -> AllocationStore:
    dynamodb = boto3.resource("dynamodb")
    local = stack["local"]
    return AllocationStore(
        dynamodb.Table(local.physical["AllocationsTable"]),
        dynamodb.Table(local.physical["RunsTable"]),
    )


def run(stack: dict[str, Any], name: str) -> tuple[Any, list[str]]:
    execution, lambdas = run_allocation(stack["local"], {"as_of": "1997-09-30"}, name)
    return execution, [function for function, _ in lambdas.invocations]


def refit(as_of: str) -> dict[str, Any]:
    from functions.refit.handler import handler

    event = {
        "version": "0", "id": "e-1", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-11-23T03:00:00Z", "region": "us-east-1",
        "resources": [], "detail": {"as_of": as_of},
    }  # fmt: skip
    result: dict[str, Any] = handler(event, LocalContext("RefitFunction"))
    return result


def published_events(queue_url: str) -> list[dict[str, Any]]:
    messages = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


@pytest.mark.slow
def test_a_run_plans_everyone_within_budget_and_publishes_once(stack: dict[str, Any]) -> None:
    assert refit("1997-09-30")["status"] == "fitted"
    execution, names = run(stack, "run-1")
    assert execution.status == "SUCCEEDED", execution.cause
    assert names.count("SummarizeShardFunction") == 3
    assert names.count("AllocateShardFunction") == 3

    store = serving_store(stack)
    assert store.latest_run_id() == "run-1"
    summary = store.run("run-1")
    assert summary is not None
    assert summary.persons == PERSONS
    assert summary.gap <= 1e-6
    assert summary.spend <= stack["policy"]["total_budget"] * (1 + 1e-9)
    records, cursor = store.page("run-1", channel=None, tier=None, limit=1000, cursor=None)
    assert cursor is None and len(records) == PERSONS
    cdnow_ids = {f"{number:05d}" for number in range(1, PERSONS + 1)}  # the file's first 300
    assert {r.customer_id for r in records} == cdnow_ids, "records name customers, not keys"
    planned = sum(plan.spend for r in records for plan in r.channels.values())
    assert planned == pytest.approx(summary.spend, rel=1e-9)
    assert sum(summary.spend_by_channel.values()) == pytest.approx(summary.spend, rel=1e-9)

    s3 = boto3.client("s3")
    manifest = json.loads(
        s3.get_object(Bucket=stack["bucket"], Key="exports/run-1/manifest.json")["Body"].read()
    )
    email_rows = sum(
        f["rows"] for f in manifest["files"] if f["path"].startswith("channel=email/part-")
        and f["path"].endswith(".csv")
    )  # fmt: skip
    assert email_rows == sum(1 for r in records if "email" in r.channels)

    (event,) = published_events(stack["queue_url"])
    assert event["detail"]["run_id"] == "run-1"
    assert event["detail"]["gap"] == summary.gap


@pytest.mark.slow
def test_a_shard_that_fails_once_is_retried_alone(
    stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert refit("1997-09-30")["status"] == "fitted"
    original = steps.summarize
    failures: list[str] = []

    def flaky(storage: Any, run_id: str, shard_key: str) -> dict[str, Any]:
        if shard_key.endswith("shard-00001.jsonl.gz") and not failures:
            failures.append(shard_key)
            raise ConnectionError("S3 read timed out")
        return original(storage, run_id, shard_key)

    monkeypatch.setattr(steps, "summarize", flaky)
    execution, lambdas = run_allocation(stack["local"], {"as_of": "1997-09-30"}, "run-2")
    assert execution.status == "SUCCEEDED", execution.cause
    summarized = [
        payload["key"] for name, payload in lambdas.invocations if name == "SummarizeShardFunction"
    ]
    assert len(summarized) == 4, "three shards, one of them twice"
    assert summarized.count(failures[0]) == 2


@pytest.mark.slow
def test_a_run_without_a_fitted_model_fails_and_records_why(stack: dict[str, Any]) -> None:
    execution, names = run(stack, "run-3")
    assert execution.status == "FAILED"
    assert execution.error == "AllocationRunFailed"
    assert names[-1] == "RecordFailureFunction"
    assert published_events(stack["queue_url"]) == []


def test_refit_keeps_the_previous_model_when_a_fit_fails(stack: dict[str, Any]) -> None:
    first = refit("1997-09-30")
    assert first["status"] == "fitted"
    # As of the first day of the cohort nobody has a repeat purchase: the spend model
    # has nothing to fit, and the refit must say so without replacing the model.
    second = refit("1997-01-01")
    assert second["status"] == "rejected"
    latest = json.loads(
        boto3.client("s3")
        .get_object(Bucket=stack["bucket"], Key="models/latest.json")["Body"]
        .read()
    )
    assert latest["version"] == first["version"]


def stream_record(table: str, pk: str, sequence: int) -> dict[str, Any]:
    """A MODIFY record of the profile table's stream, as Lambda delivers it (NEW_IMAGE).

    Built from the stored item: moto's DynamoDB Streams API does not answer this botocore.
    """
    item = boto3.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": pk}})["Item"]
    image = {
        key: {"B": base64.b64encode(value["B"]).decode()} if "B" in value else value
        for key, value in item.items()
    }
    return {
        "eventID": f"event-{sequence}", "eventName": "MODIFY", "eventVersion": "1.1",
        "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
        "eventSourceARN": f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}/stream/1",
        "dynamodb": {
            "Keys": {"pk": {"S": pk}}, "NewImage": image, "SequenceNumber": str(sequence),
            "SizeBytes": 100, "StreamViewType": "NEW_IMAGE",
        },
    }  # fmt: skip


@pytest.mark.slow
def test_a_purchase_replans_the_person_at_the_run_prices(stack: dict[str, Any]) -> None:
    from functions.score import handler as score

    assert refit("1997-09-30")["status"] == "fitted"
    execution, _ = run(stack, "run-4")
    assert execution.status == "SUCCEEDED", execution.cause
    store = serving_store(stack)
    before = store.allocation("run-4", "00001")
    assert before is not None

    profiles = DynamoDBProfileStore(boto3.client("dynamodb"), stack["local"].table_name())
    stored = profiles.load([customer_key("00001")])[customer_key("00001")]
    assert stored.profile is not None
    purchase = parse_event(
        {
            "type": "purchase", "schema_version": 1, "event_id": "web-1", "customer_id": "00001",
            "occurred_at": "1997-09-20T12:00:00+00:00", "source": "web",
            "order_id": "web-order-1", "amount": "250.00",
        }
    )  # fmt: skip
    assert profiles.save(customer_key("00001"), stored.profile.apply(purchase), stored.version)
    event = {"Records": [stream_record(stack["local"].table_name(), customer_key("00001"), 100)]}
    broken = json.loads(json.dumps(event["Records"][0]))
    broken["dynamodb"]["NewImage"]["state"] = {"B": base64.b64encode(b"not zlib").decode()}
    broken["dynamodb"]["SequenceNumber"] = "999999999"
    event["Records"].append(broken)

    response = score.handler(event, LocalContext("ScoreFunction"))

    assert response["batchItemFailures"] == [{"itemIdentifier": "999999999"}]
    after = store.allocation("run-4", "00001")
    assert after is not None
    assert after.clv > before.clv, "a $250 repeat purchase must raise the value estimate"
    assert after.updated_at > before.updated_at


@pytest.mark.slow
def test_a_forgotten_person_loses_every_allocation(stack: dict[str, Any]) -> None:
    from functions.score import handler as score

    assert refit("1997-09-30")["status"] == "fitted"
    for name in ("run-5", "run-6"):
        execution, _ = run(stack, name)
        assert execution.status == "SUCCEEDED", execution.cause
    store = serving_store(stack)
    assert store.allocation("run-5", "00002") and store.allocation("run-6", "00002")

    profiles = DynamoDBProfileStore(boto3.client("dynamodb"), stack["local"].table_name())
    stored = profiles.load([customer_key("00002")])[customer_key("00002")]
    assert stored.profile is not None
    forget = parse_event(
        {
            "type": "forget", "schema_version": 1, "event_id": "gdpr-1",
            "customer_id": "00002", "occurred_at": "2026-11-23T10:00:00+00:00",
            "source": "privacy-desk",
        }
    )  # fmt: skip
    assert profiles.save(customer_key("00002"), stored.profile.apply(forget), stored.version)
    response = score.handler(
        {"Records": [stream_record(stack["local"].table_name(), customer_key("00002"), 7)]},
        LocalContext("ScoreFunction"),
    )
    assert response["batchItemFailures"] == []
    assert store.allocation("run-5", "00002") is None
    assert store.allocation("run-6", "00002") is None
    assert store.allocation("run-6", "00001") is not None, "nobody else is touched"


@pytest.mark.slow
def test_a_malformed_stream_record_fails_alone(stack: dict[str, Any]) -> None:
    from functions.score import handler as score

    assert refit("1997-09-30")["status"] == "fitted"
    execution, _ = run(stack, "run-7")
    assert execution.status == "SUCCEEDED", execution.cause
    table = stack["local"].table_name()
    good = stream_record(table, customer_key("00003"), 10)
    broken = stream_record(table, customer_key("00004"), 11)
    broken["dynamodb"]["NewImage"]["state"] = {"B": base64.b64encode(b"not zlib").decode()}
    store = serving_store(stack)
    before = store.allocation("run-7", "00003")
    assert before is not None

    response = score.handler({"Records": [broken, good]}, LocalContext("ScoreFunction"))

    assert response["batchItemFailures"] == [{"itemIdentifier": "11"}], "bisect retries it alone"
    after = store.allocation("run-7", "00003")
    assert after is not None and after.updated_at > before.updated_at
