"""Report endpoints, answered from projections only (never by loading an
aggregate): ``GET /appeals``, ``GET /enterprises/{uscc}/ledger`` and
``GET /reports/category-month`` (docs/projections.md).

JSON by default; CSV with ``Accept: text/csv`` or ``?format=csv`` (UTF-8 with
a byte-order mark, so Excel shows Chinese correctly); a CSV export holds every
matching row, streamed page by page. Every answer carries
``Projection-Position``: the data reflects at least the log up to there.
``?position=N`` (the ``position`` a command returned) waits, at most
APPEALS_PROJECTION_WAIT_MS, for the view to reach N; if it does not, the
answer is a 503 problem with ``Retry-After`` rather than data that silently
lacks the caller's own write.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from appeals.domain.errors import NotPermitted
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import Actor, Category, Channel, Priority, Role, Status
from appeals.http.auth import authenticate
from appeals.http.bodies import invalid
from appeals.http.problems import HttpProblem
from appeals.http.routes import OrjsonResponse, ledger_of
from appeals.infra.clock import SHANGHAI
from appeals.infra.database import Database
from appeals.projections import appeal_list, category_month, enterprise_ledger
from appeals.projections.lifecycle import read_instant, stored_instant
from appeals.projections.model import Projection
from appeals.projections.runtime import wait_for
from appeals.projections.settings import ProjectionSettings
from appeals.projections.storage import LIVE, Copy, Sql, transaction
from appeals.projections.tracking import Tracking

T = TypeVar("T")
PAGE_SIZE, MAX_PAGE_SIZE, CSV_PAGE_SIZE = 50, 500, 1000
POSITION_HEADER = "Projection-Position"


def report_routes() -> list[Route]:
    return [
        Route("/appeals", list_appeals, methods=["GET"]),
        Route("/enterprises/{uscc}/ledger", enterprise_ledger_report, methods=["GET"]),
        Route("/reports/category-month", category_month_report, methods=["GET"]),
    ]


# ---- GET /appeals ----------------------------------------------------------------

APPEAL_CSV = (
    ("ticket", "ticket"),
    ("status", "status"),
    ("status_zh", None),
    ("uscc", "uscc"),
    ("enterprise_name", "enterprise_name"),
    ("channel", "channel"),
    ("category", "category"),
    ("category_zh", None),
    ("priority", "priority"),
    ("title", "title"),
    ("unit", "unit"),
    ("cadre", "cadre"),
    ("received_at", None),
    ("updated_at", None),
    ("paused", "paused"),
    ("reopen_count", "reopen_count"),
    ("return_count", "return_count"),
    ("supervision_level", "supervision_level"),
    ("needs_supervisor", "needs_supervisor"),
    ("outcome", "outcome"),
    ("satisfaction", "satisfaction"),
    ("id", "appeal_id"),
)


async def list_appeals(request: Request) -> Response:
    """The appeal list, filtered, newest first (``order=oldest`` reverses),
    scoped like single reads: a handler sees its unit's, an enterprise its own."""
    actor = authenticate(request)
    as_csv = wants_csv(request)
    params = request.query_params
    if "overdue" in params:
        raise HttpProblem(
            422,
            "not-available",
            "Not available yet",
            "overdue needs the deadlines recorded in events, which this view "
            "does not read yet (docs/projections.md)",
            parameter="overdue",
        )
    equals = [(c, v) for c in ("unit", "cadre") if (v := params.get(c))]
    for name, codes in (("category", Category), ("channel", Channel)):
        if params.get(name):
            equals.append((name, codes.parse(params[name], name).value))
    if params.get("priority"):
        priority = Priority.parse(params["priority"], "priority")
        equals.append(("priority", priority.value))
    if params.get("enterprise"):
        equals.append(("uscc", validate_uscc(params["enterprise"], "enterprise")))
    equals.extend(list_scope(actor))
    order = params.get("order", "newest")
    if order not in ("newest", "oldest"):
        raise invalid([{"field": "order", "reason": "must be newest or oldest"}])
    statuses = [s for raw in params.getlist("status") for s in raw.split(",") if s]
    query = appeal_list.ListQuery(
        equals=tuple(equals),
        statuses=tuple(Status.parse(s, "status").value for s in statuses),
        received_from=day_bound(params.get("received_from"), "received_from", 0),
        received_before=day_bound(params.get("received_to"), "received_to", 1),
        newest_first=order == "newest",
        after=read_cursor(params.get("cursor"), order),
        limit=page_size(request),
    )
    projection, database = appeal_list.PROJECTION, ledger_of(request).database
    position = await await_position(request, projection)
    table = Copy(database, projection, LIVE).qualified(appeal_list.APPEALS)
    if as_csv:
        pages = keyset_pages(
            database,
            lambda sql, after: appeal_list.select_page(
                sql, table, replace(query, after=after, limit=CSV_PAGE_SIZE)
            ),
        )
        rows = (appeal_csv_row(row) for page in pages for row in page)
        return csv_response("appeals.csv", [c for c, _ in APPEAL_CSV], rows, position)
    more = replace(query, limit=query.limit + 1)
    seen, rows = await read(
        database, projection, lambda sql: appeal_list.select_page(sql, table, more)
    )
    body = {
        "items": [appeal_item(row) for row in rows[: query.limit]],
        "next_cursor": next_cursor(rows, query.limit, order),
    }
    return json_response(body, seen)


