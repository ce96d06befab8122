"""What auditors read over HTTP: histories, past states, the feed, verification."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.domain import commands as cmd
from appeals.infra.clock import FixedClock
from tests.builders import CADRE, receive
from tests.domain.lifecycle_fixtures import DISPATCHER, HANDLER, UNIT
from tests.http.conftest import Auth

pytestmark = pytest.mark.asyncio


def three_steps(ledger: AppealLedger, clock: FixedClock) -> UUID:
    appeal_id = receive(ledger, title="厂房租赁补贴").appeal_id
    clock.advance(timedelta(hours=1))
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT, cadre=CADRE), DISPATCHER)
    clock.advance(timedelta(hours=1))
    ledger.execute(appeal_id, cmd.Accept(), HANDLER)
    return appeal_id


async def test_a_history_lists_every_event_with_who_when_and_a_summary(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = three_steps(ledger, clock)
    response = await client.get(
        f"/appeals/{appeal_id}/history", headers=auth("auditor")
    )
    assert response.status_code == 200
    events = response.json()["events"]
    assert [e["version"] for e in events] == [1, 2, 3]
    assert [e["type"] for e in events] == [
        "Appeal.Received",
        "Appeal.Assigned",
        "Appeal.Accepted",
    ]
    positions = [e["position"] for e in events]
    assert positions == sorted(positions)
    accepted = events[2]
    assert accepted["business_time"] == "2026-10-08T11:12:00.000000+08:00"
    assert accepted["recorded_time"] is not None
    assert accepted["actor"]["unit"] == UNIT
    assert accepted["summary"]["zh"] == f"2026-10-08 11:12 {UNIT} 张三 签收"
    assert accepted["summary"]["en"] == f"2026-10-08 11:12 {UNIT} 张三 accepted"
    assigned = events[1]
    assert assigned["payload"]["unit"] == UNIT
    assert assigned["payload"]["accept_due"].startswith("2026-10-09T17:30")  # 次日起


async def test_an_appeal_as_of_a_past_instant_with_its_timeliness_then(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = three_steps(ledger, clock)
    response = await client.get(
        f"/appeals/{appeal_id}",
        params={"as_of": "2026-10-08T10:30:00+08:00"},
        headers=auth("auditor"),
    )
    body = response.json()
    assert (body["version"], body["status"]) == (2, "assigned")
    accept = next(s for s in body["timeliness"] if s["stage"] == "accept")
    assert accept["completed_at"] is None
    assert accept["working_seconds"] == 18 * 60  # 10:12 to 10:30


async def test_before_the_receipt_there_is_no_appeal(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = three_steps(ledger, clock)
    response = await client.get(
        f"/appeals/{appeal_id}",
        params={"as_of": "2026-10-01T00:00:00+08:00"},
        headers=auth("auditor"),
    )
    assert response.status_code == 404


async def test_verification_is_clean_for_an_untouched_appeal(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = three_steps(ledger, clock)
    response = await client.get(f"/appeals/{appeal_id}/verify", headers=auth("auditor"))
    assert response.json() == {"appeal": str(appeal_id), "intact": True, "events": 3}


async def test_verification_reports_the_first_broken_link(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = three_steps(ledger, clock)
    table = ledger.database.table(ledger.recorder.events_table_name)  # type: ignore[attr-defined]
    key = appeal_id.hex if ledger.database.engine == "sqlite" else appeal_id
    with ledger.database.transaction() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE originator_id = ? AND originator_version = 2",
            (key,),
        )
    body = (
        await client.get(f"/appeals/{appeal_id}/verify", headers=auth("auditor"))
    ).json()
    assert body["intact"] is False
    assert body["first_broken"]["version"] == 2


async def test_the_feed_pages_the_business_events_in_commit_order(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    for _ in range(3):
        three_steps(ledger, clock)
    seen = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 4}
        if cursor is not None:
            params["cursor"] = cursor
        page = (
            await client.get("/events", params=params, headers=auth("auditor"))
        ).json()
        assert set(page) == {"items", "next"}  # the one shape of every list
        seen.extend(e["position"] for e in page["items"])
        if page["next"] is None:
            break
        cursor = page["next"]
    records = ledger.event_log.after(0, 10_000)
    business = [r.position for r in records if not r.topic.startswith("AppealIndex.")]
    assert seen == business  # every business event, in order, none twice
    assert len(business) < len(records)  # the ticket claims are bookkeeping
    first = (await client.get("/events", headers=auth("auditor"))).json()["items"][0]
    assert "originator_id" not in first
    assert first["aggregate_id"]
    assert first["recorded_time"].endswith("+08:00")
    older = await client.get(  # ?after=, the cursor's older name, still works
        "/events", params={"after": seen[0]}, headers=auth("auditor")
    )
    assert older.json()["items"][0]["position"] == seen[1]


async def test_the_feed_filters_by_type_and_time(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    three_steps(ledger, clock)
    clock.advance(timedelta(days=2))
    three_steps(ledger, clock)
    page = (
        await client.get(
            "/events",
            params={"type": "Appeal.Accepted", "from": "2026-10-09T00:00:00+08:00"},
            headers=auth("auditor"),
        )
    ).json()
    assert [e["type"] for e in page["items"]] == ["Appeal.Accepted"]
    assert page["items"][0]["business_time"].startswith("2026-10-10")


async def test_who_may_read_histories_and_the_feed(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = three_steps(ledger, clock)
    path = f"/appeals/{appeal_id}/history"
    assert (await client.get(path, headers=auth("enterprise"))).status_code == 200
    assert (await client.get(path, headers=auth("handler"))).status_code == 200
    other = await client.get(path, headers=auth("other_enterprise"))
    assert other.status_code == 403
    assert (await client.get(path, headers=auth("other_handler"))).status_code == 403
    feed = await client.get("/events", headers=auth("enterprise"))
    assert feed.status_code == 403
    refused = await client.post(
        f"/appeals/{appeal_id}/note-progress",
        json={"note": "x"},
        headers=auth("auditor"),
    )
    assert refused.status_code == 403
