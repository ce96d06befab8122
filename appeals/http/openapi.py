"""The OpenAPI 3.1 document, generated from the same command classes the
body parser reads, so the two cannot drift apart."""

from __future__ import annotations

import dataclasses
import typing
from datetime import datetime
from typing import Any
from uuid import UUID

from appeals.domain.commands import COMMANDS, Receive
from appeals.domain.permissions import roles_for
from appeals.domain.values import (
    TEXT_LIMITS,
    AttachmentPurpose,
    EvaluationSource,
    ExclusionReason,
    Grade,
    Labelled,
    Satisfaction,
    Status,
)
from appeals.http.openapi_assessments import assessment_paths
from appeals.http.openapi_catalogue import catalogue_paths
from appeals.http.openapi_open311 import open311_paths
from appeals.http.openapi_operations import (
    TAGS,
    add_examples,
    add_request_ids,
    describe_parameters,
    name_operations,
)
from appeals.http.openapi_organisation import organisation_paths
from appeals.http.openapi_reads import (
    CREDIT_CODE_PATTERN,
    IF_MATCH,
    INSTANT,
    read_paths,
)
from appeals.http.openapi_schemas import SCHEMAS
from appeals.http.openapi_service_links import service_link_paths
from appeals.http.openapi_supervision import supervision_paths
from appeals.http.openapi_task_forces import task_force_paths
from appeals.http.openapi_trends import trend_paths
from appeals.http.parameters import MAX_POSITION as MAX
from appeals.http.problems import TYPE_BASE
from appeals.http.requests import field_types

PROBLEM = {"$ref": "#/components/schemas/Problem"}
NULLABLE_STRING = {"type": ["string", "null"]}
USCC = {"pattern": CREDIT_CODE_PATTERN, "minLength": 18, "maxLength": 18}


def field_schema(name: str, annotation: Any) -> dict[str, Any]:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    optional = bool(args) and len(args) < len(typing.get_args(annotation))
    inner = args[0] if optional else annotation
    schema: dict[str, Any]
    if inner is str:
        schema = {"type": "string"}
        if name in TEXT_LIMITS:
            schema["maxLength"] = TEXT_LIMITS[name]
        if name == "uscc":
            schema.update(USCC)
    elif inner is bool:
        schema = {"type": "boolean"}
    elif inner is int:
        schema = {"type": "integer"}
        if name == "level":
            schema.update(minimum=1, maximum=3)
    elif inner is datetime:
        schema = {"type": "string", "format": "date-time"}
    elif inner is UUID:
        schema = {"type": "string", "format": "uuid"}
    elif typing.get_origin(inner) is tuple:
        schema = {
            "type": "array",
            "items": field_schema(name, typing.get_args(inner)[0]),
        }
    elif isinstance(inner, type) and issubclass(inner, Labelled):
        schema = {
            "type": "string",
            "enum": [m.value for m in inner],
            "description": "; ".join(f"{m.value}: {m.zh} ({m.en})" for m in inner),
        }
    else:  # pragma: no cover - a programming error caught by the tests
        raise TypeError(annotation)
    if optional:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def body_schema(command_class: type[Any]) -> dict[str, Any]:
    types_by_name = field_types(command_class)
    required = [
        f.name
        for f in dataclasses.fields(command_class)
        if f.default is dataclasses.MISSING
    ]
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {n: field_schema(n, t) for n, t in types_by_name.items()},
    }
    if required:
        schema["required"] = required
        for name in required:
            found = schema["properties"][name]
            if found.get("type") == "string" and "pattern" not in found:
                found["minLength"] = 1  # and not blank, which a schema cannot say
    return schema


def problem_responses(*statuses: int) -> dict[str, Any]:
    reasons = {
        400: "Malformed JSON",
        401: "Missing or bad credentials",
        403: "The principal's role or scope does not allow this",
        404: "No such appeal (or version)",
        409: "The appeal's current state does not allow this command",
        412: "If-Match names a version that is no longer current",
        413: "Body over the configured limit",
        415: "Body is not application/json",
        422: "Invalid input: every bad field with its reason",
        500: "The attachment's stored bytes are damaged (see appeals audit verify)",
    }
    return {
        str(s): {
            "description": reasons[s],
            "content": {"application/problem+json": {"schema": PROBLEM}},
        }
        for s in statuses
    }


