"""`percapita replay`: a transaction file through the importer on the embedded stack.

Everything runs in this process on moto (no AWS account, no Docker): the template's
resources are created, the file is uploaded to the landing bucket, the importer Lambda's
handler imports it, and the profiles read back from the table are exported as RFM rows.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from infra.cli import CliError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="replay a transaction file through the ingestion path on a local stack",
        description=__doc__,
    )
    parser.add_argument(
        "--transactions",
        type=Path,
        required=True,
        metavar="FILE",
        help="CDNOW master log or generic CSV (see README)",
    )
    parser.add_argument("--shuffle", action="store_true", help="permute the rows first")
    parser.add_argument(
        "--duplicates",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="re-upload this fraction of rows as duplicate objects",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--calibration-end",
        type=date.fromisoformat,
        default=date(1997, 9, 30),
        metavar="YYYY-MM-DD",
        help="end of the calibration window (CDNOW: 1997-09-30)",
    )
    parser.add_argument(
        "--export-profiles",
        type=Path,
        required=True,
        metavar="OUT.csv",
        help="write customer_id,x,t_x,T,monetary_value here",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from infra.local.replay import export_rfm, replay_file, stored_profiles
    from infra.local.stack import local_stack

    if not args.transactions.is_file():
        raise CliError(f"--transactions: no such file: {args.transactions}")
    if not 0.0 <= args.duplicates <= 1.0:
        raise CliError(f"--duplicates: expected a fraction in [0, 1], got {args.duplicates}")
    rows = sum(1 for line in args.transactions.open(errors="replace") if line.strip())
    total = rows + round(args.duplicates * rows)
    with local_stack() as stack, tqdm(total=total, unit="row", desc="replay") as bar:
        summary = replay_file(
            stack, args.transactions, args.shuffle, args.duplicates, args.seed, bar.update
        )
        args.export_profiles.parent.mkdir(parents=True, exist_ok=True)
        with args.export_profiles.open("w", newline="") as out:
            written = export_rfm(stored_profiles(stack), out, args.calibration_end)
    print(
        f"{summary.rows} rows in {summary.objects} objects: {summary.events} events, "
        f"{summary.rejected} rejected, {summary.writes} profile writes; "
        f"{written} customers -> {args.export_profiles}"
    )
    return 0
