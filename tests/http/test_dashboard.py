"""The dashboard over HTTP (both stores): signing in with a token into a
secure, HTTP-only, same-site cookie; every page rendered from the API's own
answers (a chart's embedded figure equals the API's figures); scope by the
permissions table; exports through the session; Chinese first, English on
request. The browser tests (tests/browser) draw the same pages in Chromium."""

from __future__ import annotations

import io
import json
import re

import httpx
import openpyxl
import pytest

from appeals.application.service import AppealLedger
from appeals.infra.clock import FixedClock
from tests.builders import CADRE
from tests.domain.lifecycle_fixtures import UNIT, USCC
from tests.http.conftest import Auth
from tests.http.reports.test_trends import two_months

pytestmark = pytest.mark.asyncio


def session(auth: Auth, who: str) -> dict[str, str]:
    token = auth(who)["Authorization"].removeprefix("Bearer ")
    return {"Cookie": f"appeals_session={token}"}


def figure(html: str, name: str) -> dict[str, object]:
    found = re.search(
        rf'<script type="application/json" id="figure-{name}">(.*?)</script>',
        html,
        re.S,
    )
    assert found is not None, f"no figure {name}"
    parsed: dict[str, object] = json.loads(found.group(1).replace("<\\/", "</"))
    return parsed


