"""Ingest throughput: events/s through the ingest handler on moto, writes per event, and the
handler's own CPU time per event (parse + fold + build of the item) without AWS calls.

    .venv/bin/python benchmarks/ingest.py [--events 20000] [--batch 1000]

Floors (issue 5): at most one profile write per customer per batch; parse, fold and build of
updates at least 20,000 events/s on one core.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from functions.ingest.handler import sqs_handler
from functions.ingest.models import EventSqsRecord
from functions.shared import wiring
from functions.shared.profile_store import customer_key, encode_state
from infra.local.stack import local_stack
from optimizer.events import Profile
from optimizer.events.pos import read_rows

CDNOW = Path(__file__).resolve().parents[1] / "data" / "cdnow" / "CDNOW_master.txt"


def event_bodies(count: int, seed: int = 0) -> list[str]:
    """CDNOW purchases mixed with synthetic exposures and clicks, shuffled, as JSON bodies."""
    rng = random.Random(seed)
    bodies: list[str] = []
    with CDNOW.open() as lines:
        for row in read_rows(lines):
            if row.event is None or len(bodies) >= count // 2:
                break
            bodies.append(row.event.model_dump_json())
    customers = [json.loads(b)["customer_id"] for b in bodies]
    while len(bodies) < count:
        n = len(bodies)
        kind = rng.choice(["exposure", "click", "exposure"])
        document: dict[str, Any] = {
            "schema_version": 1,
            "type": kind,
            "event_id": f"bench-{n}",
            "customer_id": rng.choice(customers),
            "occurred_at": f"1997-03-{rng.randint(1, 28):02d}T12:00:00Z",
            "source": "esp",
            "channel": "email",
            "message": rng.choice(["spring", "summer"]),
        }
        if kind == "exposure":
            document["cost"] = "0.0015"
        bodies.append(json.dumps(document))
    rng.shuffle(bodies)
    return bodies


def sqs_records(bodies: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "messageId": f"m-{i}",
            "receiptHandle": "r",
            "body": body,
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "0",
                "SenderId": "bench",
                "ApproximateFirstReceiveTimestamp": "0",
            },
            "messageAttributes": {},
            "md5OfBody": "0",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:bench",
            "awsRegion": "us-east-1",
        }
        for i, body in enumerate(bodies)
    ]


def cpu_only(records: list[dict[str, Any]], batch: int) -> float:
    """Seconds of CPU for parse + fold + item build, batch by batch, no AWS calls."""
    start = time.process_time()
    for first in range(0, len(records), batch):
        groups: dict[str, list[Any]] = defaultdict(list)
        for record in records[first : first + batch]:
            event = EventSqsRecord.model_validate(record).body
            groups[customer_key(event.customer_id or "")].append(event)
        for owner, events in groups.items():
            profile = Profile(owner=owner)
            for event in events:
                profile.apply(event)
            encode_state(profile)
    return time.process_time() - start


def through_moto(records: list[dict[str, Any]], batch: int) -> tuple[float, int, int]:
    """Wall seconds, profile writes and customer-batches through the handler on moto."""
    with local_stack() as stack:
        store = wiring.profile_store(stack.table_name())
        customer_batches = 0
        start = time.perf_counter()
        for first in range(0, len(records), batch):
            chunk = records[first : first + batch]
            customer_batches += len({json.loads(r["body"])["customer_id"] for r in chunk})
            with stack.function("IngestQueueFunction") as context:
                response = sqs_handler({"Records": chunk}, context)
            assert not response["batchItemFailures"]
        return time.perf_counter() - start, store.writes, customer_batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    import logging

    logging.getLogger("service_undefined").setLevel(logging.ERROR)
    records = sqs_records(event_bodies(args.events))
    cpu = cpu_only(records, args.batch)
    wall, writes, customer_batches = through_moto(records, args.batch)
    rate = len(records) / cpu
    print(f"events: {len(records)} in batches of {args.batch}")
    print(
        f"handler CPU without AWS (parse+fold+build): {rate:,.0f} events/s "
        f"({cpu / len(records) * 1e6:.1f} us/event); floor 20,000: "
        f"{'PASS' if rate >= 20_000 else 'FAIL'}"
    )
    print(f"through the ingest handler on moto: {len(records) / wall:,.0f} events/s")
    print(
        f"DynamoDB profile writes: {writes} = {writes / len(records):.3f} per event; "
        f"{writes / customer_batches:.3f} per customer per batch (floor: <= 1)"
    )


if __name__ == "__main__":
    main()
