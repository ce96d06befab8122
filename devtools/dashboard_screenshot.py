"""Makes docs/dashboard.png: the dashboard's overview on the demo data set,
drawn by Debian's headless Chromium.

    PYTHONPATH=. APPEALS_DATABASE_URL=sqlite:///var/appeals.sqlite3 \\
        .venv/bin/python devtools/dashboard_screenshot.py docs/dashboard.png

Serves the application on a free loopback port (the projection worker
inside, so the views catch up first), makes a supervisor token, signs in and
saves the page once every chart is drawn.
"""

from __future__ import annotations

import os
import sys
import time

import httpx
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from appeals.bootstrap import open_ledger
from appeals.http.app import create_app_from_env
from appeals.infra.settings import Settings
from appeals.infra.tokens import TokenStore
from tests.support.server import in_thread

CAUGHT_UP = (
    "/reports/trend?indicator=received",
    "/reports/trend?indicator=response_rate",
    "/reports/overdue",
    "/appeals?limit=1",
)


def main(target: str) -> None:
    settings = Settings.from_env(os.environ)
    ledger = open_ledger(settings, storage_ready=True)
    store = TokenStore(ledger.database)
    store.create_table()
    token, _ = store.create(
        role="supervisor", name="市政府督查室 周督办", now=ledger.clock.now()
    )
    ledger.close()
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1400,1500", "--lang=zh-CN"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(
        service=Service(executable_path="/usr/bin/chromedriver"), options=options
    )
    try:
        with in_thread(create_app_from_env(storage_ready=True)) as port:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            driver.get(base + "/dashboard/login")
            driver.find_element(By.ID, "token").send_keys(token)
            driver.find_element(By.ID, "sign-in").click()
            bearer = {"Authorization": f"Bearer {token}"}
            while time.monotonic() < deadline:  # until every view has caught up
                answers = [
                    httpx.get(base + path, headers=bearer, timeout=30).json()
                    for path in CAUGHT_UP
                ]
                if all(answer.get("complete") for answer in answers):
                    break
                time.sleep(2)
            driver.get(base + "/dashboard")
            WebDriverWait(driver, 30).until(
                lambda d: d.execute_script(
                    "return document.body.dataset.chartsRendered"
                )
            )
            driver.save_screenshot(target)
    finally:
        driver.quit()
    print(f"saved {target}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/dashboard.png")
