"""The routing catalogue over HTTP (派单目录): list, search and read items
from the catalogue view (appeals.projections.catalogue); publish, revise,
retire and reinstate them through the catalogue service
(appeals.application.catalogue).

``GET /catalogue`` lists items in code order (``category``, ``kind``,
``unit`` = lead or co-handling unit, ``include_retired``; ``after`` and
``limit`` page it); with ``q`` it searches instead, best match first, each
item with its ``score`` and ``matched`` terms. ``GET /catalogue/{code}``
answers the item now or at ``?version=N``. Reads wait for ``?position=N``
like every report. Who may read and change the catalogue is the permissions
table's (the ``catalogue`` read; ``*_catalogue_item`` commands).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appeals.application.catalogue import Catalogue, ItemResult, checked_catalogue
from appeals.domain.catalogue import (
    CODE,
    CatalogueItem,
    CatalogueItemNotFound,
    Publish,
    Reinstate,
    Retire,
    Revise,
    parse_command,
)
from appeals.domain.permissions import read_filter
from appeals.domain.values import AppealKind, Category
from appeals.http.auth import authenticate
from appeals.http.context import ledger_of, reads_of
from appeals.http.freshness import await_position
from appeals.http.parameters import MAX_FILTER_LENGTH, refuse, text_filter
from appeals.http.reports.query import choice
from appeals.http.requests import optional_positive_int, read_body
from appeals.http.responses import OrjsonResponse
from appeals.http.tabular import list_page, page_cursor, page_size, report_json
from appeals.projections import catalogue as view
from appeals.projections.lifecycle import read_instant

SEARCH_LIMIT = 20
"""Search results when ``limit`` is not given."""


def catalogue_of(request: Request) -> Catalogue:
    """The catalogue service over the request's ledger: lead and co-handling
    units must be registered units in service."""
    return checked_catalogue(ledger_of(request))


# ---- reads ------------------------------------------------------------------


async def catalogue_collection(request: Request) -> Response:
    """``/catalogue``: GET lists or searches, POST publishes; one route, so
    a wrong method's 405 lists both in ``Allow``."""
    if request.method == "POST":
        return await publish(request)
    return await list_catalogue(request)


