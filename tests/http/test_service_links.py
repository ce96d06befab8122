"""挂钩服务 over HTTP (issue 18, items 1, 2 and the ledger's linked cadres), on
both stores, with the OpenAPI document checked: a link, a visit by the linked
cadre's unit, a problem filed from the visit as an appeal that is dispatched
and closed, the visit coverage and the enterprise's ledger."""

from __future__ import annotations

import httpx
import pytest

from appeals.application.service import AppealLedger
from tests.builders import MARKET_UNIT, TAX_UNIT, USCC, post, run
from tests.domain.lifecycle_fixtures import CADRE, UNIT
from tests.http.conftest import Auth
from tests.http.test_openapi import check
from tests.support.reports import project

pytestmark = pytest.mark.asyncio


async def test_a_visit_raises_an_appeal_that_is_handled_and_closed(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    spec = (await client.get("/openapi.json")).json()
    registered = await post(
        client,
        "/enterprises",
        {"uscc": USCC, "name": "苏州某某科技有限公司"},
        auth("dispatcher"),
    )
    assert registered.status_code == 201, registered.text
    today = ledger.clock.now().date().isoformat()
    refused = await post(
        client,
        "/links",
        {"cadre": CADRE, "uscc": USCC, "start": today},
        auth("handler"),
    )
    assert refused.status_code == 403
    linked = await post(
        client,
        "/links",
        {"cadre": CADRE, "uscc": USCC, "start": today},
        auth("dispatcher"),
    )
    assert linked.status_code == 201, linked.text
    check(spec, linked)
    bad = await post(
        client,
        "/visits",
        {"cadre": CADRE, "uscc": USCC, "day": today, "mode": "by bike"},
        auth("handler"),
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"mode", "findings"}
    visited = await post(
        client,
        "/visits",
        {"cadre": CADRE, "uscc": USCC, "day": today, "mode": "on_site",
         "findings": "企业反映新厂房消防验收排期过长", "people_met": "王总"},
        auth("handler"),
    )  # fmt: skip
    assert visited.status_code == 201, visited.text
    check(spec, visited)
    visit_id = visited.json()["id"]
    filed = await post(
        client,
        f"/visits/{visit_id}/appeals",
        {"uscc": USCC, "enterprise_name": "苏州某某科技有限公司",
         "category": "permits", "title": "新厂房消防验收排期过长"},
        auth("handler"),
    )  # fmt: skip
    assert filed.status_code == 201, filed.text
    check(spec, filed)
    appeal = filed.json()["id"]
    assert filed.json()["channel"] == "visit"
    # co-handled by two units besides the lead: one reports, one is waived
    await run(
        client, auth, appeal, "dispatcher", "assign",
        unit=UNIT, co_units=[TAX_UNIT, MARKET_UNIT],
    )  # fmt: skip
    await run(client, auth, appeal, "handler", "accept")
    own = await client.get(f"/appeals/{appeal}", headers=auth("other_handler"))
    assert own.status_code == 200  # a co-unit reads the appeal it works on
    await run(client, auth, appeal, "other_handler", "accept-part")
    early = await post(
        client,
        f"/appeals/{appeal}/resolve",
        {"outcome": "resolved", "result": "已协调"},
        auth("handler"),
    )
    assert early.status_code == 409
    await run(client, auth, appeal, "other_handler", "report-part", report="已核减税款")
    await run(
        client, auth, appeal, "supervisor", "waive-part",
        unit=MARKET_UNIT, reason="不涉及市场监管事项",
    )  # fmt: skip
    now = (await client.get(f"/appeals/{appeal}", headers=auth("supervisor"))).json()
    parts = {p["unit"]: p for p in now["co_handling"]}
    assert parts[TAX_UNIT]["reported"]
    assert parts[MARKET_UNIT]["waived"]
    measured = {(c["stage"], c["unit"]): c for c in now["timeliness"]}
    assert measured[("co_report", TAX_UNIT)]["on_time"] is True
    assert measured[("co_report", MARKET_UNIT)]["ended_by"] == "waived"
    await run(
        client, auth, appeal, "handler", "resolve", outcome="resolved", result="已协调"
    )
    await run(
        client, auth, appeal, "handler", "reply", channel="visit", content="已告知"
    )
    await run(
        client, auth, appeal, "enterprise", "evaluate", resolved=True, grade="satisfied"
    )
    await run(client, auth, appeal, "dispatcher", "close", note="对账完成")
    shown = await client.get(f"/visits/{visit_id}", headers=auth("supervisor"))
    check(spec, shown)
    assert shown.json()["appeals"] == [appeal]
    project(ledger)
    coverage = await client.get("/reports/visits", headers=auth("supervisor"))
    check(spec, coverage)
    [row] = coverage.json()["items"]
    assert (row["cadre"], row["linked"], row["visited"], row["problems"]) == (
        CADRE, 1, 1, 1,
    )  # fmt: skip
    ledger_page = await client.get(
        f"/enterprises/{USCC}/ledger", headers=auth("enterprise")
    )
    service = ledger_page.json()["service"]
    assert [c["cadre"] for c in service["linked"]] == [CADRE]
    assert [v["problems"] for v in service["recent_visits"]] == [1]
    assert service["task_force"] is None
    missing = await client.get(
        "/visits/00000000-0000-4000-8000-000000000000", headers=auth("supervisor")
    )
    assert missing.status_code == 404


async def test_a_cadres_portfolio_lists_linked_enterprises_with_their_appeals(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    await post(
        client, "/enterprises", {"uscc": USCC, "name": "某某科技"}, auth("dispatcher")
    )
    today = ledger.clock.now().date().isoformat()
    linked = await post(
        client,
        "/links",
        {"cadre": CADRE, "uscc": USCC, "start": today},
        auth("dispatcher"),
    )
    assert linked.status_code == 201
    filed = await post(
        client, "/appeals", {"uscc": USCC, "enterprise_name": "某某科技",
                             "channel": "hotline", "category": "tax", "title": "退税"},
        auth("intake"),
    )  # fmt: skip
    assert filed.status_code == 201
    project(ledger)
    shown = await client.get(f"/cadres/{CADRE}/portfolio", headers=auth("handler"))
    assert shown.status_code == 200, shown.text
    [row] = shown.json()["items"]
    assert (row["uscc"], row["open_appeals"], row["overdue_appeals"]) == (USCC, 1, 0)
    assert row["last_visit"] is None
