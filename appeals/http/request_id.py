"""A request id for every request: the client's ``X-Request-ID`` if it sent
a sane one, else a fresh one; kept in the ASGI scope's state (for the access
line, every problem body and the log line of an unexpected error) and echoed
in the response header. The house's equivalent of ``asgi-correlation-id``.

The scope's state also carries what the access line says beyond the HTTP
exchange (:class:`RequestFacts`): the role of the authenticated actor (never
the token or the name) and the type of the problem answered, if any.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def request_id_of(scope: Scope) -> str:
    """The id of the request in ``scope`` (assigned once, on first ask)."""
    state: dict[str, Any] = scope.setdefault("state", {})
    found = state.get("request_id")
    if isinstance(found, str):
        return found
    sent = next(
        (v for k, v in scope.get("headers", ()) if k == b"x-request-id"), b""
    ).decode("latin-1")
    request_id = sent if _SANE.fullmatch(sent) else uuid.uuid4().hex
    state["request_id"] = request_id
    return request_id


@dataclass(frozen=True)
class RequestFacts:
    """What the handlers noted about a request for its access line."""

    role: str | None
    problem: str | None


def note_role(scope: Scope, role: str) -> None:
    """The authenticated actor's role (``intake``, ``enterprise``...)."""
    scope.setdefault("state", {})["actor_role"] = role


def note_problem(scope: Scope, slug: str) -> None:
    """The type of the problem the request was answered with."""
    scope.setdefault("state", {})["problem"] = slug


def facts_of(scope: Scope) -> RequestFacts:
    state: dict[str, Any] = scope.get("state", {})
    role, problem = state.get("actor_role"), state.get("problem")
    return RequestFacts(
        role if isinstance(role, str) else None,
        problem if isinstance(problem, str) else None,
    )


class RequestIdMiddleware:
    """Pure ASGI middleware: assigns the id and adds it to the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = request_id_of(scope).encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", header))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)
