"""Routing and 当场办 over HTTP (both stores), with a ledger given the
registered directory: a misspelt unit is a 422 naming the field, the reason
and a suggestion, recording nothing; the 诉求类型 is a body field of the
receipt; answer-on-the-spot answers from the catalogue and the appeal's
timeliness shows the centre's dispatch stage; the answers match the
OpenAPI document."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.domain.identities import CENTRE_UNIT
from tests.builders import DIRECTORY, ITEM, RECEIPT, post, received
from tests.http.conftest import Auth
from tests.http.test_openapi import check

pytestmark = pytest.mark.asyncio


async def test_a_misspelt_unit_is_a_422_with_a_suggestion_and_nothing_changes(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    ledger.rules = replace(ledger.rules, directory=DIRECTORY)
    spec = (await client.get("/openapi.json")).json()
    appeal_id = await received(client, auth, external_id="route-1")
    path = f"/appeals/{appeal_id}"
    response = await post(
        client, f"{path}/assign", {"unit": "市人设局"}, auth("dispatcher")
    )
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == "unit"
    assert error["reason"].startswith("未登记的单位 '市人设局'")
    assert "是否为 '市人社局'" in error["reason"]
    check(spec, response)
    appeal = (await client.get(path, headers=auth("auditor"))).json()
    assert (appeal["version"], appeal["status"]) == (1, "received")


async def test_answer_on_the_spot_over_http(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    ledger.rules = replace(ledger.rules, directory=DIRECTORY)
    spec = (await client.get("/openapi.json")).json()
    created = await post(
        client,
        "/appeals",
        {**RECEIPT, "external_id": "spot-1", "kind": "consult"},
        auth("intake"),
    )
    assert created.status_code == 201, created.text
    appeal_id = created.json()["id"]
    (receipt,) = ledger.history(UUID(appeal_id))
    assert receipt.kind == "consult"
    answered = await post(
        client,
        f"/appeals/{appeal_id}/answer-on-the-spot",
        {"item": ITEM},
        auth("intake"),
    )
    assert answered.status_code == 200, answered.text
    check(spec, answered)
    assert answered.json()["status"] == "replied"
    appeal = await client.get(f"/appeals/{appeal_id}", headers=auth("auditor"))
    check(spec, appeal)
    stages = [(s["stage"], s["unit"]) for s in appeal.json()["timeliness"]]
    assert stages == [("dispatch", CENTRE_UNIT), ("evaluation", CENTRE_UNIT)]


async def test_a_bad_kind_is_a_422_naming_the_field(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await post(
        client, "/appeals", {**RECEIPT, "kind": "gossip"}, auth("intake")
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["kind"]
