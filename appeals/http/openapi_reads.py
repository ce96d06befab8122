"""The OpenAPI paths of the read side: the appeal list, reports, the
enterprise ledger, histories and the event feed (appeals.http.openapi joins
them to the command paths)."""

from __future__ import annotations

from typing import Any

from appeals.domain.values import Category, Channel, Priority, Status

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
REPORT_ERRORS = (401, 403, 406, 422, 503)


def _problems(*statuses: int) -> dict[str, Any]:
    reasons = {
        401: "Missing or bad credentials",
        403: "Outside the principal's scope",
        404: "No such appeal",
        406: "Neither JSON nor CSV is acceptable to the client",
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
DAY = {"type": "string", "format": "date"}
POSITION = _query(
    "position",
    {"type": "integer", "minimum": 0},
    "Wait (bounded) until the view has taken the log up to this position.",
)
FORMAT = _query("format", {"type": "string", "enum": ["json", "csv"]})
LIST_ITEM = {
    "type": "object",
    "required": ["id", "ticket", "status"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "ticket": STRING,
        "status": {"type": "string", "enum": [s.value for s in Status]},
    },
}


def _report(
    summary: str,
    parameters: list[dict[str, Any]],
    body: dict[str, Any],
    csv: bool = True,
) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": body}}
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    return {
        "get": {
            "summary": summary,
            "parameters": [*parameters, POSITION, *([FORMAT] if csv else [])],
            "responses": {
                "200": {
                    "description": summary,
                    "headers": {"Projection-Position": {"schema": {"type": "integer"}}},
                    "content": content,
                },
                **_problems(*REPORT_ERRORS),
            },
        }
    }


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def read_paths() -> dict[str, Any]:
    items = {"type": "array", "items": {"type": "object"}}
    return {
        "/appeals#list": _report(
            "The appeal list (filters, cursor pagination), from a read model",
            [
                _query("status", STRING, "comma-separated statuses"),
                _query("unit", STRING),
                _query("cadre", STRING),
                _query("category", {"enum": [c.value for c in Category]}),
                _query("channel", {"enum": [c.value for c in Channel]}),
                _query("priority", {"enum": [p.value for p in Priority]}),
                _query("enterprise", STRING, "credit code"),
                _query("overdue", {"enum": ["true", "false"]}),
                _query("received_from", DAY),
                _query("received_to", DAY),
                _query("order", {"enum": ["newest", "oldest"]}),
                _query("cursor", STRING),
                _query("limit", {"type": "integer", "minimum": 1}),
            ],
            _object(
                ["items"],
                items={"type": "array", "items": LIST_ITEM},
                next_cursor={"type": ["string", "null"]},
                position={"type": "integer"},
            ),
        ),
        "/enterprises/{uscc}/ledger": _report(
            "An enterprise's ledger (问题台账)",
            [{"name": "uscc", "in": "path", "required": True, "schema": STRING}],
            _object(
                ["enterprise", "appeals"], enterprise={"type": "object"}, appeals=items
            ),
        ),
        "/reports/category-month": _report(
            "Appeals received per category per month",
            [_query("from", STRING), _query("to", STRING)],
            {"type": "object"},
        ),
        "/reports/overdue": _report(
            "Open appeals past a deadline, with ageing buckets (working days)",
            [
                *(_query(n, STRING) for n in ("unit", "cadre", "category", "stage")),
                _query("limit", {"type": "integer", "minimum": 1}),
            ],
            _object(["buckets", "items"], buckets={"type": "object"}, items=items),
        ),
        "/reports/timeliness": _report(
            "On-time rates and median working times by stage",
            [
                _query("from", DAY),
                _query("to", DAY),
                _query("unit", STRING),
                _query("group_by", {"enum": ["stage", "unit"]}),
            ],
            _object(["items"], items=items),
        ),
        "/reports/accountability": _report(
            "Counts, the three rates, composite score and ranking",
            [
                _query("group_by", {"enum": ["unit", "cadre", "category"]}),
                _query("period", {"enum": ["day", "week", "month", "all"]}),
                _query("from", DAY),
                _query("to", DAY),
            ],
            _object(["items", "weights"], items=items, weights={"type": "object"}),
        ),
        "/appeals/{appeal_id}/history": {
            "get": {
                "summary": "Every event of an appeal as stored, with summaries",
                "parameters": [_appeal_id()],
                "responses": {
                    "200": _json("The history", _object(["events"], events=items)),
                    **_problems(401, 403, 404),
                },
            }
        },
        "/appeals/{appeal_id}/verify": {
            "get": {
                "summary": "Check the appeal's stored events against their hash chain",
                "parameters": [_appeal_id()],
                "responses": {
                    "200": _json(
                        "The result", _object(["intact"], intact={"type": "boolean"})
                    ),
                    **_problems(401, 403, 404),
                },
            }
        },
        "/events": {
            "get": {
                "summary": "The global event feed in commit order (auditors)",
                "parameters": [
                    _query("after", {"type": "integer", "minimum": 0}),
                    _query("limit", {"type": "integer", "minimum": 1}),
                    _query("type", STRING, "event topic; repeatable"),
                    _query("from", {"type": "string", "format": "date-time"}),
                    _query("to", {"type": "string", "format": "date-time"}),
                ],
                "responses": {
                    "200": _json(
                        "A page of events",
                        _object(
                            ["events", "next"],
                            events=items,
                            next={"type": ["integer", "null"]},
                        ),
                    ),
                    **_problems(401, 403, 422),
                },
            }
        },
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
