"""The OpenAPI paths of the read side: the appeal list, reports, the
enterprise ledger, histories and the event feed (appeals.http.openapi joins
them to the command paths)."""

from __future__ import annotations

from typing import Any

from appeals.domain.late_stages import LATE_STAGES
from appeals.domain.permissions import READS
from appeals.domain.values import Category, Channel, Priority
from appeals.http.openapi_schemas import ref
from appeals.http.parameters import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_CURSOR_LENGTH,
    MAX_FILTER_LENGTH,
    MAX_POSITION,
)
from appeals.http.tabular import MAX_PAGE_SIZE, XLSX

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
REPORT_ERRORS = (401, 403, 406, 422, 503)


def _problems(*statuses: int) -> dict[str, Any]:
    reasons = {
        401: "Missing or bad credentials",
        403: "Outside the principal's scope",
        404: "No such appeal",
        406: "Neither JSON, CSV nor XLSX is acceptable to the client",
        422: "Invalid query parameter (field and reason)",
        503: "?position=N not reached in time (Retry-After)",
    }
    return {
        str(s): {
            "description": reasons[s],
            "content": {"application/problem+json": {"schema": PROBLEM_REF}},
        }
        for s in statuses
    }


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    parameter: dict[str, Any] = {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
    }
    if description:
        parameter["description"] = description
    return parameter


STRING = {"type": "string"}
YEARS = f"{FIRST_YEAR} to {LAST_YEAR}"
DAY = {
    "type": "string",
    "format": "date",
    "pattern": r"^(20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
    "description": f"a day, in the years {YEARS}",
}
MONTH = {
    "type": "string",
    "pattern": r"^20[0-9]{2}-(0[1-9]|1[0-2])$",
    "description": f"YYYY-MM, in the years {YEARS}",
}
INSTANT = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^20[0-9]{2}-",
    "maxLength": 40,
    "description": f"ISO 8601 with an offset, in the years {YEARS}",
}
FILTER = {
    "type": "string",
    "maxLength": MAX_FILTER_LENGTH,
    "pattern": r"^[^\x00-\x1f\x7f]*$",
}
CREDIT_CODE_PATTERN = r"^[0-9A-HJ-NP-RTUWXY]{18}$"
CREDIT_CODE = {"type": "string", "pattern": CREDIT_CODE_PATTERN, "minLength": 18,
               "maxLength": 18}  # fmt: skip
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": r'^(W/)?"[1-9][0-9]{0,17}"$'},
    "description": "The ETag of the read this command is "
    "based on; a stale one is refused with 412.",
}
CURSOR = {
    "type": "string",
    "maxLength": MAX_CURSOR_LENGTH,
    "pattern": "^[A-Za-z0-9_-]*$",
}
POSITION = _query(
    "position",
    {"type": "integer", "minimum": 0, "maximum": MAX_POSITION},
    "Wait (bounded) until the view has taken the log up to this position.",
)
FORMAT = _query(
    "format",
    {"type": "string", "enum": ["json", "csv", "xlsx"]},
    "json (default), csv (UTF-8 with BOM, every matching row) or xlsx (typed "
    "cells); without it the Accept header chooses, JSON on a tie.",
)
LANG = _query(
    "lang",
    {"type": "string", "enum": ["zh", "en"]},
    "The language of the CSV or XLSX header row: zh (default) or en.",
)
TABLES: dict[str, Any] = {
    "text/csv": {
        "schema": {"type": "string"},
        "example": "工单号,状态\r\n20260901-000001,已受理\r\n",
    },
    XLSX: {"schema": {"type": "string", "format": "binary"}},
}
"""A report's table answers: CSV and XLSX, Chinese headers unless lang=en."""


def _report(
    read: str,
    summary: str,
    parameters: list[dict[str, Any]],
    body: dict[str, Any],
) -> dict[str, Any]:
    """A report's GET (JSON or CSV), naming the roles its ``READS`` row admits."""
    content: dict[str, Any] = {
        "application/json": {"schema": stating_position(body)},
        **TABLES,
    }
    return {
        "get": {
            "summary": summary,
            "description": _readers(read),
            "parameters": [*parameters, POSITION, FORMAT, LANG],
            "responses": {
                "200": {
                    "description": summary,
                    "headers": POSITION_HEADERS,
                    "content": content,
                },
                **_problems(*REPORT_ERRORS),
            },
        }
    }


POSITION_HEADERS = {
    "Projection-Position": {
        "schema": {"type": "integer"},
        "description": "The log position the answer reflects.",
    },
    "Projection-Complete": {
        "schema": {"type": "string", "enum": ["true", "false"]},
        "description": "Whether that position was the log's head when it "
        "answered (false while the view catches up, e.g. after a restart).",
    },
}


