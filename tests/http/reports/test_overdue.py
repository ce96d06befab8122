"""GET /reports/overdue over HTTP, with real 2026 dates (office hours
09:00-12:00, 13:30-17:30): late running stages by ageing bucket, CSV."""

from __future__ import annotations

import csv
import io
from collections import Counter

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.domain.identities import CENTRE_UNIT
from appeals.infra.clock import FixedClock
from tests.http.conftest import Auth
from tests.support.reports import (
    assigned,
    at,
    history,
    project,
)

pytestmark = pytest.mark.asyncio


async def test_overdue_lists_running_late_stages_with_ageing_buckets(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    appeals = history(ledger, clock)
    project(ledger)
    at(clock, 9, 24, 17, 30)  # resolve due 20 Sep (the make-up Sunday) 17:30
    body = (await client.get("/reports/overdue", headers=auth("supervisor"))).json()
    late = {(i["appeal_id"], i["stage"]): i for i in body["items"]}
    idle, slow = str(appeals["idle"]), str(appeals["slow"])
    assert late[(idle, "accept")]["bucket"] == "over_5"  # due 15 Sep 17:30
    # 20 Sep 17:30 -> 24 Sep 17:30: 21, 22, 23, 24 Sep = 28 working hours = 4 days.
    assert late[(slow, "resolve")]["late_working_days"] == 4.0
    assert late[(slow, "resolve")]["bucket"] == "3_to_5"
    # "done" is late only at the centre's close stage (evaluated 16 Sep)
    done = [i for i in body["items"] if i["appeal_id"] == str(appeals["done"])]
    assert [(i["stage"], i["unit"]) for i in done] == [("close", CENTRE_UNIT)]
    assert body["buckets"]["3_to_5"] >= 1
    # The database's counts and the items' own buckets agree.
    per_item = Counter(i["bucket"] for i in body["items"])
    assert {k: v for k, v in body["buckets"].items() if v} == dict(per_item)
    mine = await client.get("/reports/overdue", headers=auth("other_handler"))
    assert mine.json()["items"] == []
    page = await client.get(
        "/reports/overdue", params={"limit": 1}, headers=auth("supervisor")
    )
    assert len(page.json()["items"]) == 1
    assert page.json()["total"] == len(body["items"])
    assert page.json()["buckets"] == body["buckets"]


async def test_ageing_bucket_edges_are_exact(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = assigned(ledger, clock, 14)  # accept due Tue 15 Sep 17:30
    project(ledger)
    at(clock, 9, 16, 17, 30)  # exactly one working day late
    body = (await client.get("/reports/overdue", headers=auth("supervisor"))).json()
    (accept,) = [
        i
        for i in body["items"]
        if i["appeal_id"] == str(appeal_id) and i["stage"] == "accept"
    ]
    assert (accept["late_working_days"], accept["bucket"]) == (1.0, "1_to_3")
    per_item = Counter(i["bucket"] for i in body["items"])
    assert per_item["1_to_3"] == body["buckets"]["1_to_3"] >= 1
    assert body["buckets"]["under_1"] == per_item["under_1"]


async def test_reports_answer_csv_with_a_bom(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    history(ledger, clock)
    project(ledger)
    at(clock, 9, 24, 10)
    response = await client.get(
        "/reports/overdue", headers=auth("supervisor", Accept="text/csv")
    )
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["工单号", "环节", "单位"]
    assert len(rows) >= 3
