"""Customer files for the allocator: one CSV row per person, and the plan written back.

Input columns (header required, any order, extra columns ignored):
- `customer_id`: any text, unique;
- `clv`: customer lifetime value in currency units (>= 0);
- `value_per_response`: margin of one response (>= 0);
- one column per consent flag named in the policy (e.g. `email_opt_in`): 1/0, true/false,
  yes/no;
- `rate:<channel>:<message>` for each arm of the policy: response probability per exposure
  in [0, 1]. A missing rate column is an error naming it.
A row with a bad value is skipped and reported (row number, column, value); the rest of the
file is used. Output: `customer_id, spend, spend:<channel>..., x:<channel>:<message>...`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

import numpy as np

from optimizer.allocation.plan import Plan
from optimizer.allocation.policy import Policy
from optimizer.allocation.problem import AllocationProblem

_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}


class CustomerFileError(ValueError):
    """The customer file cannot be used at all (missing columns, no valid row)."""


def rate_column(channel: str, message: str) -> str:
    return f"rate:{channel}:{message}"


def read_customers(lines: Iterable[str], policy: Policy) -> tuple[AllocationProblem, list[str]]:
    """Parse a customer CSV; returns the problem and one message per skipped row."""
    reader = csv.DictReader(lines)
    header = reader.fieldnames or []
    rates = [rate_column(c, m) for c, m in policy.arms]
    flags = policy.consent_flags
    needed = ["customer_id", "clv", "value_per_response", *flags, *rates]
    missing = [name for name in needed if name not in header]
    if missing:
        raise CustomerFileError("customer file: missing columns " + ", ".join(missing))
    ids: list[str] = []
    numbers: list[list[float]] = []
    consents: list[list[bool]] = []
    errors: list[str] = []
    for row_number, row in enumerate(reader, start=2):
        try:
            values = []
            for name in ["clv", "value_per_response", *rates]:
                text = (row.get(name) or "").strip()
                try:
                    value = float(text)
                except ValueError:
                    raise ValueError(f"{name}={text!r} is not a number") from None
                if not np.isfinite(value) or value < 0 or (name in rates and value > 1):
                    raise ValueError(f"{name}={text!r} out of range")
                values.append(value)
            flags_row = []
            for name in flags:
                text = (row.get(name) or "").strip().lower()
                if text not in _TRUE and text not in _FALSE:
                    raise ValueError(f"{name}={text!r} is not a yes/no flag")
                flags_row.append(text in _TRUE)
        except ValueError as error:
            errors.append(f"row {row_number}: {error}")
            continue
        ids.append(row["customer_id"])
        numbers.append(values)
        consents.append(flags_row)
    if not ids:
        raise CustomerFileError("customer file: no valid row (" + "; ".join(errors[:3]) + ")")
    table = np.array(numbers, dtype=np.float64)
    by_flag = np.array(consents, dtype=bool)
    channel_flag = [flags.index(spec.consent) for spec in policy.channels.values()]
    problem = AllocationProblem(
        clv=table[:, 0],
        value_per_response=table[:, 1],
        response_rate=table[:, 2:],
        consent=by_flag[:, channel_flag],
        customer_id=np.array(ids, dtype=object),
    )
    return problem, errors


def write_plan(plan: Plan, problem: AllocationProblem, stream: TextIO) -> None:
    """Write one row per person: spend in total and per channel, exposures per arm."""
    structure = plan.structure
    policy = structure.policy
    writer = csv.writer(stream)
    channels = policy.channel_names
    writer.writerow(
        [
            "customer_id",
            "spend",
            *(f"spend:{c}" for c in channels),
            *(f"x:{c}:{m}" for c, m in policy.arms),
        ]
    )
    dollars = plan.exposures * structure.arm_cost
    by_channel = np.stack(
        [dollars[:, structure.arm_channel == c].sum(axis=1) for c in range(len(channels))], axis=1
    )
    ids = problem.customer_id if problem.customer_id is not None else np.arange(problem.n)
    for i in range(problem.n):
        writer.writerow(
            [
                ids[i],
                f"{dollars[i].sum():.6g}",
                *(f"{v:.6g}" for v in by_channel[i]),
                *(f"{v:.6g}" for v in plan.exposures[i]),
            ]
        )
