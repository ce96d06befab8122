"""The OpenAPI paths of 挂钩服务 (appeals.http.service_links)."""

from __future__ import annotations

from typing import Any

from appeals.domain.service_links import LinkRole, VisitMode
from appeals.http.openapi_organisation import DAY, _json, _problems, _readers, _roles
from appeals.http.openapi_reads import (
    CREDIT_CODE,
    FORMAT,
    LANG,
    MONTH,
    POSITION,
    POSITION_HEADERS,
    TABLES,
    _query,
)
from appeals.http.openapi_schemas import ref


def _path(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


TEXT = {"type": "string"}
NULLABLE_DAY = {"type": ["string", "null"], "format": "date"}
NULLABLE = {"type": ["string", "null"]}
LINK_TARGET = {
    "uscc": {
        **CREDIT_CODE,
        "type": ["string", "null"],
        "description": "an enterprise (or give project)",
    },
    "project": {**NULLABLE, "description": "a registered project's code"},
}
BODIES: dict[str, dict[str, Any]] = {
    "project": {
        "type": "object",
        "additionalProperties": False,
        "required": ["code", "name", "uscc"],
        "properties": {
            "code": TEXT,
            "name": TEXT,
            "uscc": CREDIT_CODE,
            "park": TEXT,
            "kind": TEXT,
            "investment": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": "万元",
            },
        },
    },
    "link": {
        "type": "object",
        "additionalProperties": False,
        "required": ["cadre", "start"],
        "properties": {
            "cadre": TEXT,
            "start": DAY,
            **LINK_TARGET,
            "role": {"type": "string", "enum": [r.value for r in LinkRole]},
        },
    },
    "end": {
        "type": "object",
        "additionalProperties": False,
        "required": ["cadre", "end"],
        "properties": {"cadre": TEXT, "end": DAY, **LINK_TARGET},
    },
    "visit": {
        "type": "object",
        "additionalProperties": False,
        "required": ["cadre", "uscc", "day", "mode", "findings"],
        "properties": {
            "cadre": TEXT,
            "uscc": CREDIT_CODE,
            "day": DAY,
            "mode": {"type": "string", "enum": [m.value for m in VisitMode]},
            "findings": TEXT,
            "people_met": TEXT,
        },
    },
}
UNITS = {"type": "array", "items": TEXT, "uniqueItems": True}
BODIES["meeting"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["subject", "day", "units", "decisions"],
    "properties": {
        "subject": TEXT,
        "day": DAY,
        "units": {**UNITS, "minItems": 2},
        "decisions": TEXT,
        "appeals": UNITS,
        "cadres": UNITS,
    },
}
BODIES["task"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["task", "owner", "due"],
    "properties": {"task": TEXT, "owner": TEXT, "due": DAY},
}
BODIES["done"] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"note": TEXT},
}
MEETING = {
    "type": "object",
    "required": ["id", "subject", "day", "units", "decisions", "tasks"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "subject": TEXT,
        "day": DAY,
        "units": UNITS,
        "cadres": UNITS,
        "appeals": UNITS,
        "decisions": TEXT,
        "tasks": {"type": "array", "items": ref("MeetingTask")},
        "version": {"type": "integer"},
        "number": {"type": "integer"},
    },
}
MEETING_ID = _path("meeting_id", {"type": "string", "format": "uuid"})
LINK = {
    "type": "object",
    "required": ["cadre", "target_kind", "target", "uscc", "periods"],
    "properties": {
        "cadre": TEXT,
        "target_kind": {"type": "string", "enum": ["enterprise", "project"]},
        "target": TEXT,
        "uscc": TEXT,
        "periods": {
            "type": "array",
            "description": "The link's periods in force, in order",
            "items": {
                "type": "object",
                "required": ["role", "start", "end"],
                "properties": {"role": TEXT, "start": DAY, "end": NULLABLE_DAY},
            },
        },
        "version": {"type": "integer"},
    },
}
VISIT = {
    "type": "object",
    "required": ["id", "cadre", "unit", "uscc", "day", "mode", "appeals"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "cadre": TEXT,
        "unit": TEXT,
        "uscc": TEXT,
        "day": DAY,
        "mode": {"type": "string", "enum": [m.value for m in VisitMode]},
        "people_met": TEXT,
        "findings": TEXT,
        "appeals": {"type": "array", "items": TEXT},
        "version": {"type": "integer"},
    },
}


VISIT_ID = _path("visit_id", {"type": "string", "format": "uuid"})


def _post(
    summary: str,
    permission: str,
    body: str,
    answer: dict[str, Any],
    *codes: int,
    path: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "description": _roles(permission),
            **({} if path is None else {"parameters": path}),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": BODIES[body]}},
            },
            "responses": {
                **{str(code): _json(summary, answer) for code in codes},
                **_problems(400, 401, 403, 404, 409, 413, 415, 422),
            },
        }
    }


