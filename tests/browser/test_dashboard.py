"""The dashboard as a supervisor uses it, in a real headless Chromium (both
stores): sign in with a token, see every chart of the overview drawn with the
figures the API returns, open the trend page and check the drawn lines
against ``GET /reports/trend``, follow an overdue appeal to its timeline, and
switch to English. Screenshots are kept as test artefacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from appeals.application.service import AppealLedger
from appeals.http.app import create_app
from appeals.infra.clock import FixedClock
from tests.http.conftest import Auth
from tests.http.reports.test_trends import two_months
from tests.support.server import in_thread

WAIT = 20


def drawn(driver: webdriver.Chrome) -> dict[str, list[Any]]:
    """Every chart's first trace's y values, as plotly.js holds them."""
    WebDriverWait(driver, WAIT).until(
        lambda d: d.execute_script("return document.body.dataset.chartsRendered")
    )
    found: dict[str, list[Any]] = driver.execute_script(
        "const out = {};"
        "document.querySelectorAll('div.chart').forEach(el => {"
        "  out[el.dataset.chart] = el.data ? el.data.map(t => Array.from(t.y)) : null;"
        "});"
        "return out;"
    )
    return found


def test_a_supervisor_signs_in_and_reads_the_charts(
    chromium: webdriver.Chrome,
    artefacts: Path,
    ledger: AppealLedger,
    clock: FixedClock,
    auth: Auth,
) -> None:
    two_months(ledger, clock)
    token = auth("supervisor")["Authorization"].removeprefix("Bearer ")
    app = create_app(lambda: ledger)
    with in_thread(app) as port:
        base = f"http://127.0.0.1:{port}"
        api = httpx.Client(base_url=base, headers=auth("supervisor"), timeout=10)

        chromium.get(base + "/dashboard")
        WebDriverWait(chromium, WAIT).until(
            expected_conditions.presence_of_element_located((By.ID, "token"))
        )
        chromium.save_screenshot(str(artefacts / "1-login.png"))
        chromium.find_element(By.ID, "token").send_keys(token)
        chromium.find_element(By.ID, "sign-in").click()
        WebDriverWait(chromium, WAIT).until(
            expected_conditions.presence_of_element_located((By.ID, "open-count"))
        )
        charts = drawn(chromium)
        chromium.save_screenshot(str(artefacts / "2-overview.png"))
        assert set(charts) == {"ageing", "volume", "rates", "ranking"}
        volume = api.get("/reports/trend", params={"indicator": "received"}).json()
        assert charts["volume"] == [[v["value"] for v in volume["items"][0]["values"]]]
        buckets = api.get("/reports/overdue").json()["buckets"]
        assert charts["ageing"] == [list(buckets.values())]
        response = api.get("/reports/trend", params={"indicator": "response_rate"})
        satisfaction = api.get(
            "/reports/trend", params={"indicator": "satisfaction_rate"}
        )
        assert charts["rates"] == [
            [v["value"] for v in response.json()["items"][0]["values"]],
            [v["value"] for v in satisfaction.json()["items"][0]["values"]],
        ]
        # the session cookie is out of the page's reach (HttpOnly)
        assert "appeals_session" not in chromium.execute_script(
            "return document.cookie"
        )

        params = {"indicator": "response_rate", "group_by": "unit",
                  "from": "2026-09", "to": "2026-10"}  # fmt: skip
        chromium.get(base + "/dashboard/trends?" + str(httpx.QueryParams(params)))
        lines = drawn(chromium)["trend"]
        chromium.save_screenshot(str(artefacts / "3-trend.png"))
        expected = api.get("/reports/trend", params=params).json()
        assert lines == [[v["value"] for v in i["values"]] for i in expected["items"]]
        assert lines[0] == [pytest.approx(1 / 3), 1.0]  # computed by hand
        cells = chromium.find_elements(
            By.CSS_SELECTOR, "#trend-table tr:nth-child(2) td"
        )
        assert [c.text for c in cells][-2:] == ["+66.7", "200.0%"]

        chromium.get(base + "/dashboard/overdue")
        link = chromium.find_element(By.CSS_SELECTOR, "table.overdue a.drill")
        ticket = link.text
        link.click()
        WebDriverWait(chromium, WAIT).until(
            expected_conditions.presence_of_element_located((By.ID, "timeline"))
        )
        chromium.save_screenshot(str(artefacts / "4-appeal.png"))
        assert ticket in chromium.find_element(By.TAG_NAME, "h2").text
        events = chromium.find_elements(By.CSS_SELECTOR, "#timeline li")
        assert len(events) >= 2
        assert "Appeal.Received" in events[0].text
        assert "Appeal.Assigned" in events[1].text

        chromium.find_element(By.ID, "lang-switch").click()
        WebDriverWait(chromium, WAIT).until(
            expected_conditions.text_to_be_present_in_element(
                (By.TAG_NAME, "header"), "Overview"
            )
        )
        chromium.save_screenshot(str(artefacts / "5-english.png"))
        api.close()
