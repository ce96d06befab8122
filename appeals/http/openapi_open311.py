"""The OpenAPI path items of Open311 GeoReport v2 (appeals.http.open311). The
resources follow the spec (DOMAIN.md), whose own schema is prose: the bodies
are described here, not restated field by field."""

from __future__ import annotations

from typing import Any

from appeals.http.open311 import PREFIX
from appeals.http.openapi_schemas import ref

FORMAT = {
    "name": "format",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": ["json", "xml"]},
}


def _query(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": description,
    }


JURISDICTION = _query(
    "jurisdiction_id", "APPEALS_OPEN311_JURISDICTION; any other is a 404"
)
API_KEY = _query(
    "api_key",
    "a token (or Authorization: Bearer); needed unless "
    "APPEALS_OPEN311_PUBLIC_READS publishes anonymised requests",
)


def _answer(description: str, schema: dict[str, Any], *codes: int) -> dict[str, Any]:
    body = {
        "description": description,
        "content": {
            "application/json": {"schema": schema},
            "text/xml": {"schema": {"type": "string"}},
        },
    }
    errors = {
        str(code): {
            "description": "The spec's errors: [{code, description}] or "
            "<errors><error><code/><description/></error></errors>",
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": ref("Open311Error")}
                },
                "text/xml": {"schema": {"type": "string"}},
            },
        }
        for code in sorted({*codes, 404})  # 404: another jurisdiction_id
    }
    return {"200": body, **errors}


def _get(
    summary: str,
    parameters: list[dict[str, Any]],
    schema: dict[str, Any],
    *codes: int,
) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "tags": ["Open311"],
            "parameters": [FORMAT, JURISDICTION, *parameters],
            "responses": _answer(summary, schema, *codes),
        }
    }


def _list(name: str) -> dict[str, Any]:
    return {"type": "array", "items": ref(name)}


def open311_paths() -> dict[str, Any]:
    code = {
        "name": "code",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    ticket = {
        "name": "ticket",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "the appeal's ticket (工单号)",
    }
    listing = [
        API_KEY,
        _query("service_request_id", "tickets, comma separated; overrides the rest"),
        _query("service_code", "catalogue item codes, comma separated"),
        _query("start_date", "W3C date-time; default 90 days before end_date"),
        _query("end_date", "W3C date-time; at most 90 days after start_date"),
        _query("status", "open, closed or both, comma separated"),
        _query("extensions", "true adds notes[]: the public timeline"),
    ]
    requests = _get(
        "Service requests (appeals) in scope",
        listing,
        _list("Open311Request"),
        400,
        403,
        404,
    )
    requests["post"] = {
        "summary": "File a service request (an appeal, through the portal)",
        "tags": ["Open311"],
        "parameters": [FORMAT],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["api_key", "service_code"],
                        "properties": {
                            name: {"type": "string"}
                            for name in (
                                "api_key",
                                "jurisdiction_id",
                                "service_code",
                                "description",
                                "lat",
                                "long",
                                "address_string",
                                "address_id",
                                "email",
                                "first_name",
                                "last_name",
                                "phone",
                                "media_url",
                                "attribute[uscc]",
                                "attribute[enterprise_name]",
                                "attribute[title]",
                                "attribute[priority]",
                            )
                        },
                    }
                }
            },
        },
        "responses": _answer(
            "[{service_request_id, service_notice}]",
            _list("Open311Receipt"),
            400,
            403,
            404,
        ),
    }
    return {
        f"{PREFIX}/discovery.{{format}}": _get(
            "Discovery", [], ref("Open311Discovery")
        ),
        f"{PREFIX}/services.{{format}}": _get(
            "Services: the catalogue in force", [], _list("Open311Service")
        ),
        f"{PREFIX}/services/{{code}}.{{format}}": _get(
            "A service's definition (attributes)",
            [code],
            ref("Open311ServiceDefinition"),
            404,
        ),
        f"{PREFIX}/requests.{{format}}": requests,
        f"{PREFIX}/requests/{{ticket}}.{{format}}": _get(
            "One service request (JSON: a one-element array)",
            [ticket, API_KEY, _query("extensions", "true adds notes[]")],
            _list("Open311Request"),
            403,
            404,
        ),
    }
