"""Overdue, timeliness and accountability reports over HTTP, from the views,
with real 2026 dates (office hours 09:00-12:00, 13:30-17:30)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime
from uuid import UUID

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.domain import commands as cmd
from appeals.domain.values import Channel, Outcome, Satisfaction
from appeals.infra.clock import SHANGHAI, FixedClock
from tests.builders import receive
from tests.domain.lifecycle_fixtures import DISPATCHER, ENTERPRISE, HANDLER, UNIT
from tests.http.conftest import Auth
from tests.http.test_reports import project

pytestmark = pytest.mark.asyncio


def at(clock: FixedClock, month: int, day: int, hour: int, minute: int = 0) -> None:
    clock.set(datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI))


def assigned(ledger: AppealLedger, clock: FixedClock, day: int) -> UUID:
    """Received and assigned on a September working day at 10:00."""
    at(clock, 9, day, 10)
    appeal_id = receive(ledger).appeal_id
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT, cadre="张三"), DISPATCHER)
    return appeal_id


def history(ledger: AppealLedger, clock: FixedClock) -> dict[str, UUID]:
    """Three appeals assigned Mon 14 Sep 2026: one done on time and judged
    satisfied, one accepted late and left unresolved, one never accepted."""
    done, slow, idle = (assigned(ledger, clock, 14) for _ in range(3))
    at(clock, 9, 14, 11)
    ledger.execute(done, cmd.Accept(), HANDLER)
    ledger.execute(done, cmd.NoteProgress(note="已联系"), HANDLER)
    at(clock, 9, 15, 10)
    ledger.execute(done, cmd.Resolve(outcome=Outcome.RESOLVED, result="已办"), HANDLER)
    ledger.execute(done, cmd.Reply(channel=Channel.HOTLINE, content="已告知"), HANDLER)
    at(clock, 9, 16, 10)
    ledger.execute(
        done,
        cmd.Evaluate(resolved=True, satisfaction=Satisfaction.SATISFIED),
        ENTERPRISE,
    )
    at(clock, 9, 16, 11)
    ledger.execute(slow, cmd.Accept(), HANDLER)  # due 15 Sep 10:00
    return {"done": done, "slow": slow, "idle": idle}


async def test_overdue_lists_running_late_stages_with_ageing_buckets(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    appeals = history(ledger, clock)
    project(ledger)
    at(clock, 9, 24, 10)  # resolve due 20 Sep (the make-up Sunday) 10:00
    body = (await client.get("/reports/overdue", headers=auth("supervisor"))).json()
    late = {(i["appeal_id"], i["stage"]): i for i in body["items"]}
    idle, slow = str(appeals["idle"]), str(appeals["slow"])
    assert late[(idle, "accept")]["bucket"] == "over_5"  # due 15 Sep
    # 20 Sep 10:00 -> 24 Sep 10:00: 6 + 7 + 7 + 7 + 1 = 28 working hours = 4 days.
    assert late[(slow, "resolve")]["late_working_days"] == 4.0
    assert late[(slow, "resolve")]["bucket"] == "3_to_5"
    assert str(appeals["done"]) not in {i["appeal_id"] for i in body["items"]}
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
    appeal_id = assigned(ledger, clock, 14)  # accept due Tue 15 Sep 10:00
    project(ledger)
    at(clock, 9, 16, 10)  # exactly one working day late
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


async def test_the_list_filters_overdue_appeals(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    appeals = history(ledger, clock)
    project(ledger)
    at(clock, 9, 24, 10)
    response = await client.get(
        "/appeals", params={"overdue": "true"}, headers=auth("auditor")
    )
    ids = {item["id"] for item in response.json()["items"]}
    assert ids == {str(appeals["slow"]), str(appeals["idle"])}


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
    assert rows[0][:3] == ["ticket", "stage", "unit"]
    assert len(rows) >= 3


async def test_enterprises_may_not_read_accountability(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await client.get("/reports/accountability", headers=auth("enterprise"))
    assert response.status_code == 403
