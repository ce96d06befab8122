"""Every cell of the permission matrix over HTTP: a role outside a command's
row gets 403 whatever the appeal's state; a role inside it never does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from appeals.domain.commands import COMMANDS
from appeals.domain.permissions import READS, readers_of, roles_for
from appeals.domain.values import Role
from tests.builders import RECEIPT, post, received
from tests.domain.lifecycle_fixtures import UNIT, USCC
from tests.http.conftest import Auth

pytestmark = pytest.mark.asyncio

VALID_BODIES: dict[str, dict[str, Any]] = {
    "assign": {"unit": UNIT},
    "accept": {},
    "return": {"reason": "非本单位职责"},
    "note-progress": {"note": "进展"},
    "pause": {"reason": "补充材料"},
    "resume": {},
    "request-extension": {
        "requested_deadline": "2027-06-30T17:30:00+08:00",
        "reason": "会商",
    },
    "decide-extension": {"approve": False},
    "request-exclusion": {
        "reason": "final_reply",
        "evidence": "已于10月9日书面最终答复",
    },
    "decide-exclusion": {"approve": False},
    "supervise": {"level": 1, "note": "催办"},
    "resolve": {"outcome": "resolved", "result": "已办"},
    "reply": {"channel": "hotline", "content": "已告知"},
    "evaluate": {"resolved": True, "satisfaction": "satisfied"},
    "reopen": {"reason": "复核"},
    "close": {},
    "withdraw": {"reason": "不需要了"},
    "merge": {"into": "00000000-0000-4000-8000-000000000000", "reason": "重复"},
    "answer-on-the-spot": {"item": "HR-007"},
    "comment": {"text": "请问进展如何"},
    "supply-materials": {"note": "已补充营业执照"},
    "urge": {"note": "请尽快办理"},
    "callback": {"outcome": "no_answer"},
    "sample": {"reason": "月度抽查"},
    "answer-order": {"stage": "resolve", "level": 1, "answer": "已部署"},
    "accept-part": {"unit": "SZ-SWJ"},
    "report-part": {"report": "已核实", "unit": "SZ-SWJ"},
    "waive-part": {"unit": "SZ-SWJ", "reason": "无关"},
    "take-over": {"leader": "C-NOBODY"},
}
PRINCIPALS = [
    "intake",
    "dispatcher",
    "handler",
    "supervisor",
    "auditor",
    "enterprise",
    "admin",
]


async def test_every_http_command_has_a_valid_body_here() -> None:
    assert set(VALID_BODIES) == set(COMMANDS)


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_the_matrix_row_by_row(
    client: httpx.AsyncClient, auth: Auth, principal: str
) -> None:
    role = Role.parse(principal, "role")
    for number, (name, body) in enumerate(VALID_BODIES.items()):
        # A fresh appeal, assigned to the handler's unit, for each command.
        appeal_id = await received(client, auth, external_id=f"{principal}-{number}")
        await post(
            client, f"/appeals/{appeal_id}/assign", {"unit": UNIT}, auth("admin")
        )
        response = await post(
            client, f"/appeals/{appeal_id}/{name}", body, auth(principal)
        )
        permission = name.replace("-", "_")
        if role in roles_for(permission):
            assert response.status_code != 403, (principal, name, response.text)
        else:
            assert response.status_code == 403, (principal, name, response.text)
            assert response.json()["type"].endswith("/not-permitted")
    receipt = await post(
        client,
        "/appeals",
        {**RECEIPT, "external_id": f"{principal}-receipt"},
        auth(principal),
    )
    assert (receipt.status_code == 403) == (role not in roles_for("receive"))


READ_ROUTES: dict[str, list[str]] = {
    "appeal": [
        "/appeals/{id}",
        "/appeals/{id}/history",
        "/appeals/{id}/verify",
        "/appeals/by-ticket/{ticket}",
    ],
    "appeals": ["/appeals", "/appeals?format=csv"],
    "overdue": ["/reports/overdue"],
    "timeliness": ["/reports/timeliness"],
    "accountability": ["/reports/accountability"],
    "ledger": [f"/enterprises/{USCC}/ledger"],
    "units": ["/units"],
    "cadres": ["/cadres"],
    "enterprises": ["/enterprises"],
    "category_month": ["/reports/category-month"],
    "feed": ["/events"],
    "catalogue": ["/catalogue", "/catalogue?q=留抵退税"],
    "routing": ["/reports/routing"],
    "assessment": ["/assessments/2026-10/preview"],
    "callbacks": ["/callbacks/queue", "/reports/callbacks"],
    "supervision": ["/supervision/orders"],
    "links": ["/reports/visits", "/reports/unvisited?days=60"],
    "meetings": ["/reports/meeting-tasks"],
    "notices": ["/notices/2026-10/preview"],
    "trends": ["/reports/trend?group_by=unit"],
    "hotspots": ["/reports/hotspots"],
}
"""Every read route by its row in the permissions table (READS)."""


async def test_every_read_of_the_permissions_table_has_its_routes_here() -> None:
    assert set(READ_ROUTES) == set(READS)


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_the_read_matrix_row_by_row(
    client: httpx.AsyncClient, auth: Auth, principal: str
) -> None:
    """A role outside a read's row gets 403; a role inside it never does (it
    may see an empty, filtered answer)."""
    role = Role.parse(principal, "role")
    created = await post(
        client,
        "/appeals",
        {**RECEIPT, "external_id": f"read-{principal}"},
        auth("intake"),
    )
    appeal = created.json()
    await post(client, f"/appeals/{appeal['id']}/assign", {"unit": UNIT}, auth("admin"))
    for read, paths in READ_ROUTES.items():
        for template in paths:
            path = template.format(id=appeal["id"], ticket=appeal["ticket"])
            response = await client.get(path, headers=auth(principal))
            if role in readers_of(read):
                assert response.status_code != 403, (principal, path, response.text)
            else:
                assert response.status_code == 403, (principal, path, response.text)
