"""Replay a transaction file through the importer on the embedded stack; export profiles.

Used by `percapita replay` and by the integration tests. `--shuffle` permutes the rows;
`--duplicates F` re-uploads a random F of the rows as extra objects, a quarter before and the
rest after the main file, so duplicates arrive both ahead of and behind their originals. Event
ids depend on row content and its ordinal within a file, and any subset of a file's rows
maps onto ids of the file, so duplicates must change nothing.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from functions.importer.handler import handler as importer_handler
from functions.shared.profile_store import decode_state
from infra.local.stack import LocalStack
from optimizer.events import Profile

CDNOW_CALIBRATION_END = date(1997, 9, 30)
EXPORT_COLUMNS = ("customer_id", "x", "t_x", "T", "monetary_value")


@dataclass
class ReplaySummary:
    objects: int
    rows: int
    events: int
    rejected: int
    writes: int


def _split(path: Path) -> tuple[str | None, list[str]]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    header = None
    if lines and (lines[0].split() or [""])[0].lower().startswith("customer_id"):
        header, lines = lines[0], lines[1:]
    return header, [line for line in lines if line.strip()]


def replay_file(
    stack: LocalStack,
    path: Path,
    shuffle: bool = False,
    duplicates: float = 0.0,
    seed: int = 0,
    on_progress: Callable[[int], None] | None = None,
) -> ReplaySummary:
    """Upload the file (and its duplicate objects) and run the importer on each upload."""
    if not 0.0 <= duplicates <= 1.0:
        raise ValueError(f"duplicates must be a fraction in [0, 1], got {duplicates}")
    header, rows = _split(path)
    rng = random.Random(seed)
    if shuffle:
        rng.shuffle(rows)
    extra = rng.sample(rows, round(duplicates * len(rows)))
    early = len(extra) // 4  # duplicates ahead of their originals cost writes; keep a quarter
    objects = [
        (f"incoming/{path.name}.dup-early", extra[:early]),
        (f"incoming/{path.name}", rows),
        (f"incoming/{path.name}.dup-late", extra[early:]),
    ]
    summary = ReplaySummary(objects=0, rows=0, events=0, rejected=0, writes=0)
    for key, lines in objects:
        if not lines:
            continue
        body = "\n".join(([header] if header else []) + lines) + "\n"
        event = stack.upload(key, body.encode())
        with stack.function("ImporterFunction") as context:
            answer = importer_handler(event, context)
        for report in answer["imported"]:
            summary.objects += 1
            summary.rows += report["rows"]
            summary.events += report["events"]
            summary.rejected += report["rejected"]
            summary.writes += report["writes"]
        if on_progress is not None:
            on_progress(len(lines))
    return summary


def stored_profiles(stack: LocalStack) -> Iterator[tuple[str, Profile]]:
    """Every customer profile in the table (key without its `c#` prefix)."""
    paginator = stack.dynamodb.get_paginator("scan")
    for page in paginator.paginate(TableName=stack.table_name()):
        for item in page["Items"]:
            key = item["pk"]["S"]
            if key.startswith("c#") and "state" in item:
                yield key[2:], decode_state(bytes(item["state"]["B"]))


def export_rfm(profiles: Iterator[tuple[str, Profile]], out: TextIO, calibration_end: date) -> int:
    """Write customer_id,x,t_x,T,monetary_value (weeks, like the CDNOW summary); rows written."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    rows: list[tuple[Any, ...]] = []
    for customer_id, profile in profiles:
        rfm = profile.rfm(calibration_end)
        if rfm is not None:
            rows.append((customer_id, rfm.x, rfm.t_x, rfm.T, rfm.monetary_value))
    rows.sort()
    for customer_id, x, t_x, T, value in rows:
        writer.writerow([customer_id, x, f"{t_x:.6f}", f"{T:.6f}", f"{value:.6f}"])
    return len(rows)