def appeal_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"ETag": {"schema": {"type": "string"}}},
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Appeal"}}
        },
    }


COMMAND_HEADERS = [
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "maxLength": 255},
        "description": "Retry safely: the same key and body return the original "
        "answer without acting twice; the same key with another body is a 422.",
    }
]
APPEAL_ID = {
    "name": "appeal_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}


def roles_text(command: str) -> str:
    return "Roles: " + ", ".join(sorted(r.value for r in roles_for(command))) + "."


def build_openapi() -> dict[str, Any]:
    paths = {
        **single_appeal_paths(),
        **command_paths(),
        **attachment_paths(),
        **organisation_paths(),
    }
    for path, item in read_paths().items():
        # GET /appeals shares its path with POST /appeals (receive).
        paths.setdefault(path.removesuffix("#list"), {}).update(item)
    paths.update(catalogue_paths())
    paths.update(assessment_paths())
    paths.update(supervision_paths())
    paths.update(task_force_paths())
    paths.update(service_link_paths(_body(Receive), appeal_response("Received")))
    paths.update(open311_paths())
    paths.update(trend_paths())
    # Other modules' paths join above; then every operation gets its id, tag,
    # request-id header and examples (appeals.http.openapi_operations).
    name_operations(paths)
    add_request_ids(paths)
    describe_parameters(paths)
    add_examples(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Appeal Ledger",
            "version": "1",
            "description": "The system of record for enterprise appeals (企业诉求). "
            "Authenticate with `Authorization: Bearer <token>` "
            "(`appeals tokens create`).",
        },
        "tags": TAGS,
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": PROBLEM_SCHEMA,
                "Appeal": APPEAL_SCHEMA,
                "StageCycle": STAGE_CYCLE_SCHEMA,
                **SCHEMAS,
            },
        },
        "security": [{"bearer": []}],
    }


def single_appeal_paths() -> dict[str, Any]:
    """Health, receipt and the reads of one appeal."""
    return {
        "/": {
            "get": _plain(
                "Where to go: the docs and the API document",
                {
                    "200": {
                        "description": "An index",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["docs", "openapi", "dashboard"],
                                    "properties": {
                                        "service": {"type": "string"},
                                        "docs": {"type": "string"},
                                        "swagger": {"type": "string"},
                                        "dashboard": {"type": "string"},
                                        "openapi": {"type": "string"},
                                        "health": {"type": "string"},
                                    },
                                }
                            }
                        },
                    }
                },
            )
        },
        "/healthz": {"get": _plain("Process is up", {"200": _json_ok("Up")})},
        "/readyz": {
            "get": _plain(
                "Store is reachable; how far behind the log each view is",
                {
                    "200": {
                        "description": "Ready, or degraded: a view more than "
                        "APPEALS_READY_MAX_LAG events behind or stopped (still "
                        "serving; docs/observability.md)",
                        "content": {"application/json": {"schema": READINESS}},
                    },
                    "503": _json_ok("Store unreachable"),
                },
            )
        },
        "/metrics": {
            "get": _plain(
                "Prometheus metrics (text format 0.0.4); unauthenticated: keep "
                "it off the public proxy (docs/observability.md)",
                {
                    "200": {
                        "description": "Requests, commands, views', webhooks' "
                        "and the scheduler's lag, the database pool",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            )
        },
        "/appeals": {
            "post": {
                "summary": Receive.summary,
                "description": roles_text("receive")
                + " A repeated channel + external_id returns the existing appeal"
                " with 200.",
                "parameters": COMMAND_HEADERS,
                "requestBody": _body(Receive),
                "responses": {
                    "201": appeal_response("Received"),
                    "200": appeal_response("Already received (same source reference)"),
                    **problem_responses(400, 401, 403, 413, 415, 422),
                },
            }
        },
        "/appeals/by-ticket/{ticket}": {
            "get": {
                "summary": "An appeal by ticket number (工单号)",
                "parameters": [
                    {
                        "name": "ticket",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": r"^\d{8}-\d{6,}$"},
                    }
                ],
                "responses": {
                    "200": appeal_response("The appeal"),
                    **problem_responses(401, 403, 404, 422),
                },
            }
        },
        "/appeals/{appeal_id}": {
            "get": {
                "summary": "An appeal, now or at an earlier version",
                "parameters": [
                    APPEAL_ID,
                    {
                        "name": "version",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX},
                    },
                    {
                        "name": "as_of",
                        "in": "query",
                        "required": False,
                        "schema": INSTANT,
                        "description": "The appeal as it stood at this instant "
                        "(not with version)",
                    },
                ],
                "responses": {
                    "200": appeal_response("The appeal"),
                    **problem_responses(401, 403, 404, 422),
                },
            }
        },
    }


