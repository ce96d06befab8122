"""Serving the app with uvicorn (uvloop, httptools), one or more workers.

With ``--workers N`` uvicorn binds the listening socket itself, without
``IPPROTO_TCP``; accepted sockets inherit that, and asyncio's loop then never
sets ``TCP_NODELAY``, so every keep-alive request after the first waits ~40 ms
on a delayed ACK (uvicorn issue 3149). uvloop sets it regardless, but the
server must not depend on which loop is installed: we bind the socket
ourselves with the protocol stated and hand it to uvicorn's own
multiprocess supervisor (tests/infra/test_serving.py shows both).

Each worker gets a listener of its own on the same port (``SO_REUSEPORT``),
so the kernel spreads new connections over the workers. With one shared
listener, whichever worker happens to be awake accepts: under load one
worker took nearly every keep-alive connection and ran at a full core (its
GIL) while the other idled (BENCHMARKS.md, "busiest server process").

Hostile or broken clients (README, "Limits and timeouts"): uvicorn times out
only an idle keep-alive connection after a response; a connection that
never sends a request, or stops half-way through one, stays open for ever,
and nothing caps how many are open (~20,000 idle sockets exhausted the file
limit and every other client was reset). :class:`GuardedHttpTools` closes a
connection that has not sent a whole request within ``request_timeout``
and answers a connection beyond ``max_connections`` with an immediate 503.

A request's head (request line and headers) is limited to
:data:`MAX_HEADER_BYTES` in total: httptools, the parser we serve with, has
no limit of its own (an 8 MB header was accepted), so :class:`BoundedHeaders`
counts the bytes of a head as they arrive and answers 431 and closes past the
limit. ``h11_max_incomplete_event_size`` gives h11 the same limit, should the
server be run with ``--http h11``.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors import Multiprocess

from appeals.infra.settings import ServerSettings

APP = "appeals.http.app:create_serving_app"
MAX_HEADER_BYTES = 64 * 1024
"""The most a request line and its headers may hold together."""


class BoundedHeaders(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request head over
    :data:`MAX_HEADER_BYTES` with 431 (counted per chunk received, so memory
    stays within the limit plus one read)."""

    max_header_bytes = MAX_HEADER_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = False
        self._head_bytes = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes = True, 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._in_head or self.transport.is_closing():
            return
        self._head_bytes += len(data)
        if self._head_bytes > self.max_header_bytes:
            self._refuse_head()

    def _refuse_head(self) -> None:
        self.logger.warning(
            "Request head over %d bytes refused.", self.max_header_bytes
        )
        message = f"request headers over {self.max_header_bytes} bytes"
        body = (
            b'{"type":"https://appeal-ledger.invalid/problems/headers-too-large",'
            b'"title":"Request headers too large","status":431,"detail":"'
            + message.encode()
            + b'"}'
        )
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/problem+json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + body
        )
        self.transport.close()


_BUSY_BODY = (
    b'{"type":"https://appeal-ledger.invalid/problems/too-many-connections",'
    b'"title":"Too many connections","status":503,'
    b'"detail":"the server has as many open connections as it allows"}'
)
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: application/problem+json\r\n"
    b"Retry-After: 1\r\n"
    b"Connection: close\r\n"
    b"Content-Length: " + str(len(_BUSY_BODY)).encode() + b"\r\n\r\n" + _BUSY_BODY
)
"""The answer to a connection beyond the cap, sent before closing it."""


class ServingConfig(uvicorn.Config):
    """uvicorn's configuration with our connection limits (it is pickled to
    each worker process, and the limits with it)."""

    def __init__(self, app: str, *, limits: ServerSettings, **options: Any) -> None:
        super().__init__(app, timeout_keep_alive=limits.keep_alive, **options)
        self.limits = limits


class GuardedHttpTools(BoundedHeaders):
    """uvicorn's httptools protocol with a bounded head (BoundedHeaders), a
    connection cap and a deadline for receiving each whole request."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.limits: ServerSettings = getattr(config, "limits", ServerSettings())
        self.request_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections:
            self.transport = transport
            transport.write(BUSY)
            transport.close()
            return
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.request_deadline is None and (
            self.cycle is None or self.cycle.response_complete
        ):
            self._arm()  # a new request starts
        super().data_received(data)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self.flow is None:  # refused in connection_made
            return
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self.request_deadline = self.loop.call_later(
            self.limits.request_timeout, self._request_timed_out
        )

    def _disarm(self) -> None:
        if self.request_deadline is not None:
            self.request_deadline.cancel()
            self.request_deadline = None

    def _request_timed_out(self) -> None:
        self.request_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def listening_socket(
    host: str, port: int, *, reuse_port: bool = False
) -> socket.socket:
    """A TCP listener whose accepted connections get ``TCP_NODELAY``; with
    ``reuse_port``, one of several on the same port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class Listeners:
    """A listener per worker, all on one port. The first is bound at once,
    so a port already in use is reported before any worker starts."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self._first: socket.socket | None = listening_socket(
            host, port, reuse_port=True
        )
        self.port: int = self._first.getsockname()[1]  # port 0: the one given

    def next(self) -> socket.socket:
        sock, self._first = self._first, None
        return sock or listening_socket(self.host, self.port, reuse_port=True)


class PerWorkerListeners(Multiprocess):
    """uvicorn's supervisor (restarts, signals, health checks unchanged), but
    every worker it starts, or restarts, gets a listener of its own. A
    worker's listener closes with it: the supervisor drops the worker's
    process object, which holds the parent's copy."""

    def __init__(self, config: uvicorn.Config, listeners: Listeners) -> None:
        self.listeners = listeners
        super().__init__(config, sockets=[])

    @property
    def sockets(self) -> list[socket.socket]:
        return [self.listeners.next()]

    @sockets.setter
    def sockets(self, _shared: list[socket.socket]) -> None:
        """uvicorn's constructor sets the one shared list; we hand out ours."""


def serve(
    host: str,
    port: int,
    workers: int,
    limits: ServerSettings | None = None,
    log_config: dict[str, Any] | None = None,
) -> None:
    """``log_config``: a ``dictConfig`` every worker applies (appeals.infra.logs);
    None: uvicorn's own."""
    config = ServingConfig(
        APP,
        limits=limits or ServerSettings(),
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http=GuardedHttpTools,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        log_level="info",
        **({} if log_config is None else {"log_config": log_config}),
    )
    if workers == 1:
        uvicorn.Server(config).run()
        return
    PerWorkerListeners(config, Listeners(host, port)).run()
