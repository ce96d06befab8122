"""The registries over HTTP, on both stores: register, change and read units,
cadres and enterprises; 403 from the permissions table, 404 for what is not
registered, 409 for a second registration, 422 naming the field; every
response as the OpenAPI document says; and every principal on every registry
route, expected from the permissions table alone."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.domain.organisation import CHANGES, REGISTRATIONS
from appeals.domain.permissions import READS, read_filter, roles_for
from appeals.domain.values import Actor, Role
from tests.builders import USCC, post
from tests.http.conftest import ROLE_TOKENS, Auth
from tests.support.openapi import check_documented
from tests.support.registry import KUNSHAN_USCC, SIP_USCC
from tests.support.reports import project

pytestmark = [pytest.mark.asyncio, pytest.mark.empty_organisation]

UNIT = {"code": "SZ-HRSS", "name_zh": "苏州市人力资源和社会保障局",
        "kind": "department", "locality": "320500"}  # fmt: skip
TOWN = {"code": "KS-ZHOUSHI", "name_zh": "昆山市周市镇", "kind": "town",
        "parent": "SZ-HRSS"}  # fmt: skip
CADRE = {"code": "C-0001", "name": "张三", "unit": "SZ-HRSS", "since": "2024-01-02",
         "roles": ["handler", "liaison_cadre"]}  # fmt: skip
ENTERPRISE = {"uscc": KUNSHAN_USCC, "name": "昆山新泰汽车零部件有限公司",
              "park": "陆家镇", "size": "medium",
              "service_list": "key_core"}  # fmt: skip


async def registered(client: httpx.AsyncClient, auth: Auth) -> None:
    for path, body in (
        ("/units", UNIT),
        ("/units", TOWN),
        ("/cadres", CADRE),
        ("/enterprises", ENTERPRISE),
        ("/enterprises", {"uscc": USCC, "name": "杭州某某科技有限公司"}),
    ):
        response = await post(client, path, body, auth("admin"))
        assert response.status_code == 201, response.text


async def test_register_change_and_read_back(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    spec = (await client.get("/openapi.json")).json()
    admin = auth("admin")
    created = await post(client, "/units", UNIT, admin)
    assert created.status_code == 201
    assert created.headers["location"] == "/units/SZ-HRSS"
    body = created.json()
    assert (body["changed"], body["version"], body["kind_label"]["zh"]) == (
        True,
        1,
        "职能部门",
    )
    assert body["locality_name"] == {"zh": "苏州市", "en": "Suzhou"}
    renamed = await post(
        client, "/units/SZ-HRSS/rename", {"name_zh": "苏州市人社局"}, admin
    )
    assert renamed.status_code == 200
    assert (renamed.json()["name_zh"], renamed.json()["version"]) == ("苏州市人社局", 2)
    again = await post(
        client, "/units/SZ-HRSS/rename", {"name_zh": "苏州市人社局"}, admin
    )
    assert (again.json()["changed"], again.json()["position"]) == (False, None)
    cadre = await post(client, "/cadres", CADRE, admin)
    await post(client, "/units", TOWN, admin)
    moved = await post(
        client, "/cadres/C-0001/move", {"unit": "KS-ZHOUSHI", "on": "2026-03-01"}, admin
    )
    assert moved.json()["postings"] == [
        {"unit": "SZ-HRSS", "since": "2024-01-02", "until": "2026-03-01"},
        {"unit": "KS-ZHOUSHI", "since": "2026-03-01", "until": None},
    ]
    enterprise = await post(client, "/enterprises", ENTERPRISE, auth("intake"))
    assert enterprise.json()["locality"] == "320583"
    assert not enterprise.json()["locality_overridden"]
    updated = await post(
        client,
        f"/enterprises/{KUNSHAN_USCC.lower()}/update",
        {"locality": "320571", "park": "苏州工业园区", "size": "medium"},
        auth("dispatcher"),
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["locality_overridden"]
    assert updated.json()["service_list"] is None  # the update is the whole state

    position = project(ledger)
    reader = auth("auditor")
    query = {"position": str(position)}
    unit = await client.get("/units/SZ-HRSS", params=query, headers=reader)
    assert unit.json()["name_zh"] == "苏州市人社局"
    assert unit.headers["projection-position"] == str(position)
    one = await client.get("/cadres/C-0001", headers=reader)
    assert [p["unit"] for p in one.json()["postings"]] == ["SZ-HRSS", "KS-ZHOUSHI"]
    found = await client.get(
        "/enterprises", params={"locality": "320500"}, headers=reader
    )
    assert [e["uscc"] for e in found.json()["items"]] == [KUNSHAN_USCC]
    responses = [
        created,
        renamed,
        cadre,
        moved,
        enterprise,
        updated,
        unit,
        one,
        found,
        await client.get("/units", params={"limit": 1}, headers=reader),
        await client.get("/cadres", params={"role": "handler"}, headers=reader),
        await client.get(f"/enterprises/{KUNSHAN_USCC}", headers=reader),
    ]
    page = responses[-3].json()
    assert (len(page["items"]), page["next"]) == (1, "KS-ZHOUSHI")
    for response in responses:
        check_documented(spec, response)


async def test_refusals_name_their_reason(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    spec = (await client.get("/openapi.json")).json()
    await registered(client, auth)
    project(ledger)
    admin = auth("admin")
    refusals: list[tuple[httpx.Response, int, str]] = [
        (await post(client, "/units", UNIT, auth("dispatcher")), 403, "not-permitted"),
        (await client.get("/cadres", headers=auth("enterprise")), 403, "not-permitted"),
        (
            await client.get("/enterprises", headers=auth("handler")),
            403,
            "not-permitted",
        ),
        (await client.get("/units/SZ-NOPE", headers=admin), 404, "record-not-found"),
        (
            await client.get("/units/not%20a%20code", headers=admin),
            404,
            "record-not-found",
        ),
        (
            await client.get("/enterprises/91320583MA1JUUGT0K", headers=admin),
            404,
            "record-not-found",
        ),
        (
            await post(client, "/units/SZ-NOPE/retire", {"reason": "x"}, admin),
            404,
            "record-not-found",
        ),
        (await post(client, "/units", UNIT, admin), 409, "registry-conflict"),
        (
            await post(
                client, "/units", {**UNIT, "code": "X", "kind": "village"}, admin
            ),
            422,
            "invalid-field",
        ),
        (
            await post(client, "/units", {**UNIT, "code": "X", "colour": 1}, admin),
            422,
            "invalid-field",
        ),
        (
            await post(
                client, "/units", {**UNIT, "code": "X", "parent": "NOPE"}, admin
            ),
            422,
            "invalid-field",
        ),
        (
            await post(
                client, "/cadres", {**CADRE, "code": "C-2", "since": "soon"}, admin
            ),
            422,
            "invalid-field",
        ),
        (
            await post(
                client,
                "/cadres/C-0001/move",
                {"unit": "KS-ZHOUSHI", "on": "2020-01-01"},
                admin,
            ),
            422,
            "invalid-field",
        ),
        (
            await client.get("/units", params={"kind": "village"}, headers=admin),
            422,
            "invalid-field",
        ),
        (
            await client.get(
                "/enterprises", params={"locality": "3205"}, headers=admin
            ),
            422,
            "invalid-field",
        ),
        (
            await client.get(
                "/units", params={"include_retired": "yes"}, headers=admin
            ),
            422,
            "invalid-field",
        ),
    ]
    for response, status, slug in refusals:
        assert response.status_code == status, response.text
        assert response.json()["type"].endswith(f"/{slug}"), response.text
        check_documented(spec, response)
    kind = refusals[8][0].json()["errors"]
    assert kind[0]["field"] == "kind"
    assert "village" in kind[0]["reason"]
    await post(client, "/units/SZ-HRSS/retire", {"reason": "机构改革"}, admin)
    retired = await post(client, "/units/SZ-HRSS/rename", {"name_zh": "新名"}, admin)
    assert retired.status_code == 409
    assert "reinstate it first" in retired.json()["detail"]


async def test_an_enterprise_reads_only_its_own_record(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    await registered(client, auth)
    project(ledger)
    own = await client.get(f"/enterprises/{USCC}", headers=auth("enterprise"))
    assert own.status_code == 200
    assert own.json()["locality_name"] == {"zh": "浙江省", "en": "Zhejiang"}
    other = await client.get(f"/enterprises/{SIP_USCC}", headers=auth("enterprise"))
    assert other.status_code == 403  # unregistered: refused all the same
    listed = await client.get("/enterprises", headers=auth("enterprise"))
    assert [e["uscc"] for e in listed.json()["items"]] == [USCC]
    units = await client.get("/units", headers=auth("enterprise"))
    assert [u["code"] for u in units.json()["items"]] == ["KS-ZHOUSHI", "SZ-HRSS"]


# ---- the matrix, from the permissions table ------------------------------------

PRINCIPALS = ["intake", "dispatcher", "handler", "supervisor", "auditor",
              "enterprise", "admin"]  # fmt: skip
CHANGE_BODIES: dict[str, dict[str, Any]] = {
    "rename_unit": {"name_en": "Suzhou HRSS"},
    "update_unit": {"kind": "department", "locality": "320500"},
    "retire_unit": {"reason": "撤并"},
    "reinstate_unit": {"reason": "恢复"},
    "rename_cadre": {"name": "张叁"},
    "move_cadre": {"unit": "KS-ZHOUSHI", "on": "2026-03-01"},
    "change_cadre_roles": {"roles": ["leader"]},
    "retire_cadre": {"reason": "退休"},
    "reinstate_cadre": {"reason": "返聘"},
    "rename_enterprise": {"name": "昆山新泰科技有限公司"},
    "update_enterprise": {"park": "周市镇"},
}
PATHS = {"unit": "/units/SZ-HRSS", "cadre": "/cadres/C-0001",
         "enterprise": f"/enterprises/{KUNSHAN_USCC}"}  # fmt: skip


async def test_every_registry_command_has_a_body_here() -> None:
    permissions = {c.permission for changes in CHANGES.values() for c in changes}
    assert set(CHANGE_BODIES) == permissions


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_the_command_matrix_row_by_row(
    client: httpx.AsyncClient, auth: Auth, principal: str
) -> None:
    """A role outside a command's row gets 403; a role inside it never does."""
    await registered(client, auth)
    role = Role(principal)
    for record, register in REGISTRATIONS.items():
        body = {"unit": {**UNIT, "code": "X-1"}, "cadre": {**CADRE, "code": "C-9"},
                "enterprise": {**ENTERPRISE, "uscc": SIP_USCC}}[record]  # fmt: skip
        path = "/" + {"unit": "units", "cadre": "cadres"}.get(record, "enterprises")
        response = await post(client, path, body, auth(principal))
        expected = role in roles_for(register.permission)
        assert (response.status_code == 403) != expected, (principal, path)
        for command in CHANGES[record]:
            path = f"{PATHS[record]}/{command.verb}"
            response = await post(
                client, path, CHANGE_BODIES[command.permission], auth(principal)
            )
            expected = role in roles_for(command.permission)
            assert (response.status_code == 403) != expected, (principal, path)
            if expected:
                assert response.status_code == 200, (path, response.text)


def may_read(read: str, actor: Actor, uscc: str | None) -> bool:
    """What the table says ``actor`` gets on a registry read (one record:
    an enterprise's by its credit code)."""
    if actor.role not in READS[read]:
        return False
    if uscc is None:
        return True  # a list: filtered to the actor's scope, never refused
    return read_filter(read, actor).admits(unit=None, uscc=uscc)


async def test_every_principal_on_every_registry_read(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    await registered(client, auth)
    project(ledger)
    reads: list[tuple[str, str, str | None]] = [
        ("units", "/units", None),
        ("units", "/units/SZ-HRSS", None),
        ("cadres", "/cadres", None),
        ("cadres", "/cadres/C-0001", None),
        ("enterprises", "/enterprises", None),
        ("enterprises", f"/enterprises/{USCC}", USCC),
        ("enterprises", f"/enterprises/{KUNSHAN_USCC}", KUNSHAN_USCC),
    ]
    for who, spec in ROLE_TOKENS.items():
        actor = Actor(id=who, **{**spec, "role": Role(spec["role"])})
        for read, path, uscc in reads:
            response = await client.get(path, headers=auth(who))
            expected = 200 if may_read(read, actor, uscc) else 403
            assert response.status_code == expected, (who, path, response.text)
