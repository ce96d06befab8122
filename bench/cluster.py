"""A throwaway PostgreSQL cluster with the server's default durability.

The test suite's cluster (tests/support/pgcluster.py) switches ``fsync``,
``synchronous_commit`` and ``full_page_writes`` off, which would make every
commit look free. This one is made the same way, with the same helpers
(initdb as the ``postgres`` user when we are root, a free loopback port, a
unix socket in the cluster's directory, ``pg_ctl stop`` or a kill on the way
out), but started with only the settings it needs to be reachable: every
durability setting keeps PostgreSQL's default (fsync on, synchronous commit
on, full page writes on).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support import pgcluster as pg

SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "200",
    "shared_buffers": "128MB",  # PostgreSQL's own default, named for the report
}
"""Everything else is PostgreSQL's default (durability included)."""

READY_TIMEOUT = 60.0


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

    def create_database(self, dbname: str) -> None:
        with self.server.connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            connection.execute(f'CREATE DATABASE "{dbname}"')


def _options(port: int, socket_dir: Path) -> str:
    settings = {
        **SERVER_SETTINGS,
        "port": str(port),
        "unix_socket_directories": str(socket_dir),
    }
    return " ".join(f"-c {shlex.quote(f'{k}={v}')}" for k, v in settings.items())


@contextmanager
def durable_cluster(*, log: Callable[[str], None] = print) -> Iterator[Cluster]:
    """Runs a fresh cluster with default durability for the ``with`` body and
    removes it afterwards (also on errors and Ctrl-C)."""
    binaries = pg._find_binaries()
    run_as = pg._run_as()
    base = pg._make_base_dir(run_as)
    data_dir = base / "data"
    log_file = base / "server.log"
    try:
        init = pg._run(
            run_as,
            [
                binaries.initdb,
                "-D",
                data_dir,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            cwd=base,
            timeout=180,
        )
        if init.returncode != 0:
            raise pg.PostgresUnavailable(
                f"initdb failed: {(init.stderr or init.stdout).strip()}"
            )
        port = pg._free_port()
        log(f"bench: starting PostgreSQL {binaries.version} on 127.0.0.1:{port}")
        started = pg._run(
            run_as,
            [
                binaries.pg_ctl,
                "start",
                "-D",
                data_dir,
                "-l",
                log_file,
                "-w",
                "-t",
                str(int(READY_TIMEOUT)),
                "-o",
                _options(port, base),
            ],
            cwd=base,
            timeout=READY_TIMEOUT + 15,
        )
        if started.returncode != 0:
            raise pg.PostgresUnavailable(
                "pg_ctl start failed; server log tail:\n" + pg._log_tail(log_file)
            )
        server = pg.PostgresServer("127.0.0.1", port, "postgres", "", "postgres")
        pg._wait_until_ready(server, log_file, time.monotonic() + READY_TIMEOUT)
        with server.connect() as connection:
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
        yield Cluster(server, binaries.version, shown, data_dir)
    finally:
        try:
            pg._stop(run_as, binaries.pg_ctl, data_dir, base, log)
        except subprocess.SubprocessError as error:  # pragma: no cover
            log(f"bench: could not stop PostgreSQL cleanly: {error}")
        shutil.rmtree(base, ignore_errors=True)
