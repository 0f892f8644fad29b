"""`percapita allocate`: JSON summary, customer files with bad rows, plan output."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from infra.cli import main
from optimizer.allocation import load_policy
from optimizer.allocation.customers import rate_column

ROOT = Path(__file__).resolve().parents[3]
CDNOW = ROOT / "policies" / "cdnow.yaml"


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    """The CDNOW example scaled to 40 customers (its display minimum needs the cohort)."""
    document = yaml.safe_load(CDNOW.read_text())
    document["total_budget"] = 2.5
    document["channels"]["display"]["budget_min"] = 0.01
    document["channels"]["direct_mail"]["budget_max"] = 1.2
    document["channels"]["display"]["budget_max"] = 0.8
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def write_customers(path: Path, rows: int, bad_row: int | None = None) -> None:
    policy = load_policy(CDNOW)
    columns = ["customer_id", "clv", "value_per_response", *policy.consent_flags]
    columns += [rate_column(c, m) for c, m in policy.arms]
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(columns)
        for i in range(rows):
            rates = [f"{0.01 + 0.002 * ((i * 7 + a) % 11):.4f}" for a in range(len(policy.arms))]
            clv = "oops" if i == bad_row else f"{20 + i % 50}"
            writer.writerow([f"c{i}", clv, f"{5 + i % 7}", 1, i % 2, 1, i % 3 != 0, *rates])


def test_synthetic_json_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["allocate", "--synthetic", "3000", "--seed", "1", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    for key in ("objective", "upper_bound", "gap", "spend", "budget", "status", "seconds"):
        assert key in summary
    assert summary["status"] == "optimal"
    assert summary["gap"] <= 1e-6
    assert summary["spend"] == pytest.approx(summary["budget"], rel=1e-9)  # budget binds


def test_customer_file_bad_row_is_skipped_and_named(
    tmp_path: Path, policy_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    customers, out = tmp_path / "customers.csv", tmp_path / "plan.csv"
    write_customers(customers, 40, bad_row=3)
    code = main(
        ["allocate", "--customers", str(customers), "--policy", str(policy_file), "--out", str(out)]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "row 5: clv='oops' is not a number" in captured.err  # header is row 1
    with out.open() as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 39
    assert "c3" not in {row["customer_id"] for row in rows}
    assert "x:direct_mail:recommendations" in rows[0]


def test_exact_and_dual_agree_on_a_customer_file(
    tmp_path: Path, policy_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    customers = tmp_path / "customers.csv"
    write_customers(customers, 30)
    results = []
    for solver in ("exact", "dual"):
        args = ["allocate", "--customers", str(customers), "--policy", str(policy_file), "--json"]
        assert main([*args, "--solver", solver]) == 0
        results.append(json.loads(capsys.readouterr().out))
    assert results[0]["objective"] == pytest.approx(results[1]["objective"], rel=1e-6)
    assert results[0]["objective"] > 0


def test_cdnow_policy_on_too_few_customers_names_the_display_minimum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    customers = tmp_path / "customers.csv"
    write_customers(customers, 30)
    assert main(["allocate", "--customers", str(customers), "--policy", str(CDNOW)]) == 2
    assert "channel_min:display needs 50" in capsys.readouterr().err


def test_missing_column_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,clv\nc1,3\n")
    code = main(["allocate", "--customers", str(customers), "--policy", str(CDNOW)])
    assert code == 2
    err = capsys.readouterr().err
    assert "missing columns value_per_response" in err
    assert "rate:email:new_releases" in err