def list_scope(actor: Actor) -> list[tuple[str, str]]:
    """The same rule as ``may_read``, as filters."""
    if actor.role is Role.HANDLER:
        return [("unit", actor.unit or "")]
    if actor.role is Role.ENTERPRISE:
        return [("uscc", actor.uscc or "")]
    if actor.role is Role.SYSTEM:
        raise NotPermitted("read", actor.role, "reports are for people")
    return []


def appeal_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["appeal_id"],
        "ticket": row["ticket"],
        "status": row["status"],
        "status_label": Status.of(row["status"]).label(),
        "enterprise": {"uscc": row["uscc"], "name": row["enterprise_name"]},
        "channel": row["channel"],
        "category": row["category"],
        "category_label": Category.of(row["category"]).label(),
        "priority": row["priority"],
        "title": row["title"],
        "unit": row["unit"],
        "cadre": row["cadre"],
        "received_at": read_instant(row["received_at"]).isoformat(),
        "updated_at": read_instant(row["updated_at"]).isoformat(),
        "paused": bool(row["paused"]),
        "extension_pending": bool(row["extension_pending"]),
        "reopen_count": row["reopen_count"],
        "return_count": row["return_count"],
        "supervision_level": row["supervision_level"],
        "needs_supervisor": bool(row["needs_supervisor"]),
        "outcome": row["outcome"],
        "satisfaction": row["satisfaction"],
        "merged_into": row["merged_into"],
        "version": row["version"],
    }


def appeal_csv_row(row: dict[str, Any]) -> list[Any]:
    derived = {
        "status_zh": Status.of(row["status"]).zh,
        "category_zh": Category.of(row["category"]).zh,
        "received_at": read_instant(row["received_at"]).isoformat(),
        "updated_at": read_instant(row["updated_at"]).isoformat(),
    }
    return [derived[c] if key is None else row[key] for c, key in APPEAL_CSV]


# ---- GET /enterprises/{uscc}/ledger ----------------------------------------------

LEDGER_CSV = (
    "ticket",
    "title",
    "status",
    "unit",
    "received_at",
    "last_activity",
    "satisfaction",
    "appeal_id",
)


