"""template.yaml lints, and the local stack builds exactly what it declares."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from infra.local.stack import TEMPLATE, LocalStack, load_template


def test_cfn_lint_passes() -> None:
    lint = shutil.which("cfn-lint") or str(Path(sys.executable).parent / "cfn-lint")
    result = subprocess.run([lint, str(TEMPLATE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_event_source_reports_partial_batch_failures() -> None:
    resources = load_template()["Resources"]
    sources = [
        (name, spec)
        for name, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
        for spec in resource["Properties"].get("Events", {}).values()
        if spec["Type"] in ("SQS", "Kinesis", "DynamoDB")
    ]
    assert {"IngestQueueFunction", "IngestStreamFunction"} <= {name for name, _ in sources}
    for name, spec in sources:
        assert spec["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name


def test_the_local_stack_is_built_from_the_template(stack: LocalStack) -> None:
    table = stack.dynamodb.describe_table(TableName=stack.table_name())["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    backups = stack.dynamodb.describe_continuous_backups(TableName=stack.table_name())
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    attributes = stack.sqs.get_queue_attributes(
        QueueUrl=stack.physical["EventsQueue"], AttributeNames=["RedrivePolicy"]
    )["Attributes"]
    assert stack.arns["EventsDeadLetterQueue"] in attributes["RedrivePolicy"]
    bucket = stack.physical["LandingBucket"]
    block = stack.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    encryption = stack.s3.get_bucket_encryption(Bucket=bucket)
    rule = encryption["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert stack.function_environment("ImporterFunction")["PROFILES_TABLE"] == stack.table_name()
