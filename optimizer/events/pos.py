"""Point-of-sale exports -> offline purchase events, one row at a time.

Two formats, detected from the first line:

- the CDNOW master log as published: whitespace separated
  `customer_id date(YYYYMMDD) number_of_cds dollar_value`, optional header line;
- the generic CSV (comma separated, header required, columns in any order, extra columns
  are an error so typos do not go unnoticed)::

      customer_id,occurred_at,amount[,order_id][,store_id][,quantity]
      C-1001,2024-03-01T14:03:00+01:00,19.90,R-77,store-12,2

  `occurred_at` is ISO 8601 with an offset, or a plain date (the store's day, taken as UTC
  midnight). Without `order_id` the row's content names the order.

Event ids are deterministic: a hash of the normalized row content and the ordinal of that
content within the file (the 1st, 2nd... identical row). The object's bucket and key are not
part of the id on purpose: the same export uploaded twice, under the same or another key, or
an export overlapping a previous one, yields the same ids and order keys and so counts once,
while two identical purchases in one file (CDNOW has 215 such rows) stay two purchases.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from optimizer.events.schema import SCHEMA_VERSION, OfflinePurchaseEvent, describe_error

CSV_COLUMNS = ("customer_id", "occurred_at", "amount", "order_id", "store_id", "quantity")
CSV_REQUIRED = ("customer_id", "occurred_at", "amount")
CDNOW_STORE = "cdnow"


@dataclass(frozen=True)
class Row:
    """One line of the file: an event, or the reason it was rejected."""

    line: int
    text: str
    event: OfflinePurchaseEvent | None = None
    reason: str | None = None


class RowError(ValueError):
    """A row that cannot become an event; the message names the field."""


def _ordinal_id(prefix: str, content: str, seen: dict[bytes, int]) -> str:
    digest = hashlib.blake2b(content.encode(), digest_size=12).digest()
    seen[digest] = count = seen.get(digest, 0) + 1
    return f"{prefix}-{digest.hex()}-{count}"


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise RowError(f"amount: {text!r} is not a number") from None
    if not value.is_finite() or value < 0 or value > 1_000_000_000:
        raise RowError(f"amount: {text!r} must be a number between 0 and 1e9")
    cents = value.quantize(Decimal("0.01"))
    if cents != value:
        raise RowError(f"amount: {text!r} has more than 2 decimals")
    return cents


def _cdnow_row(fields: list[str], seen: dict[bytes, int], source: str) -> OfflinePurchaseEvent:
    if len(fields) != 4:
        raise RowError(f"expected 4 fields (customer_id date cds dollars), found {len(fields)}")
    customer, day_text, cds, dollars = fields
    try:
        if len(day_text) != 8 or not day_text.isdigit():
            raise ValueError(day_text)
        day = datetime.strptime(day_text, "%Y%m%d").replace(tzinfo=UTC)
    except ValueError:
        raise RowError(f"date: {day_text!r} is not a valid YYYYMMDD date") from None
    if not cds.isdigit():
        raise RowError(f"number_of_cds: {cds!r} is not a whole number >= 0")
    amount = _amount(dollars)
    content = f"{customer}|{day_text}|{int(cds)}|{amount}"
    event_id = _ordinal_id("cdnow", content, seen)
    return OfflinePurchaseEvent(
        type="offline_purchase",
        schema_version=SCHEMA_VERSION,
        event_id=event_id,
        customer_id=customer,
        occurred_at=day,
        source=source,
        store_id=CDNOW_STORE,
        order_id=event_id,
        amount=amount,
        quantity=int(cds),
    )


def _occurred_at(text: str) -> datetime:
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RowError(f"occurred_at: {text!r} is not an ISO 8601 date or time") from None
    if moment.tzinfo is None:
        raise RowError(f"occurred_at: {text!r} has no UTC offset")
    return moment


def _csv_row(record: dict[str, str], seen: dict[bytes, int], source: str) -> OfflinePurchaseEvent:
    values = {k: (v or "").strip() for k, v in record.items()}
    for column in CSV_REQUIRED:
        if not values.get(column):
            raise RowError(f"{column}: missing")
    amount = _amount(values["amount"])
    quantity = values.get("quantity") or None
    if quantity is not None and not quantity.isdigit():
        raise RowError(f"quantity: {quantity!r} is not a whole number >= 0")
    content = "|".join(values.get(c, "") for c in CSV_COLUMNS)
    event_id = _ordinal_id("csv", content, seen)
    return OfflinePurchaseEvent(
        type="offline_purchase",
        schema_version=SCHEMA_VERSION,
        event_id=event_id,
        customer_id=values["customer_id"],
        occurred_at=_occurred_at(values["occurred_at"]),
        source=source,
        store_id=values.get("store_id") or "unknown",
        order_id=values.get("order_id") or event_id,
        amount=amount,
        quantity=int(quantity) if quantity is not None else None,
    )


def read_rows(lines: Iterable[str], source: str = "import") -> Iterator[Row]:
    """Stream rows of a CDNOW master log or a generic CSV into events or rejections."""
    seen: dict[bytes, int] = {}
    numbered = ((n, text.rstrip("\r\n")) for n, text in enumerate(lines, start=1))
    number, first = 0, ""
    for number, first in numbered:  # noqa: B007 (the first non-blank line is used below)
        if first.strip():
            break
    if not first.strip():
        return
    if "," in first:
        yield from _read_csv(number, first, numbered, seen, source)
        return
    rest: Iterable[tuple[int, str]] = numbered
    if first.split()[0].lower() != "customer_id":
        rest = _chain_first(number, first, numbered)
    for line, text in rest:
        if not text.strip():
            continue
        try:
            yield Row(line, text, event=_cdnow_row(text.split(), seen, source))
        except (RowError, ValidationError) as error:
            yield Row(line, text, reason=_reason(error))


def _chain_first(
    number: int, first: str, rest: Iterator[tuple[int, str]]
) -> Iterator[tuple[int, str]]:
    yield number, first
    yield from rest


def _read_csv(
    number: int,
    header_text: str,
    rest: Iterator[tuple[int, str]],
    seen: dict[bytes, int],
    source: str,
) -> Iterator[Row]:
    header = [h.strip() for h in next(csv.reader([header_text]))]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    missing = [c for c in CSV_REQUIRED if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        reason = f"header: unknown columns {unknown}, missing {missing}; expected {CSV_COLUMNS}"
        yield Row(number, header_text, reason=reason)
        for line, text in rest:
            if text.strip():
                yield Row(line, text, reason="not read: the file's header is invalid")
        return
    for line, text in rest:
        if not text.strip():
            continue
        try:
            cells = next(csv.reader([text]))
            if len(cells) != len(header):
                raise RowError(f"expected {len(header)} fields, found {len(cells)}")
            yield Row(
                line, text, event=_csv_row(dict(zip(header, cells, strict=True)), seen, source)
            )
        except (RowError, ValidationError, csv.Error) as error:
            yield Row(line, text, reason=_reason(error))


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return describe_error(error)
    return str(error)
