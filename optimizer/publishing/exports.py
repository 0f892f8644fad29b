"""Bulk exports of a run, in the shapes ad platforms and buying systems take.

A run writes its exports in parts, one per shard (shards are written in parallel), in
folders a buyer reads whole:
- `channel=<name>/part-<shard>.jsonl`: one JSON object per person planned on the channel;
- `channel=<name>/part-<shard>.csv`: the same rows, header first.
Columns: customer_id, tier, exposures, spend, bid_multiplier, top_message, clv, p_alive.
Per channel and tier, audience lists for uploads that take lists, not bids:
- `channel=<name>/tier=<k>/part-<shard>.csv`: header `customer_id`, one id per line.
A `manifest.json`, written last, names every file with its row count and SHA-256, and the
bid multiplier of each (channel, tier): a consumer waits for it, then checks it has
everything before it acts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TypedDict

from optimizer.publishing.records import AllocationRecord

CHANNEL_COLUMNS = (
    "customer_id",
    "tier",
    "exposures",
    "spend",
    "bid_multiplier",
    "top_message",
    "clv",
    "p_alive",
)


class ExportRow(TypedDict):
    customer_id: str
    tier: int
    exposures: float
    spend: float
    bid_multiplier: float
    top_message: str
    clv: float
    p_alive: float


def channel_rows(records: Iterable[AllocationRecord]) -> dict[str, list[ExportRow]]:
    """Rows of the per-channel exports, by channel, in the records' order."""
    rows: dict[str, list[ExportRow]] = defaultdict(list)
    for record in records:
        top_message = max(record.message_mix, key=record.message_mix.__getitem__, default="")
        for channel, plan in record.channels.items():
            if plan.exposures <= 0:
                continue
            rows[channel].append(
                {
                    "customer_id": record.customer_id,
                    "tier": record.tier,
                    "exposures": round(plan.exposures, 6),
                    "spend": round(plan.spend, 6),
                    "bid_multiplier": round(plan.bid_multiplier, 6),
                    "top_message": top_message,
                    "clv": round(record.clv, 4),
                    "p_alive": round(record.p_alive, 6),
                }
            )
    return dict(rows)


def to_jsonl(rows: Sequence[Mapping[str, object]]) -> str:
    return "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows)


def to_csv(rows: Sequence[Mapping[str, object]], columns: tuple[str, ...] = CHANNEL_COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def render_part(records: Iterable[AllocationRecord], part: str) -> dict[str, str]:
    """One shard's share of the export files, path -> text (`part` names the shard)."""
    files: dict[str, str] = {}
    for channel, rows in sorted(channel_rows(records).items()):
        files[f"channel={channel}/part-{part}.jsonl"] = to_jsonl(rows)
        files[f"channel={channel}/part-{part}.csv"] = to_csv(rows)
        by_tier: dict[int, list[ExportRow]] = defaultdict(list)
        for row in rows:
            by_tier[row["tier"]].append(row)
        for tier, tier_rows in sorted(by_tier.items()):
            audience = [{"customer_id": row["customer_id"]} for row in tier_rows]
            files[f"channel={channel}/tier={tier}/part-{part}.csv"] = to_csv(
                audience, ("customer_id",)
            )
    return files


def manifest_entries(files: dict[str, str]) -> list[dict[str, object]]:
    """Path, row count and SHA-256 of each file, for the run's manifest."""
    return [
        {
            "path": path,
            "rows": text.count("\n") - (0 if path.endswith(".jsonl") else 1),
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
        }
        for path, text in sorted(files.items())
    ]


def manifest(
    run_id: str, entries: list[dict[str, object]], bid_multipliers: dict[str, dict[str, float]]
) -> str:
    """The run's `manifest.json`: every file of every part, and the tiers' bid multipliers."""
    document = {
        "run_id": run_id,
        "files": sorted(entries, key=lambda entry: str(entry["path"])),
        "bid_multipliers": bid_multipliers,
    }
    return json.dumps(document, indent=2) + "\n"
