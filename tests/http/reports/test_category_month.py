"""GET /reports/category-month over HTTP: counts per category and month."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.domain.values import Category
from appeals.infra.clock import FixedClock
from tests.http.conftest import Auth
from tests.support.reports import (
    appeal,
    project,
)

pytestmark = pytest.mark.asyncio


async def test_appeals_per_category_per_month(
    client: httpx.AsyncClient, ledger: AppealLedger, clock: FixedClock, auth: Auth
) -> None:
    appeal(ledger, clock)
    appeal(ledger, clock, category=Category.LAND)
    clock.advance(timedelta(days=40))
    appeal(ledger, clock)
    project(ledger)
    response = await client.get("/reports/category-month", headers=auth("auditor"))
    assert [
        (r["month"], r["category"], r["appeals"]) for r in response.json()["rows"]
    ] == [
        ("2026-10", "financing", 1),
        ("2026-10", "land", 1),
        ("2026-11", "financing", 1),
    ]
    november = await client.get(
        "/reports/category-month",
        params={"from": "2026-11", "format": "csv"},
        headers=auth("supervisor"),
    )
    assert november.content.decode("utf-8-sig").splitlines() == [
        "月份,类别,类别(中文),诉求件数",
        "2026-11,financing,融资,1",
    ]
    refused = await client.get("/reports/category-month", headers=auth("handler"))
    assert refused.status_code == 403
