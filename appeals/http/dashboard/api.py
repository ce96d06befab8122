"""The dashboard reads the API, in-process, with the signed-in token.

Every figure on a page is what the API answers to the same token (the same
readers, the same scope from the permissions table); a read the token may
not make is shown as such, not worked around. Requests go through the whole
application (authentication, problems, position headers) over httpx's ASGI
transport: no socket, no second process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from starlette.requests import Request

from appeals.http.dashboard.session import token_of

INTERNAL_BASE = "http://dashboard.internal"


@dataclass(frozen=True)
class Answer:
    """One API answer: its status, JSON body (or problem) and headers."""

    status: int
    body: Any
    headers: httpx.Headers

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def problem(self) -> str:
        if isinstance(self.body, dict):
            return str(self.body.get("detail") or self.body.get("title") or "")
        return ""


async def fetch(
    request: Request, path: str, params: dict[str, Any] | None = None
) -> httpx.Response:
    """GET ``path`` from this application with the cookie's token."""
    token = token_of(request) or ""
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url=INTERNAL_BASE) as client:
        return await client.get(
            path,
            params={k: v for k, v in (params or {}).items() if v not in (None, "")},
            headers={
                "Authorization": f"Bearer {token}",
                "X-Request-ID": request.scope.get("state", {}).get("request_id", "")
                or "dashboard",
            },
        )


async def get(
    request: Request, path: str, params: dict[str, Any] | None = None
) -> Answer:
    """The JSON answer of ``GET path``."""
    response = await fetch(request, path, params)
    try:
        body = response.json()
    except ValueError:
        body = None
    return Answer(response.status_code, body, response.headers)
