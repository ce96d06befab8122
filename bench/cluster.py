"""A throwaway PostgreSQL cluster with the server's default durability.

The test suite's cluster (devtools/pgcluster.py) switches ``fsync``,
``synchronous_commit`` and ``full_page_writes`` off, which would make every
commit look free. This is the same cluster started with ``durable=True``:
every durability setting keeps PostgreSQL's default (fsync on, synchronous
commit on, full page writes on).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devtools import pgcluster as pg


@dataclass(frozen=True)
class Cluster:
    """A running benchmark cluster: where to reach it and what it runs."""

    server: pg.PostgresServer
    version: str
    settings: dict[str, str]
    data_dir: Path

    def url(self, dbname: str, schema: str | None = None) -> str:
        """An ``APPEALS_DATABASE_URL`` for ``dbname`` (and ``schema``)."""
        url = self.server.url(dbname)
        return url if schema is None else f"{url}?schema={schema}"

    def database_size(self, dbname: str) -> str:
        """How much disk ``dbname`` takes, as PostgreSQL prints it."""
        with self.server.connect(dbname) as connection:
            size = connection.execute(
                "SELECT pg_size_pretty(pg_database_size(current_database()))"
            ).fetchone()
        return str(size[0]) if size else "?"

    def create_database(self, dbname: str) -> None:
        with self.server.connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            connection.execute(f'CREATE DATABASE "{dbname}"')


@contextmanager
def durable_cluster(*, log: Callable[[str], None] = print) -> Iterator[Cluster]:
    """Runs a fresh cluster with default durability for the ``with`` body and
    removes it afterwards (also on errors and Ctrl-C)."""
    with pg.throwaway_cluster(log=log, durable=True) as server:
        assert server.data_dir is not None
        with server.connect() as connection:
            version = str(connection.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
            shown = {
                name: str(connection.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
                for name in (
                    "fsync",
                    "synchronous_commit",
                    "full_page_writes",
                    "wal_level",
                    "shared_buffers",
                    "max_connections",
                )
            }
        yield Cluster(server, version, shown, server.data_dir)
