"""GET /enterprises/{uscc}/ledger over HTTP: the 问题台账, its scope and CSV."""

from __future__ import annotations

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.domain.values import Satisfaction
from appeals.infra.clock import FixedClock
from tests.domain.lifecycle_fixtures import (
    OTHER_USCC,
    USCC,
)
from tests.http.conftest import Auth
from tests.support.reports import (
    appeal,
    closed_after_evaluation,
    project,
)

pytestmark = pytest.mark.asyncio


async def test_the_enterprise_ledger_summarises_its_appeals(
    client: httpx.AsyncClient, ledger: AppealLedger, clock: FixedClock, auth: Auth
) -> None:
    done = appeal(ledger, clock)
    closed_after_evaluation(ledger, done, Satisfaction.BASIC)
    still_open = appeal(ledger, clock)
    appeal(ledger, clock, uscc=OTHER_USCC)
    project(ledger)
    response = await client.get(f"/enterprises/{USCC}/ledger", headers=auth("auditor"))
    assert response.status_code == 200
    body = response.json()
    summary = body["enterprise"]
    assert summary["name"] == "苏州工业园区某某生物医药有限公司"
    assert (summary["appeals"], summary["open_appeals"]) == (2, 1)
    assert summary["overdue_appeals"] == 0
    assert summary["satisfaction"] == {
        "satisfied": 0,
        "basically_satisfied": 1,
        "unsatisfied": 0,
        "evaluations": 1,
    }
    assert [a["id"] for a in body["items"]] == [str(still_open), str(done)]
    assert body["items"][1]["status"] == "closed"
    paged = await client.get(
        f"/enterprises/{USCC}/ledger", params={"limit": 1}, headers=auth("auditor")
    )
    after = await client.get(
        f"/enterprises/{USCC}/ledger",
        params={"limit": 1, "cursor": paged.json()["next"]},
        headers=auth("auditor"),
    )
    assert [a["id"] for a in after.json()["items"]] == [str(done)]
    exported = await client.get(
        f"/enterprises/{USCC}/ledger", headers=auth("enterprise", Accept="text/csv")
    )
    assert exported.status_code == 200
    assert len(exported.content.decode("utf-8-sig").splitlines()) == 3


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("enterprise", 200),
        ("other_enterprise", 403),
        ("handler", 403),
        ("supervisor", 200),
    ],
)
async def test_an_enterprise_reads_only_its_own_ledger(
    client: httpx.AsyncClient, auth: Auth, who: str, status: int
) -> None:
    response = await client.get(f"/enterprises/{USCC}/ledger", headers=auth(who))
    assert response.status_code == status


async def test_a_ledger_needs_a_valid_credit_code(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await client.get("/enterprises/X123/ledger", headers=auth("auditor"))
    assert response.status_code == 422
