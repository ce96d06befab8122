"""The enterprise's side of the conversation (issue 16, items 2 and 3): public
and internal text, comments, materials supplied for a paused appeal (the
clock resumes, recorded as the enterprise's), and urging (企业催办), all with
the enterprise's own token (both stores)."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.domain import events as ev
from appeals.domain.identities import CENTRE_UNIT
from appeals.infra.clock import SHANGHAI, FixedClock
from tests.builders import USCC, post, run
from tests.domain.lifecycle_fixtures import UNIT
from tests.http.conftest import Auth
from tests.http.test_openapi import check
from tests.http.test_self_service import FILED as FILED_ONCE
from tests.support.reports import project

pytestmark = pytest.mark.asyncio

FILED = {**FILED_ONCE, "external_id": None}  # filed again and again
INTERNAL = "内部：该企业上月已有两次同类投诉，注意口径"
PUBLIC = "已与省药监局对接，材料正在审核"


async def filed_and_in_progress(client: httpx.AsyncClient, auth: Auth) -> str:
    filed = await post(client, "/appeals", FILED, auth("enterprise"))
    assert filed.status_code == 201, filed.text
    appeal: str = filed.json()["id"]
    await run(client, auth, appeal, "dispatcher", "assign", unit=UNIT)
    await run(client, auth, appeal, "handler", "accept")
    return appeal


async def test_the_enterprise_reads_public_text_only(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    appeal = await filed_and_in_progress(client, auth)
    await run(client, auth, appeal, "handler", "note-progress", note=PUBLIC)
    await run(
        client, auth, appeal, "handler", "note-progress", note=INTERNAL, public=False
    )
    await run(
        client,
        auth,
        appeal,
        "handler",
        "request-exclusion",
        reason="final_reply",
        evidence="内部证据：已多次答复",
    )
    await run(client, auth, appeal, "supervisor", "supervise", level=1, note="抓紧")

    own = await client.get(f"/appeals/{appeal}", headers=auth("enterprise"))
    assert own.status_code == 200
    assert own.json()["latest_public_note"] == PUBLIC
    assert [n["text"] for n in own.json()["notes"]] == [PUBLIC]
    assert own.json()["exclusion"] is None
    history = await client.get(f"/appeals/{appeal}/history", headers=auth("enterprise"))
    assert history.status_code == 200
    text = history.text
    for secret in (INTERNAL, "内部证据", "抓紧"):
        assert secret not in text
    types = [e["type"] for e in history.json()["events"]]
    assert "Appeal.ExclusionRequested" not in types  # hidden altogether
    withheld = [e for e in history.json()["events"] if e["payload"].get("withheld")]
    assert {e["type"] for e in withheld} == {
        "Appeal.ProgressNoted",
        "Appeal.Supervised",
    }
    # Officials read everything.
    official = await client.get(f"/appeals/{appeal}/history", headers=auth("auditor"))
    for secret in (INTERNAL, "内部证据", "抓紧"):
        assert secret in official.text
    viewed = await client.get(f"/appeals/{appeal}", headers=auth("supervisor"))
    assert viewed.json()["exclusion"]["evidence"] == "内部证据：已多次答复"


async def test_an_enterprise_comments_supplies_materials_and_urges(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    spec = (await client.get("/openapi.json")).json()
    enterprise = auth("enterprise")
    appeal = await filed_and_in_progress(client, auth)
    urged = await post(
        client, f"/appeals/{appeal}/urge", {"note": "请加快"}, enterprise
    )
    assert urged.status_code == 200, urged.text
    check(spec, urged)
    assert urged.json()["urge_count"] == 1
    commented = await post(
        client,
        f"/appeals/{appeal}/comment",
        {"text": "补充说明：变更事项为生产地址", "public": False},
        enterprise,
    )
    assert commented.status_code == 200
    # The enterprise's own words are public, whatever it asks.
    assert commented.json()["latest_public_note"] == "补充说明：变更事项为生产地址"
    await run(client, auth, appeal, "handler", "pause", reason="请补充营业执照副本")
    paused = await client.get(f"/appeals/{appeal}", headers=enterprise)
    assert paused.json()["paused"] is True
    assert paused.json()["latest_public_note"] == "请补充营业执照副本"
    supplied = await post(
        client,
        f"/appeals/{appeal}/supply-materials",
        {"note": "已上传营业执照副本"},
        enterprise,
    )
    assert supplied.status_code == 200, supplied.text
    check(spec, supplied)
    assert supplied.json()["paused"] is False  # the clock runs again at once
    *_, materials, resumed = ledger.history(UUID(appeal))
    assert isinstance(materials, ev.MaterialsSupplied)
    assert isinstance(resumed, ev.Resumed)
    assert resumed.actor["role"] == "enterprise"
    assert resumed.actor["uscc"] == USCC
    assert resumed.timestamp == materials.timestamp


async def test_interaction_refusals_change_nothing(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    appeal = await filed_and_in_progress(client, auth)
    head = ledger.recorder.max_notification_id()
    cases = [
        ("supply-materials", {"note": "材料"}, "enterprise", 409, None),  # not paused
        ("comment", {"text": " "}, "enterprise", 422, "text"),
        ("urge", {"note": 3}, "enterprise", 422, "note"),
        ("urge", {}, "handler", 403, None),
        (
            "supply-materials",
            {"note": "材料", "attachments": ["0" * 64]},
            "enterprise",
            422,
            "attachments",
        ),
    ]
    for name, body, who, status, field in cases:
        response = await post(client, f"/appeals/{appeal}/{name}", body, auth(who))
        assert response.status_code == status, (name, response.text)
        if field is not None:
            assert [e["field"] for e in response.json()["errors"]] == [field]
    assert ledger.recorder.max_notification_id() == head


async def test_urging_is_counted_against_whoever_holds_the_appeal(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    waiting = await post(client, "/appeals", FILED, auth("enterprise"))
    await run(client, auth, waiting.json()["id"], "enterprise", "urge", note="催")
    appeal = await filed_and_in_progress(client, auth)
    for _ in range(2):
        await run(client, auth, appeal, "enterprise", "urge")
    project(ledger)
    day = clock.now().astimezone(SHANGHAI).date().isoformat()
    response = await client.get(
        "/reports/accountability",
        params={"group_by": "unit", "period": "all", "from": day, "to": day},
        headers=auth("supervisor"),
    )
    urged = {i["unit"]: i["urged"] for i in response.json()["items"]}
    assert urged[UNIT] == 2
    assert urged[CENTRE_UNIT] == 1  # awaiting dispatch: the centre's
