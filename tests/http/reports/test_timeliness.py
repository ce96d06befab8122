"""GET /reports/timeliness over HTTP, with real 2026 dates: on-time rates
and median working hours per stage."""

from __future__ import annotations

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.infra.clock import FixedClock
from tests.http.conftest import Auth
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
