"""A request's headers are limited in total size (issue 13 item 2: an 8 MB
header was accepted): a real uvicorn server on 127.0.0.1, configured as
``appeals serve`` configures it, answers 431 and closes."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from appeals.infra import serving
from appeals.infra.serving import MAX_HEADER_BYTES, BoundedHeaders
from tests.support.server import in_thread


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def port() -> Iterator[int]:
    with in_thread(hello, http=BoundedHeaders, lifespan="off") as bound:
        yield bound


def exchange(port: int, header_bytes: int) -> bytes:
    """Sends a GET with one header of ``header_bytes``; the answer (or what
    arrived before the server closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: "
        try:
            client.sendall(head)
            sent = 0
            while sent < header_bytes:
                chunk = b"a" * min(65536, header_bytes - sent)
                client.sendall(chunk)
                sent += len(chunk)
            client.sendall(b"\r\nConnection: close\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: its answer is waiting
        answer = b""
        try:
            while data := client.recv(65536):
                answer += data
        except ConnectionResetError:
            pass
        return answer


def test_an_oversized_header_is_refused_with_431(port: int) -> None:
    answer = exchange(port, 8 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:100]


def test_headers_within_the_limit_are_served(port: int) -> None:
    answer = exchange(port, MAX_HEADER_BYTES // 2)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:100]


def test_appeals_serve_uses_the_bounded_protocol(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[uvicorn.Config] = []

    class Recording:
        def __init__(self, config: uvicorn.Config) -> None:
            seen.append(config)

        def run(self) -> None:
            pass

    monkeypatch.setattr(serving.uvicorn, "Server", Recording)
    serving.serve("127.0.0.1", 0, 1)
    assert issubclass(seen[0].http, BoundedHeaders)
    assert seen[0].h11_max_incomplete_event_size == MAX_HEADER_BYTES
