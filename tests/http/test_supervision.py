"""Supervision orders and the monthly 通报 over HTTP (issue 17, items 3 and
5), on both stores, with the OpenAPI document checked."""

from __future__ import annotations

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.infra.clock import FixedClock
from tests.builders import post
from tests.http.conftest import Auth
from tests.http.test_openapi import check
from tests.projections.test_supervision import late
from tests.support.reports import at, project

pytestmark = pytest.mark.asyncio


async def test_orders_are_answered_and_the_month_is_noticed_and_published(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    spec = (await client.get("/openapi.json")).json()
    appeal_id = late(ledger, clock)
    at(clock, 9, 21, 9)
    for level in range(4):
        assert ledger.escalate(appeal_id, "resolve", level) is not None
        clock.set(clock.now().replace(day=clock.now().day + 2))
    project(ledger)
    listed = await client.get("/supervision/orders", headers=auth("handler"))
    check(spec, listed)
    assert [o["level"] for o in listed.json()["items"]] == [0, 1, 2, 3]
    answered = await post(
        client,
        f"/appeals/{appeal_id}/answer-order",
        {"stage": "resolve", "level": 3, "answer": "局领导已批示，限期办结"},
        auth("handler"),
    )
    assert answered.status_code == 200, answered.text
    wrong = await post(
        client,
        f"/appeals/{appeal_id}/answer-order",
        {"stage": "accept", "level": 1, "answer": "x"},
        auth("handler"),
    )
    assert wrong.status_code == 409
    project(ledger)
    top = await client.get(
        "/supervision/orders", params={"level": 3}, headers=auth("supervisor")
    )
    [order] = top.json()["items"]
    assert order["answered_at"] is not None
    at(clock, 10, 9, 10)
    preview = await client.get(
        "/notices/2026-09/preview", params={"format": "html"}, headers=auth("auditor")
    )
    assert preview.status_code == 200
    assert preview.headers["content-type"].startswith("text/html")
    ticket = ledger.get(appeal_id).ticket
    assert ticket in preview.text
    assert "苏州市人力资源和社会保障局" in preview.text
    assert "@media print" in preview.text
    missing = await client.get("/notices/2026-09", headers=auth("auditor"))
    assert missing.status_code == 404
    refused = await post(client, "/notices/2026-09/publish", {}, auth("handler"))
    assert refused.status_code == 403
    published = await post(client, "/notices/2026-09/publish", {}, auth("supervisor"))
    assert published.status_code == 201, published.text
    check(spec, published)
    frozen = await client.get("/notices/2026-09", headers=auth("handler"))
    check(spec, frozen)
    assert frozen.json()["appeals"][0]["ticket"] == ticket
    assert frozen.json()["revision"] == 1
    csv = await client.get(
        "/notices/2026-09", params={"format": "csv"}, headers=auth("auditor")
    )
    assert "工单号,单位,单位名称,环节,期限" in csv.text
    assert ticket in csv.text
    page = await client.get(
        "/notices/2026-09", params={"format": "html"}, headers=auth("auditor")
    )
    assert "第1版 revision 1" in page.text
    enterprise = await client.get("/notices/2026-09", headers=auth("enterprise"))
    assert enterprise.status_code == 403
