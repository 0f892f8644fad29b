"""template.yaml names only code that exists, wires sources safely, grants only what is used."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

from infra.local.stack import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = {
    name: resource["Properties"]
    for name, resource in RESOURCES.items()
    if resource["Type"] == "AWS::Serverless::Function"
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_handler_exists_and_imports(name: str) -> None:
    module, _, attribute = FUNCTIONS[name]["Handler"].rpartition(".")
    assert callable(getattr(importlib.import_module(module), attribute))
    assert RESOURCES[name]["Metadata"]["BuildMethod"] == "makefile"


def test_every_function_is_python312_on_arm64() -> None:
    globals_ = TEMPLATE["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.12"
    assert globals_["Architectures"] == ["arm64"]
    for name, properties in FUNCTIONS.items():
        assert properties.get("Runtime", "python3.12") == "python3.12", name


def test_every_stream_or_queue_source_reports_partial_failures_and_keeps_failures() -> None:
    sources = [
        (name, spec["Type"], spec["Properties"])
        for name, properties in FUNCTIONS.items()
        for spec in properties.get("Events", {}).values()
        if spec["Type"] in ("SQS", "Kinesis", "DynamoDB")
    ]
    assert {kind for _, kind, _ in sources} == {"SQS", "Kinesis", "DynamoDB"}
    for name, kind, properties in sources:
        assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name
        if kind != "SQS":  # an SQS source keeps failures through the queue's redrive policy
            assert properties["BisectBatchOnFunctionError"] is True, name
            assert properties["DestinationConfig"]["OnFailure"]["Type"] == "SQS", name


def test_state_machine_substitutions_fill_every_placeholder() -> None:
    machine = RESOURCES["AllocationRunStateMachine"]["Properties"]
    definition = (ROOT / machine["DefinitionUri"]).read_text()
    placeholders = set(re.findall(r"\$\{(\w+)\}", definition))
    assert placeholders == set(machine["DefinitionSubstitutions"])
    for value in machine["DefinitionSubstitutions"].values():
        assert value["Fn::GetAtt"][0] in FUNCTIONS


def statements(properties: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in properties.get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            found.extend(policy["Statement"])
    return found


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_policies_name_actions_and_resources_explicitly(name: str) -> None:
    for statement in statements(FUNCTIONS[name]):
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert all("*" not in action for action in actions), (name, actions)
        assert statement["Resource"] != "*", name
        assert statement["Effect"] == "Allow", name


def test_the_api_requires_iam_signatures() -> None:
    api = RESOURCES["BuyersApi"]["Properties"]
    assert api["Auth"]["DefaultAuthorizer"] == "AWS_IAM"


def test_buckets_block_public_access_and_encrypt() -> None:
    buckets = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::S3::Bucket"]
    assert len(buckets) >= 2
    for bucket in buckets:
        assert all(bucket["PublicAccessBlockConfiguration"].values())
        assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]


def test_tables_are_on_demand_encrypted_and_recoverable() -> None:
    tables = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert len(tables) == 3
    for table in tables:
        assert table["BillingMode"] == "PAY_PER_REQUEST"
        assert table["SSESpecification"]["SSEEnabled"] is True
        assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