def command_paths() -> dict[str, Any]:
    """``POST /appeals/{id}/{command}``, one path per command."""
    paths: dict[str, Any] = {}
    for name, command_class in COMMANDS.items():
        paths[f"/appeals/{{appeal_id}}/{name}"] = {
            "post": {
                "summary": command_class.summary,
                "description": roles_text(_domain(name)),
                "parameters": [
                    APPEAL_ID,
                    *COMMAND_HEADERS,
                    IF_MATCH,
                ],
                "requestBody": _body(command_class),
                "responses": {
                    "200": appeal_response("The appeal after the command"),
                    **problem_responses(400, 401, 403, 404, 409, 412, 413, 415, 422),
                },
            }
        }
    return paths


def attachment_paths() -> dict[str, Any]:
    """Uploading and downloading attachments (appeals.http.attachments)."""
    purposes = [p.value for p in AttachmentPurpose]
    form = {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {
                "type": "string",
                "format": "binary",
                "description": "The file; its type is sniffed from the content "
                "(PDF, images, office documents), the declared one is ignored. "
                "At most APPEALS_ATTACHMENT_LIMIT bytes (default 20 MiB).",
            },
            "purpose": {
                "type": "string",
                "enum": purposes,
                "description": "; ".join(
                    f"{p.value}: {p.zh} ({p.en})" for p in AttachmentPurpose
                ),
            },
            "public": {
                "type": "string",
                "enum": ["true", "false"],
                "description": "Officials' attachments are internal unless "
                "true; the enterprise's are always public.",
            },
        },
    }
    sha = {
        "name": "sha256",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    }
    return {
        "/appeals/{appeal_id}/attachments": {
            "post": {
                "summary": "Attach a file (附件: 补充材料, 佐证材料)",
                "description": roles_text("add_attachment"),
                "parameters": [APPEAL_ID, *COMMAND_HEADERS],
                "requestBody": {
                    "required": True,
                    "content": {"multipart/form-data": {"schema": form}},
                },
                "responses": {
                    "201": appeal_response("The appeal with the attachment"),
                    **problem_responses(400, 401, 403, 404, 409, 413, 415, 422),
                },
            }
        },
        "/appeals/{appeal_id}/attachments/{sha256}": {
            "get": {
                "summary": "Download an attachment (checked against its hash)",
                "description": "Readers of the appeal; the enterprise only its "
                "public attachments. Another unit's or an internal attachment "
                "answers 404; bytes that no longer match their hash answer 500.",
                "parameters": [APPEAL_ID, sha],
                "responses": {
                    "200": {
                        "description": "The file, with its sniffed type",
                        "content": {
                            "application/octet-stream": {
                                "schema": {"type": "string", "format": "binary"}
                            }
                        },
                    },
                    **problem_responses(401, 403, 404, 500),
                },
            }
        },
    }


def _domain(url_name: str) -> str:
    """The permission name of a command from its URL name."""
    return url_name.replace("-", "_")


def _body(command_class: type[Any]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": body_schema(command_class)}},
    }


def _json_ok(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"status": {"type": "string"}},
                    "required": ["status"],
                }
            }
        },
    }


def _plain(summary: str, responses: dict[str, Any]) -> dict[str, Any]:
    return {"summary": summary, "security": [], "responses": responses}


