"""Claims saved in one transaction with an appeal's events: its unique keys
(ticket number, source reference) and the record of an idempotent request.

Because a claim commits with the events or not at all, a second claim of the
same key fails in the store (``IntegrityError``), never half-way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository

from appeals.domain.appeal import Appeal
from appeals.domain.commands import Receive
from appeals.domain.errors import IdempotencyKeyReused
from appeals.domain.indexes import (
    AppealIndex,
    RequestRecord,
    request_record_id,
    source_index_id,
    ticket_index_id,
)


@dataclass(frozen=True)
class IdempotentRequest:
    """A client's ``Idempotency-Key`` with a fingerprint of what it asked."""

    principal: str
    key: str
    fingerprint: str


def receipt_claims(
    command: Receive, appeal: Appeal, external_id: str | None, at: datetime
) -> list[AppealIndex]:
    """The ticket number, and the source reference if there is one."""
    ticket = appeal.ticket
    claims = [AppealIndex.claim(ticket_index_id(ticket), ticket, appeal.id, at)]
    if external_id is not None:
        key = f"{command.channel.value}:{external_id}"
        index_id = source_index_id(command.channel.value, external_id)
        claims.append(AppealIndex.claim(index_id, key, appeal.id, at))
    return claims


def request_records(
    request: IdempotentRequest | None, appeal: Appeal, at: datetime, created: bool
) -> list[RequestRecord]:
    """The record of the request that made these events (none without a key)."""
    if request is None:
        return []
    return [
        RequestRecord.record(
            principal=request.principal,
            key=request.key,
            fingerprint=request.fingerprint,
            appeal_id=appeal.id,
            version=appeal.version,
            created=created,
            at=at,
        )
    ]


def carried_out(
    repository: Repository[UUID], request: IdempotentRequest | None
) -> RequestRecord | None:
    """The record of a request already carried out with this key; refuses a
    key reused for a different request."""
    if request is None:
        return None
    try:
        record: object = repository.get(
            request_record_id(request.principal, request.key)
        )
    except AggregateNotFoundError:
        return None
    assert isinstance(record, RequestRecord)
    if record.fingerprint != request.fingerprint:
        raise IdempotencyKeyReused(request.key)
    return record


def claimed(repository: Repository[UUID], index_id: UUID) -> UUID | None:
    """The appeal that claimed this key, if any."""
    try:
        index: object = repository.get(index_id)
    except AggregateNotFoundError:
        return None
    return index.appeal_id if isinstance(index, AppealIndex) else None
