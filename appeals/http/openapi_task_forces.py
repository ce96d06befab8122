"""The OpenAPI paths of task forces (appeals.http.task_forces)."""

from __future__ import annotations

from typing import Any

from appeals.http.openapi_organisation import DAY, _json, _problems, _readers, _roles
from appeals.http.openapi_reads import CREDIT_CODE, POSITION, POSITION_HEADERS
from appeals.http.openapi_schemas import ref

TEXT = {"type": "string"}
CODES = {"type": "array", "items": TEXT}
FORCE = {
    "type": "object",
    "required": ["id", "name", "uscc", "lead", "members", "units", "active"],
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "name": TEXT,
        "uscc": TEXT,
        "project": {"type": ["string", "null"]},
        "lead": TEXT,
        "members": CODES,
        "units": {**CODES, "description": "the members' units"},
        "formed_on": DAY,
        "active": {"type": "boolean"},
        "version": {"type": "integer"},
    },
}
FORCE_ID = {
    "name": "force_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}


def _body(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def task_force_paths() -> dict[str, Any]:
    changes = _problems(400, 401, 403, 404, 409, 413, 415, 422)
    return {
        "/taskforces": {
            "post": {
                "summary": "Form a task force (组建专班) for an enterprise or project",
                "description": _roles("manage_links"),
                "requestBody": _body(
                    ["name", "uscc", "lead", "members", "formed_on"],
                    {
                        "name": TEXT,
                        "uscc": CREDIT_CODE,
                        "project": {"type": ["string", "null"]},
                        "lead": TEXT,
                        "members": CODES,
                        "formed_on": DAY,
                    },
                ),
                "responses": {"201": _json("The task force", FORCE), **changes},
            }
        },
        "/taskforces/{force_id}": {
            "get": {
                "summary": "A task force",
                "description": _readers("links"),
                "parameters": [FORCE_ID],
                "responses": {
                    "200": _json("The task force", FORCE),
                    **_problems(401, 403, 404),
                },
            }
        },
        "/taskforces/{force_id}/disband": {
            "post": {
                "summary": "Disband a task force (撤销专班)",
                "description": _roles("manage_links"),
                "parameters": [FORCE_ID],
                "requestBody": _body(
                    ["disbanded_on", "reason"], {"disbanded_on": DAY, "reason": TEXT}
                ),
                "responses": {"200": _json("The task force", FORCE), **changes},
            }
        },
        "/taskforces/{force_id}/board": {
            "get": {
                "summary": "The task force's board: the enterprise's appeals and "
                "their progress (实时统计问题化解进度)",
                "description": _readers("links"),
                "parameters": [FORCE_ID, POSITION],
                "responses": {
                    "200": _json(
                        "The board",
                        {
                            "type": "object",
                            "required": [
                                "task_force",
                                "progress",
                                "open_appeals",
                                "position",
                                "complete",
                            ],
                            "properties": {
                                "task_force": FORCE,
                                "progress": ref("TaskForceProgress"),
                                "open_appeals": {
                                    "type": "array",
                                    "items": ref("BoardAppeal"),
                                },
                                "position": {"type": "integer"},
                                "complete": {"type": "boolean"},
                            },
                        },
                    )
                    | {"headers": POSITION_HEADERS},
                    **_problems(401, 403, 404),
                },
            }
        },
    }
