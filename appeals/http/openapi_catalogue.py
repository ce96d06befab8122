"""The OpenAPI paths of the routing catalogue (appeals.http.catalogue): its
reads, and its changes with bodies generated from the command values'
fields (appeals.domain.catalogue), so the parser and the document agree."""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any

from appeals.domain.catalogue import (
    CODE,
    LIMIT_STAGES,
    MAX_CO_UNITS,
    MAX_KEYWORDS,
    TEXT_LIMITS,
    Publish,
    Reinstate,
    Retire,
    Revise,
)
from appeals.domain.permissions import roles_for
from appeals.domain.values import AppealKind, Category
from appeals.http.openapi_reads import (
    FILTER,
    LIMIT,
    POSITION,
    POSITION_HEADERS,
    _problems,
    _query,
    _readers,
)
from appeals.http.parameters import MAX_POSITION

PROBLEM = {"$ref": "#/components/schemas/Problem"}
CODE_SCHEMA = {"type": "string", "pattern": f"^{CODE.pattern}$"}
LABEL = {
    "type": "object",
    "required": ["zh", "en"],
    "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
}


def _enum(kind: type[AppealKind] | type[Category]) -> dict[str, Any]:
    return {
        "type": "string",
        "enum": [m.value for m in kind],
        "description": "; ".join(f"{m.value}: {m.zh} ({m.en})" for m in kind),
    }


def _text(name: str) -> dict[str, Any]:
    return {"type": "string", "maxLength": TEXT_LIMITS[name]}


FIELD_SCHEMAS: dict[str, dict[str, Any]] = {
    "code": CODE_SCHEMA,
    "matter_zh": {**_text("matter_zh"), "minLength": 1},
    "matter_en": _text("matter_en"),
    "kind": _enum(AppealKind),
    "category": _enum(Category),
    "lead_unit": {**CODE_SCHEMA, "description": "主办单位: a registered unit's code"},
    "co_units": {
        "type": "array",
        "items": CODE_SCHEMA,
        "maxItems": MAX_CO_UNITS,
        "uniqueItems": True,
        "description": "协办单位: registered units' codes, not the lead unit",
    },
    "procedure": {**_text("procedure"), "minLength": 1},
    "legal_basis": _text("legal_basis"),
    "limits": {
        "type": "object",
        "propertyNames": {"enum": [s.value for s in LIMIT_STAGES]},
        "additionalProperties": {"type": "string", "examples": ["10d", "4h"]},
        "description": "Stage -> time limit ('5d', '4h', '90m'), "
        "overriding the SLA policy for appeals routed by this item",
    },
    "standard_answer": {
        "type": ["string", "null"],
        "maxLength": TEXT_LIMITS["standard_answer"],
        "description": "The answer intake may give on the spot (当场办)",
    },
    "keywords": {
        "type": "array",
        "items": {"type": "string", "minLength": 1, "maxLength": 50},
        "maxItems": MAX_KEYWORDS,
        "uniqueItems": True,
        "description": "Extra search words besides the matter",
    },
    "reason": _text("reason"),
}


def body(command_class: type[Any]) -> dict[str, Any]:
    """A command's JSON body: exactly its fields."""
    found = fields(command_class)
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {f.name: FIELD_SCHEMAS[f.name] for f in found},
    }
    required = [
        f.name for f in found if f.default is MISSING and f.default_factory is MISSING
    ]
    if required:
        schema["required"] = required
    return {
        "required": True,
        "content": {"application/json": {"schema": schema}},
    }


