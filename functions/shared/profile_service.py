"""Apply a batch of events to profiles: coalesced per person, exactly-once in effect.

Why not Powertools' idempotency utility: it writes an "in progress" record and then a
"completed" record per event, two extra DynamoDB writes per event on top of the profile
write. Here the profile itself is the de-duplication record. The profile state is a CRDT
keyed by order id, event id (within the response window) and last-writer stamps
(`optimizer.events.profile`), so folding an event twice changes nothing. A batch is grouped
by person; each person's profile is read once (BatchGetItem), every event of the batch is
folded in, and the result is written once with `PutItem` conditional on the version read.

- Common case: one write per person per batch, none at all for a pure replay (the folded
  state equals the stored one, so nothing is written).
- Concurrent writer (another shard or a retry): the condition fails, the person is re-read
  and re-folded (idempotent), up to `max_attempts`; after that its records are reported as
  failed and the event source retries them later, then dead-letters them.
- Crash between writes: nothing is half-applied inside a profile (one item, one write); a
  redelivered batch folds into the already-written state as a no-op.

Identity: an identify event links `alias_id` to `customer_id`. Events that only name an
alias go to the customer when the alias is linked (stored or in the same batch), otherwise
to an anonymous alias profile. On identify, the alias profile is merged into the customer
(merge is the same join, so any order of identify and alias events converges) and the alias
item becomes a pointer, conditionally on its version so a concurrent alias write is not lost.

Forget: alias items and derived items are deleted first (idempotent), then the customer item
becomes a tombstone (the erased, absorbing profile state) so replays cannot resurrect it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from functions.shared.profile_store import (
    ProfileStore,
    ProfileTooLarge,
    StoredProfile,
    alias_key,
    customer_key,
)
from optimizer.events import Event, ForgetEvent, IdentifyEvent, Profile
from optimizer.events.profile import CUSTOMER_OWNER

Record = tuple[str, Event]
"""(record id the event source knows, event)."""


@dataclass
class ApplyReport:
    events: int = 0
    owners: int = 0
    profile_writes: int = 0
    link_writes: int = 0
    unchanged: int = 0
    conflicts: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def writes(self) -> int:
        return self.profile_writes + self.link_writes


class ProfileWriter:
    """Folds batches of events into the store through the `ProfileStore` port."""

    def __init__(self, store: ProfileStore, max_attempts: int = 4) -> None:
        self.store = store
        self.max_attempts = max_attempts

    def apply(self, records: Sequence[Record]) -> ApplyReport:
        report = ApplyReport(events=len(records))
        pending = list(records)
        for _ in range(self.max_attempts):
            if not pending:
                break
            pending = self._attempt(pending, report)
        for record_id, event in pending:
            report.failed[record_id] = (
                f"profile of {event.customer_id or event.alias_id} was changed concurrently "
                f"{self.max_attempts} times; left for the event source to retry"
            )
        return report

    def _attempt(self, records: list[Record], report: ApplyReport) -> list[Record]:
        batch_links: dict[str, str] = {}
        for _, event in records:
            if isinstance(event, IdentifyEvent):
                batch_links.setdefault(event.alias_id, event.customer_id)
        alias_ids = {
            e.alias_id
            for _, e in records
            if e.alias_id is not None and (e.customer_id is None or isinstance(e, IdentifyEvent))
        }
        stored = self.store.load([alias_key(a) for a in alias_ids])

        groups: dict[str, list[Record]] = defaultdict(list)
        merges: dict[str, set[str]] = defaultdict(set)
        for record_id, event in records:
            owner = self._owner(record_id, event, stored, batch_links, merges, report)
            if owner is not None:
                groups[owner].append((record_id, event))
        stored.update(self.store.load([k for k in groups if k not in stored]))

        retry: list[Record] = []
        for owner, items in groups.items():
            report.owners += 1
            retry.extend(self._write_owner(owner, items, stored, merges.get(owner, set()), report))
        return retry

    def _owner(
        self,
        record_id: str,
        event: Event,
        stored: dict[str, StoredProfile],
        batch_links: dict[str, str],
        merges: dict[str, set[str]],
        report: ApplyReport,
    ) -> str | None:
        if isinstance(event, IdentifyEvent):
            linked = stored.get(alias_key(event.alias_id))
            current = linked.linked_to if linked is not None else None
            other = current if current is not None else batch_links[event.alias_id]
            if other != event.customer_id:
                report.failed[record_id] = (
                    f"alias_id {event.alias_id!r} is already linked to customer {other!r}; "
                    f"cannot link it to {event.customer_id!r}"
                )
                return None
            owner = customer_key(event.customer_id)
            if current is None:
                merges[owner].add(event.alias_id)
            return owner
        if event.customer_id is not None:
            return customer_key(event.customer_id)
        assert event.alias_id is not None  # the schema requires one of the two
        item = stored.get(alias_key(event.alias_id))
        if item is not None and item.linked_to is not None:
            return customer_key(item.linked_to)
        if event.alias_id in batch_links:
            return customer_key(batch_links[event.alias_id])
        return alias_key(event.alias_id)

    def _write_owner(
        self,
        owner: str,
        items: list[Record],
        stored: dict[str, StoredProfile],
        merge_aliases: set[str],
        report: ApplyReport,
    ) -> list[Record]:
        item = stored.get(owner)
        base = item.profile if item is not None else None
        version = item.version if item is not None else 0
        before = base.state() if base is not None else None
        profile = Profile.from_state(before) if before is not None else Profile(owner=owner)
        customer_id = owner.removeprefix(CUSTOMER_OWNER)  # links and erasure: customers only

        if any(isinstance(e, ForgetEvent) for _, e in items) and not profile.forgotten:
            identified = {e.alias_id for _, e in items if isinstance(e, IdentifyEvent)}
            report.link_writes += self.store.erase(customer_id, profile.aliases | identified)

        for _, event in items:
            profile.apply(event)
        for alias_id in sorted(merge_aliases):
            alias_item = stored.get(alias_key(alias_id))
            if alias_item is not None and alias_item.profile is not None:
                profile.merge(alias_item.profile)

        if profile.state() == before:
            report.unchanged += 1
        else:
            try:
                saved = self.store.save(owner, profile, version)
            except ProfileTooLarge as error:
                for record_id, _ in items:
                    report.failed[record_id] = str(error)
                return []
            report.profile_writes += 1
            if not saved:
                report.conflicts += 1
                return items

        retry: list[Record] = []
        if profile.forgotten:
            return retry
        for alias_id in sorted(merge_aliases):
            alias_item = stored.get(alias_key(alias_id))
            alias_version = alias_item.version if alias_item is not None else 0
            report.link_writes += 1
            if not self.store.link(alias_id, customer_id, alias_version):
                report.conflicts += 1
                retry.extend(r for r in items if _identifies(r[1], alias_id))
        return retry


def _identifies(event: Event, alias_id: str) -> bool:
    return isinstance(event, IdentifyEvent) and event.alias_id == alias_id
