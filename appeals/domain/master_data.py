"""Master data as event-sourced records: the organisation's units, cadres,
enterprises and routing catalogue items are aggregates like an appeal, kept
in the same log, so their history is as auditable as an appeal's.

:class:`MasterRecord` is what they share: every event carries its actor and
business time, and links into the record's own hash chain
(appeals.domain.chain), which the audit's verification checks the same way
as an appeal's. Registration is ``cls._register(Event, id=..., ...)``, each
later change ``self._record(Event, actor, at, ...)``; nothing is ever
deleted (a unit is retired, a catalogue item withdrawn).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from appeals.domain.chain import GENESIS, chained
from appeals.domain.guards import aware
from appeals.domain.values import Actor

ActorRecord = dict[str, str | None]


class MasterEvent(Aggregate.Event):
    """Every master-data event: who did it, and its link in the record's chain."""

    actor: ActorRecord
    chain: str

    def mutate(self, aggregate: Any) -> Any:
        record = super().mutate(aggregate)
        assert record is not None
        record.chain_head = self.chain
        return record


class MasterCreated(MasterEvent, Aggregate.Created):
    """The first event of a master-data record (the library's creation event)."""


class MasterRecord(Aggregate):
    """A unit, cadre, enterprise or catalogue item: registered once by its
    code (its id is a uuid5 of the code, appeals.domain.identities), changed
    only by named events."""

    if TYPE_CHECKING:  # set by every event (an annotation would make it an init arg)
        chain_head: str

    @classmethod
    def _register(
        cls,
        event_class: type[MasterCreated],
        *,
        id: UUID,
        actor: Actor,
        at: datetime,
        **fields: Any,
    ) -> Self:
        header = {
            "originator_topic": get_topic(cls),
            "originator_id": id,
            "originator_version": cls.INITIAL_VERSION,
        }
        state = chained(
            get_topic(event_class),
            GENESIS,
            header,
            aware(at, "at"),
            actor.as_record(),
            fields,
        )
        return cls._create(event_class, id=id, **state)

    def _record(
        self, event_class: type[MasterEvent], actor: Actor, at: datetime, **fields: Any
    ) -> None:
        header = {"originator_id": self.id, "originator_version": self.version + 1}
        state = chained(
            get_topic(event_class),
            self.chain_head,
            header,
            aware(at, "at"),
            actor.as_record(),
            fields,
        )
        self.trigger_event(event_class, **state)
