"""One time convention in every JSON answer: each instant under a time field
is ISO 8601 in Asia/Shanghai with ``+08:00``, to the microsecond, whatever
form it was made or stored in (UTC text in a view, a stored event's own
offset); free text that looks like a time is left alone (both stores)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.http.responses import api_times
from appeals.infra.clock import FixedClock
from tests.builders import RECEIPT, post
from tests.domain.lifecycle_fixtures import USCC
from tests.http.conftest import Auth
from tests.http.reports.test_trends import two_months

pytestmark = pytest.mark.asyncio

CANONICAL = re.compile(
    r"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+08:00"
)
ANY_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}.*")


def instants(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [i for item in value.values() for i in instants(item)]
    if isinstance(value, list):
        return [i for item in value for i in instants(item)]
    return [value] if isinstance(value, str) and ANY_INSTANT.fullmatch(value) else []


async def test_every_instant_in_every_read_follows_the_convention(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    two_months(ledger, clock)
    from tests.support.reports import project

    project(ledger)
    overdue = (await client.get("/reports/overdue", headers=auth("supervisor"))).json()
    appeal_id = overdue["items"][0]["appeal_id"]
    paths = [
        "/appeals",
        f"/appeals/{appeal_id}",
        f"/appeals/{appeal_id}/history",
        "/events",
        "/reports/overdue",
        f"/enterprises/{USCC}/ledger",
        "/supervision/orders",
        "/callbacks/queue?due=all",
        "/assessments/2026-09/preview",
        "/notices/2026-09/preview",
        "/units",
        "/reports/trend",
    ]
    seen = 0
    for path in paths:
        response = await client.get(path, headers=auth("admin"))
        assert response.status_code == 200, (path, response.text[:200])
        for text in instants(response.json()):
            assert CANONICAL.fullmatch(text), (path, text)
            seen += 1
    assert seen > 50


async def test_free_text_that_looks_like_a_time_is_left_alone(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    title = "2026-11-03T06:05:00Z 前未回复"
    body = {**RECEIPT, "title": "2026-11-03T06:05:00Z", "description": title}
    created = await post(client, "/appeals", body, auth("intake"))
    assert created.status_code == 201, created.text
    assert created.json()["title"] == "2026-11-03T06:05:00Z"
    assert created.json()["description"] == title
    assert CANONICAL.fullmatch(created.json()["received_at"])


async def test_the_same_instant_whatever_form_it_came_in() -> None:
    shown = api_times(
        {
            "received_at": "2026-11-03T06:05:00.5Z",
            "deadlines": {"resolve": "2026-11-10T09:30:00+00:00", "close": None},
            "note": "2026-11-03T06:05:00Z",
        }
    )
    assert shown == {
        "received_at": "2026-11-03T14:05:00.500000+08:00",
        "deadlines": {"resolve": "2026-11-10T17:30:00.000000+08:00", "close": None},
        "note": "2026-11-03T06:05:00Z",
    }
