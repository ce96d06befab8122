"""The auditor's view of the whole log: entries as stored, the global digest
chain with its checkpoints, and a full verification.

Two chains make tampering visible. Each record's events link to each other
(appeals.domain.chain): an appeal's, and a unit's, cadre's, enterprise's or
catalogue item's, which catches an edited, deleted or reordered event of any
of them. The global digest chains every stored event in log order
(index and request records included); checkpoints of it, kept in the
database and exported elsewhere, catch what a per-appeal chain cannot: the
removal of an appeal's latest events, or of a whole appeal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any
from uuid import UUID

from appeals.domain.chain import GENESIS, canonical, chained_topic, link_problem
from appeals.domain.summaries import summarise
from appeals.infra.blobs import BlobStore
from appeals.infra.checkpoints import Checkpoint, CheckpointStore
from appeals.infra.clock import SHANGHAI, Clock
from appeals.infra.event_log import EventLog, StoredRecord

STANDARD_FIELDS = ("originator_topic", "timestamp", "actor", "chain")
KINDS = {
    "Appeal": "appeal",
    "Unit": "unit",
    "Cadre": "cadre",
    "Enterprise": "enterprise",
    "CatalogueItem": "catalogue item",
}
"""What a chained record is, by its topic's first part (a finding names it)."""
CHECKPOINT_EVERY = 10_000
CHORE_STEP = 200
"""Events the projection worker's chore chains in one go. A backlog (a log
restored or imported, a long stop, the commands since the last worker's
stop) is chained a step at a time between the views' batches, so it never
holds them back for longer than one step; and every command answered during
a step waits that much longer to be seen in the views. 1,000 events a step
took 100-120 ms under the ingest load on the ten-million city's density (a
new worker met four or five of them in its first seconds, from the commands
its predecessor had left unchained); 200 keep a step near a tenth of the
250 ms lag target."""
INTERNAL_TOPICS = ("AppealIndex.", "RequestRecord.")
"""The ledger's own bookkeeping (ticket and source-reference claims,
idempotency records): in the log and its audit, never in the event feed."""


def internal(topic: str) -> bool:
    """Whether ``topic`` is the ledger's bookkeeping rather than a business event."""
    return topic.startswith(INTERNAL_TOPICS)


def record_entry(record: StoredRecord) -> dict[str, Any]:
    """One stored event as auditors read it (history, feed and export)."""
    state = record.state
    timestamp = state.get("timestamp")
    return {
        "aggregate_id": str(record.originator_id),
        "version": record.version,
        "position": record.position,
        "type": record.topic,
        "business_time": timestamp.isoformat()
        if isinstance(timestamp, datetime)
        else None,
        "recorded_time": record.recorded_at.astimezone(SHANGHAI).isoformat()
        if record.recorded_at
        else None,
        "actor": state.get("actor"),
        "payload": {k: v for k, v in state.items() if k not in STANDARD_FIELDS},
        "chain": state.get("chain"),
        "summary": summarise(record.topic, state)
        if record.topic.startswith("Appeal.")
        else None,
    }


def digest_step(previous: str, record: StoredRecord) -> str:
    """The global chain: position, identity and canonical content of each event."""
    head = f"{record.position}|{record.originator_id}|{record.version}|".encode()
    body = canonical(record.topic, record.chain_state())
    return hashlib.sha256(previous.encode() + head + body).hexdigest()


@dataclass(frozen=True)
class Finding:
    """The first thing that does not hold, with where it is."""

    reason: str
    position: int | None = None
    appeal: UUID | None = None
    """The chained record whose link breaks: an appeal, or the master-data
    record ``kind`` names."""
    version: int | None = None
    kind: str = "appeal"
    """What the record is: appeal, unit, cadre, enterprise, catalogue item."""

    def describe(self) -> str:
        where = ", ".join(
            f"{name} {value}"
            for name, value in (
                (self.kind, self.appeal),
                ("version", self.version),
                ("position", self.position),
            )
            if value is not None
        )
        return f"{self.reason} ({where})" if where else self.reason


@dataclass(frozen=True)
class DamagedAttachment:
    """An attachment recorded at ``position`` on ``appeal`` whose bytes are
    missing or no longer hash to ``sha256``."""

    appeal: UUID
    position: int
    sha256: str
    problem: str

    def describe(self) -> str:
        return (
            f"attachment {self.sha256} of appeal {self.appeal} (recorded at "
            f"position {self.position}) is {self.problem}"
        )


@dataclass(frozen=True)
class Verification:
    events: int
    appeals: int
    checkpoints_matched: int
    finding: Finding | None
    records: int = 0
    """Chained records whose links were checked: appeals and master data."""
    attachments: int = 0
    """Attachments whose bytes were checked against their recorded hash."""
    damaged: tuple[DamagedAttachment, ...] = ()
    """Attachments whose bytes are missing from the blob store or altered."""

    @property
    def clean(self) -> bool:
        return self.finding is None and not self.damaged


def extend_checkpoints(
    log: EventLog,
    store: CheckpointStore,
    now: datetime,
    every: int = CHECKPOINT_EVERY,
    progress: Callable[[int], None] | None = None,
    limit: int | None = None,
) -> list[Checkpoint]:
    """Chains the log from the last checkpoint to the head (or over the next
    ``limit`` events at most), recording a checkpoint every ``every`` events
    and one where it stops."""
    previous = store.last() or Checkpoint(0, GENESIS)
    digest, position = previous.digest, previous.position
    new: list[Checkpoint] = []
    records: Iterator[StoredRecord] = log.stream(
        previous.position, min(1000, limit or 1000)
    )
    if limit is not None:
        records = islice(records, limit)
    for count, record in enumerate(records, start=1):
        digest = digest_step(digest, record)
        position = record.position
        if count % every == 0:
            new.append(Checkpoint(position, digest))
        if progress is not None:
            progress(position)
    if position != previous.position and (not new or new[-1].position != position):
        new.append(Checkpoint(position, digest))
    store.add(new, now)
    return new


