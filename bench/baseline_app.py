"""Baseline (b): a plain Starlette + eventsourcing application, library
defaults, doing the same saves as Appeal Ledger for the same requests.

``POST /appeals`` creates an aggregate and a uniqueness index aggregate in one
``save`` (two events, as a receipt saves the appeal and its ticket claim);
``POST /appeals/{id}/{command}`` loads the aggregate, records one event
carrying the request body, and saves it. No domain rules, no tokens, no
snapshots, no hash chain: what is left is the framework and the store, so
the gap between this and the ledger is what the ledger itself costs.

Served by uvicorn like the real service:
``uvicorn --factory bench.baseline_app:create_app_from_env`` with
``BENCH_BASELINE_DATABASE_URL=postgresql://...?schema=...``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import orjson
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appeals.infra.settings import parse_database_url
from appeals.infra.store import prepare_database

URL_VARIABLE = "BENCH_BASELINE_DATABASE_URL"
DB_FUNCTIONS_VARIABLE = "BENCH_BASELINE_DB_FUNCTIONS"
"""``y``: the library's insert function instead of its table lock (faster,
but a follower of the log can miss events; for experiments only)."""


class Case(Aggregate):
    """An appeal reduced to a bag of fields and a list of what happened."""

    @event("Opened")
    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields
        self.commands = 0

    @event("Commanded")
    def command(self, name: str, fields: dict[str, Any]) -> None:
        self.commands += 1


class Claim(Aggregate):
    """A uniqueness index: its id is a name-based UUID of the key."""

    @staticmethod
    def create_id(key: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"bench:{key}")

    @event("Claimed")
    def __init__(self, key: str, case_id: UUID) -> None:
        self.case_id = case_id


class PlainLedger(Application[UUID]):
    """The library's Application with its default settings."""

    name = "plain"


def library_env(url: str, db_functions: bool = False) -> dict[str, str]:
    """Only what is needed to reach the database; everything else defaults."""
    db = parse_database_url(url)
    extra = {"POSTGRES_ENABLE_DB_FUNCTIONS": "y"} if db_functions else {}
    return {
        **extra,
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": db.pg_dbname,
        "POSTGRES_HOST": db.pg_host,
        "POSTGRES_PORT": str(db.pg_port),
        "POSTGRES_USER": db.pg_user,
        "POSTGRES_PASSWORD": db.pg_password,
        "POSTGRES_SCHEMA": db.pg_schema,
    }


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def create_app(url: str, db_functions: bool = False) -> Starlette:
    app_state: dict[str, PlainLedger] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        prepare_database(parse_database_url(url))
        app_state["ledger"] = PlainLedger(library_env(url, db_functions))
        try:
            yield
        finally:
            app_state.pop("ledger").close()

    async def healthz(request: Request) -> Response:
        return _json({"status": "ok"})

    async def open_case(request: Request) -> Response:
        fields = orjson.loads(await request.body())
        ledger = app_state["ledger"]

        def save() -> dict[str, Any]:
            case = Case(fields)
            claim = Claim(str(uuid4()), case.id)
            recordings = ledger.save(case, claim)
            return {
                "id": str(case.id),
                "version": case.version,
                "position": recordings[0].notification.id,
            }

        return _json(await run_in_threadpool(save), 201)

    async def command(request: Request) -> Response:
        fields = orjson.loads(await request.body())
        name = request.path_params["command"]
        case_id = UUID(request.path_params["case_id"])
        ledger = app_state["ledger"]

        def save() -> dict[str, Any] | None:
            try:
                case: Case = ledger.repository.get(case_id)
            except AggregateNotFoundError:
                return None
            case.command(name, fields)
            recordings = ledger.save(case)
            return {
                "id": str(case.id),
                "version": case.version,
                "position": recordings[-1].notification.id,
            }

        found = await run_in_threadpool(save)
        return _json({"detail": "not found"}, 404) if found is None else _json(found)

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/appeals", open_case, methods=["POST"]),
            Route("/appeals/{case_id}/{command}", command, methods=["POST"]),
        ],
        lifespan=lifespan,
    )


def create_app_from_env() -> Starlette:
    """Factory for uvicorn."""
    return create_app(
        os.environ[URL_VARIABLE], os.environ.get(DB_FUNCTIONS_VARIABLE) == "y"
    )
