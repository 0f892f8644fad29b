"""What each step of an allocation run does, on the run bucket and the tables.

Kept apart from the Lambda entry points (`handlers`) so the steps read as the run: prepare
(snapshot inputs, cut shards), summarize (score a shard), solve (prices and plan for all),
allocate (write a shard's records and exports), publish (summary, manifest, event).
Every step checks for its own output first: re-running a step of a run does nothing twice.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import yaml

from functions.allocation_run.storage import RunStorage
from functions.shared.profile_store import decode_state
from optimizer.allocation.dual import plan_prices, solve_dual
from optimizer.allocation.policy import Policy, parse_policy
from optimizer.allocation.problem import compile_policy
from optimizer.events import Profile
from optimizer.pipeline.features import PersonFeatures, features_from_profiles
from optimizer.pipeline.models import FittedPopulation
from optimizer.pipeline.records import RunTiers, allocation_records, run_tiers
from optimizer.pipeline.scoring import Scores, allocation_problem, score
from optimizer.pipeline.settings import RunSettings
from optimizer.publishing.exports import manifest, manifest_entries, render_part
from optimizer.publishing.records import AllocationRecord, RunSummary

SCORE_FIELDS = tuple(Scores.__dataclass_fields__)


class RunInputs:
    """What a run was started with, read once per step from `runs/<id>/run.json`."""

    def __init__(self, storage: RunStorage, run_id: str) -> None:
        snapshot = storage.get_json(f"runs/{run_id}/run.json")
        self.run_id = run_id
        self.snapshot = snapshot
        self.policy: Policy = parse_policy(snapshot["policy"], "run policy")
        self.settings = RunSettings.model_validate(snapshot["settings"])
        self.as_of = date.fromisoformat(snapshot["as_of"])
        self.model_version: str = snapshot["model_version"]

    def population(self, storage: RunStorage) -> FittedPopulation:
        return FittedPopulation.from_dict(
            storage.get_json(f"models/{self.model_version}/population.json")
        )


def shard_name(key: str) -> str:
    return key.rsplit("/", 1)[1].split(".", 1)[0]


def prepare(
    storage: RunStorage, run_id: str, as_of: date, customer_items: Iterator[dict[str, Any]],
    shard_size: int,
) -> dict[str, Any]:  # fmt: skip
    """Snapshot the inputs and cut the persons into shards; returns the state for the map."""
    state = {
        "run_id": run_id,
        "bucket": storage.bucket,
        "shard_prefix": f"runs/{run_id}/shards/",
        "problem_prefix": f"runs/{run_id}/problems/",
    }
    if storage.exists(f"runs/{run_id}/run.json"):
        return state | {"shards": len(storage.keys(state["shard_prefix"]))}
    policy_text = storage.get_bytes("config/policy.yaml").decode()
    settings = (
        storage.get_json("config/settings.json") if storage.exists("config/settings.json") else {}
    )
    snapshot = {
        "policy": parse_policy(yaml.safe_load(policy_text), "config/policy.yaml").model_dump(
            by_alias=True
        ),
        "settings": RunSettings.model_validate(settings).model_dump(),
        "as_of": as_of.isoformat(),
        "model_version": storage.get_json("models/latest.json")["version"],
        "created_at": datetime.now(UTC).isoformat(),
    }
    shards, lines = 0, []
    for item in customer_items:
        lines.append(json.dumps({"state": base64.b64encode(item["state"]).decode()}))
        if len(lines) == shard_size:
            _write_shard(storage, state["shard_prefix"], shards, lines)
            shards, lines = shards + 1, []
    if lines or shards == 0:
        _write_shard(storage, state["shard_prefix"], shards, lines)
        shards += 1
    storage.put_json(f"runs/{run_id}/run.json", snapshot)
    return state | {"shards": shards}


def _write_shard(storage: RunStorage, prefix: str, index: int, lines: list[str]) -> None:
    body = gzip.compress(("\n".join(lines) + "\n" if lines else "").encode())
    storage.put_bytes(f"{prefix}shard-{index:05d}.jsonl.gz", body, "application/gzip")


def summarize(storage: RunStorage, run_id: str, shard_key: str) -> dict[str, Any]:
    """Score a shard's persons into its allocation problem (features and scores)."""
    problem_key = f"runs/{run_id}/problems/{shard_name(shard_key)}.npz"
    if not storage.exists(problem_key):
        inputs = RunInputs(storage, run_id)
        text = gzip.decompress(storage.get_bytes(shard_key)).decode()
        profiles: list[Profile] = [
            decode_state(base64.b64decode(json.loads(line)["state"]))
            for line in text.splitlines()
            if line
        ]
        features = features_from_profiles(profiles, inputs.policy, inputs.as_of, inputs.settings)
        scores = score(features, inputs.population(storage), inputs.settings)
        arrays = features.to_arrays() | {f"score_{n}": getattr(scores, n) for n in SCORE_FIELDS}
        storage.put_arrays(problem_key, arrays)
    return {"shard": shard_name(shard_key), "problem_key": problem_key}


