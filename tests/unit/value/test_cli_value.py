"""`percapita value` and `percapita demo` from the command line."""

import csv
import json
from pathlib import Path

import pytest

from infra.cli import main

from .conftest import DATA

SHORT = str(DATA / "cdnow_customers_summary.csv")
FULL = str(DATA / "cdnow_customers_summary_with_transactions.csv")


@pytest.mark.parametrize(
    ("model", "path", "names", "ll"),
    [
        ("bgnbd", SHORT, ["r", "alpha", "a", "b"], -9582.43),
        ("mbgnbd", FULL, ["r", "alpha", "a", "b"], -9582.13),
        ("paretonbd", SHORT, ["r", "alpha", "s", "beta"], -9594.97),
        ("gammagamma", FULL, ["p", "q", "gamma"], -4055.92),
    ],
)
def test_fit_json(model, path, names, ll, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["value", "fit", "--summary", path, "--model", model, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert list(result["params"]) == names
    assert list(result["standard_errors"]) == names
    assert result["converged"] is True
    assert result["n_customers"] == (946 if model == "gammagamma" else 2357)
    assert result["log_likelihood"] == pytest.approx(ll, abs=0.01)


def test_fit_from_the_transaction_log(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["value", "fit", "--transactions", str(DATA / "CDNOW_master.txt")]
    assert main([*args, "--calibration-end", "1997-09-30", "--period", "week"]) == 0
    out = capsys.readouterr().out
    assert "bgnbd on 23,570 customers" in out and "converged" in out


def test_score_writes_one_row_per_customer(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    assert (
        main(["value", "score", "--summary", FULL, "--model", "paretonbd", "--out", str(out)]) == 0
    )
    with open(out, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2357
    assert set(rows[0]) >= {"customer_id", "expected_purchases", "p_alive", "expected_spend", "clv"}
    assert all(float(row["clv"]) >= 0 for row in rows)


def test_user_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("ID,x,t_x,T,zbar\n1,2,9.0,5.0,3.0\n")
    assert main(["value", "fit", "--summary", str(bad)]) == 2
    assert "t_x > T in customers 1" in capsys.readouterr().err
    assert main(["value", "fit", "--transactions", str(DATA / "CDNOW_master.txt")]) == 2
    assert "--calibration-end" in capsys.readouterr().err


def test_demo_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "23,570 customers" in out and "paretonbd" in out
    for name in ("index.html", "calibration_vs_holdout.png", "p_alive_matrix.png"):
        assert (tmp_path / name).stat().st_size > 0