async def test_signing_in_keeps_the_token_in_a_strict_cookie(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    away = await client.get("/dashboard/trends?lang=en")
    assert away.status_code == 303
    assert (
        away.headers["location"]
        == "/dashboard/login?next=%2Fdashboard%2Ftrends%3Flang%3Den"
    )
    form = await client.get("/dashboard/login")
    assert form.status_code == 200
    assert "令牌" in form.text
    wrong = await client.post(
        "/dashboard/login", data={"token": "nope", "next": "/dashboard/overdue"}
    )
    assert 'value="/dashboard/overdue"' in wrong.text  # where to go, kept
    assert wrong.status_code == 401
    assert "令牌无效" in wrong.text
    assert "set-cookie" not in wrong.headers
    token = auth("supervisor")["Authorization"].removeprefix("Bearer ")
    signed = await client.post(
        "/dashboard/login", data={"token": token, "next": "//elsewhere.example/x"}
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == "/dashboard"  # never another site
    cookie = signed.headers["set-cookie"].lower()
    for attribute in ("httponly", "secure", "samesite=strict", "path=/dashboard"):
        assert attribute in cookie, attribute
    elsewhere = await client.post(  # another site signing a visitor in
        "/dashboard/login",
        data={"token": token},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert elsewhere.status_code == 403
    assert "set-cookie" not in elsewhere.headers
    here = await client.post(
        "/dashboard/login",
        data={"token": token},
        headers={"Origin": "http://appeals.test"},
    )
    assert here.status_code == 303
    out = await client.post("/dashboard/logout", headers=session(auth, "supervisor"))
    assert out.status_code == 303
    assert 'appeals_session=""' in out.headers["set-cookie"]
    # the API itself keeps bearer tokens: a cookie is not a credential there
    api = await client.get("/reports/overdue", headers=session(auth, "supervisor"))
    assert api.status_code == 401


async def test_every_page_shows_the_apis_figures(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    two_months(ledger, clock)
    cookie = session(auth, "supervisor")
    overview = await client.get("/dashboard", headers=cookie)
    assert overview.status_code == 200, overview.text
    assert "总览" in overview.text
    assert "/dashboard/static/plotly.min.js" in overview.text
    volume = figure(overview.text, "volume")
    api = await client.get(
        "/reports/trend", params={"indicator": "received"}, headers=auth("supervisor")
    )
    city = api.json()["items"][0]
    trace = volume["data"][0]  # type: ignore[index]
    assert trace["y"] == [v["value"] for v in city["values"]]
    assert trace["y"][-3:-1] == [3, 2]  # September and October, by hand
    overdue = await client.get("/reports/overdue", headers=auth("supervisor"))
    ageing = figure(overview.text, "ageing")["data"][0]  # type: ignore[index]
    assert ageing["y"] == list(overdue.json()["buckets"].values())
    appeal_id = overdue.json()["items"][0]["appeal_id"]

    for path in (
        "/dashboard/trends?indicator=response_rate&from=2026-09&to=2026-10",
        "/dashboard/hotspots?from=2026-09-01&to=2026-10-31",
        "/dashboard/overdue",
        f"/dashboard/appeals/{appeal_id}",
        f"/dashboard/units/{UNIT}",
        f"/dashboard/cadres/{CADRE}",
        "/dashboard/assessments/2026-09",
        "/dashboard/notices/2026-09",
        f"/dashboard/enterprises/{USCC}",
    ):
        page = await client.get(path, headers=cookie)
        assert page.status_code == 200, (path, page.text[:500])
        assert "无法读取" not in page.text, path  # every read allowed
    trends = await client.get(
        "/dashboard/trends?indicator=response_rate&group_by=unit&from=2026-09&to=2026-10",
        headers=cookie,
    )
    assert "33.3%" in trends.text
    assert "100.0%" in trends.text
    assert "+66.7" in trends.text
    cadre = await client.get(f"/dashboard/cadres/{CADRE}", headers=cookie)
    assert f'href="/dashboard/units/{UNIT}"' in cadre.text
    assert 'id="portfolio"' in cadre.text
    timeline = await client.get(f"/dashboard/appeals/{appeal_id}", headers=cookie)
    assert "Appeal.Received" in timeline.text

    english = await client.get("/dashboard?lang=en", headers=cookie)
    assert "Overview" in english.text
    assert "appeals_lang=en" in english.headers["set-cookie"]
    script = await client.get("/dashboard/static/plotly.min.js")
    assert script.status_code == 200
    assert b"plotly" in script.content[:2000].lower()


async def test_scope_follows_the_permissions_table_and_exports_go_through(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    two_months(ledger, clock)
    handler = session(auth, "handler")
    hotspots = await client.get("/dashboard/hotspots", headers=handler)
    assert hotspots.status_code == 200
    assert "无法读取" in hotspots.text
    assert "403" in hotspots.text
    unit = await client.get(f"/dashboard/units/{UNIT}", headers=handler)
    assert "无法读取" not in unit.text
    ledger_page = await client.get(f"/dashboard/enterprises/{USCC}", headers=handler)
    assert "403" in ledger_page.text  # a handler's scope is a unit, not an enterprise

    exported = await client.get(
        "/dashboard/export",
        params={"path": "/reports/trend", "from": "2026-09", "to": "2026-10"},
        headers=session(auth, "supervisor"),
    )
    assert exported.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None
    assert sheet["A1"].value == "分组"
    assert sheet["C1"].value == "2026-09"
    supervisor = session(auth, "supervisor")
    for params in (
        {"path": "/events"},  # not a report
        {"path": "/appeals/x/attachments/y"},  # a file, never through here
        {"path": "/reports/trend", "format": "json"},  # tables only
        {"path": "/reports/../events"},
        {"path": "/reports/trend", "format": "html"},  # html: the 通报 alone
    ):
        refused = await client.get(
            "/dashboard/export", params=params, headers=supervisor
        )
        assert refused.status_code == 400, params
    listed = await client.get(
        "/dashboard/export",
        params={"path": "/appeals", "format": "csv"},
        headers=supervisor,
    )
    assert listed.status_code == 200
    assert listed.headers["content-type"].startswith("text/csv")
    printable = await client.get(
        "/dashboard/export",
        params={"path": "/notices/2026-09/preview", "format": "html"},
        headers=supervisor,
    )
    assert printable.status_code == 200
    assert printable.headers["content-type"].startswith("text/html")


async def test_no_text_in_a_figure_can_leave_its_script_element() -> None:
    from appeals.http.dashboard.pages import figure_json

    hostile = '</script><script>alert("x")</script><!-- & -->'
    text = figure_json({"data": [{"name": hostile, "y": [1]}]})
    for character in "<>&":
        assert character not in text
    assert json.loads(text)["data"][0]["name"] == hostile  # the same text back
