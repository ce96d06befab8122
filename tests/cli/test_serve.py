"""``appeals serve`` against hostile or broken clients, on 127.0.0.1: idle
sockets beyond the connection cap do not lock others out, and idle or
half-sent connections are closed after the request timeout."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.support.server import served

CAP = 20
TIMEOUT_MS = 1000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("serve")
    env = {
        "APPEALS_DATABASE_URL": f"sqlite:///{folder / 'appeals.sqlite3'}",
        "APPEALS_MAX_CONNECTIONS": str(CAP),
        "APPEALS_REQUEST_TIMEOUT_MS": str(TIMEOUT_MS),
    }
    with served(env) as base:
        yield base


def address(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


def closed_by_server_within(sock: socket.socket, bound: float) -> float:
    """Seconds until the server closes ``sock`` (reads through any answer)."""
    started = time.monotonic()
    sock.settimeout(bound)
    while sock.recv(4096):
        pass
    return time.monotonic() - started


def test_idle_sockets_beyond_the_cap_do_not_lock_others_out(server: str) -> None:
    with ExitStack() as stack:
        idle = [
            stack.enter_context(socket.create_connection(address(server), timeout=5))
            for _ in range(CAP + 10)
        ]
        time.sleep(0.2)
        started = time.monotonic()
        answer = httpx.get(server + "/healthz", timeout=5)
        assert time.monotonic() - started < 1.0
        assert answer.status_code in (200, 503)
        if answer.status_code == 503:
            assert answer.headers["retry-after"] == "1"
            assert answer.json()["type"].endswith("/too-many-connections")
        # The idle ones are closed after the request timeout, freeing room.
        for sock in idle:
            assert closed_by_server_within(sock, bound=5.0) < TIMEOUT_MS / 1000 + 2
    assert httpx.get(server + "/healthz", timeout=5).status_code == 200


def test_a_half_sent_request_is_closed_after_the_timeout(server: str) -> None:
    with socket.create_connection(address(server), timeout=5) as sock:
        sock.sendall(b"POST /appeals HTTP/1.1\r\nHost: appeals\r\nContent-Le")
        took = closed_by_server_within(sock, bound=10.0)
    assert TIMEOUT_MS / 1000 - 0.2 < took < TIMEOUT_MS / 1000 + 2


def test_a_half_sent_body_is_closed_after_the_timeout(server: str) -> None:
    with socket.create_connection(address(server), timeout=5) as sock:
        sock.sendall(
            b"POST /appeals HTTP/1.1\r\nHost: appeals\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        took = closed_by_server_within(sock, bound=10.0)
    assert took < TIMEOUT_MS / 1000 + 2


def test_a_whole_request_on_a_kept_alive_connection_is_served(server: str) -> None:
    with httpx.Client(timeout=5) as client:
        first = client.get(server + "/healthz")
        time.sleep(TIMEOUT_MS / 1000 / 2)
        second = client.get(server + "/healthz")
    assert (first.status_code, second.status_code) == (200, 200)
