"""Every report's XLSX opens in openpyxl with Chinese headers and typed
cells (both stores): rates are numbers shown as percentages, times are
date-times in Shanghai time, counts are integers, and text that would start a
formula stays text. CSV and XLSX carry the same rows; ``?lang=en`` gives
English headers (docs/reports.md, "Exports")."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import httpx
import openpyxl
import pytest

from appeals.application.service import AppealLedger
from appeals.infra.clock import FixedClock
from tests.domain.lifecycle_fixtures import UNIT, USCC
from tests.http.conftest import Auth
from tests.http.reports.test_trends import two_months
from tests.support.reports import appeal, project

pytestmark = pytest.mark.asyncio

CJK = re.compile(r"[\u4e00-\u9fff]")
MONTH = re.compile(r"20[0-9]{2}-[0-9]{2}(\(%\))?$")
REPORTS = [
    ("/appeals", {}),
    (f"/enterprises/{USCC}/ledger", {}),
    ("/reports/overdue", {}),
    ("/reports/timeliness", {"group_by": "unit", "from": "2026-09-01"}),
    ("/reports/accountability", {"group_by": "unit", "from": "2026-09-01"}),
    ("/reports/category-month", {}),
    ("/reports/routing", {"from": "2026-09"}),
    ("/reports/callbacks", {"from": "2026-09-01"}),
    ("/reports/trend", {"from": "2026-09", "to": "2026-10", "group_by": "unit"}),
    ("/reports/hotspots", {"from": "2026-09-01", "to": "2026-10-31"}),
    ("/assessments/2026-09/preview", {}),
    ("/notices/2026-09/preview", {}),
    ("/reports/visits", {"month": "2026-10"}),
    ("/reports/unvisited", {}),
    ("/reports/meeting-tasks", {"open": "false"}),
    ("/supervision/orders", {"settled": "true"}),
    ("/callbacks/queue", {"due": "all"}),
]
HOSTILE = '=HYPERLINK("http://127.0.0.1/x","点击")'


async def test_every_report_opens_as_a_typed_spreadsheet(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    two_months(ledger, clock)
    appeal(ledger, clock, title=HOSTILE)
    project(ledger)
    rate_columns = time_columns = titled = 0
    for path, params in REPORTS:
        book = await client.get(
            path, params={**params, "format": "xlsx"}, headers=auth("supervisor")
        )
        assert book.status_code == 200, (path, book.text[:300])
        assert book.headers["content-disposition"].endswith('.xlsx"'), path
        sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
        assert sheet is not None
        rows = list(sheet.iter_rows())
        header = [c.value for c in rows[0]]
        for name in header:
            assert isinstance(name, str), (path, name)
            assert CJK.search(name) or MONTH.match(name), (path, name)
        table = await client.get(
            path, params={**params, "format": "csv"}, headers=auth("supervisor")
        )
        lines = list(csv.reader(io.StringIO(table.text.removeprefix("\ufeff"))))
        assert len(lines) == len(rows), path  # the same rows in both
        for column, name in enumerate(header):
            cells = [row[column] for row in rows[1:] if row[column].value is not None]
            if name.endswith("率") and cells:
                rate_columns += 1
                for cell in cells:
                    assert isinstance(cell.value, int | float), (path, name, cell.value)
                    assert cell.number_format == "0.0%", (path, name)
            if name in ("受理时间", "期限", "更新时间") and cells:
                time_columns += 1
                for cell in cells:
                    assert isinstance(cell.value, datetime), (path, name, cell.value)
                    assert cell.number_format == "yyyy-mm-dd hh:mm"
            if name in ("标题",):
                hostile = [c for c in cells if c.value == HOSTILE]
                titled += len(hostile)
                for cell in hostile:  # as written, and text: never a formula
                    assert cell.data_type == "s", path
    assert rate_columns >= 8
    assert time_columns >= 3
    assert titled >= 1  # the hostile title reached a spreadsheet


async def test_headers_in_english_and_times_in_shanghai_minutes(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    two_months(ledger, clock)
    english = await client.get(
        "/reports/overdue",
        params={"format": "csv", "lang": "en", "unit": UNIT},
        headers=auth("supervisor"),
    )
    header, first, *_ = list(
        csv.reader(io.StringIO(english.text.removeprefix("\ufeff")))
    )
    assert header[:3] == ["Ticket", "Stage", "Unit"]
    due = first[header.index("Due")]
    assert re.fullmatch(r"2026-(09|10)-[0-9]{2} [0-9]{2}:[0-9]{2}", due), due
    book = await client.get(
        "/reports/overdue",
        params={"format": "xlsx", "unit": UNIT},
        headers=auth("supervisor"),
    )
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    cells = next(iter(sheet.iter_rows(min_row=2, max_row=2)))
    xlsx_due = cells[header.index("Due")].value
    assert isinstance(xlsx_due, datetime)
    assert xlsx_due.strftime("%Y-%m-%d %H:%M") == due  # the same Shanghai minute
    wrong = await client.get(
        "/reports/overdue", params={"lang": "fr"}, headers=auth("supervisor")
    )
    assert wrong.status_code == 200  # JSON ignores the header language
    bad = await client.get(
        "/reports/overdue",
        params={"format": "csv", "lang": "fr"},
        headers=auth("supervisor"),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "lang"


async def test_a_control_character_or_a_tiny_rate_does_not_spoil_an_export(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    """A worksheet cannot hold most control characters: a title with one still
    exports (the character replaced). A rate of 9/2000 is 0.45%, written 0.5
    (rounded half up from the exact value, not from 0.44999… in binary)."""
    from appeals.http.columns import csv_cell

    appeal(ledger, clock, title="ok\x0bvertical tab")
    project(ledger)
    book = await client.get(
        "/appeals", params={"format": "xlsx"}, headers=auth("supervisor")
    )
    assert book.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    titles = [row[9].value for row in sheet.iter_rows(min_row=2)]
    assert "ok\ufffdvertical tab" in titles
    assert csv_cell("rate", 9 / 2000) == 0.5
    assert csv_cell("rate", 2 / 3) == 66.7
