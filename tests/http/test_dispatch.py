"""Routing and 当场办 over HTTP (both stores), with a ledger given the
registered directory: a misspelt unit is a 422 naming the field, the reason
and a suggestion, recording nothing; the 诉求类型 is a body field of the
receipt; answer-on-the-spot answers from the catalogue and the appeal's
timeliness shows the centre's dispatch stage; the answers match the
OpenAPI document."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

import httpx
import pytest

from appeals.application.catalogue import Catalogue
from appeals.application.service import AppealLedger
from appeals.domain.identities import CENTRE_UNIT
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.projections import directory
from tests.builders import (
    ADMIN,
    DIRECTORY,
    ITEM,
    RECEIPT,
    TAX_UNIT,
    UNIT,
    post,
    received,
)
from tests.http.conftest import Auth
from tests.http.test_openapi import check
from tests.support.organisation import JOB_RETENTION
from tests.support.views import caught_up

pytestmark = pytest.mark.asyncio


async def test_a_misspelt_unit_is_a_422_with_a_suggestion_and_nothing_changes(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    """Checked against the units registered in the store (the fixture's); the
    suggestion comes from the directory view, once it has caught up."""
    caught_up(ledger, directory.PROJECTION)
    spec = (await client.get("/openapi.json")).json()
    appeal_id = await received(client, auth, external_id="route-1")
    path = f"/appeals/{appeal_id}"
    response = await post(
        client, f"{path}/assign", {"unit": "SZ-RJS"}, auth("dispatcher")
    )
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == "unit"
    assert error["reason"].startswith("未登记的单位 'SZ-RJS'")
    assert "是否为 'SZ-RSJ'" in error["reason"]
    check(spec, response)
    appeal = (await client.get(path, headers=auth("auditor"))).json()
    assert (appeal["version"], appeal["status"]) == (1, "received")


async def test_answer_on_the_spot_over_http(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    ledger.rules = replace(ledger.rules, directory=DIRECTORY)
    spec = (await client.get("/openapi.json")).json()
    created = await post(
        client,
        "/appeals",
        {**RECEIPT, "external_id": "spot-1", "kind": "consult"},
        auth("intake"),
    )
    assert created.status_code == 201, created.text
    appeal_id = created.json()["id"]
    (receipt,) = ledger.history(UUID(appeal_id))
    assert receipt.kind == "consult"
    answered = await post(
        client,
        f"/appeals/{appeal_id}/answer-on-the-spot",
        {"item": ITEM},
        auth("intake"),
    )
    assert answered.status_code == 200, answered.text
    check(spec, answered)
    assert answered.json()["status"] == "replied"
    appeal = await client.get(f"/appeals/{appeal_id}", headers=auth("auditor"))
    check(spec, appeal)
    stages = [(s["stage"], s["unit"]) for s in appeal.json()["timeliness"]]
    assert stages == [("dispatch", CENTRE_UNIT), ("evaluation", CENTRE_UNIT)]
    routing = appeal.json()["routing"]
    assert routing == {
        "item": ITEM,
        "item_version": 2,
        "co_units": [],
        "answered_on_the_spot": True,
        "requested_item": None,
    }


async def test_an_appeal_shows_its_dispatch_deadline_and_how_it_was_routed(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    """Routed by an item published in the store: GET /appeals/{id} names the
    item, its version and the co-units, and keeps the centre's dispatch
    deadline beside the unit's; a return clears the routing."""
    Catalogue(ledger).publish(JOB_RETENTION, ADMIN)
    spec = (await client.get("/openapi.json")).json()
    appeal_id = await received(client, auth, external_id="route-2")
    path = f"/appeals/{appeal_id}"
    before = (await client.get(path, headers=auth("auditor"))).json()
    dispatch_due = before["deadlines"]["dispatch"]
    assert dispatch_due is not None
    assert (before["kind"], before["routing"]["item"]) == (None, None)
    assigned = await post(
        client, f"{path}/assign", {"item": "HR-100"}, auth("dispatcher")
    )
    assert assigned.status_code == 200, assigned.text
    appeal = await client.get(path, headers=auth("auditor"))
    check(spec, appeal)
    body = appeal.json()
    assert (body["unit"], body["kind"]) == (UNIT, "consult")
    assert body["routing"] == {
        "item": "HR-100",
        "item_version": 1,
        "co_units": [TAX_UNIT],
        "answered_on_the_spot": False,
        "requested_item": None,
    }
    assert body["deadlines"]["dispatch"] == dispatch_due  # the centre's, kept
    assert body["deadlines"]["resolve"] is not None
    clock.set(datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI))
    returned = await post(
        client, f"{path}/return", {"reason": "非本单位职责"}, auth("handler")
    )
    assert returned.status_code == 200, returned.text
    after = (await client.get(path, headers=auth("auditor"))).json()
    assert after["routing"]["item"] is None
    # due again half a working day (4 office hours, lunch excluded) after it
    assert after["deadlines"]["dispatch"] == "2026-10-09T15:00:00.000000+08:00"


async def test_a_bad_kind_is_a_422_naming_the_field(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    response = await post(
        client, "/appeals", {**RECEIPT, "kind": "gossip"}, auth("intake")
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["kind"]
