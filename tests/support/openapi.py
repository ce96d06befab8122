"""Checking a real response against the OpenAPI document: its operation,
status and body schema must all be documented."""

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


def check_documented(spec: dict[str, Any], response: httpx.Response) -> None:
    """Fails unless the response's status and body are as documented."""
    request = response.request
    operation = operation_for(spec, request.method, request.url.path)
    documented = operation["responses"].get(str(response.status_code))
    assert documented, f"{request.method} {request.url.path} -> {response.status_code}"
    media_type = response.headers["content-type"].split(";")[0]
    schema = documented["content"][media_type]["schema"]
    jsonschema.validate(
        response.json(),
        {**schema, "components": spec["components"]},
        cls=jsonschema.Draft202012Validator,
    )
