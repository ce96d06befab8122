"""Reports over HTTP, served from projections: the appeal list, the enterprise
ledger and appeals per category per month; JSON and CSV; role scopes;
read-your-writes with ``?position=``."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from appeals.application.service import AppealLedger
from appeals.bootstrap import events_of
from appeals.domain import commands as cmd
from appeals.domain.values import Category, Channel, Outcome, Priority, Satisfaction
from appeals.http.app import create_app
from appeals.infra.clock import FixedClock
from appeals.infra.settings import ProjectionSettings
from appeals.projections.runtime.runner import Runner
from tests.builders import RECEIPT, post
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    ENTERPRISE,
    HANDLER,
    INTAKE,
    OTHER_USCC,
    UNIT,
    USCC,
)
from tests.http.conftest import Auth
from tests.support.views import PROJECTIONS

pytestmark = pytest.mark.asyncio


def appeal(ledger: AppealLedger, clock: FixedClock, **changes: Any) -> UUID:
    """A new appeal, received a minute after the previous one."""
    clock.advance(timedelta(minutes=1))
    fields: dict[str, Any] = {
        "uscc": USCC,
        "enterprise_name": "苏州工业园区某某生物医药有限公司",
        "channel": Channel.HOTLINE,
        "category": Category.FINANCING,
        "priority": Priority.NORMAL,
        "title": "流动资金贷款续贷",
        **changes,
    }
    return ledger.receive_appeal(cmd.Receive(**fields), INTAKE).appeal_id


def closed_after_evaluation(
    ledger: AppealLedger, appeal_id: UUID, satisfaction: Satisfaction
) -> None:
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT, cadre="张三"), DISPATCHER)
    ledger.execute(appeal_id, cmd.Accept(), HANDLER)
    ledger.execute(
        appeal_id, cmd.Resolve(outcome=Outcome.RESOLVED, result="已办结"), HANDLER
    )
    ledger.execute(
        appeal_id, cmd.Reply(channel=Channel.HOTLINE, content="已告知"), HANDLER
    )
    ledger.execute(
        appeal_id, cmd.Evaluate(resolved=True, satisfaction=satisfaction), ENTERPRISE
    )
    ledger.execute(appeal_id, cmd.Close(note="对账完成"), DISPATCHER)


def project(ledger: AppealLedger) -> int:
    """Brings every view up to the log's head (what the worker does)."""
    for projection in PROJECTIONS:
        runner = Runner(events_of(ledger), projection)
        runner.prepare()
        runner.catch_up()
    return ledger.recorder.max_notification_id() or 0


async def list_ids(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[str]:
    response = await client.get("/appeals", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest_asyncio.fixture
async def app_with(
    ledger: AppealLedger,
) -> AsyncIterator[Any]:
    """Opens an app with the given projection settings (worker or not)."""
    opened: list[Any] = []

    async def open_app(settings: ProjectionSettings) -> httpx.AsyncClient:
        app = create_app(lambda: ledger, projections=settings)
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://appeals.test"
        )
        opened.append((lifespan, http))
        return http

    yield open_app
    for lifespan, http in reversed(opened):
        await http.aclose()
        await lifespan.__aexit__(None, None, None)


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
        cursor = body["next_cursor"]
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
    ledger.execute(assigned, cmd.Assign(unit=UNIT, cadre="张三"), DISPATCHER)
    clock.advance(timedelta(days=2))
    other = appeal(ledger, clock, uscc=OTHER_USCC, priority=Priority.URGENT)
    project(ledger)
    auditor = auth("auditor")
    assert await list_ids(client, auditor, category="tax") == [str(tax)]
    assert await list_ids(client, auditor, channel="portal") == [str(tax)]
    assert await list_ids(client, auditor, status="assigned") == [str(assigned)]
    assert await list_ids(client, auditor, unit=UNIT, cadre="张三") == [str(assigned)]
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
        assert rows[0][:3] == ["ticket", "status", "status_zh"]
        assert len(rows) == 4  # the header and every row, not one page
        assert rows[1][2] == "已受理"
        assert rows[1][4] == "苏州工业园区某某生物医药有限公司"
    refused = await client.get("/appeals", headers=auth("auditor", Accept="image/png"))
    assert refused.status_code == 406


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
    assert [a["id"] for a in body["appeals"]] == [str(still_open), str(done)]
    assert body["appeals"][1]["status"] == "closed"
    paged = await client.get(
        f"/enterprises/{USCC}/ledger", params={"limit": 1}, headers=auth("auditor")
    )
    after = await client.get(
        f"/enterprises/{USCC}/ledger",
        params={"limit": 1, "cursor": paged.json()["next_cursor"]},
        headers=auth("auditor"),
    )
    assert [a["id"] for a in after.json()["appeals"]] == [str(done)]
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
        "month,category,category_zh,appeals",
        "2026-11,financing,融资,1",
    ]
    refused = await client.get("/reports/category-month", headers=auth("handler"))
    assert refused.status_code == 403


async def test_a_report_waits_for_the_callers_own_write(
    app_with: Any, ledger: AppealLedger, auth: Auth
) -> None:
    live = await app_with(ProjectionSettings(run_in_server=True, poll_interval=0.02))
    created = await post(live, "/appeals", RECEIPT, auth("intake"))
    appeal_id, position = created.json()["id"], created.json()["position"]
    listed = await live.get(
        "/appeals", params={"position": position}, headers=auth("auditor")
    )
    assert listed.status_code == 200
    assert int(listed.headers["projection-position"]) >= position
    assert appeal_id in [item["id"] for item in listed.json()["items"]]
    assigned = await post(
        live, f"/appeals/{appeal_id}/assign", {"unit": UNIT}, auth("dispatcher")
    )
    ledger_view = await live.get(
        f"/enterprises/{USCC}/ledger",
        params={"position": assigned.json()["position"]},
        headers=auth("auditor"),
    )
    assert ledger_view.json()["appeals"][0]["unit"] == UNIT


async def test_a_report_that_cannot_catch_up_in_time_says_so(
    app_with: Any, ledger: AppealLedger, clock: FixedClock, auth: Auth
) -> None:
    appeal(ledger, clock)
    idle = await app_with(ProjectionSettings(run_in_server=False, max_wait=0.0))
    head = ledger.recorder.max_notification_id() or 0
    response = await idle.get(
        "/appeals", params={"position": head}, headers=auth("auditor")
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert body["type"].endswith("/projection-behind")
    assert (body["position"], body["projection_position"]) == (head, 0)
    bad = await idle.get("/appeals", params={"position": "x"}, headers=auth("auditor"))
    assert bad.status_code == 422
