"""Group commit on PostgreSQL: concurrent saves of one process share one
transaction, and that transaction is one statement.

The library's insert keeps a follower of the log from ever missing an event
by taking the events table's ``EXCLUSIVE`` lock before it draws notification
ids, so commit order equals id order. It does so from the client: lock,
``NOTIFY``, insert, sync, fetch the ids, commit; the lock is held across two
round trips, and across whatever the client process does between them (in a
busy Python server, waiting for its GIL). Every command pays for the lock and
for a WAL flush of its own, one after the other.

This recorder keeps that lock and changes two things:

- **one round trip**: lock, ``NOTIFY`` and insert run inside one SQL
  function called in autocommit, so the lock is taken and released (at
  commit, after the WAL flush) entirely inside the server;
- **group commit**: while one thread's insert is in flight, the saves that
  arrive queue up; when it returns, the next thread takes every queued save
  and inserts them all in one call (one lock, one flush). Nothing waits for a
  batch to fill: a lone save goes straight through.

Each save still commits all of its events or none (they are in one
transaction) and is answered only after that transaction commits. When a
batch fails on a uniqueness violation (a version conflict, a ticket number or
idempotency key already claimed), the saves of that batch are inserted again
one by one, so only the save that conflicts gets the error.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Composed, Identifier

FUNCTION = "appeals_insert_events_locked"


class _Save:
    """One caller's events, waiting for a batch to commit them."""

    __slots__ = ("error", "events", "ids")

    def __init__(self, events: Sequence[StoredEvent]) -> None:
        self.events = events
        self.ids: list[int] | None = None
        self.error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.ids is not None or self.error is not None


class GroupCommitRecorder(PostgresApplicationRecorder):
    """The application recorder ``appeals`` uses on PostgreSQL (selected by
    ``APPLICATION_RECORDER_TOPIC``; ``APPEALS_GROUP_COMMIT=0`` turns it off)."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self._turn = threading.Condition()
        self._queue: list[_Save] = []
        self._leading = False
        self.batches = 0  # how many insert calls carried more than one save
        self.sql_create_statements.extend(self._function_ddl())
        self._call = SQL(
            "SELECT originator_id, originator_version, notification_id "
            "FROM {schema}.{function}(%s)"
        ).format(schema=Identifier(datastore.schema), function=Identifier(FUNCTION))

    def _function_ddl(self) -> list[Composed]:
        """The function, and EXECUTE for its owner only (and whom the
        deployment grants it, deploy/postgres). It runs as its owner
        (SECURITY DEFINER) because the table lock needs more than INSERT: a
        service role that may only INSERT and SELECT the log still appends to
        it under the lock, and never UPDATEs or DELETEs."""
        schema = Identifier(self.datastore.schema)
        function = SQL(
            "CREATE OR REPLACE FUNCTION {schema}.{function}(events {schema}.{event}[]) "
            "RETURNS TABLE (originator_id {id_type}, originator_version bigint, "
            "notification_id bigint) "
            "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp "
            "AS $body$ "
            "BEGIN "
            "SET LOCAL lock_timeout = '{lock_timeout}s'; "
            "LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
            "NOTIFY {channel}; "
            "RETURN QUERY "
            "INSERT INTO {schema}.{table} AS t "
            "(originator_id, originator_version, topic, state) "
            "SELECT e.originator_id, e.originator_version, e.topic, e.state "
            "FROM unnest(events) WITH ORDINALITY AS e "
            "(originator_id, originator_version, topic, state, n) ORDER BY e.n "
            "RETURNING t.originator_id, t.originator_version, t.notification_id; "
            "END; $body$"
        ).format(
            schema=schema,
            function=Identifier(FUNCTION),
            event=Identifier(self.stored_event_type_name),
            id_type=Identifier(self.datastore.originator_id_type),
            lock_timeout=self.datastore.lock_timeout,
            table=Identifier(self.events_table_name),
            channel=Identifier(self.channel_name),
        )
        private = SQL(
            "REVOKE ALL ON FUNCTION {schema}.{function}({schema}.{event}[]) FROM PUBLIC"
        ).format(
            schema=schema,
            function=Identifier(FUNCTION),
            event=Identifier(self.stored_event_type_name),
        )
        return [function, private]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if kwargs.get("tracking") is not None or not stored_events:
            # A tracking record (a process application's): the library's path.
            inserted: Sequence[int] | None = super().insert_events(
                stored_events, **kwargs
            )
            return inserted
        save = _Save(stored_events)
        batch: list[_Save] = []
        with self._turn:
            self._queue.append(save)
            while not save.done:
                if not self._leading:
                    self._leading = True
                    batch, self._queue = self._queue, []
                    break
                self._turn.wait()
        if batch:
            try:
                self._commit(batch)
            finally:
                with self._turn:
                    self._leading = False
                    self._turn.notify_all()
        if save.error is not None:
            raise save.error
        assert save.ids is not None
        return save.ids

    def _commit(self, batch: list[_Save]) -> None:
        """Commits ``batch`` in one call, or its saves one by one when the
        batch as a whole violates a uniqueness constraint."""
        if len(batch) > 1:
            self.batches += 1
            try:
                self._insert(batch)
                return
            except IntegrityError:
                pass  # find out whose: each alone below
            except BaseException as error:
                for save in batch:
                    save.error = error
                return
        for save in batch:
            try:
                self._insert([save])
            except BaseException as error:
                save.error = error

    def _insert(self, batch: list[_Save]) -> None:
        events = [event for save in batch for event in save.events]
        rows = [
            self.construct_pg_stored_event(
                e.originator_id, e.originator_version, e.topic, e.state
            )
            for e in events
        ]
        # The datastore's connection context turns psycopg's errors into the
        # library's (a uniqueness violation into IntegrityError).
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._call, (rows,), prepare=True)
            returned = curs.fetchall()
        ids = {
            (str(row["originator_id"]), row["originator_version"]): row[
                "notification_id"
            ]
            for row in returned
        }
        for save in batch:
            save.ids = [
                ids[(str(e.originator_id), e.originator_version)] for e in save.events
            ]