def _load_problem(storage: RunStorage, key: str) -> tuple[PersonFeatures, Scores]:
    arrays = storage.get_arrays(key)
    features = PersonFeatures.from_arrays(arrays)
    scores = Scores(**{n: arrays[f"score_{n}"] for n in SCORE_FIELDS})
    return features, scores


def _concatenate(parts: list[Any], cls: Any) -> Any:
    """Row-wise concatenation of dataclasses of arrays (features or scores of shards)."""
    return cls(
        **{
            name: np.concatenate([getattr(part, name) for part in parts])
            for name in cls.__dataclass_fields__
        }
    )


def solve(storage: RunStorage, run_id: str, time_limit: float | None) -> dict[str, Any]:
    """Prices, bound and plan over every shard; each shard's exposures saved for its writer."""
    solution_key = f"runs/{run_id}/solution.json"
    if storage.exists(solution_key):
        return dict(storage.get_json(solution_key)["state"])
    inputs = RunInputs(storage, run_id)
    keys = storage.keys(f"runs/{run_id}/problems/")
    loaded = [_load_problem(storage, key) for key in keys]
    features = _concatenate([f for f, _ in loaded], PersonFeatures)
    scores = _concatenate([s for _, s in loaded], Scores)
    problem = allocation_problem(features, scores)
    plan = solve_dual(problem, inputs.policy, time_limit=time_limit)
    tiers = run_tiers(plan.structure, scores, plan.exposures, inputs.settings.n_tiers)
    start = 0
    for key, (part, _) in zip(keys, loaded, strict=True):
        rows = plan.exposures[start : start + part.n]
        storage.put_arrays(f"runs/{run_id}/plans/{shard_name(key)}.npz", {"exposures": rows})
        start += part.n
    decile = np.minimum(9, (10 * np.argsort(np.argsort(-scores.clv)) // max(1, features.n)))
    person_spend = plan.person_spend()
    state = {
        "run_id": run_id,
        "bucket": storage.bucket,
        "problem_prefix": f"runs/{run_id}/problems/",
    }
    storage.put_json(
        solution_key,
        {
            "state": state,
            "summary": plan.summary(),
            "prices": plan_prices(plan).values.tolist(),
            "tiers": tiers.to_dict(),
            "spend_by_value_decile": np.bincount(decile, person_spend, 10).tolist(),
            "persons": features.n,
        },
    )
    return state


def allocate(storage: RunStorage, run_id: str, problem_key: str, writer: Any) -> dict[str, Any]:
    """Write a shard's allocation records and export parts at the run's plan."""
    shard = shard_name(problem_key)
    marker = f"runs/{run_id}/allocated/{shard}.json"
    if storage.exists(marker):
        return {"shard": shard, "records": storage.get_json(marker)["records"]}
    inputs = RunInputs(storage, run_id)
    solution = storage.get_json(f"runs/{run_id}/solution.json")
    features, scores = _load_problem(storage, problem_key)
    exposures = storage.get_arrays(f"runs/{run_id}/plans/{shard}.npz")["exposures"]
    structure = compile_policy(inputs.policy)
    records = allocation_records(
        run_id,
        structure,
        allocation_problem(features, scores),
        scores,
        exposures,
        RunTiers.from_dict(solution["tiers"]),
        datetime.now(UTC),
    )
    writer(records)
    files = render_part(records, shard)
    for path, text in files.items():
        content_type = "application/x-ndjson" if path.endswith(".jsonl") else "text/csv"
        storage.put_bytes(f"exports/{run_id}/{path}", text.encode(), content_type)
    storage.put_json(marker, {"records": len(records), "files": manifest_entries(files)})
    return {"shard": shard, "records": len(records)}


def publish(storage: RunStorage, run_id: str) -> RunSummary:
    """The run's summary and export manifest; the caller stores it and sends the event."""
    inputs = RunInputs(storage, run_id)
    solution = storage.get_json(f"runs/{run_id}/solution.json")
    entries = [
        entry
        for key in storage.keys(f"runs/{run_id}/allocated/")
        for entry in storage.get_json(key)["files"]
    ]
    tiers = RunTiers.from_dict(solution["tiers"])
    multipliers = {
        channel: {str(t + 1): m for t, m in enumerate(tiers.multipliers[c])}
        for c, channel in enumerate(inputs.policy.channel_names)
    }
    manifest_key = f"exports/{run_id}/manifest.json"
    storage.put_bytes(
        manifest_key, manifest(run_id, entries, multipliers).encode(), "application/json"
    )
    summary = solution["summary"]
    return RunSummary(
        run_id=run_id,
        status=summary["status"],
        created_at=datetime.fromisoformat(inputs.snapshot["created_at"]),
        persons=solution["persons"],
        budget=summary["budget"] or 0.0,
        spend=summary["spend"],
        objective=summary["objective"],
        upper_bound=summary["upper_bound"],
        gap=max(0.0, summary["gap"]),
        spend_by_channel=summary["spend_by_channel"],
        shadow_prices=summary["shadow_prices"],
        exports={"manifest": f"s3://{storage.bucket}/{manifest_key}"},
    )


def records_writer(store: Any) -> Any:
    def write(records: list[AllocationRecord]) -> None:
        store.put_allocations(records)

    return write
