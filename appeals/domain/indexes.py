"""Index aggregates: uniqueness enforced by the event store itself.

An index's id is a name-based UUID (uuid5) of what must be unique, so two
writers racing to claim the same ticket number or the same source reference
collide on the store's (id, version) key and exactly one wins. An index is
saved in the same transaction as the appeal it points to, so neither is ever
visible without the other.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

NAMESPACE = uuid5(NAMESPACE_URL, "https://appeal-ledger.invalid/index")


def ticket_index_id(ticket: str) -> UUID:
    return uuid5(NAMESPACE, f"ticket:{ticket}")


def source_index_id(channel: str, external_id: str) -> UUID:
    return uuid5(NAMESPACE, f"source:{channel}:{external_id}")


class AppealIndex(Aggregate, created_event_name="Claimed"):
    """Claims a unique key (a ticket number, a source reference) for one appeal."""

    TOPIC = "AppealIndex"

    class Created(Aggregate.Created):
        TOPIC = "AppealIndex.Created"

    class Claimed(Created):
        """The key now belongs to ``appeal_id``."""

        TOPIC = "AppealIndex.Claimed"
        key: str
        appeal_id: UUID

        def apply(self, index: AppealIndex) -> None:
            index.key = self.key
            index.appeal_id = self.appeal_id

    if TYPE_CHECKING:
        key: str
        appeal_id: UUID

    @classmethod
    def claim(
        cls, index_id: UUID, key: str, appeal_id: UUID, at: datetime
    ) -> AppealIndex:
        return cls._create(
            cls.Claimed, id=index_id, key=key, appeal_id=appeal_id, timestamp=at
        )


def request_record_id(principal: str, key: str) -> UUID:
    return uuid5(NAMESPACE, f"request:{principal}:{key}")


class RequestRecord(Aggregate, created_event_name="Recorded"):
    """A client's ``Idempotency-Key``, saved with the events its request made.

    A retry carrying the same key finds this record and gets the original
    answer instead of acting twice; because the record and the events commit
    together, there is no moment when one exists without the other.
    """

    TOPIC = "RequestRecord"

    class Created(Aggregate.Created):
        TOPIC = "RequestRecord.Created"

    class Recorded(Created):
        """The request ``fingerprint`` produced ``appeal_id`` at ``version``."""

        TOPIC = "RequestRecord.Recorded"
        principal: str
        key: str
        fingerprint: str
        appeal_id: UUID
        version: int
        created: bool

        def apply(self, record: RequestRecord) -> None:
            record.fingerprint = self.fingerprint
            record.appeal_id = self.appeal_id
            record.result_version = self.version
            record.created = self.created

    if TYPE_CHECKING:
        fingerprint: str
        appeal_id: UUID
        result_version: int
        created: bool

    @classmethod
    def record(
        cls,
        *,
        principal: str,
        key: str,
        fingerprint: str,
        appeal_id: UUID,
        version: int,
        created: bool,
        at: datetime,
    ) -> RequestRecord:
        return cls._create(
            cls.Recorded,
            id=request_record_id(principal, key),
            principal=principal,
            key=key,
            fingerprint=fingerprint,
            appeal_id=appeal_id,
            version=version,
            created=created,
            timestamp=at,
        )
