"""GET /reports/accountability over HTTP, with real 2026 dates: the three
counts and rates of what each unit did, ranking nobody; who may read it."""

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


async def test_accountability_shows_what_each_unit_did_and_ranks_nobody(
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
    # Activity rates flatter a unit that leaves appeals alone (two of its
    # three are unresolved, never evaluated): so nothing here is ranked or
    # scored; the monthly assessment ranks, over what was due.
    assert "rank" not in unit
    assert "composite" not in unit
    assert "weights" not in body


async def test_enterprises_may_not_read_accountability(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await client.get("/reports/accountability", headers=auth("enterprise"))
    assert response.status_code == 403
