"""Every refusal is a problem (issue 13 item 2): unknown routes 404, wrong
methods 405 with a correct ``Allow``, no redirect on a trailing slash, and
anything unexpected a 500 problem whose request id is in the log line."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from appeals.application.service import AppealLedger
from appeals.http.app import create_app
from tests.builders import received
from tests.http.conftest import Auth

pytestmark = pytest.mark.asyncio
PROBLEM = "application/problem+json"


@pytest_asyncio.fixture
async def tolerant(ledger: AppealLedger) -> AsyncIterator[httpx.AsyncClient]:
    """A client that gets the 500 answer instead of the app's exception."""
    app = create_app(lambda: ledger)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://appeals.test"
        ) as http:
            yield http


async def test_an_unknown_route_is_a_problem(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await client.get("/nowhere", headers=auth("auditor"))
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/not-found")


async def test_a_trailing_slash_is_not_redirected(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await client.get("/appeals/", headers=auth("auditor"))
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


async def test_a_wrong_method_on_the_appeals_collection_allows_get_and_post(
    client: httpx.AsyncClient,
) -> None:
    response = await client.request("OPTIONS", "/appeals")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed


@pytest.mark.parametrize("path", ["history", "verify"])
async def test_posting_to_a_read_is_405_not_an_unknown_command(
    client: httpx.AsyncClient, auth: Auth, path: str
) -> None:
    appeal_id = await received(client, auth)
    response = await client.post(
        f"/appeals/{appeal_id}/{path}", json={}, headers=auth("auditor")
    )
    assert response.status_code == 405, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "GET" in response.headers["allow"]


async def test_getting_a_command_is_405_allowing_post(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    appeal_id = await received(client, auth)
    response = await client.get(f"/appeals/{appeal_id}/assign", headers=auth("auditor"))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"] == PROBLEM


async def test_every_answer_carries_the_clients_request_id_or_a_new_one(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "trace-42"})
    assert given.headers["x-request-id"] == "trace-42"
    fresh = await client.get("/healthz", headers={"X-Request-ID": "bad id\x7f"})
    assert fresh.headers["x-request-id"] not in ("", "bad id\x7f")


async def test_an_unexpected_error_is_a_500_problem_with_a_logged_request_id(
    tolerant: httpx.AsyncClient,
    auth: Auth,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("appeals.application.queries.appeal_by_ticket", broken)
    with caplog.at_level(logging.ERROR, logger="appeals.http"):
        response = await tolerant.get(
            "/appeals/by-ticket/T-1",
            headers={**auth("auditor"), "X-Request-ID": "req-7"},
        )
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["request_id"] == "req-7"
    assert response.headers["x-request-id"] == "req-7"
    assert "a bug" not in response.text  # no internals leak to the client
    assert any("request_id=req-7" in r.getMessage() for r in caplog.records)


async def test_json_ends_with_a_newline_and_the_root_points_to_the_docs(
    client: httpx.AsyncClient,
) -> None:
    root = await client.get("/")
    assert root.status_code == 200
    assert root.json()["docs"] == "/docs"
    assert root.json()["dashboard"] == "/dashboard"
    assert (await client.get(root.json()["swagger"])).status_code == 200
    assert root.content.endswith(b"}\n")
    missing = await client.get("/nowhere")
    assert missing.content.endswith(b"}\n")
