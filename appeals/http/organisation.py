"""The organisation's registries over HTTP (master data): units, cadres and
enterprises.

Reads come from the directory view (appeals.projections.directory): ``GET
/units``, ``/cadres`` and ``/enterprises`` list in code order with filters,
paged by ``cursor`` (the previous page's ``next``; ``after``, its older name,
still works) and ``limit``; ``GET
/units/{code}``, ``/cadres/{code}`` (with its postings) and
``/enterprises/{uscc}`` read one. Every read honours ``?position=N`` like the
reports. Changes go through the registry service
(appeals.application.registry): ``POST /units`` registers, ``POST
/units/{code}/{verb}`` changes (likewise cadres and enterprises); each answers
the record as the store holds it after the change, with ``changed`` (false
when nothing needed recording) and the ``position`` to wait for. Who may
read and change what is the permissions table's (the ``units``, ``cadres``
and ``enterprises`` reads; the ``*_unit``, ``*_cadre``, ``*_enterprise``
commands); an enterprise reads only its own record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appeals.application.registry import RecordResult, Registry
from appeals.domain.divisions import division_name
from appeals.domain.errors import InvalidCreditCode, NotPermitted
from appeals.domain.organisation import (
    CHANGES,
    CODE,
    REGISTRATIONS,
    Cadre,
    CadreRole,
    Change,
    EnterpriseSize,
    Record,
    RecordNotFound,
    Registration,
    ServiceList,
    Unit,
    UnitKind,
    parse_command,
)
from appeals.domain.permissions import authorize, read_filter
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import Actor
from appeals.http.auth import authenticate
from appeals.http.context import ledger_of, reads_of
from appeals.http.freshness import await_position
from appeals.http.parameters import MAX_FILTER_LENGTH, refuse, text_filter
from appeals.http.reports.query import choice
from appeals.http.requests import read_body
from appeals.http.responses import OrjsonResponse
from appeals.http.tabular import list_page, page_cursor, page_size, report_json
from appeals.projections import directory as view
from appeals.projections.lifecycle import read_instant, stored_instant

Endpoint = Callable[[Request], Awaitable[Response]]
COLLECTIONS = {"unit": "units", "cadre": "cadres", "enterprise": "enterprises"}
"""Each kind of record's collection: its path and its row of ``READS``."""

# ---- reads ------------------------------------------------------------------------


