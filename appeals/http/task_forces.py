"""Task forces (专班) over HTTP: ``POST /taskforces`` (form, or form again
after disbanding), ``GET /taskforces/{id}``, ``POST
/taskforces/{id}/disband`` and ``GET /taskforces/{id}/board``: the
enterprise's appeals with their progress (实时统计问题化解进度). Who may is
the permissions table's (``manage_links``, the ``links`` read)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appeals.application.task_forces import TaskForces
from appeals.domain.organisation import parse_command
from appeals.domain.permissions import authorize, read_filter
from appeals.domain.task_forces import DisbandTaskForce, FormTaskForce, TaskForce
from appeals.http.auth import authenticate
from appeals.http.context import ledger_of
from appeals.http.requests import path_record_id, read_body
from appeals.http.responses import OrjsonResponse
from appeals.http.tabular import report_json


def forces_of(request: Request) -> TaskForces:
    return TaskForces(ledger_of(request))


def force_json(force: TaskForce) -> dict[str, Any]:
    return {
        "id": str(force.id),
        "name": force.name,
        "uscc": force.uscc,
        "project": force.project,
        "lead": force.lead,
        "members": force.members,
        "units": force.units,
        "formed_on": force.formed_on.isoformat(),
        "active": force.active,
        "version": force.version,
    }


async def form(request: Request) -> Response:
    actor = await authenticate(request)
    authorize("manage_links", actor, unit=None, uscc=None)
    command = parse_command(FormTaskForce, await read_body(request))
    force = await run_in_threadpool(forces_of(request).form, command, actor)
    return OrjsonResponse(force_json(force), status_code=201)


async def get_force(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("links", actor)
    force = await run_in_threadpool(
        forces_of(request).task_force, path_record_id(request, "force_id", "task_force")
    )
    return OrjsonResponse(force_json(force))


async def disband(request: Request) -> Response:
    actor = await authenticate(request)
    authorize("manage_links", actor, unit=None, uscc=None)
    command = parse_command(DisbandTaskForce, await read_body(request))
    force = await run_in_threadpool(
        forces_of(request).disband,
        path_record_id(request, "force_id", "task_force"),
        command,
        actor,
    )
    return OrjsonResponse(force_json(force))


async def board(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("links", actor)
    service, force_id = (
        forces_of(request),
        path_record_id(request, "force_id", "task_force"),
    )
    force = await run_in_threadpool(service.task_force, force_id)
    seen, body = await run_in_threadpool(service.board, force_id)
    return await report_json(request, {"task_force": force_json(force), **body}, seen)


def task_force_routes() -> list[Route]:
    return [
        Route("/taskforces", form, methods=["POST"]),
        Route("/taskforces/{force_id}", get_force, methods=["GET"]),
        Route("/taskforces/{force_id}/disband", disband, methods=["POST"]),
        Route("/taskforces/{force_id}/board", board, methods=["GET"]),
    ]
