"""The PostgreSQL test helper, exercised against real PostgreSQL (no mocks)."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from devtools import pgcluster
from devtools.pgcluster import (
    ENV_VAR,
    PostgresServer,
    PostgresUnavailable,
    postgres_for_tests,
    server_from_url,
    throwaway_cluster,
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _process_exists(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        pass
    else:
        return stat.rsplit(")", 1)[-1].split()[0] != "Z"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cluster_facts(server: PostgresServer) -> tuple[Path, Path, int]:
    """(base directory, unix socket directory, postmaster pid) of a cluster."""
    with server.connect() as conn:
        data_dir = conn.execute("SHOW data_directory").fetchone()
        sockets = conn.execute("SHOW unix_socket_directories").fetchone()
    assert data_dir is not None
    assert sockets is not None
    data = Path(data_dir[0])
    pid = int((data / "postmaster.pid").read_text().splitlines()[0])
    return data.parent, Path(sockets[0]), pid


def _assert_gone(base: Path, port: int, pid: int) -> None:
    assert not base.exists()
    deadline = time.monotonic() + 5
    while _process_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _process_exists(pid), f"postmaster {pid} is still running"
    assert not _accepts_connections(port)


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresServer]:
    with throwaway_cluster(log=lambda _line: None) as server:
        yield server


# --------------------------------------------------------------------------
# throwaway_cluster


def test_throwaway_cluster_runs_real_sql_and_cleans_up() -> None:
    lines: list[str] = []
    with throwaway_cluster(log=lines.append) as server:
        assert server.host == "127.0.0.1"
        assert server.port != 5432
        assert (server.user, server.password, server.dbname) == (
            "postgres",
            "",
            "postgres",
        )
        base, socket_dir, pid = _cluster_facts(server)
        assert base.is_dir()
        assert socket_dir == base
        with server.connect() as conn:
            assert conn.autocommit
            conn.execute("CREATE SCHEMA ledger")
            conn.execute(
                "CREATE TABLE ledger.events (id bigserial PRIMARY KEY, body text)"
            )
            conn.execute(
                "INSERT INTO ledger.events (body) VALUES (%s), (%s)",
                ["受理", "办结"],
            )
            rows = conn.execute("SELECT body FROM ledger.events ORDER BY id").fetchall()
            assert rows == [("受理",), ("办结",)]
            setting = conn.execute("SHOW listen_addresses").fetchone()
            assert setting == ("127.0.0.1",)
            fsync = conn.execute("SHOW fsync").fetchone()
            assert fsync == ("off",)
    _assert_gone(base, server.port, pid)
    assert len(lines) == 2
    assert lines[0].startswith("starting a throwaway PostgreSQL ")
    assert f"127.0.0.1:{server.port}" in lines[0]
    assert ENV_VAR in lines[0]
    assert lines[1].startswith("stopped")


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_throwaway_cluster_cleans_up_when_the_body_fails(
    error: type[BaseException],
) -> None:
    facts: list[tuple[Path, int, int]] = []

    def fail_inside_cluster() -> None:
        with throwaway_cluster(log=lambda _line: None) as server:
            base, _, pid = _cluster_facts(server)
            facts.append((base, server.port, pid))
            with server.connect():
                raise error("boom")

    with pytest.raises(error, match="boom"):
        fail_inside_cluster()
    [(base, port, pid)] = facts
    _assert_gone(base, port, pid)


def test_throwaway_cluster_stops_with_a_connection_still_open() -> None:
    with throwaway_cluster(log=lambda _line: None) as server:
        base, _, pid = _cluster_facts(server)
        conn = server.connect()
        conn.execute("SELECT 1")
    try:
        _assert_gone(base, server.port, pid)
        with pytest.raises(psycopg.OperationalError):
            conn.execute("SELECT 1")
    finally:
        conn.close()


def test_cluster_is_reachable_over_its_unix_socket(cluster: PostgresServer) -> None:
    _, socket_dir, _ = _cluster_facts(cluster)
    via_socket = PostgresServer(
        str(socket_dir), cluster.port, "postgres", "", "postgres"
    )
    assert "host=%2F" in via_socket.url()
    for conn in (via_socket.connect(), psycopg.connect(via_socket.url())):
        with conn:
            row = conn.execute("SELECT inet_server_addr() IS NULL").fetchone()
            assert row == (True,)  # NULL address means a unix-socket connection


def test_url_and_other_databases(cluster: PostgresServer) -> None:
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS appeals_other")
        conn.execute("CREATE DATABASE appeals_other")
    try:
        with cluster.connect("appeals_other") as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (
                "appeals_other",
            )
        with psycopg.connect(cluster.url("appeals_other")) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (
                "appeals_other",
            )
    finally:
        with cluster.connect() as conn:
            conn.execute("DROP DATABASE appeals_other")


def test_cluster_allows_many_connections(cluster: PostgresServer) -> None:
    conns = [cluster.connect() for _ in range(120)]
    try:
        assert all(c.execute("SELECT 1").fetchone() == (1,) for c in conns)
    finally:
        for c in conns:
            c.close()


def test_missing_postgres_is_reported_in_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(pgcluster, "_SYSTEM_BIN_GLOB", str(tmp_path / "*" / "bin"))
    with (
        pytest.raises(PostgresUnavailable) as info,
        throwaway_cluster(log=lambda _line: None),
    ):
        pass  # pragma: no cover
    message = str(info.value)
    assert message.startswith("initdb not found on PATH or in ")
    assert "apt-get install postgresql" in message
    assert ENV_VAR in message
    assert "\n" not in message


def test_falls_back_to_the_debian_binary_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.skip("no /usr/lib/postgresql/*/bin/initdb on this machine")
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    lines: list[str] = []
    with throwaway_cluster(log=lines.append) as server, server.connect() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert not _accepts_connections(server.port)


# --------------------------------------------------------------------------
# server_from_url / PostgresServer.url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://appeals:secret@db.example:6543/ledger",
            PostgresServer("db.example", 6543, "appeals", "secret", "ledger"),
        ),
        (
            "postgres://appeals@localhost/ledger",
            PostgresServer("localhost", 5432, "appeals", "", "ledger"),
        ),
        (
            "postgresql://",
            PostgresServer("127.0.0.1", 5432, "postgres", "", "postgres"),
        ),
        (
            "postgresql://u:p%40ss%2Fw%3Ard@[::1]:7000/d%20b",
            PostgresServer("::1", 7000, "u", "p@ss/w:rd", "d b"),
        ),
        (
            "postgresql://postgres@/appeals?host=/var/run/postgresql",
            PostgresServer("/var/run/postgresql", 5432, "postgres", "", "appeals"),
        ),
        (
            "postgresql://postgres@:5433/appeals?host=%2Ftmp%2FSock%20Dir",
            PostgresServer("/tmp/Sock Dir", 5433, "postgres", "", "appeals"),
        ),
        (
            "postgresql://%2Frun%2Fpg:5434/x",
            PostgresServer("/run/pg", 5434, "postgres", "", "x"),
        ),
        (
            "postgresql://h/db?user=alice&password=pw&port=6000",
            PostgresServer("h", 6000, "alice", "pw", "db"),
        ),
    ],
)
def test_server_from_url(url: str, expected: PostgresServer) -> None:
    assert server_from_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root@localhost/db",
        "host=localhost dbname=x",
        "postgresql://h:notaport/db",
        "postgresql://h1:5432,h2:5433/db",
    ],
)
def test_server_from_url_rejects(url: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        server_from_url(url)


@pytest.mark.parametrize(
    "server",
    [
        PostgresServer("127.0.0.1", 5432, "postgres", "", "postgres"),
        PostgresServer("db.example", 6543, "app user", "p@ss/w:rd?#", "led ger"),
        PostgresServer("::1", 7000, "u", "pw", "db"),
        PostgresServer("/tmp/Sock Dir", 5433, "postgres", "x", "appeals"),
    ],
)
def test_url_round_trips(server: PostgresServer) -> None:
    url = server.url()
    assert url.startswith("postgresql://")
    assert server_from_url(url) == server
    assert server_from_url(server.url("other")).dbname == "other"
    if server.password:
        assert server.password not in server.redacted_url()
        assert "***" in server.redacted_url()


def test_url_shapes() -> None:
    tcp = PostgresServer("127.0.0.1", 55432, "postgres", "", "postgres")
    assert tcp.url() == "postgresql://postgres@127.0.0.1:55432/postgres"
    assert tcp.url("x") == "postgresql://postgres@127.0.0.1:55432/x"
    sock = PostgresServer("/tmp/pg", 5433, "u", "p", "d")
    assert sock.url() == "postgresql://u:p@:5433/d?host=%2Ftmp%2Fpg"


# --------------------------------------------------------------------------
# postgres_for_tests


def test_postgres_for_tests_reports_an_unreachable_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = _free_port()  # nothing listens there now
    monkeypatch.setenv(ENV_VAR, f"postgresql://appeals:s3cr3t@127.0.0.1:{port}/ledger")
    with (
        pytest.raises(PostgresUnavailable) as info,
        postgres_for_tests(log=lambda _line: None),
    ):
        pass  # pragma: no cover
    message = str(info.value)
    assert f"postgresql://appeals:***@127.0.0.1:{port}/ledger" in message
    assert "s3cr3t" not in message
    assert ENV_VAR in message
    assert "not reachable" in message


def test_postgres_for_tests_reports_a_malformed_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_VAR, "mysql://root:hunter2@localhost/x")
    with (
        pytest.raises(PostgresUnavailable, match=ENV_VAR) as info,
        postgres_for_tests(log=lambda _line: None),
    ):
        pass  # pragma: no cover
    assert "hunter2" not in str(info.value)


def test_postgres_for_tests_uses_the_url_when_reachable(
    cluster: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, cluster.url())
    lines: list[str] = []
    with postgres_for_tests(log=lines.append) as server, server.connect() as conn:
        assert server == cluster
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert len(lines) == 1
    assert ENV_VAR in lines[0]
    # The server is not ours to stop.
    assert _accepts_connections(cluster.port)


def test_postgres_for_tests_starts_a_throwaway_cluster_without_the_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    with (
        postgres_for_tests(log=lambda _line: None) as server,
        server.connect() as conn,
    ):
        assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
    assert not _accepts_connections(server.port)
