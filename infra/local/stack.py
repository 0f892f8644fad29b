"""template.yaml's tables, queues, stream and bucket created on moto, in this process.

The template is the one source of truth: resources are read from it (a YAML loader that
accepts the CloudFormation tags !Ref, !GetAtt, !Sub...), created with boto3 against moto
(`mock_aws`), and each function's environment is resolved from its `Environment` in the
template. moto runs no Lambda code without Docker, so events reach the handlers the way
Lambda would hand them over: real SQS messages received from the queue, real Kinesis records
read from the shards, real S3 objects, re-shaped into the exact Lambda event documents.
"""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch
from urllib.parse import quote_plus

import boto3
import yaml
from moto import mock_aws
from moto.kinesis.models import Shard as KinesisShard

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
ACCOUNT = "123456789012"
REGION = "us-east-1"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns `!Tag value` into `{"Tag": value}` (or Fn::Tag)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open() as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # a SafeLoader subclass
    return document


@dataclass
class LambdaContext:
    """The attributes Lambda's context object carries (Powertools' logger reads them)."""

    function_name: str
    memory_limit_in_mb: int = 1024
    function_version: str = "$LATEST"
    aws_request_id: str = ""

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


class LocalStack:
    """Creates the template's resources on the active moto backend and delivers events."""

    def __init__(self, template: dict[str, Any] | None = None) -> None:
        from functions.shared import wiring

        for adapter in (
            wiring.profile_store,
            wiring.s3_client,
            wiring.allocation_store,
            wiring.run_storage,
        ):
            adapter.cache_clear()  # clients must be made inside this moto backend
        self.template = template or load_template()
        self.resources: dict[str, dict[str, Any]] = self.template["Resources"]
        self.physical: dict[str, str] = {}
        self.arns: dict[str, str] = {}
        self.dynamodb: Any = boto3.client("dynamodb", region_name=REGION)
        self.sqs: Any = boto3.client("sqs", region_name=REGION)
        self.kinesis: Any = boto3.client("kinesis", region_name=REGION)
        self.s3: Any = boto3.client("s3", region_name=REGION)
        self._create()

    # -- creation ----------------------------------------------------------------------
    def _create(self) -> None:
        creators: dict[str, Callable[[str, dict[str, Any]], None]] = {
            "AWS::DynamoDB::Table": self._table,
            "AWS::SQS::Queue": self._queue,
            "AWS::Kinesis::Stream": self._stream,
            "AWS::S3::Bucket": self._bucket,
        }
        # Dead-letter queues first: a redrive policy names its target's ARN.
        ordered = sorted(self.resources.items(), key=lambda kv: "RedrivePolicy" in _props(kv[1]))
        for logical, resource in ordered:
            create = creators.get(resource["Type"])
            if create is not None:
                create(logical, _props(resource))

    def _table(self, logical: str, props: dict[str, Any]) -> None:
        name = props.get("TableName") or f"percapita-{logical}"
        arguments: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if "GlobalSecondaryIndexes" in props:
            arguments["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if "StreamSpecification" in props:
            view = props["StreamSpecification"]["StreamViewType"]
            arguments["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
        if props.get("SSESpecification", {}).get("SSEEnabled"):
            arguments["SSESpecification"] = {"Enabled": True}
        answer = self.dynamodb.create_table(**arguments)
        if props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
            self.dynamodb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
        self.physical[logical] = name
        self.arns[logical] = answer["TableDescription"]["TableArn"]

    def _queue(self, logical: str, props: dict[str, Any]) -> None:
        attributes: dict[str, str] = {
            key: str(props[key])
            for key in ("VisibilityTimeout", "MessageRetentionPeriod")
            if key in props
        }
        if "RedrivePolicy" in props:
            policy = props["RedrivePolicy"]
            target = self._resolve(policy["deadLetterTargetArn"])
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": target, "maxReceiveCount": policy["maxReceiveCount"]}
            )
        url = self.sqs.create_queue(QueueName=f"percapita-{logical}", Attributes=attributes)[
            "QueueUrl"
        ]
        self.physical[logical] = url
        self.arns[logical] = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]

    def _stream(self, logical: str, props: dict[str, Any]) -> None:
        name = f"percapita-{logical}"
        mode = props.get("StreamModeDetails", {}).get("StreamMode", "ON_DEMAND")
        self.kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": mode})
        self.physical[logical] = name
        self.arns[logical] = self.kinesis.describe_stream_summary(StreamName=name)[
            "StreamDescriptionSummary"
        ]["StreamARN"]

    def _bucket(self, logical: str, props: dict[str, Any]) -> None:
        name = self._resolve(props["BucketName"]) if "BucketName" in props else logical.lower()
        self.s3.create_bucket(Bucket=name)
        if "BucketEncryption" in props:
            rules = [
                {
                    "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                    "BucketKeyEnabled": bool(rule.get("BucketKeyEnabled", False)),
                }
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            self.s3.put_bucket_encryption(
                Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules}
            )
        if "PublicAccessBlockConfiguration" in props:
            self.s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"],
            )
        self.physical[logical] = name
        self.arns[logical] = f"arn:aws:s3:::{name}"

    def _resolve(self, value: Any) -> str:
        """Ref, GetAtt (Arn, QueueName) and Sub with pseudo parameters."""
        if isinstance(value, str):
            return value
        if "Ref" in value:
            return (
                self.physical.get(value["Ref"])
                or {
                    "AWS::AccountId": ACCOUNT,
                    "AWS::Region": REGION,
                    "AWS::Partition": "aws",
                }[value["Ref"]]
            )
        if "Fn::GetAtt" in value:
            logical, attribute = value["Fn::GetAtt"]
            if attribute == "Arn":
                return self.arns[logical]
            if attribute == "QueueName":
                return self.physical[logical].rsplit("/", 1)[-1]
        if "Fn::Sub" in value:
            names = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": "aws"}
            names.update(self.physical)
            return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], value["Fn::Sub"])
        raise ValueError(f"cannot resolve {value!r} locally")

    # -- functions ---------------------------------------------------------------------
    def function_environment(self, logical: str) -> dict[str, str]:
        """The function's environment variables as Lambda would set them."""
        merged: dict[str, Any] = dict(
            self.template.get("Globals", {})
            .get("Function", {})
            .get("Environment", {})
            .get("Variables", {})
        )
        merged.update(_props(self.resources[logical]).get("Environment", {}).get("Variables", {}))
        return {key: self._resolve(value) for key, value in merged.items()}

    @contextmanager
    def function(self, logical: str) -> Iterator[LambdaContext]:
        """Run a handler with the function's environment; yields its context object."""
        saved = dict(os.environ)
        os.environ.update(self.function_environment(logical))
        try:
            yield LambdaContext(function_name=logical, aws_request_id=str(uuid.uuid4()))
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def table_name(self, logical: str = "ProfilesTable") -> str:
        return self.physical[logical]

    # -- deliveries in Lambda's shapes ---------------------------------------------------
    def send_to_queue(self, bodies: Sequence[str], logical: str = "EventsQueue") -> None:
        url = self.physical[logical]
        for start in range(0, len(bodies), 10):
            entries = [
                {"Id": str(i), "MessageBody": body}
                for i, body in enumerate(bodies[start : start + 10])
            ]
            self.sqs.send_message_batch(QueueUrl=url, Entries=entries)

    def receive_sqs_event(self, logical: str = "EventsQueue", limit: int = 1000) -> dict[str, Any]:
        """Up to `limit` messages, shaped as Lambda's SQS event."""
        url, arn = self.physical[logical], self.arns[logical]
        records: list[dict[str, Any]] = []
        while len(records) < limit:
            answer = self.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(10, limit - len(records)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            messages = answer.get("Messages", [])
            if not messages:
                break
            records += [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": m.get("MessageAttributes", {}),
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": REGION,
                }
                for m in messages
            ]
        return {"Records": records}

    def settle_sqs(
        self, event: dict[str, Any], response: dict[str, Any], logical: str = "EventsQueue"
    ) -> None:
        """What the event source mapping does: delete successes, release failures."""
        url = self.physical[logical]
        failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        for record in event["Records"]:
            if record["messageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
                )
            else:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])

    def put_to_stream(
        self, items: Sequence[tuple[str, bytes]], logical: str = "EventsStream"
    ) -> None:
        """(partition key, data) pairs onto the stream, 500 per PutRecords call."""
        name = self.physical[logical]
        for start in range(0, len(items), 500):
            self.kinesis.put_records(
                StreamName=name,
                Records=[{"PartitionKey": k, "Data": d} for k, d in items[start : start + 500]],
            )

    def kinesis_events(
        self, logical: str = "EventsStream", batch_size: int = 1000
    ) -> Iterator[dict[str, Any]]:
        """Everything on the stream from TRIM_HORIZON, as Lambda's Kinesis events per shard."""
        name, arn = self.physical[logical], self.arns[logical]
        for shard in self.kinesis.list_shards(StreamName=name)["Shards"]:
            iterator = self.kinesis.get_shard_iterator(
                StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                answer = self.kinesis.get_records(ShardIterator=iterator, Limit=batch_size)
                if not answer["Records"]:
                    break
                yield {
                    "Records": [
                        _kinesis_record(shard["ShardId"], record, arn)
                        for record in answer["Records"]
                    ]
                }
                iterator = answer.get("NextShardIterator")

    def upload(self, key: str, body: bytes, logical: str = "LandingBucket") -> dict[str, Any]:
        """Put an object; return the S3 ObjectCreated:Put event Lambda would receive."""
        bucket = self.physical[logical]
        answer = self.s3.put_object(Bucket=bucket, Key=key, Body=body)
        return {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": REGION,
                    "eventTime": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "eventName": "ObjectCreated:Put",
                    "userIdentity": {"principalId": "AWS:local"},
                    "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                    "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16].upper()},
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "Upload",
                        "bucket": {
                            "name": bucket,
                            "ownerIdentity": {"principalId": "local"},
                            "arn": f"arn:aws:s3:::{bucket}",
                        },
                        "object": {
                            "key": quote_plus(key, safe="/"),
                            "size": len(body),
                            "eTag": answer["ETag"].strip('"'),
                            "sequencer": uuid.uuid4().hex[:16].upper(),
                        },
                    },
                }
            ]
        }


def _kinesis_record(shard_id: str, record: dict[str, Any], arn: str) -> dict[str, Any]:
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record["PartitionKey"],
            "sequenceNumber": record["SequenceNumber"],
            "data": base64.b64encode(record["Data"]).decode(),
            "approximateArrivalTimestamp": record["ApproximateArrivalTimestamp"].timestamp(),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{record['SequenceNumber']}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/percapita-ingest",
        "awsRegion": REGION,
        "eventSourceARN": arn,
    }


def _props(resource: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = resource.get("Properties", {})
    return props


@contextmanager
def local_stack() -> Iterator[LocalStack]:
    """A fresh moto backend with the template's resources; credentials are dummies."""
    for key, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        os.environ.setdefault(key, value)
    # Step Functions executions are interpreted (the allocation run's ASL really runs).
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        patch.object(KinesisShard, "get_max_sequence_number", _last_sequence_number),
    ):
        yield LocalStack()


def _last_sequence_number(shard: KinesisShard) -> int:
    """moto lists every record of a shard to find its last sequence number, on every put:
    quadratic in the stream's length (the demo puts 10^5 events). Its records are an
    insertion-ordered dict with increasing keys, so the last key is the same answer."""
    return next(reversed(shard.records), 0)
