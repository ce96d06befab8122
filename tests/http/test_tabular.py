"""CSV exports are safe to open in a spreadsheet: text that would start a
formula (``=``, ``+``, ``-``, ``@``, TAB, CR) is neutralised in every export
(OWASP's CSV-injection advice), numbers are left as they are."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.http.tabular import FORMULA_STARTS, neutralised
from appeals.infra.clock import FixedClock
from tests.builders import CADRE, RECEIPT, UNIT, USCC, post
from tests.http.conftest import Auth
from tests.support.reports import project

pytestmark = pytest.mark.asyncio

HOSTILE_UNIT = '=HYPERLINK("http://127.0.0.1/x","点击")'
HOSTILE_CADRE = "@SUM(1+1)*cmd|' /C calc'!A0"
HOSTILE_TITLE = "+1+1"
HOSTILE_NAME = "-2+3 某某科技"

EXPORTS = [
    ("/appeals", {}),
    (f"/enterprises/{USCC}/ledger", {}),
    ("/reports/overdue", {}),
    ("/reports/timeliness", {"group_by": "unit"}),
    ("/reports/accountability", {"group_by": "unit"}),
    ("/reports/accountability", {"group_by": "cadre"}),
    ("/reports/category-month", {}),
]


async def test_no_cell_of_any_export_starts_a_formula(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    body = {**RECEIPT, "enterprise_name": HOSTILE_NAME, "title": HOSTILE_TITLE}
    created = await post(client, "/appeals", body, auth("intake"))
    assert created.status_code == 201, created.text
    appeal_id = created.json()["id"]
    # unit and cadre codes are registered codes, which never start a formula
    # (a letter or digit first): hostile ones are refused before anything
    for field, hostile in (("unit", HOSTILE_UNIT), ("cadre", HOSTILE_CADRE)):
        refused = await post(
            client,
            f"/appeals/{appeal_id}/assign",
            {"unit": UNIT, field: hostile},
            auth("dispatcher"),
        )
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == [field]
    assigned = await post(
        client,
        f"/appeals/{appeal_id}/assign",
        {"unit": UNIT, "cadre": CADRE},
        auth("dispatcher"),
    )
    assert assigned.status_code == 200, assigned.text
    clock.advance(timedelta(days=30))  # late: the overdue report lists it
    accepted = await post(client, f"/appeals/{appeal_id}/accept", {}, auth("admin"))
    assert accepted.status_code == 200, accepted.text  # a stage ended, late
    project(ledger)
    seen_hostile = set()
    for path, params in EXPORTS:
        response = await client.get(
            path, params={**params, "format": "csv"}, headers=auth("supervisor")
        )
        assert response.status_code == 200, (path, response.text)
        rows = list(csv.reader(io.StringIO(response.text.removeprefix("\ufeff"))))
        assert len(rows) >= 2, (path, rows)  # a header and at least one row
        for row in rows:
            for cell in row:
                assert not cell.startswith(FORMULA_STARTS), (path, cell)
                if cell.removeprefix("'") in (HOSTILE_TITLE, HOSTILE_NAME):
                    assert cell.startswith("'"), (path, cell)
                    seen_hostile.add(cell.removeprefix("'"))
    # every hostile text reached at least one export, neutralised there
    assert seen_hostile == {HOSTILE_TITLE, HOSTILE_NAME}


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+86 0512", "'+86 0512"),
        ("-x", "'-x"),
        ("@A1", "'@A1"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("市人社局", "市人社局"),
        ("a=b", "a=b"),
        (-3, -3),
        (0.5, 0.5),
        (None, None),
    ],
)
async def test_neutralised_touches_only_text_that_starts_a_formula(
    cell: object, written: object
) -> None:
    assert neutralised(cell) == written
