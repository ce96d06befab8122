"""``deploy/postgres/setup.sh`` as docs/operations.md runs it, on a real
PostgreSQL (the suite's throwaway cluster): a fresh database, the three
roles, the tables made by the owner; then the service's role records appeals
through the ledger, keeps every view, token, checkpoint and webhook table
current and runs the services' commands, while UPDATE, DELETE and TRUNCATE
on the event log are refused it, and the reporting role reads but cannot
write or see the secrets."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from glob import glob
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql

from appeals.application.audit import extend_checkpoints
from appeals.bootstrap import open_ledger
from appeals.infra.checkpoints import CheckpointStore
from appeals.infra.clock import FixedClock
from appeals.infra.settings import Settings, parse_database_url
from appeals.infra.store import connect
from appeals.infra.tokens import TokenStore
from appeals.infra.webhooks import WebhookStore
from devtools.pgcluster import PostgresServer
from tests.support.organisation import register_test_organisation
from tests.support.reports import history, project

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "deploy" / "postgres" / "setup.sh"
APPEALS = Path(sys.executable).parent / "appeals"


@dataclass(frozen=True)
class Installed:
    """What setup.sh printed: each role's APPEALS_DATABASE_URL; how it ran."""

    owner: str
    app: str
    reporting: str
    env: dict[str, str]
    databases: list[str]  # every database to drop afterwards


def setup(env: dict[str, str]) -> dict[str, str]:
    """Runs setup.sh; the role URLs it printed."""
    done = subprocess.run(
        ["bash", str(SETUP)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(line.split("=", 1) for line in done.stdout.splitlines())


def psql_path() -> str:
    """PATH with a psql on it (Debian keeps one per version)."""
    found = shutil.which("psql") or next(
        iter(sorted(glob("/usr/lib/postgresql/*/bin/psql"))), ""
    )
    assert found, "psql is needed to run deploy/postgres/setup.sh"
    return f"{Path(found).parent}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.fixture
def installed(postgres_server: PostgresServer) -> Iterator[Installed]:
    server = postgres_server
    prefix = f"t{uuid4().hex[:10]}"
    database = f"{prefix}_ledger"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("APPEALS_", "PG"))
    }
    env.update(
        PATH=psql_path(),
        PGHOST=server.host,
        PGPORT=str(server.port),
        PGUSER=server.user,
        PGPASSWORD=server.password,
        PGDATABASE=server.dbname,
        APPEALS=str(APPEALS),
        APPEALS_PG_DATABASE=database,
        APPEALS_PG_ROLE_PREFIX=prefix,
        APPEALS_PG_HOST=server.host,
        APPEALS_PG_PORT=str(server.port),
    )
    databases = [database]
    try:
        urls = setup(env)
        yield Installed(urls["owner"], urls["app"], urls["reporting"], env, databases)
    finally:
        with server.connect() as connection:
            for name in databases:
                connection.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(name)
                    )
                )
            for role in ("reporting", "app", "owner"):
                role_name = sql.Identifier(f"{prefix}_{role}")
                exists = connection.execute(
                    "SELECT 1 FROM pg_roles WHERE rolname = %s", (f"{prefix}_{role}",)
                ).fetchone()
                if exists:
                    connection.execute(sql.SQL("DROP OWNED BY {}").format(role_name))
                    connection.execute(sql.SQL("DROP ROLE {}").format(role_name))


def passwords(installed: Installed) -> dict[str, str]:
    """The roles' passwords as setup.sh takes them (to keep them)."""
    return {
        f"APPEALS_{role.upper()}_PASSWORD": parse_database_url(url).pg_password
        for role, url in (
            ("owner", installed.owner),
            ("app", installed.app),
            ("reporting", installed.reporting),
        )
    }


def as_role(url: str) -> psycopg.Connection[Any]:
    config = parse_database_url(url)
    return connect(config, autocommit=True)


def refused(connection: psycopg.Connection[Any], statement: str) -> bool:
    """Whether PostgreSQL refuses ``statement`` for want of a privilege."""
    try:
        connection.execute(statement)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


