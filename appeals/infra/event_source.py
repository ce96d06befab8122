"""The event source the projection runtime reads: the stored log in commit
order, decoded into domain events, without the application that takes
commands.

It holds the event store's recorder and mapper and our :class:`Database` on
the same connection pool. ``appeals serve`` shares the pool of its ledger
(:meth:`EventSource.of`); a rebuild, a worker process or a rebuild's child
opens its own from the settings (:func:`open_event_source`) and creates no
table: bootstrap did, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    ApplicationRecorder,
    InfrastructureFactory,
    Mapper,
    Notification,
)
from eventsourcing.utils import Environment

from appeals.infra.database import Database
from appeals.infra.event_log import EventLog
from appeals.infra.settings import Settings
from appeals.infra.store import APPLICATION_NAME, eventsourcing_env
from appeals.infra.transcoder import chosen_transcoder


class EventSource:
    """Reads the log by position and decodes what it reads."""

    def __init__(
        self,
        recorder: ApplicationRecorder,
        mapper: Mapper[UUID],
        *,
        factory: InfrastructureFactory[Any] | None = None,
    ) -> None:
        self.recorder = recorder
        self.mapper = mapper
        self.database = Database(getattr(recorder, "datastore"))  # noqa: B009
        events_table: str = getattr(recorder, "events_table_name")  # noqa: B009
        self.events_table = events_table
        self.log = EventLog(self.database, events_table, mapper.transcoder)
        # The NOTIFY channel PostgreSQL signals each insert on (None on SQLite).
        self.channel: str | None = getattr(recorder, "channel_name", None)
        self._factory = factory  # ours to close, when we opened it

    @classmethod
    def of(cls, recorder: ApplicationRecorder, mapper: Mapper[UUID]) -> EventSource:
        """The event source of an open store (shares its connection pool)."""
        return cls(recorder, mapper)

    def head(self) -> int:
        """The position of the last stored event (0 for an empty log)."""
        return self.recorder.max_notification_id() or 0

    def read(self, start: int, limit: int) -> Sequence[Notification]:
        """Up to ``limit`` stored events from position ``start`` on."""
        return self.recorder.select_notifications(start=start, limit=limit)

    def decode(self, notification: Notification) -> DomainEventProtocol[UUID]:
        return self.mapper.to_domain_event(notification)

    def close(self) -> None:
        if self._factory is not None:
            self._factory.close()
            self._factory = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_event_source(
    settings: Settings, *, create_tables: bool = False, connections: int = 2
) -> EventSource:
    """Opens the configured store for reading with a pool of at most
    ``connections``. ``create_tables`` is for bootstrap alone: it creates the
    event store's tables (events and snapshots) if they are missing."""
    env = {
        **eventsourcing_env(settings),
        "CREATE_TABLE": "y" if create_tables else "n",
        "POSTGRES_POOL_SIZE": str(connections),
        "POSTGRES_MAX_OVERFLOW": "0",
    }
    factory: InfrastructureFactory[Any] = InfrastructureFactory.construct(
        Environment(APPLICATION_NAME, env)
    )
    transcoder = chosen_transcoder(settings.transcoder, factory)
    mapper: Mapper[UUID] = factory.mapper(transcoder=transcoder)
    recorder = factory.application_recorder()
    if create_tables:
        factory.aggregate_recorder(purpose="snapshots")
    return EventSource(recorder, mapper, factory=factory)