def stating_position(body: dict[str, Any]) -> dict[str, Any]:
    """A read's JSON body with the ``position`` it reflects and ``complete``."""
    return {
        **body,
        "required": sorted({*body.get("required", []), "position", "complete"}),
        "properties": {
            **body.get("properties", {}),
            "position": {
                "type": "integer",
                "description": "The log position the answer reflects.",
            },
            "complete": {
                "type": "boolean",
                "description": "Whether that position was the log's head when "
                "it answered: false while the view is still catching up.",
            },
        },
    }


def _readers(read: str) -> str:
    """Who may use a read, and with what scope (from the permissions table)."""
    scopes = ", ".join(
        f"{role.value} ({scope.value})" for role, scope in READS[read].items()
    )
    return f"Readers: {scopes}; other roles get 403."


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _items(name: str) -> dict[str, Any]:
    return {"type": "array", "items": ref(name)}


NEXT_CURSOR = {
    "type": ["string", "null"],
    "description": "The cursor= of the following page; null on the last "
    "(every paged list answers items and next)",
}
PERIOD_BOUNDS = {
    "from": {"type": ["string", "null"], "description": "The period's first day"},
    "to": {"type": ["string", "null"], "description": "The period's last day"},
}
LIMIT = _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE})


def appeal_list() -> dict[str, Any]:
    return _report(
        "appeals",
        "The appeal list (filters, cursor pagination), from a read model",
        [
            _query("status", STRING, "comma-separated statuses"),
            _query("unit", FILTER),
            _query("cadre", FILTER),
            _query("category", {"enum": [c.value for c in Category]}),
            _query("channel", {"enum": [c.value for c in Channel]}),
            _query("priority", {"enum": [p.value for p in Priority]}),
            _query("enterprise", CREDIT_CODE, "credit code"),
            _query("overdue", {"enum": ["true", "false"]}),
            _query("received_from", {"anyOf": [DAY, INSTANT]}),
            _query("received_to", {"anyOf": [DAY, INSTANT]}),
            _query("order", {"enum": ["newest", "oldest"]}),
            _query("cursor", CURSOR),
            LIMIT,
        ],
        _object(
            ["items", "next"],
            items=_items("AppealSummary"),
            next=NEXT_CURSOR,
        ),
    )


def enterprise_ledger() -> dict[str, Any]:
    return _report(
        "ledger",
        "An enterprise's ledger (问题台账)",
        [
            {"name": "uscc", "in": "path", "required": True, "schema": CREDIT_CODE},
            _query("cursor", CURSOR),
            LIMIT,
        ],
        _object(
            ["enterprise", "items", "next"],
            enterprise=ref("LedgerEnterprise"),
            service=ref("LedgerService"),
            items=_items("LedgerAppeal"),
            next=NEXT_CURSOR,
        ),
    )


def category_month() -> dict[str, Any]:
    return _report(
        "category_month",
        "Appeals received per category per month",
        [
            _query("from", MONTH),
            _query("to", MONTH),
            _query("category", {"enum": [c.value for c in Category]}),
        ],
        _object(["rows"], rows=_items("CategoryMonthRow")),
    )


def overdue() -> dict[str, Any]:
    return _report(
        "overdue",
        "Open appeals past a deadline, with ageing buckets (working days)",
        [
            _query("unit", FILTER),
            _query("cadre", FILTER),
            _query("category", {"enum": [c.value for c in Category]}),
            _query("stage", {"enum": list(LATE_STAGES)}),
            LIMIT,
        ],
        _object(
            ["buckets", "items"],
            as_of=STRING,
            total={"type": "integer", "minimum": 0},
            buckets=ref("OverdueBuckets"),
            items=_items("OverdueRow"),
        ),
    )


def timeliness() -> dict[str, Any]:
    return _report(
        "timeliness",
        "On-time rates and median working times by stage",
        [
            _query("from", DAY),
            _query("to", DAY),
            _query("unit", FILTER),
            _query("category", {"enum": [c.value for c in Category]}),
            _query("group_by", {"enum": ["stage", "unit"]}),
        ],
        _object(["items"], **PERIOD_BOUNDS, items=_items("TimelinessRow")),
    )


def accountability() -> dict[str, Any]:
    return _report(
        "accountability",
        "Counts and the rates of what happened (the ranking is the assessment's)",
        [
            _query("group_by", {"enum": ["unit", "cadre", "category"]}),
            _query("period", {"enum": ["day", "week", "month", "all"]}),
            _query("from", DAY),
            _query("to", DAY),
        ],
        _object(
            ["items"],
            **PERIOD_BOUNDS,
            group_by=STRING,
            period=STRING,
            items=_items("AccountabilityRow"),
        ),
    )


