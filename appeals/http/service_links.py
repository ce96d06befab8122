"""挂钩服务 over HTTP: ``POST /projects``, ``POST /links`` (link, or link
again), ``POST /links/end``, ``POST /visits`` (a visit by a linked cadre),
``GET /visits/{id}``, ``POST /visits/{id}/appeals`` (a problem found, filed
as an appeal), ``GET /reports/visits?month=`` (每月走访率 per cadre) and
``GET /reports/unvisited?days=``. Who may is the permissions table's
(``manage_links``, ``record_visit``, ``file_from_visit``, the ``links``
read)."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appeals.application.portfolio import portfolio
from appeals.application.service_links import ServiceLinks
from appeals.domain.commands import Receive
from appeals.domain.organisation import parse_command
from appeals.domain.permissions import authorize, read_filter
from appeals.domain.service_links import (
    EndLink,
    Link,
    LinkCadre,
    Project,
    RecordVisit,
    RegisterProject,
    Visit,
)
from appeals.http import parameters
from appeals.http.appeals import command_response
from appeals.http.auth import authenticate
from appeals.http.context import ledger_of, reads_of
from appeals.http.freshness import await_position
from appeals.http.requests import build, path_record_id, read_body
from appeals.http.responses import OrjsonResponse
from appeals.http.tabular import report_items, report_json
from appeals.infra.clock import SHANGHAI
from appeals.projections import service_links as view


def service_of(request: Request) -> ServiceLinks:
    return ServiceLinks(ledger_of(request))


def _link_json(link: Link) -> dict[str, Any]:
    return {
        "cadre": link.cadre,
        "target_kind": link.target_kind,
        "target": link.target,
        "uscc": link.uscc,
        "periods": [
            {
                "role": p["role"],
                "start": p["start"].isoformat(),
                "end": None if p["end"] is None else p["end"].isoformat(),
            }
            for p in link.periods
        ],
        "version": link.version,
    }


def _visit_json(visit: Visit) -> dict[str, Any]:
    return {
        "id": str(visit.id),
        "cadre": visit.cadre,
        "unit": visit.unit,
        "uscc": visit.uscc,
        "day": visit.day.isoformat(),
        "mode": visit.mode,
        "people_met": visit.people_met,
        "findings": visit.findings,
        "appeals": list(visit.problems),
        "version": visit.version,
    }


async def register_project(request: Request) -> Response:
    actor = await authenticate(request)
    authorize("manage_links", actor, unit=None, uscc=None)
    command = parse_command(RegisterProject, await read_body(request))
    project: Project = await run_in_threadpool(
        service_of(request).register_project, command, actor
    )
    body = {
        "code": project.code,
        "name": project.name,
        "uscc": project.uscc,
        "version": project.version,
    }
    return OrjsonResponse(body, status_code=201)


async def link(request: Request) -> Response:
    actor = await authenticate(request)
    authorize("manage_links", actor, unit=None, uscc=None)
    command = parse_command(LinkCadre, await read_body(request))
    found = await run_in_threadpool(service_of(request).link, command, actor)
    return OrjsonResponse(
        _link_json(found), status_code=201 if found.version == 1 else 200
    )


async def end_link(request: Request) -> Response:
    actor = await authenticate(request)
    authorize("manage_links", actor, unit=None, uscc=None)
    command = parse_command(EndLink, await read_body(request))
    found = await run_in_threadpool(service_of(request).end_link, command, actor)
    return OrjsonResponse(_link_json(found))


async def record_visit(request: Request) -> Response:
    actor = await authenticate(request)
    command = parse_command(RecordVisit, await read_body(request))
    visit = await run_in_threadpool(service_of(request).record_visit, command, actor)
    return OrjsonResponse(_visit_json(visit), status_code=201)


async def get_visit(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("links", actor)
    visit = await run_in_threadpool(
        service_of(request).visit, path_record_id(request, "visit_id", "visit")
    )
    return OrjsonResponse(_visit_json(visit))


async def file_from_visit(request: Request) -> Response:
    """201 with the new appeal, as ``POST /appeals`` answers (the channel is
    ``visit`` whatever the body says)."""
    actor = await authenticate(request)
    body = await read_body(request)
    body.setdefault("channel", "visit")
    command = build(Receive, body)
    visit_id = path_record_id(request, "visit_id", "visit")
    result = await run_in_threadpool(
        service_of(request).file_from_visit, visit_id, command, actor
    )
    return await command_response(request, actor, result, 201)


VISIT_COLUMNS = ("cadre", "linked", "visited", "coverage", "visits", "problems",
                 "problems_per_visit", "not_visited")  # fmt: skip
UNVISITED_COLUMNS = ("cadre", "uscc", "last_visit")


async def visit_coverage(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("links", actor)
    month = parameters.month(request.query_params.get("month"), "month")
    today = ledger_of(request).clock.now().astimezone(SHANGHAI).date()
    first = today.replace(day=1) if month is None else date.fromisoformat(f"{month}-01")
    last = _month_end(first)
    await await_position(request, view.NAME)
    seen, rows = await run_in_threadpool(view.coverage, reads_of(request), first, last)
    body = {"month": first.strftime("%Y-%m"), "items": rows}
    return await report_items(request, body, seen, "visits.csv", VISIT_COLUMNS)


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


async def unvisited(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("links", actor)
    days = parameters.whole_number(
        request.query_params.get("days"), "days", minimum=1, maximum=3660
    )
    today = ledger_of(request).clock.now().astimezone(SHANGHAI).date()
    await await_position(request, view.NAME)
    seen, rows = await run_in_threadpool(
        view.unvisited, reads_of(request), today, days or 30
    )
    body = {"days": days or 30, "items": rows}
    return await report_items(request, body, seen, "unvisited.csv", UNVISITED_COLUMNS)


async def cadre_portfolio(request: Request) -> Response:
    """挂钩台账: the cadre's linked enterprises with their open and overdue
    appeals and the cadre's last visit."""
    actor = await authenticate(request)
    read_filter("links", actor)
    code = parameters.text_filter(str(request.path_params["code"]), "code") or ""
    await await_position(request, view.NAME)
    seen, rows = await run_in_threadpool(portfolio, ledger_of(request), code)
    return await report_json(request, {"cadre": code, "items": rows}, seen)


def service_link_routes() -> list[Route]:
    return [
        Route("/cadres/{code}/portfolio", cadre_portfolio, methods=["GET"]),
        Route("/projects", register_project, methods=["POST"]),
        Route("/links", link, methods=["POST"]),
        Route("/links/end", end_link, methods=["POST"]),
        Route("/visits", record_visit, methods=["POST"]),
        Route("/visits/{visit_id}", get_visit, methods=["GET"]),
        Route("/visits/{visit_id}/appeals", file_from_visit, methods=["POST"]),
        Route("/reports/visits", visit_coverage, methods=["GET"]),
        Route("/reports/unvisited", unvisited, methods=["GET"]),
    ]
