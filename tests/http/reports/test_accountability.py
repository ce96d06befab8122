"""GET /reports/accountability over HTTP, with real 2026 dates: the three
rates, the composite and the rank; who may read it."""

from __future__ import annotations

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.infra.clock import FixedClock
from tests.domain.lifecycle_fixtures import (
    UNIT,
)
from tests.http.conftest import Auth
from tests.support.reports import (
    history,
    project,
)

pytestmark = pytest.mark.asyncio


async def test_accountability_ranks_units_with_the_three_rates(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    history(ledger, clock)
    project(ledger)
    response = await client.get(
        "/reports/accountability",
        params={
            "group_by": "unit",
            "period": "month",
            "from": "2026-09-01",
            "to": "2026-09-30",
        },
        headers=auth("supervisor"),
    )
    body = response.json()
    (unit,) = [i for i in body["items"] if i["unit"] == UNIT]
    assert unit["period"] == "2026-09"
    assert (unit["assigned"], unit["accepted"], unit["accepted_on_time"]) == (3, 2, 1)
    assert unit["evaluated"] == unit["satisfied"] == unit["judged_resolved"] == 1
    assert unit["resolution_rate"] == unit["satisfaction_rate"] == 1.0
    assert unit["response_rate"] == 1.0  # the one response due was on time
    assert unit["composite"] == pytest.approx(1.0)
    assert unit["rank"] == 1
    assert body["weights"] == {"response": 0.1, "resolution": 0.5, "satisfaction": 0.4}


async def test_enterprises_may_not_read_accountability(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await client.get("/reports/accountability", headers=auth("enterprise"))
    assert response.status_code == 403
