"""Supervision over HTTP: ``GET /supervision/orders`` (督办单: whom each
rung was addressed to, answered or not, while its stage runs late; filters
``unit``, ``addressee_unit``, ``addressee``, ``stage``, ``level``,
``settled=true`` for every order) and the monthly 通报: ``GET
/notices/{period}`` (published, frozen; ``?revision=N``), ``GET
/notices/{period}/preview`` (live) and ``POST /notices/{period}/publish``
(``{"reason": ...}`` to revise). Notices answer JSON, CSV or a printable page
(``?format=html``, Chinese first, with a print stylesheet). Who may read and
publish is the permissions table's (``supervision``, ``notices``,
``publish_notice``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from appeals.application.notices import Notices
from appeals.domain.permissions import read_filter
from appeals.domain.sla import Stage
from appeals.http import parameters
from appeals.http.auth import authenticate
from appeals.http.columns import shanghai_minute
from appeals.http.context import ledger_of, reads_of
from appeals.http.freshness import await_position
from appeals.http.publications import period_of, publish_response
from appeals.http.reports.query import choice
from appeals.http.requests import optional_positive_int
from appeals.http.responses import OrjsonResponse
from appeals.http.tabular import (
    page_size,
    report_items,
    table_response,
)
from appeals.projections import supervision

STAGE_NAMES = {
    Stage.DISPATCH: "接诉转办",
    Stage.FIRST_RESPONSE: "首次响应",
    Stage.ACCEPT: "签收",
    Stage.RESOLVE: "办结",
    Stage.REPLY: "反馈",
    Stage.CLOSE: "对账销号",
}
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
)


TEMPLATES.filters["minute"] = shanghai_minute


def render_notice(body: dict[str, Any]) -> str:
    """The printable page of a 通报 (published or a preview)."""
    template = TEMPLATES.get_template("notice.html")
    return template.render(**{"published_at": None, **body}, stages=STAGE_NAMES)


async def supervision_orders(request: Request) -> Response:
    actor = await authenticate(request)
    scope = read_filter("supervision", actor)
    params = request.query_params
    equals = [
        (name, value)
        for name in ("unit", "addressee_unit", "addressee", "stage")
        if (value := parameters.text_filter(params.get(name), name))
    ]
    level = parameters.whole_number(params.get("level"), "level", maximum=3)
    if level is not None:
        equals.append(("level", str(level)))
    equals += scope.equals()  # a handler: its own unit's stages
    settled = choice(request, "settled", "false", ("true", "false")) == "true"
    limit = page_size(request)
    await await_position(request, supervision.NAME)
    seen, rows = await run_in_threadpool(
        lambda: supervision.orders(
            reads_of(request), settled=settled, equals=equals, limit=limit
        )
    )
    return await report_items(
        request, {"items": rows}, seen, "supervision-orders.csv", ORDER_COLUMNS
    )


ORDER_COLUMNS = ("ticket", "stage", "due", "level", "unit", "addressee_unit",
                 "addressee", "issued_at", "reply_due", "answered_at", "answer_by",
                 "settled_at", "category", "uscc", "appeal_id")  # fmt: skip


def notices_of(request: Request) -> Notices:
    return Notices(ledger_of(request))


async def published_notice(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("notices", actor)
    period = period_of(request)
    revision = optional_positive_int(request, "revision")
    found = await run_in_threadpool(notices_of(request).published, period, revision)
    return answer(request, {**found, "published": True})


async def notice_preview(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("notices", actor)
    period = period_of(request)
    computed = await run_in_threadpool(notices_of(request).compute, period)
    return answer(request, {**computed, "published": False})


async def publish_notice(request: Request) -> Response:
    service = notices_of(request)
    return await publish_response(request, "publish_notice", service.publish, "appeals")


CSV_HEADER = (
    "ticket",
    "unit",
    "unit_name",
    "stage",
    "due",
    "noticed",
    "addressee",
    "answered",
    "settled",
)


def answer(request: Request, body: dict[str, Any]) -> Response:
    """JSON, CSV or XLSX (``format=csv|xlsx``) or the printable page
    (``format=html``)."""
    chosen = choice(request, "format", "json", ("json", "csv", "xlsx", "html"))
    position, complete = body["position"], body["complete"]
    headers = {
        "Projection-Position": str(position),
        "Projection-Complete": "true" if complete else "false",
    }
    if chosen == "html":
        return HTMLResponse(render_notice(body), headers=headers)
    if chosen in ("csv", "xlsx"):
        lines = iter(
            [
                a["ticket"],
                a["unit"],
                a["unit_name"],
                a["stage"],
                a["due"],
                a["issued_at"],
                a["addressee"] or a["addressee_unit"],
                a["answered_at"],
                a["settled_at"],
            ]
            for a in body["appeals"]
        )
        name = f"notice-{body['period']}.csv"
        return table_response(request, name, CSV_HEADER, lines, position, complete)
    return OrjsonResponse(body, headers=headers)


def supervision_routes() -> list[Route]:
    return [
        Route("/supervision/orders", supervision_orders, methods=["GET"]),
        Route("/notices/{period}", published_notice, methods=["GET"]),
        Route("/notices/{period}/preview", notice_preview, methods=["GET"]),
        Route("/notices/{period}/publish", publish_notice, methods=["POST"]),
    ]
