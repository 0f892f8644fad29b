"""RFM definitions (TEAM.md contract), the CDNOW reader, compression and bad-input errors."""

from pathlib import Path

import numpy as np
import pytest

from optimizer.value import RFMError, Transactions, compress, read_cdnow_master, summarize
from optimizer.value.rfm import read_summary_csv, read_transactions, validate_rfm

from .conftest import DATA


def log(*rows: tuple[str, str, float]) -> Transactions:
    ids, days, amounts = zip(*rows, strict=True)
    return Transactions(np.array(ids), np.array(days, dtype="datetime64[D]"), np.array(amounts))


def test_same_day_purchases_are_one_purchase_worth_their_sum() -> None:
    summary = summarize(
        log(
            ("a", "1997-01-01", 10.0),
            ("a", "1997-01-08", 5.0),
            ("a", "1997-01-08", 7.0),  # same day: one purchase worth 12
            ("a", "1997-01-22", 30.0),
            ("a", "1997-10-05", 99.0),  # holdout
            ("b", "1997-03-01", 4.0),
        ),
        "1997-09-30",
        observation_end="1998-06-30",
    )
    assert list(summary.customer_id) == ["a", "b"]
    assert list(summary.x) == [2, 0]
    assert summary.t_x == pytest.approx([3.0, 0.0])  # 21 days
    assert summary.T[0] == pytest.approx(272 / 7)  # 38.86, as in the contract
    assert summary.monetary_value == pytest.approx([21.0, 0.0])  # (12 + 30) / 2
    assert list(summary.holdout_purchases) == [1, 0]  # type: ignore[arg-type]
    assert summary.holdout_weeks == pytest.approx(273 / 7)


def test_week_periods_count_from_the_first_purchase() -> None:
    summary = summarize(
        log(
            ("a", "1997-01-01", 1.0),
            ("a", "1997-01-06", 2.0),  # same week as the first purchase
            ("a", "1997-01-09", 3.0),  # week 1
            ("a", "1997-01-14", 4.0),  # week 1
            ("a", "1997-01-30", 5.0),  # week 4
        ),
        "1997-09-30",
        period="week",
    )
    assert list(summary.x) == [2]
    assert summary.t_x == pytest.approx([4.0])
    assert summary.monetary_value == pytest.approx([6.0])  # weeks worth 7 and 5


def test_customers_first_seen_after_calibration_are_left_out() -> None:
    summary = summarize(
        log(("a", "1997-01-01", 1.0), ("b", "1997-12-01", 2.0)),
        "1997-09-30",
        observation_end="1998-06-30",
    )
    assert list(summary.customer_id) == ["a"]


def test_reads_cdnow_master_as_distributed() -> None:
    transactions = read_cdnow_master(DATA / "CDNOW_master.txt")
    assert len(transactions.amount) == 69_659
    assert len(np.unique(transactions.customer_id)) == 23_570
    summary = summarize(transactions, "1997-09-30", observation_end="1998-06-30")
    assert len(summary) == 23_570
    assert summary.T.max() == pytest.approx(38.857, abs=1e-3)  # first seen 1997-01-01
    assert summary.T.min() == pytest.approx(27.0)  # first seen 1997-03-31
    assert summary.holdout_weeks == pytest.approx(39.0)


def test_cdnow_reader_names_malformed_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(" id date n value\n 1 19970101 1 2.5\n 2 19971301 1 3\n 3 1997010 x 4\n")
    with pytest.raises(RFMError, match=r"malformed lines \[4\]"):
        read_cdnow_master(path)
    path.write_text(" id date n value\n 1 19970101 1 2.5\n 2 19970230 1 3\n")
    with pytest.raises(RFMError, match=r"invalid dates on lines \[3\]"):
        read_cdnow_master(path)


