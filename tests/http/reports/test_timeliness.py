"""GET /reports/timeliness over HTTP, with real 2026 dates: on-time rates
and median working hours per stage."""

from __future__ import annotations

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.http.app import create_app
from appeals.infra.blobs import BlobStore
from appeals.infra.clock import FixedClock
from appeals.infra.settings import Settings
from tests.http.conftest import Auth, serving
from tests.support.reports import (
    history,
    project,
)

pytestmark = pytest.mark.asyncio


async def test_timeliness_gives_on_time_rates_and_median_working_hours(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    history(ledger, clock)
    project(ledger)
    response = await client.get(
        "/reports/timeliness",
        params={"from": "2026-09-01", "to": "2026-09-30"},
        headers=auth("supervisor"),
    )
    stages = {i["stage"]: i for i in response.json()["items"]}
    assert (stages["accept"]["completed"], stages["accept"]["on_time"]) == (2, 1)
    assert stages["accept"]["on_time_rate"] == 0.5
    # Accepted after 1 h and after 6 + 7 + 2 = 15 h: the median is 8 h.
    assert stages["accept"]["median_working_hours"] == 8.0
    assert stages["resolve"]["completed"] == 1


@pytest.mark.parametrize("entries", [0, 1, None])
async def test_what_the_service_remembers_of_the_report_is_a_setting(
    ledger: AppealLedger,
    auth: Auth,
    clock: FixedClock,
    blobs: BlobStore,
    entries: int | None,
) -> None:
    """APPEALS_REMEMBERED_ENTRIES bounds the days of the report the service
    keeps counted: none with 0, the least recently used dropped beyond it
    (1: the month's last day), every day of the month by default; the
    figures the same each way."""
    history(ledger, clock)
    project(ledger)
    env = {} if entries is None else {"APPEALS_REMEMBERED_ENTRIES": str(entries)}
    settings = Settings.from_env(env)
    app = create_app(
        lambda: ledger,
        blobs=blobs,
        remembered_entries=settings.remembered_entries,
    )
    september = {"from": "2026-09-01", "to": "2026-09-30"}
    async with serving(app) as http:
        answers = [
            await http.get(
                "/reports/timeliness", params=september, headers=auth("supervisor")
            )
            for _ in range(2)
        ]
        remembered = app.state.context.remembered
    assert [a.status_code for a in answers] == [200, 200], answers[0].text
    assert answers[0].json()["items"], "September has completed stages"
    assert answers[0].json()["items"] == answers[1].json()["items"]
    assert remembered.size == (2048 if entries is None else entries)
    # the second read finds every day (30), the last one kept (1) or none
    assert remembered.hits == {None: 30, 1: 1, 0: 0}[entries]
