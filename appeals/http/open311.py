"""Open311 GeoReport v2 under ``/open311/v2`` (docs/domain.md; the mapping is
appeals.application.open311): every resource as ``.json`` or ``.xml``, errors
in the spec's own shape (``[{"code", "description"}]`` or
``<errors><error>``) with 400, 403 or 404.

Keys: ``api_key`` (a form field or query parameter, as the spec says) or the
usual ``Authorization: Bearer``; filing needs a key allowed to ``receive``
(an enterprise's or intake's). Reads of requests are scoped by the
permissions table like ``GET /appeals``; without a key they are refused
unless ``APPEALS_OPEN311_PUBLIC_READS`` publishes them anonymised.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appeals.application import open311, queries
from appeals.application.service import AppealLedger
from appeals.domain.errors import AppealError, AppealNotFound, InvalidField
from appeals.domain.permissions import may_read, read_filter, roles_for
from appeals.domain.values import Actor, Status
from appeals.http.context import ServiceContext, context_of
from appeals.http.problems import HttpProblem, status_of
from appeals.http.request_id import note_role
from appeals.http.requests import idempotent_request
from appeals.infra.settings import Open311Settings
from appeals.projections import catalogue as catalogue_view
from appeals.projections import open311_requests
from appeals.projections.catalogue import CatalogueQuery
from appeals.projections.lifecycle import stored_instant

PREFIX = "/open311/v2"
FORMATS = {"json": "application/json", "xml": "text/xml; charset=utf-8"}
PLURALS = {
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
    "endpoints": "endpoint",
    "formats": "format",
}
"""XML: a list under key K holds elements named PLURALS[K]."""
OPEN_STATUSES = tuple(s.value for s in Status if s.value not in open311.CLOSED)


class Open311Error(Exception):
    """An error the spec's way: its HTTP code and a description."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code, self.description = code, description


# ---- rendering ------------------------------------------------------------------


