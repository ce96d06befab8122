"""An enterprise files its own appeal with its own token (issue 16, item 1):
for its own credit code only, through the portal, with the same validation
and duplicate safety as intake; the centre dispatches it as usual and the
enterprise follows it (both stores)."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest

from appeals.application.service import AppealLedger
from tests.builders import OTHER_USCC, USCC, post
from tests.domain.lifecycle_fixtures import UNIT
from tests.http.conftest import Auth
from tests.http.test_openapi import check

pytestmark = pytest.mark.asyncio

FILED = {
    "enterprise_name": "苏州工业园区某某生物医药有限公司",
    "category": "permits",
    "title": "药品生产许可证变更审批进度",
    "description": "许可证变更申请已提交20个工作日，仍未受理。",
    "external_id": "SFB-2026-0000123",
}


async def test_an_enterprise_files_and_follows_its_own_appeal(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    spec = (await client.get("/openapi.json")).json()
    enterprise = auth("enterprise")
    filed = await post(client, "/appeals", FILED, enterprise)
    assert filed.status_code == 201, filed.text
    check(spec, filed)
    appeal = filed.json()
    assert (appeal["channel"], appeal["enterprise"]["uscc"]) == ("portal", USCC)
    again = await post(client, "/appeals", FILED, enterprise)  # a retry
    assert (again.status_code, again.json()["id"]) == (200, appeal["id"])
    (received,) = ledger.history(UUID(appeal["id"]))
    assert (received.actor["role"], received.actor["uscc"]) == ("enterprise", USCC)
    assigned = await post(
        client, f"/appeals/{appeal['id']}/assign", {"unit": UNIT}, auth("dispatcher")
    )
    assert assigned.status_code == 200, assigned.text
    followed = await client.get(f"/appeals/{appeal['id']}", headers=enterprise)
    assert (followed.status_code, followed.json()["status"]) == (200, "assigned")


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"uscc": OTHER_USCC}, 403, None),  # another enterprise's code
        ({"channel": "hotline"}, 422, "channel"),  # only the portal
        ({"title": ""}, 422, "title"),  # validated as intake's
    ],
)
async def test_an_enterprise_files_only_its_own_through_the_portal(
    client: httpx.AsyncClient,
    auth: Auth,
    ledger: AppealLedger,
    changes: dict[str, str],
    status: int,
    field: str | None,
) -> None:
    head = ledger.recorder.max_notification_id()
    refused = await post(client, "/appeals", {**FILED, **changes}, auth("enterprise"))
    assert refused.status_code == status, refused.text
    if field is not None:
        assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert ledger.recorder.max_notification_id() == head  # nothing recorded
