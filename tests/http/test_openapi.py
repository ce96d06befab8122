"""The OpenAPI document stays true: real responses validate against it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from appeals.application.service import AppealLedger
from appeals.domain.commands import COMMANDS
from appeals.http.openapi_operations import TAGS
from appeals.http.tabular import XLSX
from tests.builders import RECEIPT, post, received
from tests.domain.lifecycle_fixtures import UNIT
from tests.http.conftest import Auth
from tests.support.openapi import check_documented as check
from tests.support.openapi import validate

pytestmark = pytest.mark.asyncio


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


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
        if path in ("/openapi.json", "/docs", "/dashboard") or path.startswith(
            ("/docs/", "/dashboard/")
        ):
            continue  # pages for people (the docs, the dashboard), not the API
        for method in getattr(route, "methods", set()) - {"HEAD"}:
            if path == "/appeals/{appeal_id}/{command}":
                continue  # one documented path per command
            assert (path, method) in documented, (path, method)


async def test_read_and_report_responses_match_the_document(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    """Every read's answer, with the parameters that change its rows, against
    the typed schemas (report rows, history and feed entries, pages)."""
    from tests.support.reports import project

    spec = (await client.get("/openapi.json")).json()
    appeal_id = await received(client, auth, external_id="openapi-reads")
    await post(
        client, f"/appeals/{appeal_id}/assign", {"unit": UNIT}, auth("dispatcher")
    )
    await post(client, f"/appeals/{appeal_id}/accept", {}, auth("handler"))
    project(ledger)
    reader = auth("auditor")
    requests: list[tuple[str, dict[str, str]]] = [
        ("/appeals", {}),
        ("/appeals", {"limit": "1"}),
        ("/appeals", {"overdue": "maybe"}),
        ("/enterprises/91330100716105852F/ledger", {}),
        ("/reports/category-month", {}),
        ("/reports/overdue", {}),
        ("/reports/timeliness", {}),
        ("/reports/timeliness", {"group_by": "unit"}),
        ("/reports/accountability", {}),
        ("/reports/accountability", {"group_by": "cadre", "period": "day"}),
        ("/reports/accountability", {"group_by": "category", "period": "week"}),
        ("/reports/routing", {}),
        ("/reports/callbacks", {}),
        ("/callbacks/queue", {"due": "all"}),
        ("/reports/visits", {}),
        ("/reports/unvisited", {}),
        ("/reports/meeting-tasks", {}),
        ("/supervision/orders", {}),
        ("/notices/2026-11/preview", {}),
        ("/notices/2026-11/preview", {"format": "xlsx"}),
        ("/assessments/2026-11/preview", {"format": "csv", "lang": "en"}),
        ("/assessments/2026-11/preview", {}),
        (f"/appeals/{appeal_id}/history", {}),
        (f"/appeals/{appeal_id}/verify", {}),
        ("/events", {}),
        ("/events", {"limit": "2"}),
        ("/reports/overdue", {"format": "csv"}),
        ("/reports/overdue", {"format": "xlsx", "lang": "en"}),
    ]
    responses = [
        await client.get(path, params=params, headers=reader)
        for path, params in requests
    ]
    responses += [
        await client.get(f"/appeals/{appeal_id}/history", headers=auth("enterprise")),
        await client.get("/events", headers=auth("enterprise")),
    ]
    assert {r.status_code for r in responses} == {200, 403, 422}
    media = {r.headers["content-type"].split(";")[0] for r in responses}
    assert media >= {"application/json", "text/csv", XLSX}
    for response in responses:
        check(spec, response)
    history = responses[-2].json()["events"]
    assert history
    assert all(isinstance(e["payload"], dict) for e in history)


async def test_a_typed_row_schema_refuses_a_row_of_another_shape(
    client: httpx.AsyncClient,
) -> None:
    """The typed schemas are not bare objects: a report row, a feed entry and
    a page that break them are refused."""
    spec = (await client.get("/openapi.json")).json()
    ref = {"$ref": "#/components/schemas/OverdueRow"}
    bad_rows = [
        {"appeal_id": "x", "ticket": 1},
        {
            "appeal_id": "6f1c",
            "ticket": "t",
            "stage": "resolve",
            "due": "d",
            "late_working_days": "three",
            "bucket": "over_5",
        },
    ]
    for row in bad_rows:
        with pytest.raises(jsonschema.ValidationError):
            validate(spec, row, ref)
    with pytest.raises(jsonschema.ValidationError):
        validate(spec, {"position": "1", "type": "T", "payload": {}},
                 {"$ref": "#/components/schemas/EventEntry"})  # fmt: skip
    page = spec["paths"]["/appeals"]["get"]["responses"]["200"]["content"]
    with pytest.raises(jsonschema.ValidationError):
        validate(
            spec,
            {"items": [{"id": "x"}], "position": 1, "complete": True},
            page["application/json"]["schema"],
        )


async def test_every_operation_has_a_unique_id_and_a_declared_tag(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    declared = [tag["name"] for tag in spec["tags"]]
    assert declared == [tag["name"] for tag in TAGS]
    assert all(tag["description"] for tag in spec["tags"])
    ids = [operation["operationId"] for _, _, operation in operations(spec)]
    assert len(ids) == len(set(ids)) > 100
    for method, path, operation in operations(spec):
        assert operation["operationId"].isidentifier(), (method, path)
        assert operation["tags"], path
        assert set(operation["tags"]) <= set(declared), path
    by_id = {o["operationId"]: (m, p) for m, p, o in operations(spec)}
    assert by_id["getAppeal"] == ("get", "/appeals/{appeal_id}")
    assert by_id["assignAppeal"] == ("post", "/appeals/{appeal_id}/assign")
    assert by_id["noteProgress"] == ("post", "/appeals/{appeal_id}/note-progress")
    assert by_id["listEvents"] == ("get", "/events")
    used = {tag for _, _, o in operations(spec) for tag in o["tags"]}
    assert used == set(declared)


async def test_a_new_operation_gets_an_id_and_a_tag_of_its_own() -> None:
    from appeals.http.openapi_operations import name_operations

    paths: dict[str, Any] = {
        "/reports/heat/{unit}": {"get": {"responses": {}}},
        "/something-else": {"post": {"responses": {}}},
    }
    name_operations(paths)
    assert paths["/reports/heat/{unit}"]["get"]["operationId"] == "getReportsHeatByUnit"
    assert paths["/reports/heat/{unit}"]["get"]["tags"] == ["报表 Reports"]
    assert paths["/something-else"]["post"]["tags"] == ["运维 Operations"]


async def test_headers_and_query_parameters_are_documented(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    for method, path, operation in operations(spec):
        names = {p["name"] for p in operation.get("parameters", [])}
        assert "X-Request-ID" in names, (method, path)
        for status, response in operation["responses"].items():
            assert "X-Request-ID" in response["headers"], (method, path, status)
            if status == "503":
                assert "Retry-After" in response["headers"], (method, path)
        for parameter in operation.get("parameters", []):
            assert parameter["in"] in ("path", "query", "header")
            assert "schema" in parameter, (path, parameter["name"])
            assert parameter["description"], (path, parameter["name"])
        if method == "post" and path.startswith("/appeals/{appeal_id}/"):
            assert "Idempotency-Key" in names, path
            if path.removeprefix("/appeals/{appeal_id}/") in COMMANDS:
                assert "If-Match" in names, path
                assert "ETag" in operation["responses"]["200"]["headers"]
        answer = operation["responses"].get("200", {}).get("content", {})
        if "text/csv" in answer:
            assert XLSX in answer, path
            assert {"format", "lang"} <= names, path
            fmt = next(p for p in operation["parameters"] if p["name"] == "format")
            assert "xlsx" in fmt["schema"]["enum"], path
        if "position" in names:
            assert "Projection-Position" in operation["responses"]["200"]["headers"]


async def test_examples_are_real_answers_that_match_their_schemas(
    client: httpx.AsyncClient,
) -> None:
    """The committed demo answers (devtools/openapi_examples.py) are attached
    to their operations and still validate against the documented schemas."""
    from appeals.http.openapi_operations import examples

    spec = (await client.get("/openapi.json")).json()
    attached = set()
    for method, path, operation in operations(spec):
        for answer in operation["responses"].values():
            json = answer.get("content", {}).get("application/json", {})
            if "example" in json:
                attached.add(f"{method.upper()} {path}")
                validate(spec, json["example"], json["schema"])
    assert set(examples()) <= attached
    assert len(examples()) >= 30
    assert "POST /appeals/{appeal_id}/assign" in attached  # the appeal answered
    listed = spec["paths"]["/reports/overdue"]["get"]["responses"]["200"]
    row = listed["content"]["application/json"]["example"]["items"][0]
    assert row["ticket"][:2] == "20"
    assert row["late_working_days"] > 0


async def test_swagger_ui_is_served_offline_beside_the_docs_page(
    client: httpx.AsyncClient,
) -> None:
    """Swagger UI's page and files come from this server (the installed
    swagger_ui_bundle package), never a CDN; its document is the same API
    said in OpenAPI 3.0, which the bundled Swagger UI reads."""
    import swagger_ui_bundle

    page = await client.get("/docs/swagger")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources
    assert all(s.startswith("/") for s in sources), sources
    assert "validatorUrl: null" in page.text
    assert "/docs/swagger" in (await client.get("/docs")).text
    for source in sources:
        if source.startswith("/docs/swagger/"):
            asset = await client.get(source)
            assert asset.status_code == 200, source
            name = source.rsplit("/", 1)[1]
            shipped = Path(swagger_ui_bundle.swagger_ui_path) / name
            assert asset.content == shipped.read_bytes()
    assert (await client.get("/docs/swagger/index.j2")).status_code == 404
    bundle = await client.get("/docs/swagger/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle" in bundle.text

    spec = (await client.get("/openapi.json")).json()
    older = (await client.get("/docs/swagger/openapi.json")).json()
    assert older["openapi"] == "3.0.3"
    assert older["paths"].keys() == spec["paths"].keys()
    text = (await client.get("/docs/swagger/openapi.json")).text
    assert '"type":["' not in text
    assert '{"type":"null"}' not in text
    appeal = older["components"]["schemas"]["Appeal"]["properties"]
    assert appeal["unit"] == {"type": "string", "nullable": True}
