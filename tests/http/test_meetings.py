"""Joint meetings (会办, issue 18 item 5) over HTTP on both stores: held with
two units and an appeal, a follow-up task per unit, completed by its owner,
the open and overdue tasks listed; bad input refused and nothing changed."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.infra.clock import FixedClock
from tests.builders import RECEIPT, TAX_UNIT, post
from tests.domain.lifecycle_fixtures import UNIT
from tests.http.conftest import Auth
from tests.http.test_openapi import check
from tests.support.reports import project

pytestmark = pytest.mark.asyncio


async def test_a_meeting_sets_tasks_that_their_owners_complete(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    spec = (await client.get("/openapi.json")).json()
    created = await post(client, "/appeals", RECEIPT, auth("intake"))
    appeal = created.json()["id"]
    today = clock.now().date()
    lonely = await post(
        client,
        "/meetings",
        {"subject": "x", "day": today.isoformat(), "units": [UNIT], "decisions": "y"},
        auth("supervisor"),
    )
    assert lonely.status_code == 422
    assert lonely.json()["errors"][0]["field"] == "units"
    held = await post(
        client,
        "/meetings",
        {"subject": "新厂房消防验收现场会办", "day": today.isoformat(),
         "units": [UNIT, TAX_UNIT], "appeals": [appeal],
         "decisions": "人社局牵头，税务局配合，五个工作日内办结"},
        auth("supervisor"),
    )  # fmt: skip
    assert held.status_code == 201, held.text
    check(spec, held)
    meeting = held.json()["id"]
    stranger = await post(
        client,
        f"/meetings/{meeting}/tasks",
        {"task": "x", "owner": "SZ-SCJGJ", "due": today.isoformat()},
        auth("supervisor"),
    )
    assert stranger.status_code == 422  # the market regulator did not attend
    for owner, days in ((UNIT, 5), (TAX_UNIT, -1)):
        task = await post(
            client,
            f"/meetings/{meeting}/tasks",
            {"task": f"{owner} 落实会办决定", "owner": owner,
             "due": (today + timedelta(days=days)).isoformat()},
            auth("dispatcher"),
        )  # fmt: skip
        assert task.status_code == 201, task.text
    refused = await post(
        client, f"/meetings/{meeting}/tasks/2/done", {"note": "x"}, auth("handler")
    )
    assert refused.status_code == 403  # task 2 is the tax bureau's
    done = await post(
        client, f"/meetings/{meeting}/tasks/1/done", {"note": "已办结"}, auth("handler")
    )
    assert done.status_code == 200, done.text
    check(spec, done)
    assert [t["done"] for t in done.json()["tasks"]] == [True, False]
    project(ledger)
    open_tasks = await client.get("/reports/meeting-tasks", headers=auth("auditor"))
    check(spec, open_tasks)
    [late] = open_tasks.json()["items"]
    assert (late["owner"], late["overdue"], late["number"]) == (TAX_UNIT, True, 2)
    every = await client.get(
        "/reports/meeting-tasks", params={"open": "false"}, headers=auth("auditor")
    )
    assert len(every.json()["items"]) == 2
    shown = await client.get(f"/meetings/{meeting}", headers=auth("handler"))
    assert shown.json()["appeals"] == [appeal]
