"""Interaction events and the profiles they fold into (pure: no AWS, no I/O).

- `schema`: the versioned pydantic event models (`Event`, `parse_event`).
- `profile`: `Profile`, the mergeable per-person state, and `fold`.
- `cdnow`: turning point-of-sale rows (CDNOW master, generic CSV) into events.
"""

from optimizer.events.profile import RFM, WINDOW_DAYS, ArmStats, Profile, SpendStats, fold
from optimizer.events.schema import (
    EVENT_TYPES,
    SCHEMA_VERSION,
    ClickEvent,
    ConsentEvent,
    Event,
    ExposureEvent,
    ForgetEvent,
    IdentifyEvent,
    OfflinePurchaseEvent,
    OpenEvent,
    PurchaseEvent,
    VisitEvent,
    describe_error,
    parse_event,
)

__all__ = [
    "EVENT_TYPES",
    "RFM",
    "SCHEMA_VERSION",
    "WINDOW_DAYS",
    "ArmStats",
    "ClickEvent",
    "ConsentEvent",
    "Event",
    "ExposureEvent",
    "ForgetEvent",
    "IdentifyEvent",
    "OfflinePurchaseEvent",
    "OpenEvent",
    "Profile",
    "PurchaseEvent",
    "SpendStats",
    "VisitEvent",
    "describe_error",
    "fold",
    "parse_event",
]
