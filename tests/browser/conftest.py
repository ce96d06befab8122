"""A real headless Chromium for the dashboard tests: Debian's ``chromium``
driven through Debian's ``chromedriver`` by Selenium (nothing downloads a
browser). Without them the tests are skipped with the command that installs
them, except under ``CI=true``, where a missing browser fails the run."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from tests.http.conftest import auth  # noqa: F401 - the role tokens, shared
from tests.support.machine import missing

ARTEFACTS = Path(os.environ.get("APPEALS_TEST_ARTEFACTS", "var/test-artefacts"))
"""Where the browser tests leave their screenshots."""


def browser_paths() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return None if browser is None or driver is None else (browser, driver)


@pytest.fixture
def chromium() -> Iterator[webdriver.Chrome]:
    found = browser_paths()
    if found is None:
        missing(
            "the browser tests need Debian's chromium and chromium-driver "
            "(apt-get install chromium chromium-driver fonts-noto-cjk; "
            "scripts/setup --dev does it as root)"
        )
    browser, driver_path = found
    options = Options()
    options.binary_location = browser
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in a container has no user namespace sandbox
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
        "--lang=zh-CN",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(
        service=Service(executable_path=driver_path), options=options
    )
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def artefacts(request: pytest.FixtureRequest) -> Path:
    folder = ARTEFACTS / request.node.name.replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