async def enterprise_ledger_report(request: Request) -> Response:
    """问题台账 of one enterprise: an enterprise reads only its own, handlers
    none (their scope is a unit, not an enterprise), other roles any."""
    actor = authenticate(request)
    as_csv = wants_csv(request)
    uscc = validate_uscc(request.path_params["uscc"])
    if actor.role in (Role.HANDLER, Role.SYSTEM) or (
        actor.role is Role.ENTERPRISE and actor.uscc != uscc
    ):
        raise NotPermitted("read", actor.role, "the ledger is outside your scope")
    after, limit = (
        read_cursor(request.query_params.get("cursor"), "ledger"),
        page_size(request),
    )
    projection, database = enterprise_ledger.PROJECTION, ledger_of(request).database
    position = await await_position(request, projection)
    copy = Copy(database, projection, LIVE)
    appeals = copy.qualified(enterprise_ledger.APPEALS)
    if as_csv:
        pages = keyset_pages(
            database,
            lambda sql, after: enterprise_ledger.select_appeals(
                sql, appeals, uscc, after, CSV_PAGE_SIZE
            ),
        )
        rows = ([row[c] for c in LEDGER_CSV] for page in pages for row in page)
        return csv_response(f"ledger-{uscc}.csv", list(LEDGER_CSV), rows, position)

    def load(sql: Sql) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        summary = enterprise_ledger.select_enterprise(
            sql, copy.qualified(enterprise_ledger.ENTERPRISES), uscc
        )
        found = enterprise_ledger.select_appeals(sql, appeals, uscc, after, limit + 1)
        return summary, found

    seen, (summary, rows) = await read(database, projection, load)
    summary = summary or {}
    counts = {
        k: summary.get(k, 0) for k in enterprise_ledger.SATISFACTION_COLUMNS.values()
    }
    last = summary.get("last_activity")
    body = {
        "enterprise": {
            "uscc": uscc,
            "name": summary.get("enterprise_name"),
            "appeals": summary.get("appeals", 0),
            "open_appeals": summary.get("open_appeals", 0),
            "overdue_appeals": None,  # needs recorded deadlines (docs/projections.md)
            "last_activity": read_instant(last).isoformat() if last else None,
            "satisfaction": {**counts, "evaluations": sum(counts.values())},
        },
        "appeals": [
            {
                **{k: row[k] for k in ("ticket", "title", "status", "unit")},
                "id": row["appeal_id"],
                "status_label": Status.of(row["status"]).label(),
                "received_at": read_instant(row["received_at"]).isoformat(),
                "last_activity": read_instant(row["last_activity"]).isoformat(),
                "satisfaction": row["satisfaction"],
            }
            for row in rows[:limit]
        ],
        "next_cursor": next_cursor(rows, limit, "ledger"),
    }
    return json_response(body, seen)


# ---- GET /reports/category-month -------------------------------------------------


async def category_month_report(request: Request) -> Response:
    """Appeals received per category per month (``from``/``to``: YYYY-MM)."""
    actor = authenticate(request)
    as_csv = wants_csv(request)
    if actor.role in (Role.HANDLER, Role.ENTERPRISE, Role.SYSTEM):
        raise NotPermitted("read", actor.role, "city-wide statistics are not in scope")
    params = request.query_params
    first, last = month(params.get("from"), "from"), month(params.get("to"), "to")
    category = params.get("category")
    if category:
        category = Category.parse(category, "category").value
    projection, database = category_month.PROJECTION, ledger_of(request).database
    position = await await_position(request, projection)
    table = Copy(database, projection, LIVE).qualified(category_month.COUNTS)
    seen, rows = await read(
        database,
        projection,
        lambda sql: category_month.select_counts(
            sql, table, first=first, last=last, category=category or None
        ),
    )
    for row in rows:
        row["category_label"] = Category.of(row["category"]).label()
    if as_csv:
        lines = (
            [r["month"], r["category"], r["category_label"]["zh"], r["appeals"]]
            for r in rows
        )
        header = ["month", "category", "category_zh", "appeals"]
        return csv_response("category-month.csv", header, lines, seen)
    return json_response({"rows": rows}, seen)


# ---- shared parts ------------------------------------------------------------------


async def await_position(request: Request, projection: Projection) -> int:
    """Honours ``?position=N``: waits for the view, or answers 503."""
    raw = request.query_params.get("position")
    if raw is None:
        return 0
    if not raw.isdigit():
        raise invalid([{"field": "position", "reason": "must be a whole number"}])
    settings: ProjectionSettings = getattr(
        request.app.state, "projection_settings", ProjectionSettings()
    )
    tracking = Tracking(ledger_of(request).database)
    reached = await wait_for(tracking, projection.name, int(raw), settings.max_wait)
    if reached < int(raw):
        raise HttpProblem(
            503,
            "projection-behind",
            "The report is not up to date yet",
            f"{projection.name} has reached position {reached}, not {raw}; retry",
            headers={"Retry-After": "1", POSITION_HEADER: str(reached)},
            projection=projection.name,
            position=int(raw),
            projection_position=reached,
        )
    return reached


