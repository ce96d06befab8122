"""Checking a real response against the OpenAPI document: its operation,
status, media type and body schema (with the component schemas it refers
to) must all be documented, and the documented headers it carries must be of
their documented form."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema


def operation_for(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The documented operation for a request (literal paths win)."""
    templates = sorted(spec["paths"], key=lambda t: t.count("{"))
    for template in templates:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        operations = spec["paths"][template]
        if re.match(pattern, path) and method.lower() in operations:
            operation: dict[str, Any] = operations[method.lower()]
            return operation
    raise AssertionError(f"{method} {path} is not documented")


def validate(spec: dict[str, Any], instance: Any, schema: dict[str, Any]) -> None:
    jsonschema.validate(
        instance,
        {**schema, "components": spec["components"]},
        cls=jsonschema.Draft202012Validator,
    )


def check_documented(spec: dict[str, Any], response: httpx.Response) -> None:
    """Fails unless the response's status, media type, body and documented
    headers are as documented."""
    request = response.request
    operation = operation_for(spec, request.method, request.url.path)
    documented = operation["responses"].get(str(response.status_code))
    where = f"{request.method} {request.url.path} -> {response.status_code}"
    assert documented, where
    for name, header in documented.get("headers", {}).items():
        if name in response.headers and header["schema"].get("type") == "integer":
            assert response.headers[name].isdigit(), (where, name)
        elif name in response.headers and "enum" in header["schema"]:
            assert response.headers[name] in header["schema"]["enum"], (where, name)
    if not response.content:
        return
    media_type = response.headers["content-type"].split(";")[0]
    assert media_type in documented.get("content", {}), (where, media_type)
    if media_type.endswith("json"):
        validate(spec, response.json(), documented["content"][media_type]["schema"])
