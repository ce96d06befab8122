"""The OpenAPI paths of the monthly assessment (appeals.http.assessments)."""

from __future__ import annotations

from typing import Any

from appeals.domain.assessment import GROUPS, INDICATORS
from appeals.domain.permissions import roles_for
from appeals.http.openapi_reads import (
    FORMAT,
    LANG,
    POSITION_HEADERS,
    TABLES,
    _problems,
    _query,
    _readers,
)
from appeals.http.openapi_schemas import ref

PROBLEM = {"$ref": "#/components/schemas/Problem"}
PERIOD = {
    "name": "period",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$"},
    "description": "The month assessed, like 2026-11 (Asia/Shanghai).",
}
GROUP_BY = _query(
    "group_by",
    {"type": "string", "enum": list(GROUPS)},
    "Rows per unit (default), cadre (within the unit at the time), locality "
    "or category.",
)
RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
ROW = {
    "type": "object",
    "required": ["key", "values", "samples", "score", "ranked", "rank", "note"],
    "properties": {
        "key": {"type": "array", "items": {"type": "string"}},
        "label": {
            "type": "object",
            "description": "What people call the row (registered names now).",
            "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
        },
        "values": {
            "type": "object",
            "description": "Each indicator's rate; null when nothing was due.",
            "properties": dict.fromkeys(INDICATORS, RATE),
        },
        "samples": {
            "type": "object",
            "description": "Each indicator's [numerator, denominator (due)].",
            "properties": {
                key: {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0},
                    "minItems": 2,
                    "maxItems": 2,
                }
                for key in INDICATORS
            },
        },
        "score": RATE,
        "ranked": {"type": "boolean"},
        "rank": {"type": ["integer", "null"], "minimum": 1},
        "note": {"type": "string", "description": "Why the row is not ranked."},
        "missing": {"type": "array", "items": {"type": "string"}},
        "verdicts_lapsed": {"type": "integer"},
        "verdicts_pending": {"type": "integer"},
        "supervised": {"type": "integer"},
        "escalated": {"type": "integer"},
        "centre": {"type": "boolean"},
    },
}
ASSESSMENT: dict[str, Any] = {
    "type": "object",
    "required": [
        "period",
        "scheme_version",
        "scheme",
        "position",
        "complete",
        "as_of",
        "digest",
        "group_by",
        "rows",
    ],
    "properties": {
        "period": {"type": "string"},
        "scheme_version": {"type": "string"},
        "scheme": ref("AssessmentScheme"),
        "position": {"type": "integer"},
        "complete": {"type": "boolean"},
        "as_of": {"type": "string", "format": "date-time"},
        "digest": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "group_by": {"type": "string", "enum": list(GROUPS)},
        "rows": {"type": "array", "items": ROW},
        "revision": {"type": "integer", "minimum": 1},
        "reason": {"type": ["string", "null"]},
        "published": {"type": "boolean"},
        "revisions": {"type": "array", "items": ref("Revision")},
    },
}


def _read(summary: str, description: str, extra: list[Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "description": f"{description} {_readers('assessment')}",
            "parameters": [PERIOD, GROUP_BY, *extra, FORMAT, LANG],
            "responses": {
                "200": {
                    "description": summary,
                    "headers": POSITION_HEADERS,
                    "content": {
                        "application/json": {"schema": ASSESSMENT},
                        **TABLES,
                    },
                },
                **_problems(401, 403, 404, 406, 422),
            },
        }
    }


def publish_path(
    summary: str, permission: str, description: str, shown: dict[str, Any]
) -> dict[str, Any]:
    """``POST /…/{period}/publish``: the first publication (201) or a
    revision with its reason (200); the answer is the revision's ``shown``
    fields (its rows left out)."""
    roles = ", ".join(sorted(r.value for r in roles_for(permission)))
    problems = {
        str(status): {
            "description": reason,
            "content": {"application/problem+json": {"schema": PROBLEM}},
        }
        for status, reason in {
            400: "Malformed JSON",
            401: "Missing or bad credentials",
            403: "Outside the principal's role",
            415: "Body is not application/json",
            422: "The month has not ended, or a revision gives no reason",
        }.items()
    }
    answer = {"application/json": {"schema": {"type": "object", "properties": shown}}}
    return {
        "post": {
            "summary": summary,
            "description": f"Roles: {roles}. {description} Publishing again is a "
            "revision and needs a reason.",
            "parameters": [PERIOD],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "reason": {"type": "string", "maxLength": 2000}
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": {"description": "Published (revision 1)", "content": answer},
                "200": {
                    "description": "Revised (revision 2 or later)",
                    "content": answer,
                },
                **problems,
            },
        }
    }


def assessment_paths() -> dict[str, Any]:
    published = {k: v for k, v in ASSESSMENT["properties"].items() if k != "rows"}
    return {
        "/assessments/{period}": _read(
            "A published month's assessment (考核结果), frozen",
            "The latest revision, or ?revision=N; 404 until published.",
            [_query("revision", {"type": "integer", "minimum": 1})],
        ),
        "/assessments/{period}/preview": _read(
            "The month's assessment computed now (live, not published)",
            "States the log position it reflects and whether the views were "
            "caught up (complete).",
            [],
        ),
        "/assessments/{period}/publish": publish_path(
            "Publish the ended month's assessment (发布考核结果)",
            "publish_assessment",
            "Records the scheme, position, rows and digest.",
            published,
        ),
    }
