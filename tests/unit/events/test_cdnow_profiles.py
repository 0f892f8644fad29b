"""Profiles folded from the CDNOW master reproduce the RFM contract for every customer."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from optimizer.events import Profile
from optimizer.events.pos import read_rows
from tests.unit.events.conftest import CALIBRATION_END, CDNOW_MASTER, raw_rfm

SAMPLE = CDNOW_MASTER.parent / "cdnow_customers_summary_with_transactions.csv"


@pytest.fixture(scope="module")
def profiles() -> dict[str, Profile]:
    result: dict[str, Profile] = {}
    with CDNOW_MASTER.open() as lines:
        for row in read_rows(lines):
            assert row.event is not None, row.reason
            owner = row.event.customer_id
            assert owner is not None
            result.setdefault(owner, Profile(owner=owner)).apply(row.event)
    return result


def test_every_customer_matches_the_independent_computation(profiles: dict[str, Profile]) -> None:
    expected = raw_rfm(CDNOW_MASTER, CALIBRATION_END)
    assert len(profiles) == len(expected) == 23_570
    mismatches = defaultdict(list)
    for customer, (x, t_x, T, value) in expected.items():
        rfm = profiles[customer].rfm(CALIBRATION_END)
        assert rfm is not None
        if rfm.x != x:
            mismatches["x"].append(customer)
        if abs(rfm.t_x - t_x) > 1e-9 or abs(rfm.T - T) > 1e-9:
            mismatches["time"].append(customer)
        if abs(rfm.monetary_value - value) > 1e-6:
            mismatches["value"].append(customer)
    assert not mismatches


def test_the_published_sample_summary_is_reproduced(profiles: dict[str, Profile]) -> None:
    """The 2,357-customer sample renumbers customers, so compare it as a multiset."""
    with Path(SAMPLE).open() as handle:
        sample = Counter(
            (int(r["x"]), float(r["t_x"]), float(r["T"]), float(r["zbar"]))
            for r in csv.DictReader(handle)
        )
    assert sum(sample.values()) == 2357
    ours: Counter[tuple[int, float, float, float]] = Counter()
    for profile in profiles.values():
        rfm = profile.rfm(CALIBRATION_END)
        assert rfm is not None
        ours[(rfm.x, round(rfm.t_x, 2), round(rfm.T, 2), round(rfm.monetary_value + 1e-9, 2))] += 1
    assert not sample - ours


def test_matches_the_value_engines_summary_when_it_exists(profiles: dict[str, Profile]) -> None:
    rfm_module = pytest.importorskip("optimizer.value.rfm")
    if not hasattr(rfm_module, "summarize") or not hasattr(rfm_module, "read_cdnow_master"):
        pytest.skip("optimizer.value.rfm.summarize is not there yet")
    summary = rfm_module.summarize(rfm_module.read_cdnow_master(CDNOW_MASTER), CALIBRATION_END)
    for i, customer in enumerate(summary.customer_id):
        rfm = profiles[str(customer)].rfm(CALIBRATION_END)
        assert rfm is not None
        assert rfm.x == int(summary.x[i])
        assert rfm.t_x == pytest.approx(float(summary.t_x[i]), abs=1e-9)
        assert abs(rfm.T - float(summary.T[i])) < 1e-9
        assert rfm.monetary_value == pytest.approx(float(summary.monetary_value[i]), abs=1e-6)
