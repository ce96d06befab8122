"""Swagger UI at /docs/swagger in a real headless Chromium (issue 20, item 5):
it renders every operation of the document from this server's own files, and
"Try it out" with a token reaches the API."""

from __future__ import annotations

from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from appeals.application.service import AppealLedger
from appeals.http.app import create_app
from appeals.http.docs import openapi_document
from tests.http.conftest import Auth
from tests.support.server import in_thread

WAIT = 20


def test_swagger_ui_renders_every_operation_and_tries_one(
    chromium: webdriver.Chrome, artefacts: Path, ledger: AppealLedger, auth: Auth
) -> None:
    spec = openapi_document()
    expected = sum(len(item) for item in spec["paths"].values())
    with in_thread(create_app(lambda: ledger)) as port:
        base = f"http://127.0.0.1:{port}"
        chromium.get(base + "/docs/swagger")
        WebDriverWait(chromium, WAIT).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= expected
        )
        chromium.save_screenshot(str(artefacts / "swagger-1-operations.png"))
        text = chromium.find_element(By.TAG_NAME, "body").text
        assert "Unable to render" not in text
        assert "诉求 Appeals" in text
        assert "getAppeal" in text  # displayOperationId
        loaded = chromium.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert loaded
        assert all(url.startswith(base) for url in loaded), loaded

        # Authorize with a token, then GET /units ("Try it out", "Execute").
        token = auth("auditor")["Authorization"].removeprefix("Bearer ")
        chromium.execute_script(
            "window.ui.preauthorizeApiKey('bearer', arguments[0])", token
        )
        block = chromium.find_element(By.ID, "operations-组织_Organisation-listUnits")
        block.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
        WebDriverWait(block, WAIT).until(
            expected_conditions.element_to_be_clickable(
                (By.CSS_SELECTOR, ".try-out__btn")
            )
        ).click()
        block.find_element(By.CSS_SELECTOR, ".execute").click()
        WebDriverWait(block, WAIT).until(
            lambda b: b.find_elements(By.CSS_SELECTOR, ".live-responses-table")
        )
        chromium.save_screenshot(str(artefacts / "swagger-2-try-it-out.png"))
        cells = block.find_elements(
            By.CSS_SELECTOR, ".live-responses-table .response .response-col_status"
        )
        assert [cell.text.strip() for cell in cells] == ["200"]
        body = block.find_element(By.CSS_SELECTOR, ".live-responses-table pre").text
        assert '"items"' in body
