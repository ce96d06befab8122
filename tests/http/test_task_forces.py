"""Task forces (专班, issue 18 item 3) over HTTP on both stores: formed for an
enterprise with cadres of two units, its board showing the enterprise's
appeals and their progress, disbanded and formed again."""

from __future__ import annotations

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.infra.clock import FixedClock
from tests.builders import CADRE, RECEIPT, TAX_CADRE, TAX_UNIT, post
from tests.domain.lifecycle_fixtures import UNIT
from tests.http.conftest import Auth
from tests.http.test_openapi import check
from tests.support.reports import project

pytestmark = pytest.mark.asyncio


async def test_a_task_force_tracks_the_enterprises_appeals(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    spec = (await client.get("/openapi.json")).json()
    first = await post(client, "/appeals", RECEIPT, auth("intake"))
    second = await post(
        client, "/appeals", {**RECEIPT, "external_id": "tf-2"}, auth("intake")
    )
    uscc = RECEIPT["uscc"]
    assert (first.status_code, second.status_code) == (201, 201)
    await post(
        client, f"/appeals/{second.json()['id']}/withdraw", {"reason": "已解决"},
        auth("intake"),
    )  # fmt: skip
    today = clock.now().date().isoformat()
    body = {"name": "某某生物医药专班", "uscc": uscc, "lead": CADRE,
            "members": [TAX_CADRE], "formed_on": today}  # fmt: skip
    refused = await post(client, "/taskforces", body, auth("handler"))
    assert refused.status_code == 403
    unknown = await post(
        client, "/taskforces", {**body, "members": ["C-NOBODY"]}, auth("supervisor")
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "members"
    formed = await post(client, "/taskforces", body, auth("supervisor"))
    assert formed.status_code == 201, formed.text
    check(spec, formed)
    force = formed.json()
    assert force["units"] == [UNIT, TAX_UNIT]
    again = await post(client, "/taskforces", body, auth("supervisor"))
    assert again.status_code == 409  # one at a time
    project(ledger)
    ledger_page = await client.get(
        f"/enterprises/{uscc}/ledger", headers=auth("auditor")
    )
    assert ledger_page.json()["service"]["task_force"]["name"] == "某某生物医药专班"
    board = await client.get(
        f"/taskforces/{force['id']}/board", headers=auth("handler")
    )
    check(spec, board)
    progress = board.json()["progress"]
    assert (progress["appeals"], progress["open"]) == (2, 1)
    assert progress["by_status"] == {"received": 1, "withdrawn": 1}
    assert [a["appeal_id"] for a in board.json()["open_appeals"]] == [
        first.json()["id"]
    ]
    disbanded = await post(
        client,
        f"/taskforces/{force['id']}/disband",
        {"disbanded_on": today, "reason": "问题已化解"},
        auth("supervisor"),
    )
    assert disbanded.status_code == 200, disbanded.text
    assert disbanded.json()["active"] is False
    reformed = await post(client, "/taskforces", body, auth("dispatcher"))
    assert reformed.status_code == 201
    assert reformed.json()["active"] is True