def render(
    fmt: str, root: str, item: str | None, body: Any, status: int = 200
) -> Response:
    """``body`` as JSON, or as XML under ``<root>`` (a list: one ``<item>``
    per element)."""
    if fmt == "json":
        data = orjson.dumps(body, option=orjson.OPT_APPEND_NEWLINE)
        return Response(data, status, media_type=FORMATS["json"])
    element = ET.Element(root)
    if isinstance(body, list):
        assert item is not None
        for entry in body:
            _fill(ET.SubElement(element, item), entry)
    else:
        _fill(element, body)
    payload = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return Response(payload, status, media_type=FORMATS["xml"])


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(ET.SubElement(element, key), inner)
    elif isinstance(value, list):
        name = PLURALS.get(element.tag, "item")
        for inner in value:
            _fill(ET.SubElement(element, name), inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def errors(fmt: str, code: int, description: str) -> Response:
    body = [{"code": code, "description": description}]
    return render(fmt, "errors", "error", body, status=code)


Handler = Callable[[Request, str], Awaitable[Response]]


def spec_errors(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Runs ``handler`` with the format from the path; every refusal becomes
    the spec's error shape."""

    async def endpoint(request: Request) -> Response:
        fmt = request.path_params.get("format", "")
        if fmt not in FORMATS:
            return errors("json", 404, f"no such format {fmt!r}: use .json or .xml")
        try:
            check_jurisdiction(request, context_of(request).open311)
            return await handler(request, fmt)
        except Open311Error as error:
            return errors(fmt, error.code, error.description)
        except InvalidField as error:
            return errors(fmt, 400, f"{error.field}: {error.reason}")
        except AppealError as error:
            code, _ = status_of(error)
            code = code if code in (403, 404) else 400
            return errors(fmt, code, str(error))
        except HttpProblem as problem:
            code = problem.status if problem.status in (403, 404) else 400
            return errors(fmt, code, problem.detail)
        except StarletteHTTPException as refused:  # a form it cannot parse
            return errors(fmt, 400, str(refused.detail))

    return endpoint


def check_jurisdiction(request: Request, settings: Open311Settings) -> None:
    given = (request.query_params.get("jurisdiction_id") or "").strip()
    if given and given != settings.jurisdiction:
        raise Open311Error(404, f"jurisdiction_id {given!r} is not served here")


# ---- keys -----------------------------------------------------------------------


async def principal(request: Request, api_key: str | None) -> Actor | None:
    """The actor behind ``api_key`` or a bearer header; None if neither."""
    header = request.headers.get("authorization", "")
    scheme, _, bearer = header.partition(" ")
    key = (api_key or "").strip() or (
        bearer.strip() if scheme.lower() == "bearer" else ""
    )
    if not key:
        return None
    info = await run_in_threadpool(context_of(request).tokens.verify, key)
    if info is None:
        raise Open311Error(403, "api_key is unknown or revoked")
    note_role(request.scope, info.actor().role.value)  # for the access line
    return info.actor()


# ---- discovery and services -----------------------------------------------------


@spec_errors
async def discovery(request: Request, fmt: str) -> Response:
    base = str(request.base_url).rstrip("/") + PREFIX
    body = {
        "changeset": "2026-12-01T00:00:00+08:00",
        "contact": "12345政务服务便民热线 (call 12345)",
        "key_service": "api_key: a token from `appeals tokens create`",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": "2026-12-01T00:00:00+08:00",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", None, body)


@spec_errors
async def services(request: Request, fmt: str) -> Response:
    database = context_of(request).ledger.database
    query = CatalogueQuery(limit=10_000)
    _, rows = await run_in_threadpool(catalogue_view.read_items, database, query)
    body = [open311.service(row) for row in rows[: query.limit]]
    return render(fmt, "services", "service", body)


@spec_errors
async def service_definition(request: Request, fmt: str) -> Response:
    code = request.path_params["code"]
    entry = context_of(request).ledger.rules.directory.catalogue_item(code)
    if entry is None or entry.retired:
        raise Open311Error(404, f"no service {code!r}")
    return render(fmt, "service_definition", None, open311.definition(entry))


# ---- requests -------------------------------------------------------------------


async def requests_collection(request: Request) -> Response:
    if request.method == "POST":
        return await file_request(request)
    return await list_requests(request)


@spec_errors
async def file_request(request: Request, fmt: str) -> Response:
    context = context_of(request)
    form = await request.form(max_files=0, max_fields=64, max_part_size=64 * 1024)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    await form.close()
    actor = await principal(request, fields.get("api_key"))
    if actor is None:
        raise Open311Error(403, "api_key is required to file a request")
    if actor.role not in roles_for("receive"):
        raise Open311Error(403, f"a {actor.role.value} key may not file requests")
    given = fields.get("jurisdiction_id", "").strip()
    if given and given != context.open311.jurisdiction:
        raise Open311Error(404, f"jurisdiction_id {given!r} is not served here")
    code = fields.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code: is required")
    entry = context.ledger.rules.directory.catalogue_item(code)
    if entry is None or entry.retired:
        raise Open311Error(404, f"no service {code!r}")
    command = open311.receipt(open311.Filing(fields), entry, actor)
    body = {k: v for k, v in fields.items() if k != "api_key"}
    idempotency = idempotent_request(request, actor, body)
    ledger = context.ledger
    result = await run_in_threadpool(ledger.receive_appeal, command, actor, idempotency)
    view = await run_in_threadpool(
        queries.appeal_at, ledger, result.appeal_id, result.version
    )
    answer = [
        {
            "service_request_id": view.ticket,
            "service_notice": open311.notice(view),
            "account_id": None,
        }
    ]
    return render(fmt, "service_requests", "request", answer)


@spec_errors
async def list_requests(request: Request, fmt: str) -> Response:
    context = context_of(request)
    params = request.query_params
    actor = await reader(request, context)
    extended = params.get("extensions", "").strip() == "true"
    tickets = _list(params.get("service_request_id"))
    ledger = context.ledger
    if tickets:
        views = await run_in_threadpool(_by_tickets, ledger, tickets, actor)
        facts = [open311.facts_of_view(view) for view in views]
    else:
        query = _list_query(params, actor, ledger.clock.now())
        facts = await run_in_threadpool(_listed, ledger, query)
    body = await run_in_threadpool(_requests, context, facts, actor, extended)
    return render(fmt, "service_requests", "request", body)


@spec_errors
async def get_request(request: Request, fmt: str) -> Response:
    context = context_of(request)
    actor = await reader(request, context)
    ticket = request.path_params["ticket"]
    extended = request.query_params.get("extensions", "").strip() == "true"
    views = await run_in_threadpool(_by_tickets, context.ledger, [ticket], actor)
    if not views:
        raise Open311Error(404, f"no service request {ticket!r}")
    facts = [open311.facts_of_view(views[0])]
    body = await run_in_threadpool(_requests, context, facts, actor, extended)
    return render(fmt, "service_requests", "request", body)


async def reader(request: Request, context: ServiceContext) -> Actor | None:
    """The key's actor (scoped by the ``appeals`` read), None for an
    anonymous reader where public reads are on; else a 403."""
    actor = await principal(request, request.query_params.get("api_key"))
    if actor is None:
        if context.open311.public_reads:
            return None
        raise Open311Error(403, "api_key is required to read service requests")
    read_filter("appeals", actor)  # refuses a role that may not list appeals
    return actor


def _list(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def _instant(raw: str | None, name: str) -> datetime | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidField(name, "must be a W3C date-time") from None
    if instant.tzinfo is None:
        raise InvalidField(name, "must carry an offset (Z or +08:00)")
    return instant


def _list_query(
    params: Any, actor: Actor | None, now: datetime
) -> open311_requests.RequestQuery:
    start, end = open311.window(
        _instant(params.get("start_date"), "start_date"),
        _instant(params.get("end_date"), "end_date"),
        now,
    )
    statuses: list[str] = []
    for status in _list(params.get("status")):
        if status == "open":
            statuses.extend(OPEN_STATUSES)
        elif status == "closed":
            statuses.extend(sorted(open311.CLOSED))
        else:
            raise InvalidField("status", "must be open or closed")
    scope = () if actor is None else tuple(read_filter("appeals", actor).equals())
    return open311_requests.RequestQuery(
        received_from=stored_instant(start),
        received_before=stored_instant(end),
        limit=open311.MAX_REQUESTS,
        statuses=tuple(statuses),
        codes=tuple(_list(params.get("service_code"))),
        equals=scope,
    )


def _listed(
    ledger: AppealLedger, query: open311_requests.RequestQuery
) -> list[open311.RequestFacts]:
    """The requests from the Open311 view: one query, no history read."""
    _, rows = open311_requests.read_requests(ledger.database, query)
    return [open311.facts_of_row(row) for row in rows]


def _by_tickets(
    ledger: AppealLedger, tickets: list[str], actor: Actor | None
) -> list[queries.AppealView]:
    views = []
    for ticket in tickets[: open311.MAX_REQUESTS]:
        try:
            view = queries.appeal_by_ticket(ledger, ticket)
        except (AppealNotFound, InvalidField):
            continue
        if actor is None or may_read(actor, unit=view.unit, uscc=view.uscc):
            views.append(view)  # another's looks like a missing one
    return views


def _requests(
    context: ServiceContext,
    facts: list[open311.RequestFacts],
    actor: Actor | None,
    extended: bool,
) -> list[dict[str, Any]]:
    ledger = context.ledger
    directory = context.names  # a thousand requests name a few dozen
    return [
        open311.service_request(
            one,
            directory,
            disclosed=actor is not None,
            history=ledger.history(one.id) if extended else None,
        )
        for one in facts
    ]


def open311_routes() -> list[Route]:
    return [
        Route(PREFIX + "/discovery.{format}", discovery),
        Route(PREFIX + "/services.{format}", services),
        Route(PREFIX + "/services/{code}.{format}", service_definition),
        Route(
            PREFIX + "/requests.{format}",
            requests_collection,
            methods=["GET", "POST"],
        ),
        Route(PREFIX + "/requests/{ticket}.{format}", get_request),
    ]
