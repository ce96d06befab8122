"""The OpenAPI document stays true: real responses validate against it."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema
import pytest

from appeals.application.service import AppealLedger
from appeals.domain.commands import COMMANDS
from tests.builders import RECEIPT, post, received
from tests.domain.lifecycle_fixtures import UNIT
from tests.http.conftest import Auth

pytestmark = pytest.mark.asyncio


def operation_for(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    # Literal templates (/appeals/by-ticket/...) win over parameterised ones.
    templates = sorted(spec["paths"], key=lambda t: t.count("{"))
    for template in templates:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        operations = spec["paths"][template]
        if re.match(pattern, path) and method.lower() in operations:
            operation: dict[str, Any] = operations[method.lower()]
            return operation
    raise AssertionError(f"{method} {path} is not documented")


def check(spec: dict[str, Any], response: httpx.Response) -> None:
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


async def test_the_document_is_openapi_3_1_and_covers_every_command(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["openapi"] == "3.1.0"
    for name in COMMANDS:
        assert f"/appeals/{{appeal_id}}/{name}" in spec["paths"]
    for schema in spec["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


async def test_real_responses_match_the_document(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    spec = (await client.get("/openapi.json")).json()
    responses = [
        await client.get("/healthz"),
        await client.get("/readyz"),
        await post(client, "/appeals", RECEIPT, auth("intake")),
        await post(client, "/appeals", RECEIPT, auth("intake")),
        await post(client, "/appeals", {"uscc": "x"}, auth("intake")),
        await post(client, "/appeals", RECEIPT, {}),
        await post(client, "/appeals", RECEIPT, auth("auditor")),
    ]
    appeal_id = await received(client, auth, external_id="openapi-2")
    path = f"/appeals/{appeal_id}"
    responses += [
        await client.get(path, headers=auth("auditor")),
        await client.get(path, params={"version": 5}, headers=auth("auditor")),
        await post(client, f"{path}/assign", {"unit": UNIT}, auth("dispatcher")),
        await post(client, f"{path}/accept", {}, auth("other_handler")),
        await post(client, f"{path}/reply", {"channel": "x"}, auth("handler")),
        await post(
            client,
            f"{path}/reopen",
            {"reason": "x"},
            auth("supervisor", **{"If-Match": '"1"'}),
        ),
        await post(client, f"{path}/reopen", {"reason": "x"}, auth("supervisor")),
        await client.post(
            f"{path}/accept",
            content=b"{",
            headers=auth("handler", **{"Content-Type": "application/json"}),
        ),
        await client.post(
            f"{path}/accept",
            content=b"{}",
            headers=auth("handler", **{"Content-Type": "text/plain"}),
        ),
    ]
    statuses = {r.status_code for r in responses}
    assert statuses >= {200, 201, 400, 401, 403, 404, 409, 412, 415, 422}
    for response in responses:
        check(spec, response)


async def test_the_docs_page_works_offline_and_lists_every_path(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "http://" not in page.text.replace("http://appeals.test", "")
    assert "<script" not in page.text
    for name in COMMANDS:
        assert f"/appeals/{{appeal_id}}/{name}" in page.text


async def test_every_route_of_the_app_is_documented(client: httpx.AsyncClient) -> None:
    from appeals.http.app import create_app

    spec = (await client.get("/openapi.json")).json()
    app = create_app(lambda: None)  # type: ignore[arg-type,return-value]
    documented = {
        (path, method.upper())
        for path, operations in spec["paths"].items()
        for method in operations
    }
    for route in app.routes:
        path = getattr(route, "path", "")
        if path in ("/openapi.json", "/docs"):
            continue
        for method in getattr(route, "methods", set()) - {"HEAD"}:
            if path == "/appeals/{appeal_id}/{command}":
                continue  # one documented path per command
            assert (path, method) in documented, (path, method)


async def test_read_and_report_responses_match_the_document(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    from tests.support.reports import project

    spec = (await client.get("/openapi.json")).json()
    appeal_id = await received(client, auth, external_id="openapi-reads")
    project(ledger)
    reader = auth("auditor")
    responses = [
        await client.get("/appeals", headers=reader),
        await client.get("/appeals", params={"overdue": "maybe"}, headers=reader),
        await client.get("/enterprises/91330100716105852F/ledger", headers=reader),
        await client.get("/reports/category-month", headers=reader),
        await client.get("/reports/overdue", headers=reader),
        await client.get("/reports/timeliness", headers=reader),
        await client.get("/reports/accountability", headers=reader),
        await client.get(f"/appeals/{appeal_id}/history", headers=reader),
        await client.get(f"/appeals/{appeal_id}/verify", headers=reader),
        await client.get("/events", headers=reader),
        await client.get("/events", headers=auth("enterprise")),
    ]
    assert {r.status_code for r in responses} == {200, 403, 422}
    for response in responses:
        check(spec, response)