COUNT = {"type": "integer", "minimum": 0}
READINESS: dict[str, Any] = {
    "type": "object",
    "required": ["status", "max_lag", "views"],
    "properties": {
        "status": {"enum": ["ready", "degraded"]},
        "head": COUNT,
        "max_lag": COUNT,
        "views": {
            "type": ["object", "null"],
            "description": "Each view's position and lag behind the head; null "
            "when the figures could not be read in time",
            "additionalProperties": {
                "type": "object",
                "required": ["position", "lag"],
                "properties": {
                    "position": COUNT,
                    "lag": COUNT,
                    "error_position": COUNT,
                },
            },
        },
        "behind": {"type": "array", "items": {"type": "string"}},
        "failed": {"type": "array", "items": {"type": "string"}},
    },
}


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri", "examples": [TYPE_BASE + "x"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {
                    "field": {"type": "string"},
                    "reason": {"type": "string"},
                },
            },
        },
        "appeal_status": {"type": "string"},
        "command": {"type": "string"},
        "request_id": {"type": "string", "description": "Also in X-Request-ID"},
        "current_version": {"type": "integer"},
        "expected_version": {"type": "integer"},
    },
}

LABEL = {
    "type": "object",
    "required": ["zh", "en"],
    "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
}

APPEAL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "ticket", "version", "status", "enterprise"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "ticket": {"type": "string"},
        "version": {"type": "integer", "minimum": 1},
        "position": {"type": ["integer", "null"]},
        "status": {"type": "string", "enum": [s.value for s in Status]},
        "status_label": LABEL,
        "enterprise": {
            "type": "object",
            "required": ["uscc", "name"],
            "properties": {"uscc": {"type": "string"}, "name": {"type": "string"}},
        },
        "channel": {"type": "string"},
        "channel_label": LABEL,
        "category": {"type": "string"},
        "category_label": LABEL,
        "priority": {"type": "string"},
        "priority_label": LABEL,
        "title": {"type": "string"},
        "description": {"type": "string"},
        "contact": {"type": "string"},
        "external_id": NULLABLE_STRING,
        "kind": {
            **NULLABLE_STRING,
            "description": "诉求类型 the deadlines were computed for (consult 咨询, "
            "help 求助, complaint 投诉, suggestion 建议, ...); null if not given",
        },
        "unit": NULLABLE_STRING,
        "cadre": NULLABLE_STRING,
        "routing": {
            "type": "object",
            "description": "How the appeal was routed (派单目录): the catalogue "
            "item and version of its current assignment or on-the-spot answer, "
            "the co-handling (协办) units, and whether intake answered it on "
            "the spot (当场办).",
            "required": ["item", "item_version", "co_units", "answered_on_the_spot"],
            "properties": {
                "item": NULLABLE_STRING,
                "item_version": {"type": ["integer", "null"]},
                "co_units": {"type": "array", "items": {"type": "string"}},
                "answered_on_the_spot": {"type": "boolean"},
                "requested_item": {
                    **NULLABLE_STRING,
                    "description": "The catalogue item the filer chose "
                    "(Open311 service_code): a suggestion for dispatch",
                },
            },
        },
        "address": {"type": "string", "description": "Where, if the filer said"},
        "exclusion": {
            "type": ["object", "null"],
            "description": "剔除: a request to leave the appeal out of assessment "
            "and the supervisor's decision.",
            "properties": {
                "status": {
                    "type": "string",
                    "enum": ["requested", "granted", "refused"],
                },
                "reason": {
                    "type": "string",
                    "enum": [r.value for r in ExclusionReason],
                },
                "evidence": {"type": "string"},
                "note": {"type": ["string", "null"]},
            },
        },
        "paused": {"type": "boolean"},
        "pending_extension": {
            "type": ["object", "null"],
            "description": "延期申请 awaiting a decision",
            "required": ["requested_deadline", "reason"],
            "properties": {
                "requested_deadline": {"type": "string", "format": "date-time"},
                "reason": {"type": "string"},
            },
        },
        "outcome": NULLABLE_STRING,
        "evaluation": {
            "type": ["object", "null"],
            "description": "resolved, satisfaction (three grades), grade (好差评, "
            "five grades, if given) and source (enterprise or callback)",
            "required": ["resolved", "satisfaction"],
            "properties": {
                "resolved": {"type": ["boolean", "null"]},
                "satisfaction": {"enum": [s.value for s in Satisfaction]},
                "grade": {"enum": [*(g.value for g in Grade), None]},
                "source": {"enum": [*(e.value for e in EvaluationSource), None]},
            },
        },
        "reopen_count": {"type": "integer"},
        "return_count": {"type": "integer"},
        "supervision_level": {"type": "integer"},
        "needs_supervisor": {"type": "boolean"},
        "merged_into": NULLABLE_STRING,
        "urge_count": {"type": "integer", "description": "企业催办 so far"},
        "notes": {
            "type": "array",
            "description": "The public text on the appeal, in order (progress, "
            "requests for materials, results, replies, comments): what the "
            "enterprise reads. Internal text is in the history, for officials.",
            "items": {
                "type": "object",
                "required": ["at", "type", "text", "by"],
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "type": {"type": "string"},
                    "text": {"type": "string"},
                    "by": NULLABLE_STRING,
                },
            },
        },
        "latest_public_note": NULLABLE_STRING,
        "callbacks": {
            "type": "array",
            "description": "回访 attempts in order; unreachable marks 无法回访.",
            "items": {
                "type": "object",
                "required": ["at", "purpose", "outcome", "attempt"],
                "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "purpose": {"enum": ["reply", "expired", "sample"]},
                    "outcome": {
                        "enum": ["reached", "no_answer", "refused", "wrong_number"]
                    },
                    "attempt": {"type": "integer"},
                    "grade": NULLABLE_STRING,
                    "unreachable": {"type": "boolean"},
                },
            },
        },
        "co_handling": {
            "type": "array",
            "description": "Each co-handling unit's part (协办): accepted, "
            "reported, or waived by a supervisor; the lead resolves when all are in.",
            "items": {
                "type": "object",
                "required": ["unit", "accepted", "reported", "waived"],
                "properties": {
                    "unit": {"type": "string"},
                    "accepted": {"type": "boolean"},
                    "reported": {"type": "boolean"},
                    "waived": {"type": "boolean"},
                },
            },
        },
        "leader": {
            "type": ["string", "null"],
            "description": "领导领办: the leader (cadre code) who took it over",
        },
        "reconciliation": {
            "type": ["string", "null"],
            "description": "对账 at closing: confirmed (evaluated) or lapsed",
        },
        "attachments": {
            "type": "array",
            "description": "Files on the appeal (the enterprise sees the public "
            "ones); download at /appeals/{id}/attachments/{sha256}.",
            "items": {
                "type": "object",
                "required": ["sha256", "size", "media_type", "name", "public"],
                "properties": {
                    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "size": {"type": "integer"},
                    "media_type": {"type": "string"},
                    "name": {"type": "string"},
                    "purpose": {"type": "string"},
                    "public": {"type": "boolean"},
                    "added_at": {"type": "string", "format": "date-time"},
                    "added_by": NULLABLE_STRING,
                },
            },
        },
        "deadlines": {
            "type": "object",
            "description": "Deadlines as recorded in the events (working time); "
            "dispatch is the centre's own (接诉转办).",
            "properties": {
                stage: {"type": ["string", "null"], "format": "date-time"}
                for stage in (
                    "dispatch",
                    "first_response",
                    "accept",
                    "resolve",
                    "reply",
                    "evaluation",
                    "callback",
                    "close",
                )
            },
        },
        "timeliness": {
            "type": "array",
            "description": "Every stage cycle measured now (GET of one appeal).",
            "items": {"$ref": "#/components/schemas/StageCycle"},
        },
        "received_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}


