"""Nothing leaks across scopes over HTTP: a caller is authorised before
anything else is checked, a refusal names nothing the caller may not see, a
foreign ticket looks missing, and an appeal's earlier versions are read under
the same scope rule as its history."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.builders import RECEIPT, UNIT, post, received
from tests.http.conftest import Auth

pytestmark = pytest.mark.asyncio


async def test_a_stale_if_match_tells_an_outsider_nothing(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    appeal_id = await received(client, auth)
    await post(client, f"/appeals/{appeal_id}/assign", {"unit": UNIT}, auth("admin"))
    response = await client.post(
        f"/appeals/{appeal_id}/accept",
        json={},
        headers=auth("other_handler", **{"If-Match": '"99"'}),
    )
    assert response.status_code == 403, response.text
    assert "current_version" not in response.json()
    assert UNIT not in response.text  # nor the unit the appeal is assigned to
    inside = await client.post(
        f"/appeals/{appeal_id}/accept",
        json={},
        headers=auth("handler", **{"If-Match": '"99"'}),
    )
    assert inside.status_code == 412  # those in scope still learn the version
    assert inside.json()["current_version"] == 2


async def test_a_foreign_ticket_answers_as_a_missing_one(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    created = await post(client, "/appeals", RECEIPT, auth("intake"))
    ticket = created.json()["ticket"]
    mine = await client.get(f"/appeals/by-ticket/{ticket}", headers=auth("enterprise"))
    assert mine.status_code == 200
    foreign = await client.get(
        f"/appeals/by-ticket/{ticket}", headers=auth("other_enterprise")
    )
    missing_ticket = ticket[:-6] + "999999"
    missing = await client.get(
        f"/appeals/by-ticket/{missing_ticket}", headers=auth("other_enterprise")
    )
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["type"] == missing.json()["type"]

    # the same answer but for the ticket and each request's own id
    def shown(response: httpx.Response, number: str) -> str:
        body = {**response.json(), "request_id": "R"}
        return json.dumps(body, sort_keys=True).replace(number, "T")

    assert shown(foreign, ticket) == shown(missing, missing_ticket)


async def test_earlier_versions_follow_the_historys_scope(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    """Assigned to 市人社局 (v2), returned (v3), reassigned to 市税务局 (v4):
    市人社局's handler may read neither the history nor version 2; 市税务局's
    may read both, version 1 (no unit yet) included."""
    appeal_id = await received(client, auth)
    path = f"/appeals/{appeal_id}"
    await post(client, f"{path}/assign", {"unit": UNIT}, auth("admin"))
    returned = await post(
        client, f"{path}/return", {"reason": "非本单位"}, auth("handler")
    )
    assert returned.status_code == 200, returned.text
    await post(client, f"{path}/assign", {"unit": "SZ-SWJ"}, auth("admin"))
    for who, expected in (("handler", 403), ("other_handler", 200)):
        history = await client.get(f"{path}/history", headers=auth(who))
        assert history.status_code == expected, (who, history.text)
        for version in (1, 2, 4):
            response = await client.get(
                path, params={"version": version}, headers=auth(who)
            )
            assert response.status_code == expected, (who, version, response.text)
