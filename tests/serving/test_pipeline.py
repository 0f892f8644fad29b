"""The demo's pipeline, end to end on the embedded stack, for the first 400 CDNOW customers.

Point-of-sale file into the landing bucket (importer), engagement and consent on Kinesis
(ingest), refit on its schedule event, the allocation state machine, then the API and the
exports as an ad buying system reads them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from functions.shared.profile_scan import customer_profiles
from infra.demo.engagement import CONSENT_DEFAULT
from infra.demo.pipeline import PipelineResult, cdnow_log, run_pipeline, scaled_policy
from infra.local.stack import local_stack

CUSTOMERS = 400


@pytest.fixture(scope="module")
def pipeline() -> Iterator[tuple[PipelineResult, dict[str, dict[str, bool]]]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
        with local_stack() as stack:
            stages: list[str] = []
            result = run_pipeline(stack, stages.append, log=lambda _: None, customers=CUSTOMERS)
            assert len(stages) == 5
            consent = {  # the run's default, then what the person said
                str(p.customer_id): CONSENT_DEFAULT | p.consent_by_channel()
                for p in customer_profiles(stack.dynamodb, stack.table_name())
            }
            bucket = stack.physical["RunBucket"]
            version = json.loads(stack.s3.get_object(Bucket=bucket, Key="models/latest.json")[
                "Body"].read())["version"]  # fmt: skip
            diagnostics = stack.s3.get_object(
                Bucket=bucket, Key=f"models/{version}/diagnostics.json"
            )["Body"].read()
            result.counts["response arms with opens"] = json.loads(diagnostics)["response"][
                "open_arms"
            ]
            yield result, consent


@pytest.mark.slow
def test_every_row_and_event_lands(pipeline: tuple[PipelineResult, dict]) -> None:
    result, consent = pipeline
    rows = [line for line in cdnow_log(CUSTOMERS).splitlines() if line.strip()]
    assert result.counts["rows imported"] == len(rows)
    assert result.counts["rows rejected"] == 0
    assert result.counts["engagement events"] > CUSTOMERS
    assert result.counts["engagement events failed"] == 0
    assert len(consent) == CUSTOMERS, "engagement lands on the imported customers' profiles"
    said = [flags for flags in consent.values() if flags != CONSENT_DEFAULT]
    assert len(said) > CUSTOMERS / 2, "consent events land on the imported profiles"
    messages = scaled_policy(1.0)["messages"].values()
    emails = sum("email" in message["channels"] for message in messages)
    assert 0 < result.counts["response arms with opens"] <= emails, "email opens reach the refit"


@pytest.mark.slow
def test_the_run_plans_everyone_within_the_scaled_budget(
    pipeline: tuple[PipelineResult, dict],
) -> None:
    result, _ = pipeline
    summary = result.solution["summary"]
    assert result.solution["persons"] == CUSTOMERS
    assert summary["status"] == "optimal"
    assert summary["gap"] <= 1e-6
    budget = scaled_policy(CUSTOMERS / 23_570)["total_budget"]
    assert summary["budget"] == pytest.approx(budget)
    assert 0 < summary["spend"] <= budget * (1 + 1e-9)
    assert summary["spend_by_channel"]["email"] > 0, "consented email is bought"


@pytest.mark.slow
def test_nobody_is_reached_on_a_channel_they_refused(
    pipeline: tuple[PipelineResult, dict],
) -> None:
    result, consent = pipeline
    flag = {"email": "email_opt_in", "social": "social_match", "direct_mail": "postal_ok"}
    reached = [(r["customer_id"], r["channel"]) for r in result.records]
    assert reached, "the exports hold the plan"
    for customer, channel in reached:
        if channel in flag:
            assert consent[customer][flag[channel]], f"{customer} refused {channel}"
    refused_email = {c for c, flags in consent.items() if not flags["email_opt_in"]}
    assert refused_email, "the engagement simulation has refusals to respect"
    refused_social = {c for c, flags in consent.items() if not flags["social_match"]}
    assert refused_social, "and persons who never granted social matching"


@pytest.mark.slow
def test_a_buying_system_reads_the_api(pipeline: tuple[PipelineResult, dict]) -> None:
    result, _ = pipeline
    calls = {path.split("?")[0]: (status, body) for path, status, body in result.api_calls}
    status, latest = calls["/v1/runs/latest"]
    assert status == 200 and latest["persons"] == CUSTOMERS
    top = max(result.records, key=lambda r: r["clv"])
    status, person = calls[f"/v1/customers/{top['customer_id']}/allocation"]
    assert status == 200 and person["customer_id"] == top["customer_id"]
    exported = {r["channel"]: r for r in result.records if r["customer_id"] == top["customer_id"]}
    assert set(person["channels"]) == set(exported)
    status, missing = calls["/v1/customers/nobody/allocation"]
    assert status == 404 and "nobody" in missing["message"]
    status, page = calls[f"/v1/runs/{latest['run_id']}/allocations"]
    assert status == 200
    assert all("email" in item["channels"] and item["tier"] == 1 for item in page["items"])