def verify_log(
    log: EventLog,
    checkpoints: list[Checkpoint],
    start: Checkpoint | None = None,
    progress: Callable[[int], None] | None = None,
    blobs: BlobStore | None = None,
) -> Verification:
    """Replays the log (all of it, or from the ``start`` checkpoint on): every
    chained record's links (appeals and master data, appeals.domain.chain),
    and the global digest against each checkpoint. Memory grows with the
    number of records (a hash and a version each), not of events. With
    ``blobs``, every attachment recorded in the events read is checked too:
    its bytes must be in the store and still hash to the recorded SHA-256."""
    expected = {c.position: c.digest for c in checkpoints}
    heads: dict[UUID, tuple[int, str]] = {}
    digest = start.digest if start else GENESIS
    first = start.position if start else 0
    events, matched, last, appeals, records = 0, 0, first, 0, 0

    recorded: list[tuple[UUID, int, str]] = []

    def result(finding: Finding | None) -> Verification:
        damaged: list[DamagedAttachment] = []
        if blobs is not None:
            for appeal, position, sha256 in recorded:
                data = blobs.get(sha256)
                if data is None:
                    problem = "missing from the blob store"
                elif hashlib.sha256(data).hexdigest() != sha256:
                    problem = "altered: its bytes no longer match the recorded hash"
                else:
                    continue
                damaged.append(DamagedAttachment(appeal, position, sha256, problem))
        return Verification(
            events, appeals, matched, finding, records, len(recorded), tuple(damaged)
        )

    for record in log.stream(start_after=first):
        first_sight = record.originator_id not in heads
        if start is not None and first_sight:
            heads[record.originator_id] = _head_before(log, record)
        if progress is not None:
            progress(record.position)
        events += 1
        last = record.position
        digest = digest_step(digest, record)
        if record.position in expected:
            if expected[record.position] != digest:
                where = record.position
                return result(Finding("the log differs from the checkpoint", where))
            matched += 1
        if record.topic == "Appeal.AttachmentAdded":
            sha256 = str(record.state.get("sha256"))
            recorded.append((record.originator_id, record.position, sha256))
        if chained_topic(record.topic):
            if first_sight:
                records += 1
                appeals += record.topic.startswith("Appeal.")
            finding = _check_link(heads, record)
            if finding is not None:
                return result(finding)
    return result(_missing(log, expected, first, last, matched))


def _missing(
    log: EventLog, expected: dict[int, str], first: int, last: int, matched: int
) -> Finding | None:
    """Events gone from the log: past its end, at a checkpoint's position, or
    whose recorded-time stamp outlived them (SQLite)."""
    missing = [p for p in expected if p > last]  # the log ends too early
    if missing:
        return Finding(f"events up to checkpoint {max(missing)} are missing", last)
    if matched < len([p for p in expected if p > first]):
        gone = [p for p in expected if p > first and not log.exists(p)]
        skipped = min(gone, default=first)
        return Finding(f"the event at checkpoint {skipped} is missing", skipped)
    for position, recorded_at in log.recorded.vanished():
        if position > first:
            return Finding(
                f"the event recorded at {recorded_at.isoformat()} is missing",
                position,
            )
    return None


def _check_link(
    heads: dict[UUID, tuple[int, str]], record: StoredRecord
) -> Finding | None:
    version, previous = heads.get(record.originator_id, (0, GENESIS))
    reason = link_problem(version + 1, previous, record.topic, record.chain_state())
    if reason is not None:
        kind = KINDS.get(record.topic.partition(".")[0], "record")
        return Finding(
            reason, record.position, record.originator_id, record.version, kind
        )
    heads[record.originator_id] = (record.version, str(record.state["chain"]))
    return None


def _head_before(log: EventLog, record: StoredRecord) -> tuple[int, str]:
    """A record's chain head just before ``record`` (resuming mid-log)."""
    if record.version <= 1 or not chained_topic(record.topic):
        return (0, GENESIS)
    previous = log.record_at(record.originator_id, record.version - 1)
    if previous is None:
        return (0, GENESIS)  # reported as a missing version
    return (previous.version, str(previous.state.get("chain")))


def export_records(
    log: EventLog, start: datetime | None, end: datetime | None
) -> Iterator[dict[str, Any]]:
    """Every stored event with business time in [start, end), streamed."""
    for record in log.stream():
        timestamp = record.state.get("timestamp")
        if isinstance(timestamp, datetime):
            if start is not None and timestamp < start:
                continue
            if end is not None and timestamp >= end:
                continue
        yield record_entry(record)


def checkpoint_chore(
    log: EventLog, clock: Clock, step: int = CHORE_STEP
) -> Callable[[], bool]:
    """The verification projection as a periodic task of the projection
    worker: chains the next ``step`` events at most from the last checkpoint
    and records new ones; True while it has not reached the head (the worker
    then runs it again after its next batch)."""
    store = CheckpointStore(log.database)

    def chore() -> bool:
        new = extend_checkpoints(log, store, clock.now(), limit=step)
        return bool(new) and new[-1].position < log.head()

    return chore