ITEM = {
    "type": "object",
    "required": [
        "code",
        "version",
        "matter_zh",
        "kind",
        "category",
        "lead_unit",
        "co_units",
        "limits",
        "retired",
    ],
    "properties": {
        **{
            name: FIELD_SCHEMAS[name]
            for name in (
                "code",
                "matter_zh",
                "matter_en",
                "kind",
                "category",
                "lead_unit",
                "co_units",
                "procedure",
                "legal_basis",
                "limits",
                "standard_answer",
                "keywords",
            )
        },
        "version": {"type": "integer", "minimum": 1},
        "versions": {"type": "integer", "minimum": 1},
        "kind_label": LABEL,
        "category_label": LABEL,
        "retired": {"type": "boolean"},
        "retired_reason": {"type": ["string", "null"]},
        "published_at": {"type": "string", "format": "date-time"},
        "revised_at": {"type": "string", "format": "date-time"},
        "score": {"type": "number"},
        "matched": {"type": "array", "items": {"type": "string"}},
        "changed": {"type": "boolean"},
        "position": {"type": ["integer", "null"]},
        "complete": {"type": "boolean"},
    },
}
PATH_CODE = {"name": "code", "in": "path", "required": True, "schema": CODE_SCHEMA}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def _change(command_class: type[Any], permission: str, created: bool = False) -> Any:
    ok = "201" if created else "200"
    roles = ", ".join(sorted(r.value for r in roles_for(permission)))
    return {
        "summary": command_class.summary,
        "description": f"Roles: {roles}.",
        "parameters": [] if created else [PATH_CODE],
        "requestBody": body(command_class),
        "responses": {
            ok: _json("The item after the change (from the store)", ITEM),
            **_problems(401, 403),
            **_change_problems(),
        },
    }


def _change_problems() -> dict[str, Any]:
    reasons = {
        400: "Malformed JSON",
        404: "No such catalogue item",
        409: "The code is already published, or the item is (not) retired",
        413: "Body over the configured limit",
        415: "Body is not application/json",
        422: "Invalid input: every bad field with its reason",
    }
    return {
        str(status): {
            "description": reason,
            "content": {"application/problem+json": {"schema": PROBLEM}},
        }
        for status, reason in reasons.items()
    }


def catalogue_paths() -> dict[str, Any]:
    """Every catalogue route's path item."""
    page = {
        "type": "object",
        "required": ["items", "position"],
        "properties": {
            "items": {"type": "array", "items": ITEM},
            "next": {"type": ["string", "null"]},
            "query": {"type": "string"},
            "position": {"type": "integer"},
            "complete": {"type": "boolean"},
        },
    }
    read_problems = _problems(401, 403, 422, 503)
    return {
        "/catalogue": {
            "get": {
                "summary": "The routing catalogue (派单目录): list, or search with q",
                "description": _readers("catalogue")
                + " With q: items in force, best match first (score = sum over "
                "the query's terms found of weight × ln(1 + N/df)), each with "
                "the terms it matched.",
                "parameters": [
                    _query("q", FILTER, "words to search for (Chinese or English)"),
                    _query("category", {"enum": [c.value for c in Category]}),
                    _query("kind", {"enum": [k.value for k in AppealKind]}),
                    _query("unit", CODE_SCHEMA, "lead or co-handling unit"),
                    _query("include_retired", {"enum": ["true", "false"]}),
                    _query("cursor", CODE_SCHEMA, "the previous page's next"),
                    LIMIT,
                    POSITION,
                ],
                "responses": {
                    "200": _json("Items", page) | {"headers": POSITION_HEADERS},
                    **read_problems,
                },
            },
            "post": _change(Publish, "publish_catalogue_item", created=True),
        },
        "/catalogue/{code}": {
            "get": {
                "summary": "One catalogue item, now or at a version",
                "description": _readers("catalogue"),
                "parameters": [
                    PATH_CODE,
                    _query(
                        "version",
                        {"type": "integer", "minimum": 1, "maximum": MAX_POSITION},
                    ),
                    POSITION,
                ],
                "responses": {
                    "200": _json("The item", ITEM) | {"headers": POSITION_HEADERS},
                    **read_problems,
                    "404": {
                        "description": "No such item (or version)",
                        "content": {"application/problem+json": {"schema": PROBLEM}},
                    },
                },
            }
        },
        "/catalogue/{code}/revise": {
            "post": _change(Revise, "revise_catalogue_item"),
        },
        "/catalogue/{code}/retire": {
            "post": _change(Retire, "retire_catalogue_item"),
        },
        "/catalogue/{code}/reinstate": {
            "post": _change(Reinstate, "reinstate_catalogue_item"),
        },
    }