@pytest.mark.parametrize(
    ("x", "t_x", "T", "message"),
    [
        ([1, 2], [1.0, np.nan], [5.0, 5.0], r"t_x is NaN or infinite in rows 1"),
        ([1, -2], [1.0, 1.0], [5.0, 5.0], r"x is negative in rows 1"),
        ([1, 2, 3], [1.0, 6.0, 1.0], [5.0, 5.0, 5.0], r"t_x > T in rows 1"),
        ([0, 2], [0.0, 0.0], [5.0, 5.0], r"x > 0 but t_x == 0 in rows 1"),
        ([1.5], [1.0], [5.0], r"x is not a whole number in rows 0"),
        ([], [], [], r"empty"),
    ],
)
def test_bad_rows_are_named(x: list, t_x: list, T: list, message: str) -> None:
    with pytest.raises(RFMError, match=message):
        validate_rfm(x, t_x, T)


def test_bad_transactions_are_named() -> None:
    with pytest.raises(RFMError, match="amount is negative in rows 1"):
        log(("a", "1997-01-01", 1.0), ("a", "1997-01-02", -1.0))
    with pytest.raises(RFMError, match="empty"):
        Transactions(np.array([]), np.array([], dtype="datetime64[D]"), np.array([]))


def test_summary_csv_errors_name_customer_ids(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("ID,x,t_x,T,zbar\n7,1,2.0,5.0,3.0\n8,1,6.0,5.0,3.0\n")
    with pytest.raises(RFMError, match="t_x > T in customers 8"):
        read_summary_csv(path)


def test_both_summary_formats_read_the_same_customers() -> None:
    short = read_summary_csv(DATA / "cdnow_customers_summary.csv")
    full = read_summary_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    assert len(short) == len(full) == 2357
    assert np.array_equal(short.x, full.x)
    assert np.array_equal(short.t_x, full.t_x)
    assert int(np.count_nonzero(full.x)) == 946


def test_compression_is_exact_and_invertible() -> None:
    rng = np.random.default_rng(1)
    days = rng.integers(0, 300, 5000)
    x, t_x, T = rng.integers(0, 5, 5000), days / 7, (days + rng.integers(0, 50, 5000)) / 7
    packed = compress(x, t_x, T, with_inverse=True)
    assert packed.weight.sum() == 5000
    for column, original in zip(packed.columns, (x, t_x, T), strict=True):
        assert np.array_equal(packed.expand(column), original)  # bit-for-bit
    # off-grid floats take the general path and stay exact
    noisy = t_x + rng.random(5000) * 1e-9
    packed = compress(x, noisy, T, with_inverse=True)
    assert np.array_equal(packed.expand(packed.columns[1]), noisy)


def test_reads_a_transactions_csv_and_names_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "customer_id,date,amount\nc1,1997-01-01T10:00:00,5\nc1,1997-01-01,7\nc1,1997-02-01,3\n"
    )
    summary = summarize(read_transactions(path), "1997-09-30")
    assert list(summary.x) == [1] and summary.monetary_value[0] == 3.0
    path.write_text("customer_id,date,amount\nc1,1997-01-01,5\nc2,someday,7\n")
    with pytest.raises(RFMError, match=r"malformed lines \[3\]"):
        read_transactions(path)


def test_compression_survives_hash_collisions(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    module = sys.modules["optimizer.value.compress"]
    monkeypatch.setattr(module, "_MAX_BUCKET_BITS", 10)  # 1,024 buckets for 20,000 rows
    rng = np.random.default_rng(2)
    x, t_x = rng.integers(0, 40, 20_000), rng.integers(0, 300, 20_000) / 7
    packed = compress(x, t_x, with_inverse=True)
    assert np.array_equal(packed.expand(packed.columns[0]), x)
    assert np.array_equal(packed.expand(packed.columns[1]), t_x)
    pairs = set(zip(x.tolist(), t_x.tolist(), strict=True))
    assert len(packed.weight) == len(pairs) and packed.weight.sum() == 20_000


def test_fit_names_bad_rows_even_after_compression() -> None:
    from optimizer.value import BGNBD

    x = np.array([1, 2, 0, 3] * 50, dtype=float)
    t_x = np.array([1.0, 2.0, 0.0, 3.0] * 50)
    T = np.full(200, 10.0)
    t_x[137] = np.nan
    with pytest.raises(RFMError, match=r"t_x is NaN or infinite in rows 137"):
        BGNBD().fit(x, t_x, T)
    t_x[137] = 11.0
    with pytest.raises(RFMError, match=r"t_x > T in rows 137"):
        BGNBD().fit(x, t_x, T)
