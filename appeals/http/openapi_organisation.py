"""The OpenAPI paths of the organisation's registries
(appeals.http.organisation): their reads, and their changes with bodies
generated from the command values' fields (appeals.domain.organisation), so
the parser and the document agree; who may is read from the permissions
table."""

from __future__ import annotations

import typing
from dataclasses import MISSING, fields
from datetime import date
from typing import Any

from appeals.domain.organisation import (
    CHANGES,
    CODE,
    REGISTRATIONS,
    TEXT_LIMITS,
    CadreRole,
    EnterpriseSize,
    ServiceList,
    UnitKind,
)
from appeals.domain.permissions import READS, roles_for
from appeals.domain.values import Labelled
from appeals.http.openapi_reads import CREDIT_CODE, FILTER, LIMIT, POSITION, _query

PROBLEM = {"$ref": "#/components/schemas/Problem"}
CODE_SCHEMA = {"type": "string", "pattern": f"^{CODE.pattern}$"}
LOCALITY = {
    "type": "string",
    "pattern": "^[0-9]{6}$",
    "description": "a GB/T 2260 division code",
}
LABEL = {
    "type": "object",
    "required": ["zh", "en"],
    "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
}
NULLABLE_LABEL = {"anyOf": [LABEL, {"type": "null"}]}
STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
INSTANT = {"type": "string", "format": "date-time"}
DAY = {"type": "string", "format": "date"}

REASONS = {
    400: "Malformed JSON",
    401: "Missing or bad credentials",
    403: "The principal's role or scope does not allow this",
    404: "Not registered",
    409: "Already registered, or the record is retired (or is not)",
    413: "Body over the configured limit",
    415: "Body is not application/json",
    406: "Neither JSON, CSV nor XLSX is acceptable to the client",
    422: "Invalid input: every bad field with its reason",
    503: "?position=N not reached in time (Retry-After)",
}


def _problems(*statuses: int) -> dict[str, Any]:
    return {
        str(s): {
            "description": REASONS[s],
            "content": {"application/problem+json": {"schema": PROBLEM}},
        }
        for s in statuses
    }


def _enum(codes: type[Labelled]) -> dict[str, Any]:
    return {
        "type": "string",
        "enum": [m.value for m in codes],
        "description": "; ".join(f"{m.value}: {m.zh} ({m.en})" for m in codes),
    }


NAMED_FIELDS: dict[str, dict[str, Any]] = {
    "code": CODE_SCHEMA,
    "parent": CODE_SCHEMA,
    "unit": CODE_SCHEMA,
    "uscc": CREDIT_CODE,
    "locality": LOCALITY,
}


