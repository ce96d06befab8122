"""The overview's monthly charts are held a minute per reader's scope and
refreshed in the background; its counters are read live every time (both
stores)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.http.dashboard import api
from appeals.http.dashboard.api import HeldAnswers
from appeals.infra.clock import FixedClock
from tests.builders import receive
from tests.http.conftest import Auth
from tests.http.reports.test_trends import two_months
from tests.http.test_dashboard import figure, session
from tests.support.reports import project

pytestmark = pytest.mark.asyncio


class Ticking:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def held_of(client: httpx.AsyncClient, clock: Ticking) -> HeldAnswers:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    held = HeldAnswers(seconds=60, monotonic=clock)
    transport.app.state.dashboard_answers = held  # type: ignore[attr-defined]
    return held


def received(html: str) -> list[int]:
    trace = figure(html, "volume")["data"][0]  # type: ignore[index]
    return list(trace["y"])


def open_count(html: str) -> str:
    found = re.search(r'id="open-count">([^<]*)<', html)
    assert found is not None
    return found.group(1)


async def test_charts_are_held_a_minute_then_refreshed_while_counters_are_live(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    two_months(ledger, clock)
    ticking = Ticking()
    held = held_of(client, ticking)
    cookie = session(auth, "supervisor")
    first = await client.get("/dashboard", headers=cookie)
    assert first.status_code == 200, first.text
    assert "月度图表数据截至" in first.text
    before, opened = received(first.text), open_count(first.text)

    receive(ledger)  # November's intake grows by one
    project(ledger)
    ticking.now += 30
    second = await client.get("/dashboard", headers=cookie)
    assert received(second.text) == before  # held: under a minute old
    assert int(open_count(second.text)) == int(opened) + 1  # live

    ticking.now += 31  # past the minute: shown once more, refreshed behind
    third = await client.get("/dashboard", headers=cookie)
    assert received(third.text) == before
    await held.settled()
    fourth = await client.get("/dashboard", headers=cookie)
    after = received(fourth.text)
    assert after[:-1] == before[:-1]
    assert after[-1] == before[-1] + 1

    # another scope computes its own: a handler's charts are not the city's
    handler = await client.get("/dashboard", headers=session(auth, "handler"))
    assert handler.status_code == 200
    scopes = {key[0] for key in held._held}  # type: ignore[index]
    assert len(scopes) == 2


async def test_a_refused_read_is_never_held(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    two_months(ledger, clock)
    held = held_of(client, Ticking())
    page = await client.get("/dashboard", headers=session(auth, "enterprise"))
    assert page.status_code == 200
    kept = {key[1] for key in held._held}  # type: ignore[index]
    refused = {
        path
        for path, params in (
            ("/reports/trend", {"indicator": "received"}),
            ("/assessments/2026-11/preview", {"group_by": "unit"}),
        )
        if (
            await client.get(path, params=params, headers=auth("enterprise"))
        ).status_code
        != 200
    }
    assert refused, "the enterprise must be refused one of the held reads"
    assert not kept & refused


async def test_a_refresh_that_fails_keeps_the_held_answer(
    client: httpx.AsyncClient,
    auth: Auth,
    ledger: AppealLedger,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    two_months(ledger, clock)
    ticking = Ticking()
    held = held_of(client, ticking)
    cookie = session(auth, "supervisor")
    before = received((await client.get("/dashboard", headers=cookie)).text)

    live, refreshes = api.fetch_as, list[str]()

    async def failing(
        app: Any, token: str, request_id: str, path: str, params: Any = None
    ) -> httpx.Response:
        if request_id == "dashboard-refresh":  # only the refresh behind a page
            refreshes.append(path)
            raise httpx.ConnectError("the application is stopping")
        return await live(app, token, request_id, path, params)

    monkeypatch.setattr(api, "fetch_as", failing)
    ticking.now += 61
    stale = await client.get("/dashboard", headers=cookie)  # starts a refresh
    assert received(stale.text) == before
    await held.settled()  # it failed: logged, and nothing left under way
    tried = len(refreshes)
    assert tried == 4  # the three trends and the ranking
    failed = [r for r in caplog.records if r.name == "appeals.dashboard"]
    assert len(failed) == tried  # each said so in the log, none was lost
    assert any("refreshing /reports/trend failed" in r.getMessage() for r in failed)
    again = await client.get("/dashboard", headers=cookie)
    assert received(again.text) == before
    await held.settled()
    assert len(refreshes) == 2 * tried  # still stale: this visit tried again
