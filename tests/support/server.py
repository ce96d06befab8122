"""A real ``appeals serve`` on 127.0.0.1 for tests of the served process:
started on a free port, waited for, and stopped again."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from appeals.bootstrap import open_ledger
from appeals.infra.serving import listening_socket
from appeals.infra.settings import Settings
from appeals.infra.tokens import TokenStore

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def intake_token(env: Mapping[str, str]) -> str:
    """Creates the storage and an intake clerk's token in it."""
    ledger = open_ledger(Settings.from_env(env))
    try:
        store = TokenStore(ledger.database)
        store.create_table()
        token, _ = store.create(role="intake", name="测试 受理", now=datetime.now(UTC))
        return token
    finally:
        ledger.close()


@contextmanager
def served(env: Mapping[str, str], ready: str = "/healthz") -> Iterator[str]:
    """Runs ``appeals serve`` with ``env``; yields its base URL once ``ready``
    answers 200 (30 s at most)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "appeals.cli", "serve", "--port", str(port)],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "appeals serve exited"
            try:
                if httpx.get(base + ready, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "appeals serve did not start"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def in_thread(app: Any, **options: Any) -> Iterator[int]:
    """Serves the ASGI ``app`` with uvicorn in a thread on a loopback port of
    its own, as ``appeals serve`` listens (appeals.infra.serving); yields the
    port and stops the server afterwards."""
    sock = listening_socket("127.0.0.1", 0)
    config = uvicorn.Config(app, loop="asyncio", log_level="error", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
