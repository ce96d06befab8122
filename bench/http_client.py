"""A minimal HTTP/1.1 keep-alive client over one asyncio stream.

Just enough for the load generator: requests with a body and headers
prepared in advance (bytes), responses with ``Content-Length`` (uvicorn sends
it for every JSON answer). No redirects, no chunked bodies, no TLS; the point
is that a request costs the generator a few microseconds, so the figures
measure the server, not the client (see the generator ceiling in the report).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass


class ProtocolError(Exception):
    """The server answered something this client does not understand."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


def build_request(
    method: str,
    path: str,
    host: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> bytes:
    """One request, serialised once so sending it costs nothing but a write."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    """One keep-alive connection; requests are sent one at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def send(self, request: bytes) -> Answer:
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, _, rest = head.partition(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise ProtocolError(f"bad status line {status_line!r}")
        length = -1
        for line in rest.split(b"\r\n"):
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value.strip())
            elif lowered == b"transfer-encoding":
                raise ProtocolError("chunked responses are not supported")
        if length < 0:
            raise ProtocolError("the response has no Content-Length")
        body = await self._reader.readexactly(length) if length else b""
        return Answer(int(parts[1]), body)

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()
