"""Bulk exports of a run, in the shapes ad platforms and buying systems take.

Per channel, two files with the same rows, one per person with planned exposures there:
- `channel=<name>/allocations.jsonl`: one JSON object per line;
- `channel=<name>/allocations.csv`: the same columns, header first.
Columns: customer_id, tier, exposures, spend, bid_multiplier, top_message, clv, p_alive.
Per channel and tier, an audience list for uploads that take lists, not bids:
- `channel=<name>/tier=<k>/audience.csv`: one customer_id per line, header `customer_id`.
A `manifest.json` names every file with its row count and SHA-256, and the tiers' bid
multipliers, so a consumer can check it has everything before it acts.
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


def render_exports(run_id: str, records: Iterable[AllocationRecord]) -> dict[str, str]:
    """Every export file of a run, path -> text, the manifest included."""
    files: dict[str, str] = {}
    multipliers: dict[str, dict[str, float]] = {}
    for channel, rows in sorted(channel_rows(records).items()):
        files[f"channel={channel}/allocations.jsonl"] = to_jsonl(rows)
        files[f"channel={channel}/allocations.csv"] = to_csv(rows)
        by_tier: dict[int, list[ExportRow]] = defaultdict(list)
        for row in rows:
            by_tier[row["tier"]].append(row)
        multipliers[channel] = {}
        for tier, tier_rows in sorted(by_tier.items()):
            audience = [{"customer_id": row["customer_id"]} for row in tier_rows]
            files[f"channel={channel}/tier={tier}/audience.csv"] = to_csv(
                audience, ("customer_id",)
            )
            multipliers[channel][str(tier)] = tier_rows[0]["bid_multiplier"]
    manifest = {
        "run_id": run_id,
        "files": [
            {
                "path": path,
                "rows": text.count("\n") - (0 if path.endswith(".jsonl") else 1),
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
            }
            for path, text in files.items()
        ],
        "bid_multipliers": multipliers,
    }
    files["manifest.json"] = json.dumps(manifest, indent=2) + "\n"
    return files
