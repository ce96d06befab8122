"""The Starlette application: explicit wiring, no work at import time.

Endpoints are synchronous functions, so Starlette runs them in its threadpool:
the event store is synchronous and must not block the event loop.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appeals.application import AppealLedger
from appeals.bootstrap import open_ledger_from_env
from appeals.domain.errors import AppealError, AppealNotFound
from appeals.http.problems import HttpProblem, handle_domain_error, handle_http_problem
from appeals.http.representations import appeal_json


class OrjsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def ledger_of(request: Request) -> AppealLedger:
    ledger: AppealLedger = request.app.state.ledger
    return ledger


def healthz(request: Request) -> Response:
    """The process is up."""
    return OrjsonResponse({"status": "ok"})


def _appeal_response(request: Request, appeal_json_body: dict[str, Any]) -> Response:
    return OrjsonResponse(
        appeal_json_body, headers={"ETag": f'"{appeal_json_body["version"]}"'}
    )


def get_appeal(request: Request) -> Response:
    """One appeal by id, now or at ``?version=N``."""
    appeal_id = _uuid(request.path_params["appeal_id"])
    version = _optional_int(request, "version")
    appeal = ledger_of(request).get(appeal_id, version=version)
    return _appeal_response(request, appeal_json(appeal))


def get_appeal_by_ticket(request: Request) -> Response:
    """One appeal by its ticket number (工单号)."""
    appeal = ledger_of(request).get_by_ticket(request.path_params["ticket"])
    return _appeal_response(request, appeal_json(appeal))


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise AppealNotFound(value) from None


def _optional_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise HttpProblem(
            422,
            "invalid-field",
            "Invalid input",
            f"{name} must be a positive whole number",
            errors=[{"field": name, "reason": "must be a positive whole number"}],
        )
    return int(raw)


def create_app(ledger_factory: Callable[[], AppealLedger]) -> Starlette:
    """The app, opening its ledger on startup and closing it on shutdown."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.ledger = ledger_factory()
        try:
            yield
        finally:
            app.state.ledger.close()

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/appeals/by-ticket/{ticket}", get_appeal_by_ticket),
            Route("/appeals/{appeal_id}", get_appeal),
        ],
        exception_handlers={
            AppealError: handle_domain_error,
            HttpProblem: handle_http_problem,
        },
        lifespan=lifespan,
    )


def create_app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory``: configured by environment variables."""
    return create_app(lambda: open_ledger_from_env(os.environ))
