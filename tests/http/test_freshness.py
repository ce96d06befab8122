"""Read-your-writes over HTTP: ``?position=N`` waits for the view, or
answers 503 with ``Retry-After`` when it cannot catch up in time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from appeals.application.service import AppealLedger
from appeals.http.app import create_app
from appeals.infra.clock import FixedClock
from appeals.infra.settings import ProjectionSettings
from tests.builders import RECEIPT, post
from tests.domain.lifecycle_fixtures import (
    UNIT,
    USCC,
)
from tests.http.conftest import Auth
from tests.support.reports import (
    appeal,
    project,
)

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def app_with(
    ledger: AppealLedger,
) -> AsyncIterator[Any]:
    """Opens an app with the given projection settings (worker or not)."""
    opened: list[Any] = []

    async def open_app(settings: ProjectionSettings) -> httpx.AsyncClient:
        app = create_app(lambda: ledger, projections=settings)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://appeals.test"
        )
        opened.append((lifespan, http))
        return http

    yield open_app
    for lifespan, http in reversed(opened):
        await http.aclose()
        await lifespan.__aexit__(None, None, None)


async def test_a_report_waits_for_the_callers_own_write(
    app_with: Any, ledger: AppealLedger, auth: Auth
) -> None:
    live = await app_with(ProjectionSettings(run_in_server=True, poll_interval=0.02))
    created = await post(live, "/appeals", RECEIPT, auth("intake"))
    appeal_id, position = created.json()["id"], created.json()["position"]
    listed = await live.get(
        "/appeals", params={"position": position}, headers=auth("auditor")
    )
    assert listed.status_code == 200
    assert int(listed.headers["projection-position"]) >= position
    assert appeal_id in [item["id"] for item in listed.json()["items"]]
    assigned = await post(
        live, f"/appeals/{appeal_id}/assign", {"unit": UNIT}, auth("dispatcher")
    )
    ledger_view = await live.get(
        f"/enterprises/{USCC}/ledger",
        params={"position": assigned.json()["position"]},
        headers=auth("auditor"),
    )
    assert ledger_view.json()["items"][0]["unit"] == UNIT


async def test_a_report_that_cannot_catch_up_in_time_says_so(
    app_with: Any, ledger: AppealLedger, clock: FixedClock, auth: Auth
) -> None:
    appeal(ledger, clock)
    idle = await app_with(ProjectionSettings(run_in_server=False, max_wait=0.0))
    head = ledger.recorder.max_notification_id() or 0
    response = await idle.get(
        "/appeals", params={"position": head}, headers=auth("auditor")
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert body["type"].endswith("/projection-behind")
    assert (body["position"], body["projection_position"]) == (head, 0)
    bad = await idle.get("/appeals", params={"position": "x"}, headers=auth("auditor"))
    assert bad.status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/reports/accountability",
        "/reports/timeliness",
        "/reports/overdue",
        "/reports/category-month",
        "/reports/routing",
        "/appeals",
        "/units",
        "/catalogue",
    ],
)
async def test_every_report_states_its_position_and_whether_it_is_complete(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, path: str
) -> None:
    """Behind the log (nothing projected yet): ``complete`` false and the
    position it reflects; caught up: true at the log's head; the same in
    the CSV's headers."""
    created = await post(client, "/appeals", RECEIPT, auth("intake"))
    assert created.status_code == 201, created.text
    head = ledger.recorder.max_notification_id()
    behind = await client.get(path, headers=auth("supervisor"))
    assert behind.status_code == 200, behind.text
    assert behind.json()["complete"] is False
    assert behind.json()["position"] < head
    assert behind.headers["Projection-Complete"] == "false"
    project(ledger)
    caught_up = await client.get(path, headers=auth("supervisor"))
    assert (caught_up.json()["position"], caught_up.json()["complete"]) == (head, True)
    if path.startswith("/reports"):
        exported = await client.get(
            path, params={"format": "csv"}, headers=auth("supervisor")
        )
        assert exported.headers["Projection-Complete"] == "true"
        assert exported.headers["Projection-Position"] == str(head)
