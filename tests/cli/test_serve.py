"""``appeals serve`` against hostile or broken clients, on 127.0.0.1: idle
sockets beyond the connection cap do not lock others out, and idle or
half-sent connections are closed after the request timeout. A port in use
is one line, not a traceback; two workers log JSON lines and add up their
metrics."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.server import ROOT, free_port, intake_token, served

CAP = 20
TIMEOUT_MS = 3000
"""Long enough that an answer held until the idle sockets are closed (a
lockout) is told apart from a slow machine's answer (1.3 s seen)."""


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
        answer = httpx.get(server + "/healthz", timeout=TIMEOUT_MS / 1000 + 5)
        # answered before the server closed an idle socket to make room
        assert time.monotonic() - started < TIMEOUT_MS / 1000 - 0.5
        assert answer.status_code in (200, 503)
        if answer.status_code == 503:
            assert answer.headers["retry-after"] == "1"
            assert answer.json()["type"].endswith("/too-many-connections")
        # The idle ones are closed after the request timeout, freeing room.
        for sock in idle:
            took = closed_by_server_within(sock, bound=TIMEOUT_MS / 1000 + 5)
            assert took < TIMEOUT_MS / 1000 + 2
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


# ---- a port in use, JSON logs and metrics across workers ----------------------


def serve_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "appeals.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_port_in_use_is_one_line_and_a_failure(tmp_path: Path, workers: int) -> None:
    database = tmp_path / "appeals.sqlite3"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            serve_command(port, workers),
            env={
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "APPEALS_DATABASE_URL": f"sqlite:///{database}",
            },
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == (
        f"appeals: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert sum("cannot listen" in line for line in lines) == 1
    assert not database.exists()  # refused before anything was made


def test_two_workers_log_json_lines_and_add_up_their_metrics(
    tmp_path: Path, stack_of_files: ExitStack
) -> None:
    """``--workers 2``: every access line on stderr is JSON with the request
    id the client saw; requests served by both workers are counted once
    each in every scrape, whichever worker answers it (Prometheus's
    multi-process mode, in a directory removed on exit)."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {
        "APPEALS_DATABASE_URL": f"sqlite:///{tmp_path / 'appeals.sqlite3'}",
        "APPEALS_LOG_FORMAT": "json",
    }
    token = intake_token(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    errors = stack_of_files.enter_context((tmp_path / "stderr").open("w+"))
    process = subprocess.Popen(
        serve_command(port, 2),
        env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(temporary), **env},
        stdout=subprocess.DEVNULL,
        stderr=errors,
        cwd=ROOT,
    )
    sent: dict[str, int] = {}
    try:
        wait_until_up(process, base)
        made = metrics_directories(temporary)
        assert len(made) == 1
        headers = {"Authorization": f"Bearer {token}"}
        for number in range(200):  # each on a new connection: spread by the kernel
            response = httpx.get(base + "/appeals", headers=headers, timeout=10)
            assert response.status_code == 200
            sent[response.headers["x-request-id"]] = number
            if number >= 20 and len(pids(errors, sent)) == 2:
                break
        assert len(pids(errors, sent)) == 2, "both workers served"
        for _ in range(6):
            scraped = httpx.get(base + "/metrics", timeout=10)
            assert scraped.status_code == 200
            counted = {
                sample.labels["status"]: sample.value
                for family in text_string_to_metric_families(scraped.text)
                for sample in family.samples
                if sample.name == "appeals_http_requests_total"
                and sample.labels["route"] == "/appeals"
                and sample.labels["method"] == "GET"
            }
            assert counted == {"200": len(sent)}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    lines = access_lines(errors)
    assert {line["request_id"] for line in lines} >= set(sent)
    for line in lines:
        if line["request_id"] in sent:
            assert (line["route"], line["role"], line["status"]) == (
                "/appeals",
                "intake",
                200,
            )
    text = errors_text(errors)
    assert token not in text
    assert "Traceback" not in text
    # The metrics directory is gone (jieba's dictionary cache, made when the
    # in-server worker warms the catalogue up, may stay: it is jieba's).
    assert not metrics_directories(temporary)


def metrics_directories(temporary: Path) -> list[str]:
    return [
        p.name for p in temporary.iterdir() if p.name.startswith("appeals-metrics-")
    ]


@pytest.fixture
def stack_of_files() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def wait_until_up(process: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, "appeals serve exited"
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "appeals serve did not start"
        time.sleep(0.1)


def errors_text(errors: IO[str]) -> str:
    errors.flush()
    errors.seek(0)
    return errors.read()


def access_lines(errors: IO[str]) -> list[dict[str, Any]]:
    """The JSON lines of ``appeals.access`` (the command's own lines before
    uvicorn starts, ``appeals: ...``, are plain text)."""
    found = []
    for line in errors_text(errors).splitlines():
        if line.startswith("appeals: "):
            continue
        parsed = json.loads(line)  # every other line is JSON
        if parsed["logger"] == "appeals.access":
            found.append(parsed)
    return found


def pids(errors: IO[str], sent: dict[str, int]) -> set[int]:
    """The worker processes that answered the requests in ``sent``."""
    return {
        line["process"] for line in access_lines(errors) if line["request_id"] in sent
    }
