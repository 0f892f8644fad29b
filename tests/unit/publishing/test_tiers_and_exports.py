"""Tiers put the valuable first; exports carry every planned person exactly once, checkably."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimizer.publishing.exports import manifest, manifest_entries, render_part
from optimizer.publishing.records import AllocationRecord, ChannelAllocation
from optimizer.publishing.tiers import MIN_MULTIPLIER, assign_tiers, bid_multipliers


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=200), st.integers(1, 10))
def test_tiers_are_monotone_in_value_and_balanced(values: list[float], n_tiers: int) -> None:
    value = np.array(values)
    tier = assign_tiers(value, n_tiers)
    assert tier.min() >= 1 and tier.max() <= n_tiers
    order = np.argsort(-value, kind="stable")
    assert np.all(np.diff(tier[order]) >= 0), "a more valuable person sits in a worse tier"
    for v in np.unique(value):
        assert len(set(tier[value == v])) == 1, "ties split across tiers"
    if len(np.unique(value)) == value.size:
        counts = np.bincount(tier, minlength=n_tiers + 1)[1:]
        assert counts.max() - counts[counts > 0].min() <= 1 + value.size // n_tiers


def test_bid_multipliers_follow_value_per_exposure() -> None:
    tier = np.array([1, 1, 2, 2, 3])
    value_per_exposure = np.array([[4.0, 1.0], [4.0, 1.0], [2.0, 1.0], [2.0, 1.0], [1.0, 1.0]])
    exposures = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    multipliers = bid_multipliers(tier, value_per_exposure, exposures, n_tiers=3)
    np.testing.assert_allclose(multipliers[0, :2], [4 / 3, 2 / 3])
    np.testing.assert_allclose(multipliers[1, :2], [1.0, 1.0])
    assert multipliers[0, 2] == MIN_MULTIPLIER, "a tier with nothing planned bids the floor"


def test_bad_tier_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="n_tiers"):
        assign_tiers(np.ones(3), 0)
    with pytest.raises(ValueError, match="not finite"):
        assign_tiers(np.array([1.0, np.nan]), 2)


def make_record(customer_id: str, tier: int, channels: dict[str, float]) -> AllocationRecord:
    return AllocationRecord(
        run_id="run-7",
        customer_id=customer_id,
        tier=tier,
        channels={
            name: ChannelAllocation(spend=0.1 * e, exposures=e, bid_multiplier=2.0 / tier)
            for name, e in channels.items()
        },
        message_mix={"new_release": 0.6, "brand": 0.4},
        clv=50.0,
        p_alive=0.5,
        expected_incremental_value=1.0,
        marginal_return=1.2,
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def test_export_parts_list_each_planned_person_once_with_a_checkable_manifest() -> None:
    records = [
        make_record("a", 1, {"email": 2.0, "display": 1.0}),
        make_record("b", 2, {"email": 1.0}),
        make_record("c", 2, {"display": 0.0}),
    ]
    files = render_part(records[:2], "00000") | render_part(records[2:], "00001")
    email = list(csv.DictReader(io.StringIO(files["channel=email/part-00000.csv"])))
    assert [row["customer_id"] for row in email] == ["a", "b"]
    assert email[0]["top_message"] == "new_release"
    display_lines = files["channel=display/part-00000.jsonl"].splitlines()
    assert [json.loads(line)["customer_id"] for line in display_lines] == ["a"]
    assert "channel=display/part-00001.jsonl" not in files, "c has nothing planned"
    assert files["channel=email/tier=2/part-00000.csv"] == "customer_id\nb\n"
    document = json.loads(manifest("run-7", manifest_entries(files), {"email": {"1": 2.0}}))
    for entry in document["files"]:
        assert hashlib.sha256(files[entry["path"]].encode()).hexdigest() == entry["sha256"]
    rows = {entry["path"]: entry["rows"] for entry in document["files"]}
    assert rows["channel=email/part-00000.csv"] == 2
    assert rows["channel=email/part-00000.jsonl"] == 2
    assert set(rows) == set(files)