STAGE_CYCLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["stage", "cycle", "started_at", "due", "on_time", "overdue_now"],
    "properties": {
        "stage": {
            "type": "string",
            "enum": [
                "dispatch",
                "first_response",
                "accept",
                "resolve",
                "reply",
                "evaluation",
                "close",
                "co_accept",
                "co_report",
            ],
        },
        "cycle": {"type": "integer"},
        "unit": NULLABLE_STRING,
        "started_at": {"type": "string", "format": "date-time"},
        "due": {"type": "string", "format": "date-time"},
        "completed_at": {"type": ["string", "null"], "format": "date-time"},
        "ended_by": NULLABLE_STRING,
        "ended_at": {"type": ["string", "null"], "format": "date-time"},
        "working_seconds": {"type": "integer"},
        "paused_seconds": {"type": "integer"},
        "extensions": {"type": "integer"},
        "escalation_level": {"type": ["integer", "null"]},
        "on_time": {"type": ["boolean", "null"]},
        "overdue_now": {"type": "boolean"},
        "overdue_seconds": {"type": "integer"},
        "paused_now": {"type": "boolean"},
        "provisional": {
            "type": "boolean",
            "description": "The due date falls in a year the official calendar "
            "only estimates (its holiday notice is not yet published).",
        },
    },
}