async def list_catalogue(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("catalogue", actor)  # everyone who signs in, or refused
    params = request.query_params
    category = params.get("category") or None
    kind = params.get("kind") or None
    query = view.CatalogueQuery(
        category=None if category is None else Category.parse(category, "category"),
        kind=None if kind is None else AppealKind.parse(kind, "kind"),
        unit=code_filter(params.get("unit"), "unit"),
        include_retired=choice(request, "include_retired", "false", ("true", "false"))
        == "true",
        after=code_filter(*page_cursor(params, "after")[::-1]),
        limit=page_size(request),
    )
    text = text_filter(params.get("q"), "q")
    database = reads_of(request)
    await await_position(request, view.PROJECTION.name)
    if text is not None:
        if query.include_retired or query.after is not None:
            raise refuse("q", "a search finds items in force, one page: no "
                         "include_retired or after")  # fmt: skip
        limit = SEARCH_LIMIT if params.get("limit") is None else query.limit
        seen, hits = await run_in_threadpool(view.search, database, text, limit, query)
        items = [
            {**item_json(hit.item), "score": hit.score, "matched": list(hit.matched)}
            for hit in hits
        ]
        return await report_json(request, {"query": text, "items": items}, seen)
    seen, rows = await run_in_threadpool(view.read_items, database, query)
    page = rows[: query.limit]
    more = len(rows) > query.limit
    body = list_page(
        [item_json(row) for row in page], page[-1]["code"] if more else None
    )
    return await report_json(request, body, seen)


async def get_item(request: Request) -> Response:
    """One item now, or as its version ``?version=N`` said."""
    actor = await authenticate(request)
    read_filter("catalogue", actor)
    code = path_code(request)
    version = optional_positive_int(request, "version")
    await await_position(request, view.PROJECTION.name)
    database = reads_of(request)
    seen, row = await run_in_threadpool(view.read_item, database, code, version)
    if row is None:
        raise CatalogueItemNotFound(code, version)
    return await report_json(request, item_json(row), seen)


def code_filter(raw: str | None, field: str) -> str | None:
    """A unit or item code to filter by, or a 422."""
    value = text_filter(raw, field)
    if value is not None and CODE.fullmatch(value) is None:
        raise refuse(field, "must be a code like SZ-TAX (letters, digits, . _ -)")
    return value


def path_code(request: Request) -> str:
    """The item code in the path; one that cannot be a code is not found."""
    code = str(request.path_params["code"])
    if len(code) > MAX_FILTER_LENGTH or CODE.fullmatch(code) is None:
        raise CatalogueItemNotFound(code[:MAX_FILTER_LENGTH])
    return code


def item_json(row: dict[str, Any]) -> dict[str, Any]:
    """An item (a view row, or an aggregate's ``record``) labelled for people."""
    body = {
        name: row[name]
        for name in ("code", "version", *view.CONTENT_COLUMNS, "retired")
    }
    body["kind_label"] = AppealKind.of(row["kind"]).label()
    body["category_label"] = Category.of(row["category"]).label()
    body["retired_reason"] = row.get("retired_reason")
    for name in ("versions",):
        if name in row:
            body[name] = row[name]
    for name in ("published_at", "revised_at"):
        if name in row:
            body[name] = read_instant(row[name]).isoformat()
    return body


# ---- changes ----------------------------------------------------------------


async def publish(request: Request) -> Response:
    """``POST /catalogue``: 201 with version 1 of a new item."""
    actor = await authenticate(request)
    command = parse_command(Publish, await read_body(request))
    catalogue = catalogue_of(request)
    result = await run_in_threadpool(catalogue.publish, command, actor)
    return await change_response(request, catalogue, result, 201)


async def revise(request: Request) -> Response:
    """``POST /catalogue/{code}/revise``: the full new content (200; nothing
    recorded, ``changed`` false, when it equals the current version)."""
    actor = await authenticate(request)
    code = path_code(request)
    command = parse_command(Revise, await read_body(request))
    catalogue = catalogue_of(request)
    result = await run_in_threadpool(catalogue.revise, code, command, actor)
    return await change_response(request, catalogue, result, 200)


async def retire(request: Request) -> Response:
    actor = await authenticate(request)
    code = path_code(request)
    command = parse_command(Retire, await read_body(request))
    catalogue = catalogue_of(request)
    result = await run_in_threadpool(catalogue.retire, code, command, actor)
    return await change_response(request, catalogue, result, 200)


async def reinstate(request: Request) -> Response:
    actor = await authenticate(request)
    code = path_code(request)
    command = parse_command(Reinstate, await read_body(request))
    catalogue = catalogue_of(request)
    result = await run_in_threadpool(catalogue.reinstate, code, command, actor)
    return await change_response(request, catalogue, result, 200)


async def change_response(
    request: Request, catalogue: Catalogue, result: ItemResult, status: int
) -> Response:
    """The item as the change left it (read from the store, not the view),
    with ``changed`` and the ``position`` to wait for on the view."""
    item = await run_in_threadpool(catalogue.item, result.code)
    assert item is not None
    body = item_json(record(item))
    body["changed"] = result.changed
    body["position"] = result.position
    response = OrjsonResponse(body, status_code=status)
    response.headers["Location"] = f"/catalogue/{result.code}"
    return response


def record(item: CatalogueItem) -> dict[str, Any]:
    """The aggregate's current version as a row of the view would hold it."""
    return {
        "code": item.code,
        "version": item.content_version,
        **item.content.as_record(),
        "retired": item.retired,
        "retired_reason": item.retired_reason,
        "versions": item.content_version,
    }


def catalogue_routes() -> list[Route]:
    """The catalogue's routes (the collection, one item, its changes)."""
    return [
        Route("/catalogue", catalogue_collection, methods=["GET", "POST"]),
        Route("/catalogue/{code}", get_item, methods=["GET"]),
        Route("/catalogue/{code}/revise", revise, methods=["POST"]),
        Route("/catalogue/{code}/retire", retire, methods=["POST"]),
        Route("/catalogue/{code}/reinstate", reinstate, methods=["POST"]),
    ]
