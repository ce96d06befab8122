"""The routing catalogue over HTTP: publish, revise, retire and reinstate by
the centre; list, search and read by everyone signed in; every refusal a
problem (403, 404, 409, 422) that changes nothing; every response as the
OpenAPI document says; every cell of the permissions table."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema
import pytest

from appeals.application.service import AppealLedger
from appeals.domain.permissions import readers_of, roles_for
from appeals.domain.values import Role
from appeals.projections import catalogue as view
from tests.builders import post
from tests.http.conftest import ROLE_TOKENS, Auth
from tests.support.catalogue import ITEMS, POWER, VAT, register_units
from tests.support.views import caught_up

pytestmark = pytest.mark.asyncio


@pytest.fixture(autouse=True)
def units(ledger: AppealLedger) -> None:
    """The units the test items name, registered (the catalogue checks them)."""
    register_units(ledger)


def as_body(item: Any, *, code: bool = True) -> dict[str, Any]:
    """A command value as its JSON body."""
    found = {k: v for k, v in item.content().__dict__.items() if v is not None}
    found["kind"], found["category"] = item.kind.value, item.category.value
    found["co_units"], found["keywords"] = list(item.co_units), list(item.keywords)
    found["limits"] = dict(item.limits)
    return {**found, "code": item.code} if code else found


async def publish_all(client: httpx.AsyncClient, auth: Auth) -> None:
    for item in ITEMS:
        response = await post(client, "/catalogue", as_body(item), auth("dispatcher"))
        assert response.status_code == 201, response.text


def operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    templates = sorted(spec["paths"], key=lambda t: t.count("{"))
    for template in templates:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in spec["paths"][template]:
            found: dict[str, Any] = spec["paths"][template][method.lower()]
            return found
    raise AssertionError(f"{method} {path} is not documented")


async def check_documented(
    client: httpx.AsyncClient, responses: list[httpx.Response]
) -> None:
    spec = (await client.get("/openapi.json")).json()
    for response in responses:
        request = response.request
        documented = operation(spec, request.method, request.url.path)["responses"]
        entry = documented.get(str(response.status_code))
        assert entry, (request.method, request.url.path, response.status_code)
        media_type = response.headers["content-type"].split(";")[0]
        schema = entry["content"][media_type]["schema"]
        jsonschema.validate(
            response.json(),
            {**schema, "components": spec["components"]},
            cls=jsonschema.Draft202012Validator,
        )


async def test_publish_then_read_list_and_search(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    created = await post(client, "/catalogue", as_body(POWER), auth("dispatcher"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == "/catalogue/UTIL-001"
    assert (body["code"], body["version"], body["changed"]) == ("UTIL-001", 1, True)
    assert body["position"] == ledger.event_log.head()
    assert body["kind_label"] == {"zh": "求助", "en": "request for help"}
    assert body["limits"] == {"accept": "1d", "resolve": "10d"}
    responses = [created]
    for item in ITEMS[1:]:
        responses.append(await post(client, "/catalogue", as_body(item), auth("admin")))
    caught_up(ledger, view.PROJECTION)

    listed = await client.get("/catalogue", headers=auth("enterprise"))
    assert listed.status_code == 200
    assert [i["code"] for i in listed.json()["items"]] == sorted(i.code for i in ITEMS)
    assert listed.headers["projection-position"] == str(ledger.event_log.head())
    page = await client.get(
        "/catalogue", params={"limit": 3, "after": "ENV-001"}, headers=auth("handler")
    )
    assert [i["code"] for i in page.json()["items"]] == ["HR-001", "PER-001", "POL-001"]
    assert page.json()["next"] == "POL-001"
    taxes = await client.get(
        "/catalogue", params={"category": "tax", "kind": "help"}, headers=auth("intake")
    )
    assert [i["code"] for i in taxes.json()["items"]] == ["TAX-002"]
    drc = await client.get(
        "/catalogue", params={"unit": "SZ-DRC"}, headers=auth("intake")
    )
    assert [i["code"] for i in drc.json()["items"]] == ["ENV-001", "UTIL-001"]

    found = await client.get(
        "/catalogue", params={"q": "企业想办理用电报装手续"}, headers=auth("intake")
    )
    assert found.status_code == 200
    hits = found.json()["items"]
    assert hits[0]["code"] == "UTIL-001"
    assert "用电报装" in hits[0]["matched"]
    assert hits[0]["score"] > hits[-1]["score"] or len(hits) == 1
    refund = await client.get(
        "/catalogue", params={"q": "留抵退税", "limit": 1}, headers=auth("handler")
    )
    assert [h["code"] for h in refund.json()["items"]] == ["TAX-001"]

    one = await client.get("/catalogue/TAX-001", headers=auth("auditor"))
    assert one.status_code == 200
    assert one.json()["standard_answer"] == VAT.standard_answer
    assert one.json()["published_at"].endswith("+08:00")
    responses += [listed, page, taxes, found, refund, one]
    await check_documented(client, responses)


async def test_revise_retire_reinstate_and_read_a_version(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    await post(client, "/catalogue", as_body(POWER), auth("dispatcher"))
    changed = {**as_body(POWER, code=False), "limits": {"resolve": "7d"}}
    revised = await post(
        client, "/catalogue/UTIL-001/revise", changed, auth("dispatcher")
    )
    assert revised.status_code == 200, revised.text
    assert (revised.json()["version"], revised.json()["changed"]) == (2, True)
    again = await post(client, "/catalogue/UTIL-001/revise", changed, auth("admin"))
    assert (again.json()["version"], again.json()["changed"]) == (2, False)
    assert again.json()["position"] is None
    retired = await post(
        client, "/catalogue/UTIL-001/retire", {"reason": "职责调整"}, auth("admin")
    )
    assert retired.json()["retired"] is True
    assert retired.json()["retired_reason"] == "职责调整"
    twice = await post(
        client, "/catalogue/UTIL-001/retire", {"reason": "再次"}, auth("admin")
    )
    assert twice.status_code == 409
    assert twice.json()["type"].endswith("/catalogue-conflict")
    assert twice.json()["item_status"] == "retired"
    caught_up(ledger, view.PROJECTION)
    hidden = await client.get("/catalogue", headers=auth("intake"))
    assert hidden.json()["items"] == []
    shown = await client.get(
        "/catalogue", params={"include_retired": "true"}, headers=auth("intake")
    )
    assert [i["retired"] for i in shown.json()["items"]] == [True]
    reinstated = await post(
        client, "/catalogue/UTIL-001/reinstate", {}, auth("dispatcher")
    )
    assert reinstated.json()["retired"] is False
    caught_up(ledger, view.PROJECTION)
    now = await client.get("/catalogue/UTIL-001", headers=auth("enterprise"))
    assert (now.json()["version"], now.json()["limits"]) == (2, {"resolve": "7d"})
    first = await client.get(
        "/catalogue/UTIL-001", params={"version": 1}, headers=auth("enterprise")
    )
    assert (first.json()["version"], first.json()["versions"]) == (1, 2)
    assert first.json()["limits"] == {"accept": "1d", "resolve": "10d"}
    await check_documented(
        client, [revised, again, retired, twice, shown, reinstated, now, first]
    )


async def test_refusals_are_problems_and_change_nothing(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    await post(client, "/catalogue", as_body(POWER), auth("dispatcher"))
    head = ledger.event_log.head()
    caught_up(ledger, view.PROJECTION)
    refusals = [
        # 403: outside the permissions table's row
        (await post(client, "/catalogue", as_body(VAT), auth("handler")), 403),
        (
            await post(
                client, "/catalogue/UTIL-001/retire", {"reason": "x"}, auth("intake")
            ),
            403,
        ),
        # 404: no such item, version, or a path that cannot be a code
        (await client.get("/catalogue/NOPE-1", headers=auth("intake")), 404),
        (
            await client.get(
                "/catalogue/UTIL-001", params={"version": 9}, headers=auth("intake")
            ),
            404,
        ),
        (await client.get("/catalogue/市 供电", headers=auth("intake")), 404),
        (
            await post(
                client, "/catalogue/NOPE-1/retire", {"reason": "x"}, auth("admin")
            ),
            404,
        ),
        # 409: the code is taken
        (await post(client, "/catalogue", as_body(POWER), auth("dispatcher")), 409),
        # 422: the body, every bad field at once
        (
            await post(
                client,
                "/catalogue",
                {**as_body(VAT), "limits": {"resolve": "soon"}, "kind": "ask"},
                auth("dispatcher"),
            ),
            422,
        ),
        (await post(client, "/catalogue", {"code": "X-1"}, auth("dispatcher")), 422),
        (
            await post(
                client, "/catalogue/UTIL-001/retire", {"why": "x"}, auth("admin")
            ),
            422,
        ),
        # 422: the query
        (
            await client.get(
                "/catalogue", params={"category": "food"}, headers=auth("intake")
            ),
            422,
        ),
        (
            await client.get(
                "/catalogue", params={"include_retired": "yes"}, headers=auth("intake")
            ),
            422,
        ),
        (
            await client.get(
                "/catalogue", params={"unit": "市 税务局"}, headers=auth("intake")
            ),
            422,
        ),
        (
            await client.get("/catalogue", params={"limit": 0}, headers=auth("intake")),
            422,
        ),
        (
            await client.get(
                "/catalogue/UTIL-001", params={"version": 0}, headers=auth("intake")
            ),
            422,
        ),
        (await client.get("/catalogue"), 401),
    ]
    for response, status in refusals:
        assert response.status_code == status, (response.request.url, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    bad = refusals[7][0].json()
    assert {e["field"] for e in bad["errors"]} == {"limits", "kind"}
    missing = refusals[8][0].json()
    assert {e["field"] for e in missing["errors"]} == {
        "matter_zh",
        "kind",
        "category",
        "lead_unit",
        "procedure",
    }
    assert refusals[2][0].json()["type"].endswith("/catalogue-item-not-found")
    assert ledger.event_log.head() == head
    await check_documented(client, [r for r, status in refusals if status != 401])


async def test_a_search_is_one_page_of_items_in_force(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    refused = await client.get(
        "/catalogue",
        params={"q": "退税", "include_retired": "true"},
        headers=auth("intake"),
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "q"


PRINCIPALS = sorted(ROLE_TOKENS)
CHANGES = {
    "publish_catalogue_item": ("/catalogue", lambda n: as_body(POWER) | {"code": n}),
    "revise_catalogue_item": (
        "/catalogue/{code}/revise",
        lambda n: as_body(POWER, code=False) | {"procedure": f"第{n}版"},
    ),
    "retire_catalogue_item": ("/catalogue/{code}/retire", lambda n: {"reason": "停用"}),
    "reinstate_catalogue_item": ("/catalogue/{code}/reinstate", lambda n: {}),
}


async def test_every_principal_on_every_catalogue_route(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    """Expected from the permissions table alone: a role in a change's row
    never gets 403, a role outside it always does; every role reads."""
    for number, who in enumerate(PRINCIPALS):
        role = Role(ROLE_TOKENS[who]["role"])
        for permission, (template, make_body) in CHANGES.items():
            code = f"M-{number}-{permission[:3]}"
            # a fresh item in the state the change applies to
            await post(
                client, "/catalogue", as_body(POWER) | {"code": code}, auth("admin")
            )
            if permission == "reinstate_catalogue_item":
                await post(
                    client,
                    f"/catalogue/{code}/retire",
                    {"reason": "停用"},
                    auth("admin"),
                )
            path = template.format(code=code)
            new = f"N-{number}" if permission == "publish_catalogue_item" else code
            response = await post(client, path, make_body(new), auth(who))
            if role in roles_for(permission):
                assert response.status_code in (200, 201), (who, path, response.text)
            else:
                assert response.status_code == 403, (who, path, response.text)
                assert response.json()["type"].endswith("/not-permitted")
    caught_up(ledger, view.PROJECTION)
    for who in PRINCIPALS:
        role = Role(ROLE_TOKENS[who]["role"])
        for path in ("/catalogue", "/catalogue?q=用电报装", "/catalogue/M-0-pub"):
            response = await client.get(path, headers=auth(who))
            expected = 200 if role in readers_of("catalogue") else 403
            assert response.status_code == expected, (who, path, response.text)


async def test_an_item_naming_an_unregistered_unit_is_refused(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    body = {**as_body(POWER), "lead_unit": "SZ-NOPE"}
    head = ledger.event_log.head()
    response = await post(client, "/catalogue", body, auth("dispatcher"))
    assert response.status_code == 422, response.text
    assert "lead_unit" in response.text
    assert ledger.event_log.head() == head