def appeals_cli(url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """``appeals ARGV`` as a service runs it: this role, no table made."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPEALS_")}
    env.update(APPEALS_DATABASE_URL=url, APPEALS_CREATE_TABLES="0")
    return subprocess.run(
        [str(APPEALS), *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_service_appends_to_the_log_and_never_changes_it(
    installed: Installed, clock: FixedClock
) -> None:
    settings = Settings.from_env(
        {"APPEALS_DATABASE_URL": installed.app, "APPEALS_CREATE_TABLES": "0"}
    )
    ledger = open_ledger(settings, clock=clock)
    try:
        register_test_organisation(ledger)
        appeals = history(ledger, clock)  # receipts, assignments, replies...
        position = project(ledger)  # every view and its tracking row
        assert position > 20
        token, _ = TokenStore(ledger.database).create(
            role="auditor", name="审计", unit=None, uscc=None, now=clock.now()
        )
        assert TokenStore(ledger.database).verify(token) is not None
        assert extend_checkpoints(
            ledger.event_log, CheckpointStore(ledger.database), clock.now(), every=5
        )
        WebhookStore(ledger.database).add(
            "http://127.0.0.1:9/hook", (), None, 0, clock.now()
        )
        assert len(appeals) == 3
    finally:
        ledger.close()

    # The services' own commands, as systemd runs them, as the service role.
    for argv in (
        ("projections", "run", "--once"),
        ("escalate", "run", "--once"),
        ("tokens", "create", "--role", "intake", "--name", "受理"),
        ("tokens", "list"),
        ("audit", "verify"),
    ):
        done = appeals_cli(installed.app, *argv)
        assert done.returncode == 0, (argv, done.stderr)
        assert "appeals: database PostgreSQL" in done.stderr

    with as_role(installed.app) as app:
        events = "appeals.appeals_events"
        (count,) = app.execute(f"SELECT count(*) FROM {events}").fetchone() or (0,)
        assert count >= position  # and the scheduler's escalations since
        assert refused(app, f"UPDATE {events} SET topic = topic")
        assert refused(app, f"DELETE FROM {events}")
        assert refused(app, f"TRUNCATE {events}")
        assert refused(app, "UPDATE appeals.appeals_snapshots SET topic = topic")
        assert refused(app, "CREATE TABLE appeals.mine (x int)")
        assert refused(app, "DROP TABLE appeals.api_tokens")
        assert refused(app, "CREATE TABLE public.mine (x int)")
        # ... while its own tables are its to change
        app.execute("UPDATE appeals.api_tokens SET name = name")
        app.execute("DELETE FROM appeals.webhook_subscribers")
        (after,) = app.execute(f"SELECT count(*) FROM {events}").fetchone() or (0,)
        assert after == count
        # An autovacuum in the log's way is cancelled after 100 ms, not 1 s.
        assert app.execute("SHOW deadlock_timeout").fetchone() == ("100ms",)

    with as_role(installed.reporting) as reporting:
        (seen,) = reporting.execute(
            "SELECT count(*) FROM appeals.appeals_events"
        ).fetchone() or (0,)
        assert seen == count
        rows = reporting.execute(
            "SELECT count(*) FROM appeals.view_appeal_list"
        ).fetchone()
        assert rows == (3,)
        # Read-only by default; and when it asks to write, it may not.
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            reporting.execute("DELETE FROM appeals.view_appeal_list")
        reporting.execute("SET default_transaction_read_only = off")
        assert refused(
            reporting,
            "INSERT INTO appeals.projection_tracking "
            "SELECT * FROM appeals.projection_tracking",
        )
        assert refused(reporting, "DELETE FROM appeals.view_appeal_list")
        assert refused(reporting, "SELECT digest FROM appeals.api_tokens")
        assert refused(reporting, "SELECT secret FROM appeals.webhook_subscribers")
        assert refused(reporting, "CREATE TABLE appeals.mine (x int)")

    # A view rebuilt by the owner (it makes a fresh copy and swaps it in) is
    # the service's to keep current afterwards.
    done = appeals_cli(installed.owner, "projections", "rebuild", "appeal_list")
    assert done.returncode == 0, done.stderr
    done = appeals_cli(installed.app, "projections", "run", "--once")
    assert done.returncode == 0, done.stderr
    with as_role(installed.app) as app:
        app.execute("UPDATE appeals.view_appeal_list SET ticket = ticket")

    # An upgrade runs setup.sh again with the same passwords: nothing lost,
    # nothing more allowed.
    again = setup({**installed.env, **passwords(installed)})
    assert again["app"] == installed.app
    done = appeals_cli(installed.app, "tokens", "list")
    assert done.returncode == 0
    assert "受理" in done.stdout
    with as_role(installed.app) as app:
        assert refused(app, "DELETE FROM appeals.appeals_events")


def indexes(url: str) -> set[str]:
    with as_role(url) as connection:
        rows = connection.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'appeals'"
        ).fetchall()
    return {str(row[0]) for row in rows}


def test_an_upgrades_index_changes_are_the_owners_and_stop_no_service(
    installed: Installed,
) -> None:
    """A release that adds an index and retires another, on a copy made
    before: the service's role may make neither change, so its worker starts,
    warns and goes on with the old index; setup.sh (``appeals init`` as the
    owner) makes both; the worker then has nothing to say."""
    with as_role(installed.owner) as owner:
        owner.execute("DROP INDEX appeals.view_timeliness_cycles_climbing")
        owner.execute(
            "CREATE INDEX view_timeliness_cycles_open_by_due "
            "ON appeals.view_timeliness_cycles (due) WHERE is_open = 1"
        )
    done = appeals_cli(installed.app, "projections", "run", "--once")
    assert done.returncode == 0, done.stderr
    assert "timeliness: 1 index(es) of this release not made" in done.stderr
    assert "timeliness: 1 index(es) of this release not dropped" in done.stderr
    found = indexes(installed.owner)
    assert "view_timeliness_cycles_climbing" not in found
    assert "view_timeliness_cycles_open_by_due" in found

    setup({**installed.env, **passwords(installed)})  # the upgrade's setup.sh
    found = indexes(installed.owner)
    assert "view_timeliness_cycles_climbing" in found
    assert "view_timeliness_cycles_open_by_due" not in found
    done = appeals_cli(installed.app, "projections", "run", "--once")
    assert done.returncode == 0, done.stderr
    assert "index(es)" not in done.stderr


def test_backup_as_the_service_and_restore_as_the_owner(
    installed: Installed, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """docs/operations.md, "Backups": pg_dump as the service role; restored
    by the owner into a new database, setup.sh run again for it, and the
    service finds it verified and keeps writing there."""
    ledger = open_ledger(
        Settings.from_env(
            {"APPEALS_DATABASE_URL": installed.app, "APPEALS_CREATE_TABLES": "0"}
        )
    )
    try:
        register_test_organisation(ledger)
    finally:
        ledger.close()
    assert appeals_cli(installed.app, "audit", "checkpoint").returncode == 0
    kept = appeals_cli(installed.app, "audit", "checkpoints").stdout
    (tmp_path / "checkpoints.ndjson").write_text(kept)
    archive = tmp_path / "appeals.dump"
    done = appeals_cli(installed.app, "backup", str(archive))
    assert done.returncode == 0, done.stderr
    # A new database for the owner, restored into, then set up like the first.
    restored = f"{installed.env['APPEALS_PG_DATABASE']}_restored"
    installed.databases.append(restored)
    owner = parse_database_url(installed.owner).pg_user
    with postgres_server.connect() as connection:
        connection.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(restored), sql.Identifier(owner)
            )
        )
    owner_url = installed.owner.replace(
        f"/{installed.env['APPEALS_PG_DATABASE']}?", f"/{restored}?"
    )
    done = appeals_cli(owner_url, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    urls = setup(
        {**installed.env, **passwords(installed), "APPEALS_PG_DATABASE": restored}
    )
    verified = appeals_cli(
        urls["app"],
        "audit",
        "verify",
        "--checkpoints",
        str(tmp_path / "checkpoints.ndjson"),
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("clean: ")
    assert appeals_cli(urls["app"], "tokens", "create", "--role", "auditor",
                       "--name", "审计").returncode == 0  # fmt: skip
    with as_role(urls["app"]) as app:
        assert refused(app, "DELETE FROM appeals.appeals_events")