def field_schema(name: str, annotation: Any) -> dict[str, Any]:
    """One body field's schema, from its type (and its name's rules)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    optional = typing.get_origin(annotation) is not tuple and len(args) < len(
        typing.get_args(annotation)
    )
    inner = args[0] if optional else annotation
    schema: dict[str, Any]
    if typing.get_origin(inner) is tuple:
        member = typing.get_args(inner)[0]
        schema = {"type": "array", "items": _enum(member), "uniqueItems": True}
    elif isinstance(inner, type) and issubclass(inner, Labelled):
        schema = dict(_enum(inner))
    elif inner is bool:
        schema = {"type": "boolean"}
    elif inner is date:
        schema = dict(DAY)
    elif name in NAMED_FIELDS:
        schema = dict(NAMED_FIELDS[name])
    else:
        schema = {"type": "string", "maxLength": TEXT_LIMITS[name]}
    if optional:
        schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def body_schema(command_class: type[Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(command_class)
    found = fields(command_class)
    required = [f.name for f in found if f.default is MISSING]
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {f.name: field_schema(f.name, hints[f.name]) for f in found},
    }
    if required:
        schema["required"] = required
    return schema


UNIT: dict[str, Any] = {
    "type": "object",
    "required": ["code", "name_zh", "kind", "retired", "version"],
    "properties": {
        "code": STRING,
        "name_zh": STRING,
        "name_en": STRING,
        "kind": _enum(UnitKind),
        "kind_label": LABEL,
        "parent": NULLABLE_STRING,
        "locality": NULLABLE_STRING,
        "locality_name": NULLABLE_LABEL,
        "retired": {"type": "boolean"},
        "retired_reason": NULLABLE_STRING,
        "version": {"type": "integer", "minimum": 1},
        "registered_at": INSTANT,
        "updated_at": INSTANT,
    },
}
POSTING: dict[str, Any] = {
    "type": "object",
    "required": ["unit", "since", "until"],
    "properties": {
        "unit": STRING,
        "since": DAY,
        "until": {"anyOf": [DAY, {"type": "null"}]},
    },
}
CADRE: dict[str, Any] = {
    "type": "object",
    "required": ["code", "name", "unit", "since", "roles", "retired", "version"],
    "properties": {
        "code": STRING,
        "name": STRING,
        "unit": {**STRING, "description": "the unit served in now"},
        "since": {**DAY, "description": "the current posting's start"},
        "roles": {"type": "array", "items": _enum(CadreRole)},
        "role_labels": {"type": "array", "items": LABEL},
        "postings": {
            "type": "array",
            "items": POSTING,
            "description": "every posting, oldest first (one cadre only)",
        },
        "retired": {"type": "boolean"},
        "retired_reason": NULLABLE_STRING,
        "version": {"type": "integer", "minimum": 1},
        "registered_at": INSTANT,
        "updated_at": INSTANT,
    },
}
ENTERPRISE: dict[str, Any] = {
    "type": "object",
    "required": ["uscc", "name", "locality", "locality_overridden", "version"],
    "properties": {
        "uscc": STRING,
        "name": {**STRING, "description": "the registered name"},
        "locality": {
            **STRING,
            "description": "GB/T 2260: from the credit code's characters 3–8 "
            "unless overridden",
        },
        "locality_name": NULLABLE_LABEL,
        "locality_overridden": {"type": "boolean"},
        "park": STRING,
        "size": {"anyOf": [_enum(EnterpriseSize), {"type": "null"}]},
        "size_label": NULLABLE_LABEL,
        "foreign_invested": {"type": "boolean"},
        "service_list": {"anyOf": [_enum(ServiceList), {"type": "null"}]},
        "service_list_label": NULLABLE_LABEL,
        "version": {"type": "integer", "minimum": 1},
        "registered_at": INSTANT,
        "updated_at": INSTANT,
    },
}
SCHEMAS = {"unit": UNIT, "cadre": CADRE, "enterprise": ENTERPRISE}
COLLECTIONS = {"unit": "units", "cadre": "cadres", "enterprise": "enterprises"}
TITLES = {
    "unit": "units (单位)",
    "cadre": "cadres (干部)",
    "enterprise": "enterprises (企业)",
}

INCLUDE_RETIRED = _query("include_retired", {"enum": ["true", "false"]})
FILTERS: dict[str, list[dict[str, Any]]] = {
    "unit": [
        _query("kind", _enum(UnitKind)),
        _query("parent", CODE_SCHEMA, "units directly under this one"),
        INCLUDE_RETIRED,
        _query("cursor", CODE_SCHEMA, "the previous page's next"),
    ],
    "cadre": [
        _query("unit", CODE_SCHEMA, "cadres serving in this unit now"),
        _query("role", _enum(CadreRole)),
        INCLUDE_RETIRED,
        _query("cursor", CODE_SCHEMA, "the previous page's next"),
    ],
    "enterprise": [
        _query(
            "locality",
            LOCALITY,
            "this division and those under it (320500: every county of Suzhou)",
        ),
        _query("park", FILTER),
        _query("service_list", _enum(ServiceList)),
        _query("name", FILTER, "the registered name contains this text"),
        _query("cursor", CREDIT_CODE, "the previous page's next"),
    ],
}


def _readers(read: str) -> str:
    scopes = ", ".join(
        f"{role.value} ({scope.value})" for role, scope in READS[read].items()
    )
    return f"Readers: {scopes}; other roles get 403."


def _roles(permission: str) -> str:
    return "Roles: " + ", ".join(sorted(r.value for r in roles_for(permission))) + "."


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {"Projection-Position": {"schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": schema}},
    }


def _changed(record: str, description: str) -> dict[str, Any]:
    schema = SCHEMAS[record]
    extra = {
        "changed": {"type": "boolean", "description": "false: nothing to record"},
        "position": {"type": ["integer", "null"]},
        "complete": {"type": "boolean"},
    }
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {**schema, "properties": {**schema["properties"], **extra}}
            }
        },
    }


def _key(record: str) -> dict[str, Any]:
    if record == "enterprise":
        return {"name": "uscc", "in": "path", "required": True, "schema": CREDIT_CODE}
    return {"name": "code", "in": "path", "required": True, "schema": CODE_SCHEMA}


def organisation_paths() -> dict[str, Any]:
    """Every registry route's path item."""
    paths: dict[str, Any] = {}
    for record, name in COLLECTIONS.items():
        register = REGISTRATIONS[record]
        page = {
            "type": "object",
            "required": ["items", "next"],
            "properties": {
                "items": {"type": "array", "items": SCHEMAS[record]},
                "next": NULLABLE_STRING,
                "position": {"type": "integer"},
                "complete": {"type": "boolean"},
            },
        }
        paths[f"/{name}"] = {
            "get": {
                "summary": f"The registered {TITLES[record]}, in code order",
                "description": _readers(name),
                "parameters": [*FILTERS[record], LIMIT, POSITION],
                "responses": {
                    "200": _json("A page", page),
                    **_problems(401, 403, 422, 503),
                },
            },
            "post": {
                "summary": register.summary,
                "description": _roles(register.permission),
                "requestBody": _body(register),
                "responses": {
                    "201": _changed(record, "Registered"),
                    **_problems(400, 401, 403, 409, 413, 415, 422),
                },
            },
        }
        key = "{uscc}" if record == "enterprise" else "{code}"
        paths[f"/{name}/{key}"] = {
            "get": {
                "summary": f"One of the {TITLES[record]}",
                "description": _readers(name),
                "parameters": [_key(record), POSITION],
                "responses": {
                    "200": _json("The record", SCHEMAS[record]),
                    **_problems(401, 403, 404, 422, 503),
                },
            }
        }
        for command in CHANGES[record]:
            paths[f"/{name}/{key}/{command.verb}"] = {
                "post": {
                    "summary": command.summary,
                    "description": _roles(command.permission),
                    "parameters": [_key(record)],
                    "requestBody": _body(command),
                    "responses": {
                        "200": _changed(record, "The record after the change"),
                        **_problems(400, 401, 403, 404, 409, 413, 415, 422),
                    },
                }
            }
    return paths


def _body(command_class: type[Any]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": body_schema(command_class)}},
    }
