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
