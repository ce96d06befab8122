"""Callbacks and 好差评 over HTTP (issue 17, items 1, 2 and 4): the queue,
attempts recorded by intake, the five-grade evaluation, samples, the figures
and the close stage, on both stores, with the OpenAPI document checked."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.infra.clock import FixedClock
from tests.builders import RECEIPT, post, run
from tests.domain.lifecycle_fixtures import UNIT
from tests.http.conftest import Auth
from tests.http.test_openapi import check
from tests.support.reports import project

pytestmark = pytest.mark.asyncio


async def replied(client: httpx.AsyncClient, auth: Auth, external_id: str) -> str:
    created = await post(
        client, "/appeals", {**RECEIPT, "external_id": external_id}, auth("intake")
    )
    appeal: str = created.json()["id"]
    await run(client, auth, appeal, "dispatcher", "assign", unit=UNIT)
    await run(client, auth, appeal, "handler", "accept")
    await run(
        client, auth, appeal, "handler", "resolve", outcome="resolved", result="已办"
    )
    await run(
        client, auth, appeal, "handler", "reply", channel="hotline", content="告知"
    )
    return appeal


async def test_the_centre_works_the_queue_and_the_figures_follow(
    client: httpx.AsyncClient, auth: Auth, clock: FixedClock, ledger: AppealLedger
) -> None:
    spec = (await client.get("/openapi.json")).json()
    reached = await replied(client, auth, "cb-1")
    unreachable = await replied(client, auth, "cb-2")
    project(ledger)
    waiting = await client.get(
        "/callbacks/queue", params={"due": "all"}, headers=auth("intake")
    )
    check(spec, waiting)
    assert waiting.status_code == 200, waiting.text
    assert {i["appeal_id"] for i in waiting.json()["items"]} == {reached, unreachable}
    clock.advance(timedelta(days=3))
    now = await client.get("/callbacks/queue", headers=auth("supervisor"))
    assert {i["purpose"] for i in now.json()["items"]} == {"reply"}
    assert len(now.json()["items"]) == 2
    for _ in range(3):
        await run(client, auth, unreachable, "intake", "callback", outcome="no_answer")
    result = await run(
        client,
        auth,
        reached,
        "intake",
        "callback",
        outcome="reached",
        grade="very_satisfied",
        resolved=True,
        note="企业表示非常满意",
    )
    appeal = await client.get(
        f"/appeals/{reached}",
        params={"position": result["position"]},
        headers=auth("intake"),
    )
    assert appeal.json()["status"] == "evaluated"
    history = await client.get(f"/appeals/{reached}/history", headers=auth("auditor"))
    summaries = [e["summary"]["zh"] for e in history.json()["events"]]
    assert any(s.endswith("王受理 回访：已回访") for s in summaries), summaries
    assert any("企业评价：已解决，非常满意" in s for s in summaries), summaries
    project(ledger)
    report = await client.get("/reports/callbacks", headers=auth("supervisor"))
    check(spec, report)
    [row] = report.json()["items"]
    assert (row["unit"], row["reached"], row["unreachable"]) == (UNIT, 1, 1)
    assert row["valid_callback_rate"] == 0.5
    empty = await client.get("/callbacks/queue", headers=auth("intake"))
    assert empty.json()["items"] == []
    csv = await client.get(
        "/reports/callbacks", params={"format": "csv"}, headers=auth("intake")
    )
    assert "有效回访率(%)" in csv.text  # Chinese headers, the rate in per cent


async def test_bad_callbacks_and_evaluations_are_refused_and_change_nothing(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    appeal = await replied(client, auth, "cb-3")
    before = (await client.get(f"/appeals/{appeal}", headers=auth("intake"))).json()
    bad_outcome = await post(
        client, f"/appeals/{appeal}/callback", {"outcome": "maybe"}, auth("intake")
    )
    assert bad_outcome.status_code == 422
    assert bad_outcome.json()["errors"][0]["field"] == "outcome"
    no_verdict = await post(
        client,
        f"/appeals/{appeal}/callback",
        {"outcome": "reached", "grade": "satisfied"},
        auth("intake"),
    )
    assert no_verdict.status_code == 422
    assert no_verdict.json()["errors"][0]["field"] == "resolved"
    disagree = await post(
        client,
        f"/appeals/{appeal}/evaluate",
        {"resolved": True, "satisfaction": "unsatisfied", "grade": "satisfied"},
        auth("enterprise"),
    )
    assert disagree.status_code == 422
    assert disagree.json()["errors"][0]["field"] == "satisfaction"
    refused = await post(
        client, f"/appeals/{appeal}/callback", {"outcome": "no_answer"}, auth("handler")
    )
    assert refused.status_code == 403
    after = (await client.get(f"/appeals/{appeal}", headers=auth("intake"))).json()
    assert after["version"] == before["version"]
    forbidden = await client.get("/callbacks/queue", headers=auth("enterprise"))
    assert forbidden.status_code == 403


async def test_a_bad_grade_sends_it_back_for_rectification_then_it_closes(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    appeal = await replied(client, auth, "cb-4")
    await run(
        client,
        auth,
        appeal,
        "enterprise",
        "evaluate",
        resolved=False,
        grade="unsatisfied",
    )
    body = (await client.get(f"/appeals/{appeal}", headers=auth("intake"))).json()
    assert body["status"] == "in_progress"
    history = await client.get(f"/appeals/{appeal}/history", headers=auth("auditor"))
    reopened = [e for e in history.json()["events"] if e["type"] == "Appeal.Reopened"]
    assert reopened[-1]["payload"]["rectification"] is True
    await run(
        client, auth, appeal, "handler", "resolve", outcome="resolved", result="整改"
    )
    await run(
        client, auth, appeal, "handler", "reply", channel="hotline", content="已整改"
    )
    await run(
        client, auth, appeal, "enterprise", "evaluate", resolved=True, grade="satisfied"
    )
    closed = await run(client, auth, appeal, "dispatcher", "close", note="对账完成")
    history = await client.get(
        f"/appeals/{appeal}/history",
        params={"position": closed["position"]},
        headers=auth("auditor"),
    )
    [closing] = [e for e in history.json()["events"] if e["type"] == "Appeal.Closed"]
    assert closing["payload"]["reconciliation"] == "confirmed"
    sampled = await run(client, auth, appeal, "supervisor", "sample", reason="抽查")
    assert sampled["status"] == "closed"
    project(ledger)
    queue = await client.get(
        "/callbacks/queue", params={"purpose": "sample"}, headers=auth("intake")
    )
    assert [i["appeal_id"] for i in queue.json()["items"]] == [appeal]