def routing() -> dict[str, Any]:
    return _report(
        "routing",
        "Routing per catalogue item and unit: 退单 rate, re-dispatches, time to "
        "acceptance; the catalogue's coverage, 直接答复率 and counts per locality",
        [_query("from", MONTH), _query("to", MONTH)],
        _object(
            ["items"],
            **PERIOD_BOUNDS,
            items=_items("RoutingRow"),
            localities=_items("RoutingLocality"),
            totals=ref("RoutingTotals"),
        ),
    )


def callback_report() -> dict[str, Any]:
    return _report(
        "callbacks",
        "Callbacks (回访) concluded per unit: reached, 无法回访, 有效回访率, "
        "quality-check samples and 抽查满意率",
        [_query("from", DAY), _query("to", DAY)],
        _object(
            ["from", "to", "items"], **PERIOD_BOUNDS, items=_items("CallbackReportRow")
        ),
    )


def callback_queue() -> dict[str, Any]:
    return _report(
        "callbacks",
        "The callback queue (回访): pending rounds, the longest due first",
        [
            _query("due", {"enum": ["now", "all"]}, "now (default) or all pending"),
            _query("unit", FILTER),
            _query("purpose", {"enum": ["reply", "expired", "sample"]}),
            _query(
                "limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}
            ),
        ],
        _object(
            ["due", "items"],
            due={"type": "string", "enum": ["now", "all"]},
            items=_items("CallbackRound"),
        ),
    )


def history() -> dict[str, Any]:
    return {
        "get": {
            "summary": "Every event of an appeal as stored, with summaries",
            "description": _readers("appeal"),
            "parameters": [_appeal_id()],
            "responses": {
                "200": _json(
                    "The history",
                    _object(
                        ["appeal", "events"],
                        appeal={"type": "string", "format": "uuid"},
                        ticket={"type": ["string", "null"]},
                        events=_items("EventEntry"),
                    ),
                ),
                **_problems(401, 403, 404),
            },
        }
    }


def verification() -> dict[str, Any]:
    return {
        "get": {
            "summary": "Check the appeal's stored events against their hash chain",
            "description": _readers("appeal"),
            "parameters": [_appeal_id()],
            "responses": {
                "200": _json(
                    "The result",
                    _object(
                        ["appeal", "intact"],
                        appeal={"type": "string", "format": "uuid"},
                        intact={"type": "boolean"},
                        events={
                            "type": "integer",
                            "description": "How many were checked (if intact)",
                        },
                        first_broken=_object(
                            ["version", "reason"],
                            version={"type": "integer"},
                            position={"type": ["integer", "null"]},
                            reason={"type": "string"},
                        ),
                    ),
                ),
                **_problems(401, 403, 404),
            },
        }
    }


def feed() -> dict[str, Any]:
    page = _object(["items", "next"], items=_items("EventEntry"), next=NEXT_CURSOR)
    return {
        "get": {
            "summary": "The global event feed in commit order (auditors)",
            "description": _readers("feed")
            + " The ledger's own bookkeeping (ticket and idempotency claims) is "
            "in the log and its audit, not in the feed.",
            "parameters": [
                _query(
                    "cursor",
                    {"type": "string", "pattern": "^[0-9]{1,18}$"},
                    "the previous page's next",
                ),
                _query(
                    "after",
                    {"type": "integer", "minimum": 0, "maximum": MAX_POSITION},
                    "the cursor's older name: the log position to start after",
                ),
                _query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": MAX_POSITION},
                    "at most 1000 are returned",
                ),
                _query("type", FILTER, "event topic; repeatable"),
                _query("from", INSTANT),
                _query("to", INSTANT),
            ],
            "responses": {
                "200": _json("A page of events", page),
                **_problems(401, 403, 422),
            },
        }
    }


def read_paths() -> dict[str, Any]:
    """Every read route's path item, one function per report or read."""
    return {
        "/appeals#list": appeal_list(),
        "/enterprises/{uscc}/ledger": enterprise_ledger(),
        "/reports/category-month": category_month(),
        "/reports/overdue": overdue(),
        "/reports/timeliness": timeliness(),
        "/reports/accountability": accountability(),
        "/reports/routing": routing(),
        "/reports/callbacks": callback_report(),
        "/callbacks/queue": callback_queue(),
        "/appeals/{appeal_id}/history": history(),
        "/appeals/{appeal_id}/verify": verification(),
        "/events": feed(),
    }


def _appeal_id() -> dict[str, Any]:
    return {
        "name": "appeal_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }
