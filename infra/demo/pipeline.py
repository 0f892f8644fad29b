"""The whole serverless pipeline on the embedded stack, as `make demo` runs it.

Every step goes through the same handlers, shapes and wiring as on AWS (template.yaml):
the CDNOW log lands in the landing bucket (importer), simulated engagement arrives on the
Kinesis stream (ingest), the refit runs on its schedule event, the allocation run's state
machine runs in moto's interpreter, and an ad buying system reads the API.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import yaml
from tqdm import tqdm

from functions.api.app import handler as api_handler
from functions.importer.handler import handler as importer_handler
from functions.ingest.handler import kinesis_handler
from functions.refit.handler import handler as refit_handler
from infra.demo.engagement import CONSENT_DEFAULT, engagement_events
from infra.local.stack import LocalStack
from infra.statemachine.runner import run_allocation
from optimizer.allocation.policy import parse_policy

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "cdnow.yaml"
RUN_DATE = date(1997, 9, 30)
SETTINGS = {"consent_default": CONSENT_DEFAULT}
CDNOW_CUSTOMERS = 23_570  # the policy's budgets are sized for the whole cohort


@dataclass
class PipelineResult:
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    run_summary: dict[str, Any] = field(default_factory=dict)
    solution: dict[str, Any] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)
    api_calls: list[tuple[str, int, Any]] = field(default_factory=list)


def rest_event(path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    """A GET as API Gateway (REST, IAM-authorized) hands it to the function."""
    return {
        "resource": "/v1/{proxy+}", "path": path, "httpMethod": "GET",
        "headers": {"Accept": "application/json"}, "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": {"proxy": path.removeprefix("/v1/")}, "stageVariables": None,
        "requestContext": {
            "resourcePath": "/v1/{proxy+}", "httpMethod": "GET", "path": f"/prod{path}",
            "stage": "prod", "requestId": "demo", "accountId": "123456789012",
            "identity": {"userArn": "arn:aws:iam::123456789012:user/ad-buyer"},
        },
        "body": None, "isBase64Encoded": False,
    }  # fmt: skip


def cdnow_log(customers: int | None = None) -> bytes:
    """The CDNOW master file, or its first `customers` customers' rows (sorted by id)."""
    body = (ROOT / "data" / "cdnow" / "CDNOW_master.txt").read_bytes()
    if customers is None:
        return body
    lines = body.splitlines(keepends=True)
    ids = sorted({line.split()[0] for line in lines if line.strip()})[:customers]
    keep = set(ids)
    return b"".join(line for line in lines if line.strip() and line.split()[0] in keep)


def scaled_policy(share: float) -> dict[str, Any]:
    """The CDNOW policy with every budget scaled to `share` of the cohort."""
    policy: dict[str, Any] = yaml.safe_load(POLICY.read_text())
    policy["total_budget"] *= share
    for channel in policy["channels"].values():
        for bound in ("budget_max", "budget_min"):
            if bound in channel:
                channel[bound] *= share
    return policy


def run_pipeline(
    stack: LocalStack,
    step: Callable[[str], None],
    log: Callable[[str], None] = print,
    customers: int | None = None,
) -> PipelineResult:
    """Runs every stage; `step(name)` is called as each starts (the progress bar).

    `customers`: only the first N CDNOW customers, with the policy's budgets scaled to them
    (the end-to-end test's small version of the demo).
    """
    result = PipelineResult()
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        result.timings[name] = now - clock
        clock = now
        log(f"{name}: {result.timings[name]:.1f} s")

    step("import CDNOW point-of-sale log")
    body = cdnow_log(customers)
    event = stack.upload("incoming/cdnow/CDNOW_master.txt", body)
    with stack.function("ImporterFunction") as context:
        imported = importer_handler(event, context)
    (summary,) = imported["imported"]
    result.counts["rows imported"] = int(summary["events"])
    result.counts["rows rejected"] = int(summary["rejected"])
    lap("import")

    step("ingest engagement events (Kinesis)")
    cohort = _cohorts(stack)
    ids = sorted(cohort)
    share = len(ids) / CDNOW_CUSTOMERS
    policy_text = yaml.safe_dump(scaled_policy(share), sort_keys=False)
    policy = parse_policy(yaml.safe_load(policy_text), "demo policy")
    events = engagement_events(ids, [cohort[c] for c in ids], policy, RUN_DATE)
    stack.put_to_stream([(e["customer_id"], json.dumps(e).encode()) for e in events])
    failures = 0
    with (
        stack.function("IngestStreamFunction") as context,
        tqdm(total=len(events), unit="event", leave=False, disable=None) as ingested,
    ):
        for batch in stack.kinesis_events():
            failures += len(kinesis_handler(batch, context)["batchItemFailures"])
            ingested.update(len(batch["Records"]))
    result.counts["engagement events"] = len(events)
    result.counts["engagement events failed"] = failures
    result.counts["customers"] = len(ids)
    lap("engagement")

    step("refit value and response models")
    bucket = stack.physical["RunBucket"]
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key="config/policy.yaml", Body=policy_text)
    s3.put_object(Bucket=bucket, Key="config/settings.json", Body=json.dumps(SETTINGS))
    schedule = {
        "version": "0", "id": "demo", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": f"{RUN_DATE.isoformat()}T02:00:00Z",
        "region": "us-east-1", "resources": [], "detail": {},
    }  # fmt: skip
    with stack.function("RefitFunction") as context:
        refit = refit_handler(schedule, context)
    if refit["status"] != "fitted":
        raise RuntimeError(f"refit failed: {refit}")
    lap("refit")

    step("allocation run (Step Functions)")
    run_id = f"cdnow-{RUN_DATE.isoformat()}"
    execution, _ = run_allocation(stack, {"as_of": RUN_DATE.isoformat()}, run_id)
    if execution.status != "SUCCEEDED":
        raise RuntimeError(
            f"allocation run {execution.status}: {execution.error} {execution.cause}"
        )
    result.solution = json.loads(
        s3.get_object(Bucket=bucket, Key=f"runs/{run_id}/solution.json")["Body"].read()
    )
    lap("allocation run")

    step("query the API as an ad buying system")
    with stack.function("ApiFunction") as context:

        def get(path: str, query: dict[str, str] | None = None) -> Any:
            answer = api_handler(rest_event(path, query), context)
            body = json.loads(answer["body"])
            result.api_calls.append(
                (path + (f"?{query}" if query else ""), answer["statusCode"], body)
            )
            return body

        result.run_summary = get("/v1/runs/latest")
        # Bulk reads go to the exports, as a buying system's would; the API serves look-ups.
        result.records = _export_rows(s3, bucket, run_id)
        top = max(result.records, key=lambda r: r["clv"])["customer_id"]
        get(f"/v1/customers/{top}/allocation")
        get("/v1/customers/nobody/allocation")
        get(f"/v1/runs/{run_id}/allocations", {"channel": "email", "tier": "1", "limit": "3"})
    lap("api")
    return result


def _export_rows(s3: Any, bucket: str, run_id: str) -> list[dict[str, Any]]:
    """Every row of the run's per-channel JSON Lines exports, checked against the manifest."""
    prefix = f"exports/{run_id}/"
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=prefix + "manifest.json")["Body"].read())
    rows = []
    for entry in manifest["files"]:
        if entry["path"].endswith(".jsonl"):
            text = s3.get_object(Bucket=bucket, Key=prefix + entry["path"])["Body"].read()
            channel = entry["path"].split("/", 1)[0].removeprefix("channel=")
            rows += [json.loads(line) | {"channel": channel} for line in text.splitlines()]
    return rows


def _cohorts(stack: LocalStack) -> dict[str, str]:
    """Customer id -> month of first purchase, read from the stored profiles."""
    from functions.shared.profile_scan import customer_profiles

    return {
        profile.customer_id: profile.segment().get("cohort", "")
        for profile in customer_profiles(stack.dynamodb, stack.table_name())
        if profile.customer_id is not None
    }
