"""GET /appeals over HTTP, from the appeal-list view: pages, filters, role
scopes, the overdue filter and CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.domain import commands as cmd
from appeals.domain.values import Category, Channel, Priority
from appeals.infra.clock import FixedClock
from tests.builders import CADRE
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    OTHER_USCC,
    UNIT,
)
from tests.http.conftest import Auth
from tests.support.reports import (
    appeal,
    at,
    history,
    list_ids,
    project,
)

pytestmark = pytest.mark.asyncio


async def test_the_list_pages_newest_first_without_repeats_or_gaps(
    client: httpx.AsyncClient, ledger: AppealLedger, clock: FixedClock, auth: Auth
) -> None:
    made = [str(appeal(ledger, clock)) for _ in range(7)]
    head = project(ledger)
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/appeals", params=params, headers=auth("auditor"))
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next"]
    assert cursor is None
    assert seen == made[::-1]
    assert response.headers["projection-position"] == str(head)
    assert body["position"] == head
    oldest = await list_ids(client, auth("auditor"), order="oldest", limit=2)
    assert oldest == made[:2]


async def test_the_list_filters_by_what_it_was_asked(
    client: httpx.AsyncClient, ledger: AppealLedger, clock: FixedClock, auth: Auth
) -> None:
    tax = appeal(ledger, clock, category=Category.TAX, channel=Channel.PORTAL)
    assigned = appeal(ledger, clock)
    ledger.execute(assigned, cmd.Assign(unit=UNIT, cadre=CADRE), DISPATCHER)
    clock.advance(timedelta(days=2))
    other = appeal(ledger, clock, uscc=OTHER_USCC, priority=Priority.URGENT)
    project(ledger)
    auditor = auth("auditor")
    assert await list_ids(client, auditor, category="tax") == [str(tax)]
    assert await list_ids(client, auditor, channel="portal") == [str(tax)]
    assert await list_ids(client, auditor, status="assigned") == [str(assigned)]
    assert await list_ids(client, auditor, unit=UNIT, cadre=CADRE) == [str(assigned)]
    assert await list_ids(client, auditor, enterprise=OTHER_USCC) == [str(other)]
    assert await list_ids(client, auditor, priority="urgent") == [str(other)]
    both = await list_ids(client, auditor, status="received,assigned")
    assert set(both) == {str(tax), str(assigned), str(other)}
    day = clock.now().date().isoformat()
    assert await list_ids(client, auditor, received_from=day) == [str(other)]
    assert set(await list_ids(client, auditor, received_to=day)) == set(both)
    bad = await client.get("/appeals", params={"status": "lost"}, headers=auditor)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "status"


async def test_handlers_list_their_unit_and_enterprises_their_own(
    client: httpx.AsyncClient, ledger: AppealLedger, clock: FixedClock, auth: Auth
) -> None:
    mine = appeal(ledger, clock)
    ledger.execute(mine, cmd.Assign(unit=UNIT), DISPATCHER)
    elsewhere = appeal(ledger, clock, uscc=OTHER_USCC)
    project(ledger)
    assert await list_ids(client, auth("handler")) == [str(mine)]
    assert await list_ids(client, auth("other_handler")) == []
    assert await list_ids(client, auth("enterprise")) == [str(mine)]
    assert await list_ids(client, auth("other_enterprise")) == [str(elsewhere)]
    assert len(await list_ids(client, auth("supervisor"))) == 2


async def test_overdue_must_be_true_or_false(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await client.get(
        "/appeals", params={"overdue": "yes"}, headers=auth("auditor")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "overdue"


async def test_cursors_are_checked(client: httpx.AsyncClient, auth: Auth) -> None:
    for cursor in ("garbage", "WyJ4IiwieSIsImxlZGdlciJd"):  # the second: a ledger's
        response = await client.get(
            "/appeals", params={"cursor": cursor}, headers=auth("auditor")
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "cursor"


async def test_the_list_as_csv_opens_in_excel_with_its_chinese(
    client: httpx.AsyncClient, ledger: AppealLedger, clock: FixedClock, auth: Auth
) -> None:
    for _ in range(3):
        appeal(ledger, clock)
    project(ledger)
    for headers in (auth("auditor", Accept="text/csv"), auth("auditor")):
        params = {} if "Accept" in headers else {"format": "csv"}
        response = await client.get(
            "/appeals", params={**params, "limit": 1}, headers=headers
        )
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.content.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["工单号", "状态", "状态(中文)"]
        assert len(rows) == 4  # the header and every row, not one page
        assert rows[1][2] == "已受理"
        assert rows[1][4] == "苏州工业园区某某生物医药有限公司"
    refused = await client.get("/appeals", headers=auth("auditor", Accept="image/png"))
    assert refused.status_code == 406


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
    # "done" waits for the centre to close it (对账销号, 3 working days late)
    assert ids == {str(appeals["slow"]), str(appeals["idle"]), str(appeals["done"])}
