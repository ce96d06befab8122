"""Trends and hotspots over HTTP (both stores), against figures computed by
hand: September 2026 has three appeals of one unit (one first response on
time, one late, one never made), October two answered on time, so the
response rate goes from 1/3 to 2/2 (+66.7 points, +200%) and the volume from
3 to 2 (−1, −33.3%). Exports open in openpyxl with Chinese headers and typed
cells; every JSON answer matches the OpenAPI document."""

from __future__ import annotations

import csv
import io

import httpx
import openpyxl
import pytest

from appeals.application.service import AppealLedger
from appeals.domain import commands as cmd
from appeals.infra.clock import FixedClock
from tests.builders import CADRE, receive
from tests.domain.lifecycle_fixtures import DISPATCHER, HANDLER, UNIT
from tests.http.conftest import Auth
from tests.http.test_openapi import check
from tests.support.reports import at, history, project

pytestmark = pytest.mark.asyncio


def two_months(ledger: AppealLedger, clock: FixedClock) -> None:
    history(ledger, clock)  # September: 1 of 3 first responses on time
    for minute in (0, 5):
        at(clock, 10, 13, 10, minute)  # Tuesday 13 October, a working day
        appeal_id = receive(ledger).appeal_id
        ledger.execute(appeal_id, cmd.Assign(unit=UNIT, cadre=CADRE), DISPATCHER)
        at(clock, 10, 13, 10, minute + 30)
        ledger.execute(appeal_id, cmd.Accept(), HANDLER)
        ledger.execute(appeal_id, cmd.NoteProgress(note="已联系企业"), HANDLER)
    at(clock, 11, 2, 9)
    project(ledger)


async def test_a_month_over_month_change_computed_by_hand(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    two_months(ledger, clock)
    spec = (await client.get("/openapi.json")).json()
    params = {"indicator": "response_rate", "from": "2026-09", "to": "2026-10"}
    response = await client.get(
        "/reports/trend",
        params={**params, "group_by": "unit"},
        headers=auth("supervisor"),
    )
    assert response.status_code == 200, response.text
    check(spec, response)
    body = response.json()
    assert (body["baseline"], body["compare"], body["complete"]) == (
        "2026-09",
        "2026-10",
        True,
    )
    city, *rest = body["items"]
    assert (city["group"], city["label"]["zh"]) == ("city", "全市")
    september, october = city["values"]
    assert (september["numerator"], september["denominator"]) == (1, 3)
    assert (october["numerator"], october["denominator"]) == (2, 2)
    assert city["baseline"] == pytest.approx(1 / 3)
    assert city["compare"] == 1.0
    assert city["change"] == pytest.approx(2 / 3)
    assert city["relative_change"] == pytest.approx(2.0)
    unit = next(item for item in rest if item["group"] == UNIT)
    assert [v["value"] for v in unit["values"]] == [pytest.approx(1 / 3), 1.0]

    volume = await client.get(
        "/reports/trend",
        params={**params, "indicator": "received"},
        headers=auth("supervisor"),
    )
    assert volume.status_code == 200, volume.text
    (only,) = volume.json()["items"]  # group_by city: the city's row alone
    assert [v["value"] for v in only["values"]] == [3, 2]
    assert (only["change"], only["relative_change"]) == (-1, pytest.approx(-1 / 3))

    hours = await client.get(
        "/reports/trend",
        params={**params, "indicator": "first_response_hours"},
        headers=auth("supervisor"),
    )
    assert hours.status_code == 200, hours.text
    october_hours = hours.json()["items"][0]["values"][1]
    assert (october_hours["value"], october_hours["denominator"]) == (0.5, 2)


async def test_a_handler_sees_its_unit_beside_the_city_and_exports_are_typed(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    two_months(ledger, clock)
    params = {"from": "2026-09", "to": "2026-10", "group_by": "category"}
    own = await client.get("/reports/trend", params=params, headers=auth("handler"))
    assert own.status_code == 200, own.text
    assert [item["group"] for item in own.json()["items"]] == ["city"]
    by_unit = await client.get(
        "/reports/trend", params={**params, "group_by": "unit"}, headers=auth("handler")
    )
    assert {item["group"] for item in by_unit.json()["items"]} == {"city", UNIT}
    refused = await client.get("/reports/hotspots", headers=auth("handler"))
    assert refused.status_code == 403

    exported = await client.get(
        "/reports/trend",
        params={**params, "group_by": "unit", "format": "csv"},
        headers=auth("supervisor"),
    )
    header, *lines = list(csv.reader(io.StringIO(exported.text.removeprefix("\ufeff"))))
    assert header[:4] == ["单位", "名称", "2026-09(%)", "2026-10(%)"]
    assert lines[0][:4] == ["city", "全市", "33.3", "100.0"]
    assert lines[0][-2:] == ["66.7", "200.0"]  # points, and per cent

    book = await client.get(
        "/reports/trend",
        params={**params, "group_by": "unit", "format": "xlsx", "lang": "en"},
        headers=auth("supervisor"),
    )
    assert book.status_code == 200, book.text
    assert book.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0][:3]] == ["Unit", "Name", "2026-09"]
    first_value = rows[1][2]
    assert first_value.value == pytest.approx(1 / 3)
    assert first_value.number_format == "0.0%"


async def test_hotspots_count_receipts_and_late_stages(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    two_months(ledger, clock)
    response = await client.get(
        "/reports/hotspots",
        params={"from": "2026-09-01", "to": "2026-10-31"},
        headers=auth("supervisor"),
    )
    assert response.status_code == 200, response.text
    check((await client.get("/openapi.json")).json(), response)
    (spot,) = response.json()["items"]
    assert spot["received"] == 5
    # all five resolve stages came due by 2 November; only September's first
    # was met (October's two were answered but never resolved)
    assert (spot["due"], spot["late"]) == (5, 4)
    assert spot["locality_label"]["zh"] != spot["locality"]
    bad = await client.get(
        "/reports/trend",
        params={"from": "2026-10", "to": "2026-09"},
        headers=auth("supervisor"),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "from"
