"""The importer Lambda on moto: files in the landing bucket, bad rows, re-uploads."""

from __future__ import annotations

import csv
import io
import os

from functions.importer.handler import handler
from infra.local.stack import LocalStack
from tests.integration.conftest import profile

CDNOW_ROWS = [
    " customer_id  date number_of_cds  dollar_value",
    " 00001 19970101  1   11.77",
    " 00001 19970101  1   11.77",  # an identical second purchase: counts
    " 00001 19970301  2   20.00",
    " 00002 19970112  1   12.00",
    "",
    " 00003 1997011  1   12.00",  # short date
    " 00003 19970230  1   12.00",  # no such day
    " 00003 19970112  one   12.00",  # quantity not a number
    " 00003 19970112  1   -4.00",  # negative amount
    " 00003 19970112  1   4.001",  # fraction of a cent
    " 00003 19970112  1   NaN",  # not a number
    " 00003 19970112  1",  # missing field
    " 00003 19970112  1  2.00  extra",  # extra field
    " 0\u00e9003 19970112  1   2.00",  # customer id not ASCII
]
CSV_ROWS = [
    "customer_id,occurred_at,amount,order_id,store_id,quantity",
    "C-1,2024-03-01T14:03:00+01:00,19.90,R-77,store-12,2",
    "C-1,2024-03-01T18:00:00+01:00,5.00,R-78,store-12,1",
    "C-1,2024-03-09,7.50,R-80,store-3,",
    "C-2,2024-03-02,3.00,,,",
    "C-2,2024-03-02T10:00:00,3.00,R-9,store-1,1",  # no UTC offset
    ",2024-03-02,3.00,R-10,store-1,1",  # no customer
    "C-3,2024-03-02,3.00,R-11,store-1,1.5",  # fractional quantity
    'C-4,2024-03-02,"3,00",R-12,store-1,1',  # comma decimal
    "C-5,2024-03-02,3.00",  # too few fields
]


def _import(stack: LocalStack, key: str, text: str, chunk_rows: int = 0) -> dict[str, int]:
    event = stack.upload(key, text.encode())
    with stack.function("ImporterFunction") as context:
        if chunk_rows:
            os.environ["IMPORT_CHUNK_ROWS"] = str(chunk_rows)
        summaries = handler(event, context)["imported"]
    assert len(summaries) == 1
    summary: dict[str, int] = summaries[0]
    return summary


def _errors(stack: LocalStack, key: str) -> list[dict[str, str]]:
    obj = stack.s3.get_object(Bucket=stack.physical["LandingBucket"], Key=key)
    return list(csv.DictReader(io.StringIO(obj["Body"].read().decode())))


def test_cdnow_rows_bad_rows_get_a_reason_good_rows_count_once(stack: LocalStack) -> None:
    text = "\r\n".join(CDNOW_ROWS) + "\r\n"
    summary = _import(stack, "incoming/pos 1.txt", text, chunk_rows=2)
    assert (summary["events"], summary["rejected"], summary["chunks"]) == (4, 9, 2)
    errors = _errors(stack, "incoming/pos 1.txt.errors.csv")
    assert [int(e["line"]) for e in errors] == list(range(7, 16))
    reasons = [e["reason"] for e in errors]
    for expected, reason in zip(
        [
            "date",
            "date",
            "number_of_cds",
            "amount",
            "amount",
            "amount",
            "4 fields",
            "4 fields",
            "customer_id",
        ],
        reasons,
        strict=True,
    ):
        assert expected in reason
    first, version = profile(stack, "00001")
    assert first.spend_stats().revenue == 43.54 and first.spend_stats().orders == 3
    assert profile(stack, "00002")[0].spend_stats().revenue == 12.0

    again = _import(stack, "incoming/pos 1.txt", text)
    elsewhere = _import(stack, "incoming/copy-of-pos-1.txt", text)
    assert again["writes"] == elsewhere["writes"] == 0
    assert profile(stack, "00001") == (first, version)


def test_generic_csv_rows(stack: LocalStack) -> None:
    summary = _import(stack, "incoming/stores.csv", "\n".join(CSV_ROWS) + "\n")
    assert (summary["events"], summary["rejected"]) == (4, 5)
    reasons = [e["reason"] for e in _errors(stack, "incoming/stores.csv.errors.csv")]
    assert ["offset" in reasons[0], "customer_id" in reasons[1]] == [True, True]
    assert "quantity" in reasons[2] and "amount" in reasons[3] and "fields" in reasons[4]
    c1 = profile(stack, "C-1")[0]
    assert (c1.spend_stats().orders, c1.spend_stats().purchase_days) == (3, 2)
    assert profile(stack, "C-2")[0].spend_stats().revenue == 3.0


def test_a_file_with_a_bad_header_is_rejected_row_by_row(stack: LocalStack) -> None:
    summary = _import(stack, "incoming/bad.csv", "customer,when,amount\nC-1,2024-03-01,1.00\n")
    assert (summary["events"], summary["rejected"]) == (0, 2)
    errors = _errors(stack, "incoming/bad.csv.errors.csv")
    assert "header" in errors[0]["reason"] and "header" in errors[1]["reason"]


def test_the_error_object_itself_is_never_imported(stack: LocalStack) -> None:
    event = stack.upload("incoming/x.txt.errors.csv", b"line,reason,row\n")
    with stack.function("ImporterFunction") as context:
        assert handler(event, context) == {"imported": []}
