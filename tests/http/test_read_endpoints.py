"""Reading appeals over HTTP: by id, by ticket, at a version; health."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.bootstrap import open_ledger
from appeals.domain import commands as cmd
from appeals.http.app import create_app
from appeals.infra.settings import Settings
from devtools.pgcluster import PostgresServer
from tests.builders import CADRE, receive
from tests.domain.lifecycle_fixtures import DISPATCHER, UNIT
from tests.http.conftest import Auth

pytestmark = pytest.mark.asyncio


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_an_appeal_by_id_with_its_version_as_etag(
    client: httpx.AsyncClient, ledger: AppealLedger, auth: Auth
) -> None:
    appeal_id = receive(ledger, title="用地指标咨询").appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT, cadre=CADRE), DISPATCHER)
    response = await client.get(f"/appeals/{appeal_id}", headers=auth("auditor"))
    assert response.status_code == 200
    body = response.json()
    assert response.headers["etag"] == '"2"'
    assert body["title"] == "用地指标咨询"
    assert body["status"] == "assigned"
    assert body["status_label"] == {"zh": "已交办", "en": "assigned"}
    assert body["unit"] == UNIT


async def test_an_appeal_as_it_was_at_an_earlier_version(
    client: httpx.AsyncClient, ledger: AppealLedger, auth: Auth
) -> None:
    appeal_id = receive(ledger).appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
    response = await client.get(
        f"/appeals/{appeal_id}", params={"version": 1}, headers=auth("auditor")
    )
    assert response.json()["status"] == "received"
    assert response.headers["etag"] == '"1"'


async def test_an_appeal_by_ticket(
    client: httpx.AsyncClient, ledger: AppealLedger, auth: Auth
) -> None:
    appeal_id = receive(ledger).appeal_id
    ticket = ledger.get(appeal_id).ticket
    response = await client.get(f"/appeals/by-ticket/{ticket}", headers=auth("auditor"))
    assert response.status_code == 200
    assert response.json()["id"] == str(appeal_id)


@pytest.mark.parametrize("path", [f"/appeals/{uuid4()}", "/appeals/not-a-uuid"])
async def test_unknown_appeals_are_problem_404s(
    client: httpx.AsyncClient, auth: Auth, path: str
) -> None:
    response = await client.get(path, headers=auth("auditor"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/appeal-not-found")


async def test_a_malformed_ticket_is_a_422_naming_the_field(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await client.get("/appeals/by-ticket/12345", headers=auth("auditor"))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "ticket", "reason": "must look like 20261121-000123"}
    ]


async def test_a_bad_version_parameter_is_a_422(
    client: httpx.AsyncClient, ledger: AppealLedger, auth: Auth
) -> None:
    appeal_id = receive(ledger).appeal_id
    response = await client.get(
        f"/appeals/{appeal_id}", params={"version": "x"}, headers=auth("auditor")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "version"


async def test_a_version_that_does_not_exist_is_404(
    client: httpx.AsyncClient, ledger: AppealLedger, auth: Auth
) -> None:
    appeal_id = receive(ledger).appeal_id
    response = await client.get(
        f"/appeals/{appeal_id}", params={"version": 9}, headers=auth("auditor")
    )
    assert response.status_code == 404


async def test_reads_need_a_token(
    client: httpx.AsyncClient, ledger: AppealLedger
) -> None:
    appeal_id = receive(ledger).appeal_id
    response = await client.get(f"/appeals/{appeal_id}")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    bad = await client.get(
        f"/appeals/{appeal_id}", headers={"Authorization": "Bearer nope"}
    )
    assert bad.status_code == 401
    assert bad.json()["detail"] == "the token is unknown or revoked"


async def test_read_scopes_for_handlers_and_enterprises(
    client: httpx.AsyncClient, ledger: AppealLedger, auth: Auth
) -> None:
    appeal_id = receive(ledger).appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
    path = f"/appeals/{appeal_id}"
    assert (await client.get(path, headers=auth("handler"))).status_code == 200
    assert (await client.get(path, headers=auth("other_handler"))).status_code == 403
    assert (await client.get(path, headers=auth("enterprise"))).status_code == 200
    other = await client.get(path, headers=auth("other_enterprise"))
    assert other.status_code == 403
    assert other.json()["type"].endswith("/not-permitted")


async def test_readiness_reports_the_store(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    # the test organisation's records: the views lag, but within the limit
    assert (body["status"], body["head"]) == ("ready", 5)
    assert {view["lag"] for view in body["views"].values()} == {5}
    assert body["max_lag"] == 1000


async def test_readiness_is_503_when_the_store_cannot_answer(
    postgres_server: PostgresServer,
) -> None:
    schema = f"t_{uuid4().hex[:16]}"
    url = f"{postgres_server.url()}?schema={schema}"
    app = create_app(
        lambda: open_ledger(Settings.from_env({"APPEALS_DATABASE_URL": url}))
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            assert (await http.get("/readyz")).status_code == 200
            with postgres_server.connect() as connection:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
            response = await http.get("/readyz")
            assert response.status_code == 503
            assert response.json()["status"] == "unavailable"
            assert (await http.get("/healthz")).status_code == 200