async def list_units(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("units", actor)  # everyone who signs in, or refused
    params = request.query_params
    kind = params.get("kind") or None
    query = view.UnitQuery(
        kind=None if kind is None else UnitKind.parse(kind, "kind").value,
        parent=code_filter(params.get("parent"), "parent"),
        include_retired=flag(request, "include_retired"),
        after=code_filter(*page_cursor(params, "after")[::-1]),
        limit=page_size(request),
    )
    await await_position(request, view.PROJECTION.name)
    database = reads_of(request)
    seen, rows = await run_in_threadpool(view.read_units, database, query)
    return await page(request, rows, query.limit, "code", unit_json, seen)


async def list_cadres(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("cadres", actor)
    params = request.query_params
    role = params.get("role") or None
    query = view.CadreQuery(
        unit=code_filter(params.get("unit"), "unit"),
        role=None if role is None else CadreRole.parse(role, "role").value,
        include_retired=flag(request, "include_retired"),
        after=code_filter(*page_cursor(params, "after")[::-1]),
        limit=page_size(request),
    )
    await await_position(request, view.PROJECTION.name)
    database = reads_of(request)
    seen, rows = await run_in_threadpool(view.read_cadres, database, query)
    return await page(request, rows, query.limit, "code", cadre_json, seen)


async def list_enterprises(request: Request) -> Response:
    """Enterprises, filtered; an enterprise sees only its own."""
    actor = await authenticate(request)
    scope = read_filter("enterprises", actor)
    params = request.query_params
    service_list = params.get("service_list") or None
    query = view.EnterpriseQuery(
        locality=locality_filter(params.get("locality")),
        park=text_filter(params.get("park"), "park"),
        service_list=None
        if service_list is None
        else ServiceList.parse(service_list, "service_list").value,
        name=text_filter(params.get("name"), "name"),
        uscc=scope.uscc,
        after=code_filter(*page_cursor(params, "after")[::-1], credit_code=True),
        limit=page_size(request),
    )
    await await_position(request, view.PROJECTION.name)
    database = reads_of(request)
    seen, rows = await run_in_threadpool(view.read_enterprises, database, query)
    return await page(request, rows, query.limit, "uscc", enterprise_json, seen)


async def get_unit(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("units", actor)
    code = path_code(request, "unit")
    await await_position(request, view.PROJECTION.name)
    database = reads_of(request)
    seen, row = await run_in_threadpool(view.read_unit, database, code)
    if row is None:
        raise RecordNotFound("unit", code)
    return await report_json(request, unit_json(row), seen)


async def get_cadre(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("cadres", actor)
    code = path_code(request, "cadre")
    await await_position(request, view.PROJECTION.name)
    database = reads_of(request)
    seen, row = await run_in_threadpool(view.read_cadre, database, code)
    if row is None:
        raise RecordNotFound("cadre", code)
    return await report_json(request, cadre_json(row), seen)


async def get_enterprise(request: Request) -> Response:
    """One enterprise; another enterprise's record is refused before it is
    looked up, so a refusal tells nothing of whether it is registered."""
    actor = await authenticate(request)
    scope = read_filter("enterprises", actor)
    uscc = path_code(request, "enterprise")
    if not scope.admits(unit=None, uscc=uscc):
        raise NotPermitted("read enterprises", actor.role, "it is not your own")
    await await_position(request, view.PROJECTION.name)
    database = reads_of(request)
    seen, row = await run_in_threadpool(view.read_enterprise, database, uscc)
    if row is None:
        raise RecordNotFound("enterprise", uscc)
    return await report_json(request, enterprise_json(row), seen)


async def page(
    request: Request,
    rows: list[dict[str, Any]],
    limit: int,
    key: str,
    render: Callable[[dict[str, Any]], dict[str, Any]],
    seen: int,
) -> Response:
    """A page of a list (``rows`` holds one row more when a next page exists)."""
    shown = rows[:limit]
    more = len(rows) > limit
    body = list_page([render(row) for row in shown], shown[-1][key] if more else None)
    return await report_json(request, body, seen)


def flag(request: Request, name: str) -> bool:
    return choice(request, name, "false", ("true", "false")) == "true"


def code_filter(
    raw: str | None, field: str, *, credit_code: bool = False
) -> str | None:
    """A unit's or cadre's code (or, with ``credit_code``, a credit code) to
    filter by, or a 422."""
    value = text_filter(raw, field)
    if value is None:
        return None
    if credit_code:
        if not (value.isascii() and value.isalnum() and len(value) <= 18):
            raise refuse(field, "must be a credit code (18 letters or digits)")
        return value
    if CODE.fullmatch(value) is None:
        raise refuse(field, "must be a code like SZ-TAX (letters, digits, . _ -)")
    return value


def locality_filter(raw: str | None) -> str | None:
    value = text_filter(raw, "locality")
    if value is not None and not (
        value.isascii() and value.isdigit() and len(value) == 6
    ):
        raise refuse("locality", "must be a GB/T 2260 code of six digits, like 320583")
    return value


def path_code(request: Request, record: str) -> str:
    """The record's code in the path; one that cannot be a code is not
    found (a credit code is normalised: upper case)."""
    raw = str(request.path_params["uscc" if record == "enterprise" else "code"])
    shown = raw[:MAX_FILTER_LENGTH]
    if record == "enterprise":
        try:
            return validate_uscc(raw)
        except InvalidCreditCode:
            raise RecordNotFound(record, shown) from None
    if CODE.fullmatch(raw) is None:
        raise RecordNotFound(record, shown)
    return raw


# ---- rendering -----------------------------------------------------------------------


def _instant(value: str) -> str:
    return read_instant(value).isoformat()


def _division(code: str | None) -> dict[str, str] | None:
    names = None if code is None else division_name(code)
    return None if names is None else {"zh": names[0], "en": names[1]}


def _label(codes: Any, value: str | None) -> dict[str, str] | None:
    return None if value is None else dict(codes.of(value).label())


def unit_json(row: dict[str, Any]) -> dict[str, Any]:
    """A unit (a view row, or :func:`record_row` of the aggregate)."""
    return {
        "code": row["code"],
        "name_zh": row["name_zh"],
        "name_en": row["name_en"],
        "kind": row["kind"],
        "kind_label": UnitKind.of(row["kind"]).label(),
        "parent": row["parent"],
        "locality": row["locality"],
        "locality_name": _division(row["locality"]),
        "retired": bool(row["retired"]),
        "retired_reason": row["retired_reason"],
        "version": row["version"],
        "registered_at": _instant(row["registered_at"]),
        "updated_at": _instant(row["updated_at"]),
    }


def cadre_json(row: dict[str, Any]) -> dict[str, Any]:
    """A cadre; with its ``postings`` when the row has them (one cadre)."""
    roles = view.split_roles(row["roles"])
    body: dict[str, Any] = {
        "code": row["code"],
        "name": row["name"],
        "unit": row["unit"],
        "since": row["since"],
        "roles": roles,
        "role_labels": [CadreRole.of(role).label() for role in roles],
        "retired": bool(row["retired"]),
        "retired_reason": row["retired_reason"],
        "version": row["version"],
        "registered_at": _instant(row["registered_at"]),
        "updated_at": _instant(row["updated_at"]),
    }
    if "postings" in row:
        body["postings"] = row["postings"]
    return body


def enterprise_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "uscc": row["uscc"],
        "name": row["name"],
        "locality": row["locality"],
        "locality_name": _division(row["locality"]),
        "locality_overridden": bool(row["locality_overridden"]),
        "park": row["park"],
        "size": row["size"],
        "size_label": _label(EnterpriseSize, row["size"]),
        "foreign_invested": bool(row["foreign_invested"]),
        "service_list": row["service_list"],
        "service_list_label": _label(ServiceList, row["service_list"]),
        "version": row["version"],
        "registered_at": _instant(row["registered_at"]),
        "updated_at": _instant(row["updated_at"]),
    }


def record_row(record: Record) -> dict[str, Any]:
    """The aggregate as a row of the directory view would hold it."""
    common = {
        "version": record.version,
        "registered_at": stored_instant(record.created_on),
        "updated_at": stored_instant(record.modified_on),
    }
    if isinstance(record, Unit):
        return {
            "code": record.code,
            "name_zh": record.name_zh,
            "name_en": record.name_en,
            "kind": record.kind,
            "parent": record.parent,
            "locality": record.locality,
            "retired": record.retired,
            "retired_reason": record.retired_reason,
            **common,
        }
    if isinstance(record, Cadre):
        return {
            "code": record.code,
            "name": record.name,
            "unit": record.unit,
            "since": record.since.isoformat(),
            "roles": view.ROLE_SEPARATOR.join(record.roles),
            "retired": record.retired,
            "retired_reason": record.retired_reason,
            "postings": [
                {
                    "unit": p.unit,
                    "since": p.since.isoformat(),
                    "until": None if p.until is None else p.until.isoformat(),
                }
                for p in record.postings
            ],
            **common,
        }
    return {
        "uscc": record.uscc,
        "name": record.name,
        "locality": record.locality,
        "locality_overridden": record.locality_overridden,
        "park": record.park,
        "size": record.size,
        "foreign_invested": record.foreign_invested,
        "service_list": record.service_list,
        **common,
    }


RENDER: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "unit": unit_json,
    "cadre": cadre_json,
    "enterprise": enterprise_json,
}


# ---- changes -----------------------------------------------------------------------


def registration(command_class: type[Registration]) -> Endpoint:
    """``POST /units`` (``/cadres``, ``/enterprises``): 201 with the record."""

    async def register(request: Request) -> Response:
        actor = await authenticate(request)
        permitted(actor, command_class.permission)
        command = parse_command(command_class, await read_body(request))
        registry = Registry(ledger_of(request))
        result = await run_in_threadpool(registry.register, command, actor)
        return record_response(result, command_class.record, 201)

    return register


def change(command_class: type[Change]) -> Endpoint:
    """``POST /units/{code}/{verb}`` and the like: 200 with the record."""

    async def run(request: Request) -> Response:
        actor = await authenticate(request)
        permitted(actor, command_class.permission)
        code = path_code(request, command_class.record)
        command = parse_command(command_class, await read_body(request))
        registry = Registry(ledger_of(request))
        result = await run_in_threadpool(registry.change, code, command, actor)
        return record_response(result, command_class.record, 200)

    return run


def permitted(actor: Actor, permission: str) -> None:
    """Refused (403) before anything is read: who may is the table's answer."""
    authorize(permission, actor, unit=None, uscc=None)


def record_response(result: RecordResult, record: str, status: int) -> Response:
    """The record as the store holds it after the change, with ``changed``
    and the ``position`` to wait for on the directory view."""
    body = RENDER[record](record_row(result.record))
    body["changed"] = result.changed
    body["position"] = result.position
    response = OrjsonResponse(body, status_code=status)
    response.headers["Location"] = f"/{COLLECTIONS[record]}/{result.record.code}"
    return response


def collection(list_records: Endpoint, register: Endpoint) -> Endpoint:
    """One route for GET (list) and POST (register), so that a wrong
    method's 405 lists both in ``Allow``."""

    async def endpoint(request: Request) -> Response:
        if request.method == "POST":
            return await register(request)
        return await list_records(request)

    return endpoint


LISTS: dict[str, Endpoint] = {
    "unit": list_units,
    "cadre": list_cadres,
    "enterprise": list_enterprises,
}
SINGLE_READS: dict[str, Endpoint] = {
    "unit": get_unit,
    "cadre": get_cadre,
    "enterprise": get_enterprise,
}


def organisation_routes() -> list[Route]:
    """Each registry's collection, its records and their changes."""
    routes = []
    for record, name in COLLECTIONS.items():
        key = "{uscc}" if record == "enterprise" else "{code}"
        register = registration(REGISTRATIONS[record])
        routes.append(
            Route(
                f"/{name}",
                collection(LISTS[record], register),
                methods=["GET", "POST"],
            )
        )
        routes.append(Route(f"/{name}/{key}", SINGLE_READS[record], methods=["GET"]))
        routes += [
            Route(f"/{name}/{key}/{command.verb}", change(command), methods=["POST"])
            for command in CHANGES[record]
        ]
    return routes
