"""The listener ``appeals serve --workers N`` uses gives accepted connections
TCP_NODELAY (uvicorn issue 3149: its own listener does not)."""

from __future__ import annotations

import asyncio
import socket

import pytest
import uvloop

from appeals.infra.serving import Listeners, listening_socket


def nodelay_of_accepted(sock: socket.socket, *, use_uvloop: bool = True) -> int:
    """Accepts one connection on ``sock``; returns its TCP_NODELAY."""
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Probe, sock=sock)
        host, port = sock.getsockname()[:2]
        _, writer = await asyncio.open_connection(host, port)
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    if use_uvloop:
        uvloop.run(main())
    else:
        asyncio.run(main())
    return seen[0]


@pytest.mark.parametrize("use_uvloop", [True, False], ids=["uvloop", "asyncio"])
def test_accepted_connections_get_tcp_nodelay(use_uvloop: bool) -> None:
    sock = listening_socket("127.0.0.1", 0)
    assert sock.proto == socket.IPPROTO_TCP
    assert nodelay_of_accepted(sock, use_uvloop=use_uvloop) != 0


def test_under_asyncio_a_listener_bound_as_uvicorn_does_leaves_nagle_on() -> None:
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # uvicorn's bind_socket
    plain.bind(("127.0.0.1", 0))
    assert nodelay_of_accepted(plain, use_uvloop=False) == 0


def test_each_worker_gets_its_own_listener_on_the_one_port() -> None:
    listeners = Listeners("127.0.0.1", 0)
    first, second = listeners.next(), listeners.next()
    assert first is not second
    assert first.getsockname() == second.getsockname()
    for sock in (first, second):
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        sock.listen()
    # The kernel spreads new connections over both listeners.
    clients = [socket.create_connection(first.getsockname()[:2]) for _ in range(40)]
    try:
        accepted = {id(first): 0, id(second): 0}
        for sock in (first, second):
            sock.setblocking(False)
            while True:
                try:
                    connection, _ = sock.accept()
                except BlockingIOError:
                    break
                connection.close()
                accepted[id(sock)] += 1
        assert sum(accepted.values()) == 40
        assert all(count > 0 for count in accepted.values())
    finally:
        for client in clients:
            client.close()
        first.close()
        second.close()


def test_a_port_in_use_is_reported_before_any_worker_starts() -> None:
    taken = listening_socket("127.0.0.1", 0)
    taken.listen()
    try:
        with pytest.raises(OSError, match="in use"):
            Listeners("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()
