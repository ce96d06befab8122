"""The OpenAPI paths of supervision orders and the monthly 通报
(appeals.http.supervision)."""

from __future__ import annotations

from typing import Any

from appeals.http.openapi_assessments import PERIOD, publish_path
from appeals.http.openapi_reads import (
    FILTER,
    FORMAT,
    LANG,
    POSITION,
    POSITION_HEADERS,
    TABLES,
    _problems,
    _query,
    _readers,
)
from appeals.http.openapi_schemas import ref
from appeals.http.tabular import MAX_PAGE_SIZE

INSTANT = {"type": ["string", "null"], "format": "date-time"}
TEXT = {"type": ["string", "null"]}
ORDER = {
    "type": "object",
    "required": ["appeal_id", "stage", "due", "level", "issued_at"],
    "properties": {
        "appeal_id": {"type": "string", "format": "uuid"},
        "ticket": {"type": "string"},
        "stage": {"type": "string"},
        "due": {"type": "string", "format": "date-time"},
        "level": {"type": "integer", "minimum": 0, "maximum": 3},
        "unit": TEXT,
        "addressee_kind": {
            "enum": ["unit", "unit_leader", "parent_leader", "centre_head", None]
        },
        "addressee_unit": TEXT,
        "addressee": {**TEXT, "description": "the registered leader's cadre code"},
        "issued_at": {"type": "string", "format": "date-time"},
        "reply_due": INSTANT,
        "answered_at": INSTANT,
        "answer_by": TEXT,
        "settled_at": {**INSTANT, "description": "when the stage stopped being late"},
    },
}
NOTICE: dict[str, Any] = {
    "type": "object",
    "required": ["period", "level", "position", "complete", "as_of", "appeals"],
    "properties": {
        "period": {"type": "string"},
        "level": {"type": "integer", "description": "the ladder's last rung"},
        "position": {"type": "integer"},
        "complete": {"type": "boolean"},
        "as_of": {"type": "string", "format": "date-time"},
        "appeals": {"type": "array", "items": ref("NoticeAppeal")},
        "units": {"type": "array", "items": ref("NoticeUnit")},
        "digest": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "published": {"type": "boolean"},
        "revision": {"type": "integer", "minimum": 1},
        "reason": TEXT,
        "revisions": {"type": "array", "items": ref("Revision")},
    },
}
NOTICE_FORMAT = _query(
    "format",
    {"enum": ["json", "csv", "xlsx", "html"]},
    "json (default), csv, xlsx, or html: a printable page (Chinese first)",
)


def _notice(summary: str, description: str, extra: list[Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "description": f"{description} {_readers('notices')}",
            "parameters": [PERIOD, *extra, NOTICE_FORMAT, LANG],
            "responses": {
                "200": {
                    "description": summary,
                    "headers": POSITION_HEADERS,
                    "content": {
                        "application/json": {"schema": NOTICE},
                        **TABLES,
                        "text/html": {"schema": {"type": "string"}},
                    },
                },
                **_problems(401, 403, 404, 422),
            },
        }
    }


def supervision_paths() -> dict[str, Any]:
    shown = {k: v for k, v in NOTICE["properties"].items() if k != "appeals"}
    return {
        "/supervision/orders": {
            "get": {
                "summary": "Supervision orders (督办单) on stages still late",
                "description": "Whom each rung was addressed to, its reply "
                "deadline and answer; settled=true lists every order. "
                + _readers("supervision"),
                "parameters": [
                    _query("unit", FILTER, "the unit the late stage is charged to"),
                    _query("addressee_unit", FILTER),
                    _query("addressee", FILTER, "a leader's cadre code"),
                    _query("stage", FILTER),
                    _query("level", {"type": "integer", "minimum": 0, "maximum": 3}),
                    _query("settled", {"enum": ["true", "false"]}),
                    _query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                    ),
                    POSITION,
                    FORMAT,
                    LANG,
                ],
                "responses": {
                    "200": {
                        "description": "The orders",
                        "headers": POSITION_HEADERS,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["items"],
                                    "properties": {
                                        "items": {"type": "array", "items": ORDER},
                                        "position": {"type": "integer"},
                                        "complete": {"type": "boolean"},
                                    },
                                }
                            },
                            **TABLES,
                        },
                    },
                    **_problems(401, 403, 406, 422, 503),
                },
            }
        },
        "/notices/{period}": _notice(
            "A published month's 通报 (appeals still late after the last rung)",
            "The latest revision, or ?revision=N; 404 until published.",
            [_query("revision", {"type": "integer", "minimum": 1})],
        ),
        "/notices/{period}/preview": _notice(
            "The month's 通报 drawn up now (live, not published)",
            "States the log position it reflects (complete).",
            [],
        ),
        "/notices/{period}/publish": publish_path(
            "Publish the ended month's 通报 (发布通报)",
            "publish_notice",
            "Frozen with its position and digest.",
            shown,
        ),
    }
