"""The whole CDNOW master through the importer on moto, shuffled, with duplicates.

One full replay (the expensive part: ~24,000 conditional writes through moto) checked two
ways: every customer's x, t_x, T and mean repeat value against an independent computation
from the raw file, and every profile state against the file folded in its original order.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from functions.shared.profile_store import DynamoDBProfileStore, customer_key
from infra.cli import main
from infra.local.replay import replay_file
from infra.local.stack import local_stack
from optimizer.events import Profile
from optimizer.events.pos import read_rows
from tests.unit.events.conftest import CALIBRATION_END, CDNOW_MASTER, raw_rfm


@pytest.fixture(scope="module")
def shuffled() -> dict[str, Profile]:
    """The whole master, rows shuffled, 20% of them uploaded again before and after."""
    with local_stack() as stack:
        summary = replay_file(stack, CDNOW_MASTER, shuffle=True, duplicates=0.2, seed=7)
        assert (summary.objects, summary.rejected) == (3, 0)
        assert summary.rows == 69_659 + round(0.2 * 69_659)
        # Read back through the adapter's BatchGetItem (cheaper than a Scan on moto), and
        # count the items to be sure there is nothing else in the table.
        customers = sorted(raw_rfm(CDNOW_MASTER, CALIBRATION_END))
        store = DynamoDBProfileStore(stack.dynamodb, stack.table_name())
        loaded = store.load([customer_key(c) for c in customers])
        pages = stack.dynamodb.get_paginator("scan").paginate(
            TableName=stack.table_name(), Select="COUNT"
        )
        assert sum(page["Count"] for page in pages) == len(loaded) == len(customers)
        profiles = {key[2:]: stored.profile for key, stored in loaded.items()}
        assert all(p is not None for p in profiles.values())
        return {c: p for c, p in profiles.items() if p is not None}


@pytest.mark.slow
def test_every_customer_matches_the_raw_file(shuffled: dict[str, Profile]) -> None:
    expected = raw_rfm(CDNOW_MASTER, CALIBRATION_END)
    assert set(shuffled) == set(expected)
    for customer, (x, t_x, T, value) in expected.items():
        rfm = shuffled[customer].rfm(CALIBRATION_END)
        assert rfm is not None
        assert (rfm.x, rfm.t_x, rfm.T) == (x, pytest.approx(t_x), pytest.approx(T)), customer
        assert rfm.monetary_value == pytest.approx(value, abs=1e-6), customer


@pytest.mark.slow
def test_shuffled_with_duplicates_equals_the_file_folded_in_order(
    shuffled: dict[str, Profile],
) -> None:
    in_order: dict[str, Profile] = {}
    with CDNOW_MASTER.open() as lines:
        for row in read_rows(lines, source="pos-import"):
            assert row.event is not None and row.event.customer_id is not None
            owner = row.event.customer_id
            in_order.setdefault(owner, Profile(owner=customer_key(owner))).apply(row.event)
    assert set(in_order) == set(shuffled)
    for customer, profile in in_order.items():
        assert shuffled[customer].state() == profile.state(), customer


def test_the_replay_command_exports_rfm_rows(tmp_path: Path) -> None:
    sample = tmp_path / "sample.txt"
    with CDNOW_MASTER.open() as lines:
        sample.write_text("".join(line for n, line in enumerate(lines) if n <= 1500))
    out = tmp_path / "profiles.csv"
    argv = ["replay", "--transactions", str(sample), "--shuffle", "--duplicates", "0.2"]
    assert main([*argv, "--seed", "3", "--export-profiles", str(out)]) == 0
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    expected = raw_rfm(sample, CALIBRATION_END)
    assert len(rows) == len(expected)
    for row in rows:
        x, t_x, T, value = expected[row["customer_id"]]
        assert int(row["x"]) == x
        assert float(row["t_x"]) == pytest.approx(t_x, abs=1e-6)
        assert float(row["T"]) == pytest.approx(T, abs=1e-6)
        assert float(row["monetary_value"]) == pytest.approx(value, abs=1e-6)


def test_replay_rejects_a_missing_file(tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    assert main(["replay", "--transactions", "nope.txt", "--export-profiles", str(out)]) == 2