def _report(
    summary: str,
    parameters: list[dict[str, Any]],
    row: str,
    read: str = "links",
    *,
    table: bool = False,
    **fields: Any,
) -> dict[str, Any]:
    """A JSON report: ``items`` of the component schema ``row``, ``fields``
    beside them, and the position it reflects; with ``table``, its items as
    CSV or XLSX too (``?format=``, ``?lang=``)."""
    answer = _json(
        summary,
        {
            "type": "object",
            "required": ["items", "position", "complete"],
            "properties": {
                **fields,
                "items": {"type": "array", "items": ref(row)},
                "position": {"type": "integer"},
                "complete": {"type": "boolean"},
            },
        },
    ) | {"headers": POSITION_HEADERS}
    if table:
        answer["content"] = {**answer["content"], **TABLES}
    return {
        "get": {
            "summary": summary,
            "description": _readers(read),
            "parameters": [*parameters, POSITION, *((FORMAT, LANG) if table else ())],
            "responses": {
                "200": answer,
                **_problems(401, 403, *((406,) if table else ()), 422, 503),
            },
        }
    }


def service_link_paths(
    receive_body: dict[str, Any], appeal_created: dict[str, Any]
) -> dict[str, Any]:
    """``receive_body`` and ``appeal_created``: ``POST /appeals``'s body and
    201 answer (appeals.http.openapi), which filing from a visit shares."""
    return {
        "/projects": _post(
            "Register a project (登记项目)",
            "manage_links",
            "project",
            {
                "type": "object",
                "required": ["code", "name", "uscc", "version"],
                "properties": {
                    "code": TEXT,
                    "name": TEXT,
                    "uscc": TEXT,
                    "version": {"type": "integer"},
                },
            },
            201,
        ),
        "/links": _post(
            "Link a cadre to an enterprise or project (挂钩)",
            "manage_links",
            "link",
            LINK,
            200,
            201,
        ),
        "/links/end": _post("End a link (解除挂钩)", "manage_links", "end", LINK, 200),
        "/visits": _post(
            "Record a visit by a linked cadre (走访)",
            "record_visit",
            "visit",
            VISIT,
            201,
        ),
        "/visits/{visit_id}": {
            "get": {
                "summary": "A visit and the appeals filed from it",
                "description": _readers("links"),
                "parameters": [VISIT_ID],
                "responses": {
                    "200": _json("The visit", VISIT),
                    **_problems(401, 403, 404),
                },
            }
        },
        "/visits/{visit_id}/appeals": {
            "post": {
                "summary": "File a problem found on a visit as an appeal (走访)",
                "description": _roles("file_from_visit"),
                "parameters": [VISIT_ID],
                "requestBody": receive_body,
                "responses": {
                    "201": appeal_created,
                    **_problems(400, 401, 403, 404, 413, 415, 422),
                },
            }
        },
        "/meetings": _post(
            "Record a joint meeting (会办): units, decisions",
            "hold_meeting",
            "meeting",
            MEETING,
            201,
        ),
        "/meetings/{meeting_id}": {
            "get": {
                "summary": "A joint meeting and its follow-up tasks",
                "description": _readers("meetings"),
                "parameters": [MEETING_ID],
                "responses": {
                    "200": _json("The meeting", MEETING),
                    **_problems(401, 403, 404),
                },
            }
        },
        "/meetings/{meeting_id}/tasks": _post(
            "A follow-up task for an attending unit",
            "hold_meeting",
            "task",
            MEETING,
            201,
            path=[MEETING_ID],
        ),
        "/meetings/{meeting_id}/tasks/{number}/done": _post(
            "Complete a follow-up task (its owner unit)",
            "complete_task",
            "done",
            MEETING,
            200,
            path=[MEETING_ID, _path("number", {"type": "integer", "minimum": 1})],
        ),
        "/reports/meeting-tasks": _report(
            "Follow-up tasks of joint meetings, overdue flagged",
            [
                _query("open", {"type": "string", "enum": ["true", "false"]}),
                _query("owner", {"type": "string"}),
            ],
            "MeetingTask",
            read="meetings",
            table=True,
        ),
        "/cadres/{code}/portfolio": _report(
            "A cadre's portfolio (挂钩台账): linked enterprises, their open "
            "and overdue appeals, the last visit",
            [_path("code", {"type": "string"})],
            "PortfolioRow",
            cadre=TEXT,
        ),
        "/reports/visits": _report(
            "每月走访率 per cadre: linked enterprises visited in the month",
            [_query("month", MONTH)],
            "VisitCoverageRow",
            table=True,
            month=TEXT,
        ),
        "/reports/unvisited": _report(
            "Links in force whose enterprise was not visited for N days",
            [_query("days", {"type": "integer", "minimum": 1, "maximum": 3660})],
            "UnvisitedLink",
            table=True,
            days={"type": "integer"},
        ),
    }
