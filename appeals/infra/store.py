"""Turns settings into a working event store: the environment eventsourcing
reads, a reachable database, and our own tables beside the events.

On PostgreSQL the events table is locked while inserting, as the library
does, so commit order equals log order and a follower of the log never misses
an event (``POSTGRES_ENABLE_DB_FUNCTIONS`` stays off: it drops that lock).
By default the lock is taken by one SQL function per batch of concurrent
saves (``appeals.infra.group_commit``); ``APPEALS_GROUP_COMMIT=0`` goes back
to the library's own insert path.

During a database outage requests answer 503 within ``APPEALS_DB_WAIT_SECONDS``
at most, and at once while the outage is known (``infra/availability.py``).

The aggregate cache (``APPEALS_AGGREGATE_CACHE`` records per process, 0 for
none) is read two ways:

- **reads** see every process's writes. ``GET /appeals/{id}`` and its
  history read the appeal's events from the store (``AppealLedger.history``),
  never the cache; a command's answer is the view this process last answered
  with the command's own saved events folded on, only when that view's
  version is the one those events follow, else it too is read from the store
  (``appeals.application.queries.AnswerViews``); every other ``get`` from the
  repository (``AppealLedger.get``, ``find``, the claims and idempotency
  records, the registries) fast-forwards the cached copy with the newer
  events in the store (``AGGREGATE_CACHE_FASTFORWARD=y``, the one query it
  costs);
- **commands** decide on the cached appeal as it is, without that query
  (``AppealLedger.execute``): a copy made stale by another process's write
  is caught by the events table's uniqueness on (appeal id, version), after
  which the command is decided once more on the appeal loaded afresh, and so
  is a refusal or an ``If-Match`` mismatch seen on a cached copy. Since the
  library puts saved aggregates into its cache only when fast-forward is
  off, the ledger puts the saved appeal there itself, and evicts it when a
  save fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from appeals.infra.settings import ConfigurationError, DatabaseConfig, Settings

APPLICATION_NAME = "appeals"
"""The event store's name: PostgreSQL's events table is ``appeals_events``."""


def eventsourcing_env(settings: Settings) -> dict[str, str]:
    """The environment the eventsourcing library is configured by."""
    db = settings.database
    env = {
        "IS_SNAPSHOTTING_ENABLED": "y",
        "TRANSCODER": settings.transcoder,  # ours (appeals.infra.transcoder)
        "CREATE_TABLE": "y" if settings.create_tables else "n",
    }
    if settings.aggregate_cache:
        # Recently used records stay in memory; a read from the repository
        # still fetches any newer events from the store ("fast-forward"), so
        # other processes' writes are seen; commands skip that query and let
        # the store's uniqueness catch a stale copy (module docstring).
        env["AGGREGATE_CACHE_MAXSIZE"] = str(settings.aggregate_cache)
        env["AGGREGATE_CACHE_FASTFORWARD"] = "y"
    if db.engine == "sqlite":
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            SQLITE_DBNAME=db.sqlite_path,
            SQLITE_LOCK_TIMEOUT="10",
            # A deleted newest event's position is never handed out again.
            APPLICATION_RECORDER_TOPIC=(
                "appeals.infra.recorded_time:PositionKeepingRecorder"
            ),
        )
    else:
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            POSTGRES_DBNAME=db.pg_dbname,
            POSTGRES_HOST=db.pg_host,
            POSTGRES_PORT=str(db.pg_port),
            POSTGRES_USER=db.pg_user,
            POSTGRES_PASSWORD=db.pg_password,
            POSTGRES_SCHEMA=db.pg_schema,
            POSTGRES_POOL_SIZE=str(settings.pg_pool_size),
            POSTGRES_MAX_OVERFLOW=str(settings.pg_max_overflow),
            # The pool's wait for a connection (the library names it so);
            # stale pooled connections are pinged before use.
            POSTGRES_CONNECT_TIMEOUT=str(settings.db_wait),
            POSTGRES_PRE_PING="y",
            POSTGRES_LOCK_TIMEOUT="10",
            POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT="30",
        )
        if settings.group_commit:
            env["APPLICATION_RECORDER_TOPIC"] = (
                "appeals.infra.group_commit:GroupCommitRecorder"
            )
    return env


def connect(db: DatabaseConfig, **options: Any) -> psycopg.Connection[Any]:
    """A plain psycopg connection to the configured PostgreSQL database (the
    event store keeps its own pool; this is for set-up and tools)."""
    return psycopg.connect(
        host=db.pg_host,
        port=db.pg_port,
        user=db.pg_user,
        password=db.pg_password,
        dbname=db.pg_dbname,
        **options,
    )


def prepare_database(db: DatabaseConfig) -> None:
    """Makes sure the database can be used, or raises one clear
    :class:`ConfigurationError`: creates the SQLite file's folder, or checks the
    PostgreSQL server answers and creates the schema."""
    if db.engine == "sqlite":
        folder = Path(db.sqlite_path).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigurationError(
                f"cannot create the folder for the SQLite database {db.sqlite_path}: "
                f"{error.strerror}"
            ) from None
        return
    try:
        with connect(db, connect_timeout=10, autocommit=True) as connection:
            # Looks first: a role that may not create schemas (the service's,
            # deploy/postgres/roles.sql) is refused even IF NOT EXISTS.
            found = connection.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (db.pg_schema,)
            ).fetchone()
            if found is None:
                connection.execute(
                    psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                        psycopg.sql.Identifier(db.pg_schema)
                    )
                )
    except psycopg.Error as error:
        lines = str(error).strip().splitlines()
        reason = lines[0] if lines else type(error).__name__
        raise ConfigurationError(
            f"cannot use PostgreSQL at {db.redacted()}: {reason}"
        ) from None
