"""The dashboard reads the API, in-process, with the signed-in token.

Every figure on a page is what the API answers to the same token (the same
readers, the same scope from the permissions table); a read the token may
not make is shown as such, not worked around. Requests go through the whole
application (authentication, problems, position headers) over httpx's ASGI
transport: no socket, no second process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.requests import Request
from starlette.types import ASGIApp

from appeals.http.dashboard.session import token_of

INTERNAL_BASE = "http://dashboard.internal"
LOG = logging.getLogger("appeals.dashboard")


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
    request_id = request.scope.get("state", {}).get("request_id", "") or "dashboard"
    return await fetch_as(
        request.app, token_of(request) or "", request_id, path, params
    )


async def fetch_as(
    app: ASGIApp,
    token: str,
    request_id: str,
    path: str,
    params: dict[str, Any] | None = None,
) -> httpx.Response:
    """GET ``path`` from ``app`` with ``token``."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=INTERNAL_BASE) as client:
        return await client.get(
            path,
            params={k: v for k, v in (params or {}).items() if v not in (None, "")},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id},
        )


def answer_of(response: httpx.Response) -> Answer:
    try:
        body = response.json()
    except ValueError:
        body = None
    return Answer(response.status_code, body, response.headers)


async def get(
    request: Request, path: str, params: dict[str, Any] | None = None
) -> Answer:
    """The JSON answer of ``GET path``."""
    return answer_of(await fetch(request, path, params))


HELD_SECONDS = 60.0
"""How old a monthly chart on the overview may be (appeals.http.dashboard)."""
HELD_LIMIT = 256


class HeldAnswers:
    """Answers that move by the month (the trend series, the month's ranking
    preview), kept per reader's scope for at most ``seconds``: each is
    computed from a year of the views (seconds at a city's size), while a
    page that waits seconds is not read. A held answer older than
    ``seconds`` is still shown once more while a fresh one is computed in
    the background; the page says when the oldest was computed (each
    answer's ``as_of``). The live counters (open, today's intake, overdue)
    are never held. Bounded: the least recently used scope is dropped first."""

    def __init__(
        self,
        seconds: float = HELD_SECONDS,
        limit: int = HELD_LIMIT,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.limit = limit
        self.monotonic = monotonic
        self._held: OrderedDict[Hashable, tuple[float, Answer]] = OrderedDict()
        self._refreshing: dict[Hashable, asyncio.Task[None]] = {}

    async def get(
        self,
        request: Request,
        scope: Hashable,
        path: str,
        params: dict[str, Any] | None = None,
    ) -> Answer:
        """``GET path`` as the reader sees it: held if fresh enough."""
        key = (scope, path, tuple(sorted((params or {}).items())))
        held = self._held.get(key)
        if held is None:
            answer = await get(request, path, params)
            self._keep(key, answer)
            return answer
        at, answer = held
        self._held.move_to_end(key)
        if self.monotonic() - at > self.seconds and key not in self._refreshing:
            token = token_of(request) or ""
            task = asyncio.create_task(
                self._refresh(request.app, token, key, path, params)
            )
            self._refreshing[key] = task
        return answer

    async def settled(self) -> None:
        """Waits for the refreshes under way (tests)."""
        while self._refreshing:
            await asyncio.gather(*self._refreshing.values(), return_exceptions=True)

    async def _refresh(
        self,
        app: ASGIApp,
        token: str,
        key: Hashable,
        path: str,
        params: dict[str, Any] | None,
    ) -> None:
        try:
            response = await fetch_as(app, token, "dashboard-refresh", path, params)
            self._keep(key, answer_of(response))
        except Exception:  # the held answer stays; the next visit tries again
            LOG.warning("dashboard: refreshing %s failed", path, exc_info=True)
        finally:
            self._refreshing.pop(key, None)

    def _keep(self, key: Hashable, answer: Answer) -> None:
        if not answer.ok:  # a refusal or a failure is asked again next time
            self._held.pop(key, None)
            return
        self._held[key] = (self.monotonic(), answer)
        self._held.move_to_end(key)
        while len(self._held) > self.limit:
            self._held.popitem(last=False)


def held_answers(request: Request) -> HeldAnswers:
    """This application's held answers (made on first use)."""
    state = request.app.state
    if getattr(state, "dashboard_answers", None) is None:
        state.dashboard_answers = HeldAnswers()
    held: HeldAnswers = state.dashboard_answers
    return held