async def read(
    database: Database, projection: Projection, load: Callable[[Sql], T]
) -> tuple[int, T]:
    """The view's position, then the rows (so they reflect at least it)."""

    def run() -> tuple[int, T]:
        with transaction(database, write=False) as sql:
            position = Tracking(database).position_in(sql, projection.name, LIVE)
            return position, load(sql)

    return await run_in_threadpool(run)


def keyset_pages(
    database: Database,
    load: Callable[[Sql, tuple[str, str] | None], list[dict[str, Any]]],
) -> Iterator[list[dict[str, Any]]]:
    """Every page of a keyset-ordered query, one short read each."""
    after = None
    while True:
        with transaction(database, write=False) as sql:
            page = load(sql, after)
        yield page
        if len(page) < CSV_PAGE_SIZE:
            return
        after = (page[-1]["received_at"], page[-1]["appeal_id"])


def json_response(body: dict[str, Any], position: int) -> Response:
    body["position"] = position
    return OrjsonResponse(body, headers={POSITION_HEADER: str(position)})


def csv_response(
    filename: str, header: Sequence[str], rows: Iterator[Sequence[Any]], position: int
) -> Response:
    def chunks() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(header)
        for count, row in enumerate(rows, start=1):
            writer.writerow(row)
            if count % CSV_PAGE_SIZE == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()

    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            POSITION_HEADER: str(position),
        },
    )


def wants_csv(request: Request) -> bool:
    """``?format=`` wins; otherwise the Accept header's preference (JSON on a tie)."""
    chosen = request.query_params.get("format")
    if chosen is not None:
        if chosen not in ("csv", "json"):
            raise invalid([{"field": "format", "reason": "must be csv or json"}])
        return chosen == "csv"
    quality = {"text/csv": 0.0, "application/json": 0.0}
    for media_range in request.headers.get("accept", "*/*").split(","):
        media, *options = (part.strip() for part in media_range.split(";"))
        q = next((o[2:] for o in options if o.startswith("q=")), "1")
        for target in quality:
            if media in (target, target.split("/")[0] + "/*", "*/*"):
                quality[target] = max(quality[target], _float(q))
    if not any(quality.values()):
        raise HttpProblem(
            406,
            "not-acceptable",
            "Not acceptable",
            "reports are application/json or text/csv",
        )
    return quality["text/csv"] > quality["application/json"]


def _float(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        return 0.0


def page_size(request: Request) -> int:
    raw = request.query_params.get("limit", str(PAGE_SIZE))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        reason = f"must be a whole number from 1 to {MAX_PAGE_SIZE}"
        raise invalid([{"field": "limit", "reason": reason}])
    return int(raw)


def next_cursor(rows: list[dict[str, Any]], limit: int, kind: str) -> str | None:
    """Opaque: the last row's sort key (and which list it belongs to)."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    raw = orjson.dumps([last["received_at"], last["appeal_id"], kind])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_cursor(raw: str | None, kind: str) -> tuple[str, str] | None:
    if not raw:
        return None
    try:
        received_at, appeal_id, made_for = orjson.loads(
            base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        )
        read_instant(received_at)
        if made_for != kind or not isinstance(appeal_id, str):
            raise ValueError(made_for)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        reason = "is not a cursor from this list (use next_cursor as given)"
        raise invalid([{"field": "cursor", "reason": reason}]) from None
    return received_at, appeal_id


def day_bound(raw: str | None, field: str, days_after: int) -> str | None:
    """A day (Asia/Shanghai; ``received_to`` includes the whole day) or an
    instant with its offset (inclusive either way), as a stored instant."""
    if not raw:
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw) + timedelta(days=days_after)
            return stored_instant(datetime.combine(day, datetime.min.time(), SHANGHAI))
        instant = datetime.fromisoformat(raw)
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        reason = "must be a date (2026-10-08) or a time with offset"
        raise invalid([{"field": field, "reason": reason}])
    return stored_instant(instant + timedelta(microseconds=days_after))


def month(raw: str | None, field: str) -> str | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(f"{raw}-01").strftime("%Y-%m")
    except ValueError:
        raise invalid(
            [{"field": field, "reason": "must be a month (2026-10)"}]
        ) from None
