"""The store refuses a gap in an aggregate's versions.

The library's uniqueness on (originator, version) refuses a second event at
a version already taken: that is how a command decided on a stale cached
appeal is caught (appeals.application.service). It does not refuse an event
whose predecessor is missing, which happens when the newest event was
deleted behind the service's back (tampering, ``appeals audit verify``): a
process still holding the appeal at that version would write the next one
after a hole, and the appeal could no longer be loaded (the library checks
each event follows the one before). A trigger on the events table, on
PostgreSQL and SQLite alike, refuses such an insert as a uniqueness error
would be refused, so the command is decided again on the appeal as stored.
The lookup it makes is on the events table's own primary key.
"""

from __future__ import annotations

from eventsourcing.postgres import PostgresDatastore

from appeals.infra.database import Database

NAME = "appeals_events_contiguous"
GAP = "version gap: the previous version of this aggregate is not stored"

SELECT_POSTGRES_TRIGGER = (
    "SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE t.tgname = ? AND c.relname = ? AND n.nspname = ?"
)


def install(database: Database, events_table: str) -> None:
    """Creates the trigger if it is missing (idempotent)."""
    table = database.table(events_table)
    if database.engine == "sqlite":
        database.execute_script(
            [
                f"CREATE TRIGGER IF NOT EXISTS {events_table}_contiguous "
                f"BEFORE INSERT ON {events_table} "
                "WHEN NEW.originator_version > 1 AND NOT EXISTS ("
                f"SELECT 1 FROM {events_table} "
                "WHERE originator_id = NEW.originator_id "
                "AND originator_version = NEW.originator_version - 1) "
                f"BEGIN SELECT RAISE(ABORT, '{GAP}'); END"
            ]
        )
        return
    datastore = database.datastore
    assert isinstance(datastore, PostgresDatastore)
    bare = events_table.rsplit(".", 1)[-1]
    with database.reading() as sql:
        found = sql.execute(
            SELECT_POSTGRES_TRIGGER, (NAME, bare, datastore.schema)
        ).one()
    if found is not None:
        return  # looks first: creating a trigger locks the events table
    function = database.table(NAME)
    database.execute_script(
        [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger "
            "LANGUAGE plpgsql AS $body$ BEGIN "
            "IF NEW.originator_version > 1 AND NOT EXISTS ("
            f"SELECT 1 FROM {table} WHERE originator_id = NEW.originator_id "
            "AND originator_version = NEW.originator_version - 1) THEN "
            f"RAISE EXCEPTION '{GAP}' USING ERRCODE = 'unique_violation'; "
            "END IF; RETURN NEW; END $body$",
            f"CREATE TRIGGER {NAME} BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        ]
    )
