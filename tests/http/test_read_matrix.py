"""Every read route for every principal, expected from the permissions
table alone (``READS`` and ``read_filter``): the single appeal, its history
and chain check, the list, each report in JSON and CSV, the ledger and the
feed. A role outside a read's row, or a row outside its scope, gets 403."""

from __future__ import annotations

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.domain.permissions import READS, read_filter
from appeals.domain.values import Actor, Role
from tests.builders import RECEIPT, post
from tests.domain.lifecycle_fixtures import UNIT, USCC
from tests.http.conftest import ROLE_TOKENS, Auth

PER_APPEAL = ("/appeals/{id}", "/appeals/by-ticket/{ticket}",
              "/appeals/{id}/history", "/appeals/{id}/verify")  # fmt: skip
READ_ROUTES: dict[str, tuple[str, ...]] = {
    "appeal": PER_APPEAL,
    "appeals": ("/appeals", "/appeals?format=csv"),
    "overdue": ("/reports/overdue", "/reports/overdue?format=csv"),
    "timeliness": ("/reports/timeliness", "/reports/timeliness?format=csv"),
    "accountability": (
        "/reports/accountability",
        "/reports/accountability?format=csv",
    ),
    "ledger": ("/enterprises/{uscc}/ledger", "/enterprises/{uscc}/ledger?format=csv"),
    "units": ("/units",),
    "cadres": ("/cadres",),
    "enterprises": ("/enterprises",),
    "category_month": (
        "/reports/category-month",
        "/reports/category-month?format=csv",
    ),
    "feed": ("/events",),
    "catalogue": ("/catalogue", "/catalogue?q=留抵退税"),
    "routing": ("/reports/routing", "/reports/routing?format=csv"),
    "supervision": ("/supervision/orders", "/supervision/orders?settled=true"),
    "meetings": ("/reports/meeting-tasks", "/reports/meeting-tasks?open=false"),
    "links": ("/reports/visits", "/reports/visits?month=2026-10", "/reports/unvisited"),
    "notices": (
        "/notices/2026-10/preview",
        "/notices/2026-10/preview?format=csv",
        "/notices/2026-10/preview?format=html",
    ),
    "callbacks": (
        "/callbacks/queue",
        "/callbacks/queue?due=all",
        "/reports/callbacks",
        "/reports/callbacks?format=csv",
    ),
    "assessment": (
        "/assessments/2026-10/preview",
        "/assessments/2026-10/preview?format=csv",
    ),
    "trends": (
        "/reports/trend",
        "/reports/trend?group_by=unit&format=csv",
        "/reports/trend?indicator=received&format=xlsx",
    ),
    "hotspots": ("/reports/hotspots", "/reports/hotspots?format=xlsx"),
}


def test_every_read_of_the_table_has_its_routes() -> None:
    assert set(READ_ROUTES) == set(READS)


def may(read: str, actor: Actor) -> bool:
    """What the table says ``actor`` gets on one appeal of UNIT and USCC."""
    if actor.role not in READS[read]:
        return False
    scope = read_filter(read, actor)
    if read == "appeal":
        return scope.admits(unit=UNIT, uscc=USCC)
    if read == "ledger":
        return scope.admits(unit=None, uscc=USCC)
    return True


@pytest.mark.asyncio
async def test_every_principal_on_every_read_route(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    created = await post(client, "/appeals", RECEIPT, auth("intake"))
    appeal_id, ticket = created.json()["id"], created.json()["ticket"]
    assigned = await post(
        client, f"/appeals/{appeal_id}/assign", {"unit": UNIT}, auth("dispatcher")
    )
    assert assigned.status_code == 200, assigned.text
    # No token names the system role (it is the ledger's own): every
    # principal that can call HTTP is here.
    principals = {
        who: (auth(who), Actor(id=who, **{**spec, "role": Role(spec["role"])}))
        for who, spec in ROLE_TOKENS.items()
    }
    for read, routes in READ_ROUTES.items():
        for route in routes:
            path = route.format(id=appeal_id, ticket=ticket, uscc=USCC)
            for who, (headers, actor) in principals.items():
                response = await client.get(path, headers=headers)
                expected = 200 if may(read, actor) else 403
                if expected == 403 and route == "/appeals/by-ticket/{ticket}":
                    expected = 404  # a foreign ticket looks like a missing one
                assert response.status_code == expected, (who, path, response.text)
