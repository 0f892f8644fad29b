"""The `percapita` command line.

Each subcommand lives in its own module with a `register(subparsers)` function that adds
its parser and sets `handler` (a callable taking the parsed namespace, returning an exit
code). Keeping commands in separate modules keeps each one small and lets the pure ones
(`value`, `allocate`, `simulate`) import nothing from AWS.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Subcommand modules, in the order `percapita --help` lists them.
COMMAND_MODULES: tuple[str, ...] = ("value", "demo", "allocate", "simulate", "replay")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="percapita",
        description="Per-customer marketing budget optimizer: value, response, allocation.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"infra.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CliError as error:
        print(f"percapita {args.command}: error: {error}", file=sys.stderr)
        return 2


class CliError(Exception):
    """A user-facing error: printed as one line, exit code 2, no traceback."""


if __name__ == "__main__":
    raise SystemExit(main())
