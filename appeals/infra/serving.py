"""Serving the app with uvicorn (uvloop, httptools), one or more workers.

With ``--workers N`` uvicorn binds the listening socket itself, without
``IPPROTO_TCP``; accepted sockets inherit that, and asyncio's loop then never
sets ``TCP_NODELAY``, so every keep-alive request after the first waits ~40 ms
on a delayed ACK (uvicorn issue 3149). uvloop sets it regardless, but the
server must not depend on which loop is installed: we bind the socket
ourselves with the protocol stated and hand it to uvicorn's own
multiprocess supervisor (tests/infra/test_serving.py shows both).
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

APP = "appeals.http.app:create_app_from_env"


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP listener whose accepted connections get ``TCP_NODELAY``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve(host: str, port: int, workers: int) -> None:
    config = uvicorn.Config(
        APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_level="info",
    )
    if workers == 1:
        uvicorn.Server(config).run()
        return
    Multiprocess(config, sockets=[listening_socket(host, port)]).run()
