"""Every command over HTTP, and every class of refusal with a useful body that
changes nothing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest

from appeals.application.service import AppealLedger
from tests.builders import CADRE, RECEIPT, log_position, post, received
from tests.domain.lifecycle_fixtures import UNIT
from tests.http.conftest import Auth

pytestmark = pytest.mark.asyncio


async def test_the_whole_lifecycle_over_http(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    created = await post(client, "/appeals", RECEIPT, auth("intake"))
    assert created.status_code == 201
    body = created.json()
    assert created.headers["location"] == f"/appeals/{body['id']}"
    assert body["ticket"].startswith("2026")
    assert body["position"] >= 1
    path = f"/appeals/{body['id']}"
    steps: list[tuple[str, dict[str, Any], str, str]] = [
        ("assign", {"unit": UNIT, "cadre": CADRE}, "dispatcher", "assigned"),
        ("accept", {}, "handler", "in_progress"),
        ("pause", {"reason": "请补充变更材料"}, "handler", "in_progress"),
        ("resume", {"note": "已补充"}, "handler", "in_progress"),
        (
            "request-extension",
            {
                "requested_deadline": "2026-10-12T17:30:00+08:00",
                "reason": "需省局审批",
            },
            "handler",
            "in_progress",
        ),
        ("decide-extension", {"approve": True}, "supervisor", "in_progress"),
        ("supervise", {"level": 2, "note": "请加快"}, "supervisor", "in_progress"),
        ("note-progress", {"note": "已报省局"}, "handler", "in_progress"),
        (
            "resolve",
            {"outcome": "resolved", "result": "许可证已变更"},
            "handler",
            "resolved",
        ),
        ("reply", {"channel": "hotline", "content": "已电话告知"}, "intake", "replied"),
        (
            "evaluate",
            {"resolved": True, "satisfaction": "satisfied", "comment": "很快"},
            "enterprise",
            "evaluated",
        ),
        ("close", {"note": "对账销号"}, "dispatcher", "closed"),
    ]
    for version, (command, payload, who, status) in enumerate(steps, start=2):
        response = await post(client, f"{path}/{command}", payload, auth(who))
        assert response.status_code == 200, (command, response.text)
        assert response.json()["status"] == status
        assert response.json()["version"] == version
        assert response.headers["etag"] == f'"{version}"'


async def test_return_reopen_withdraw_and_merge_over_http(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    first = await received(client, auth, external_id="A-1")
    await post(client, f"/appeals/{first}/assign", {"unit": UNIT}, auth("dispatcher"))
    returned = await post(
        client, f"/appeals/{first}/return", {"reason": "非本单位职责"}, auth("handler")
    )
    assert returned.json()["status"] == "received"
    second = await received(client, auth, external_id="A-2")
    merged = await post(
        client,
        f"/appeals/{second}/merge",
        {"into": first, "reason": "重复诉求"},
        auth("dispatcher"),
    )
    assert merged.json()["merged_into"] == first
    withdrawn = await post(
        client,
        f"/appeals/{first}/withdraw",
        {"reason": "已自行解决"},
        auth("enterprise"),
    )
    assert withdrawn.json()["status"] == "withdrawn"


async def test_a_repeated_source_reference_returns_the_existing_appeal(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    first = await post(client, "/appeals", RECEIPT, auth("intake"))
    position = log_position(ledger)
    again = await post(client, "/appeals", RECEIPT, auth("intake"))
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert log_position(ledger) == position


# ---- refusals: each class, a useful body, nothing written ------------------


async def expect_problem(
    ledger: AppealLedger,
    response_coroutine: Any,
    status: int,
    slug: str,
) -> dict[str, Any]:
    before = log_position(ledger)
    response = await response_coroutine
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["type"].endswith("/" + slug)
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert log_position(ledger) == before
    return problem


async def test_malformed_json_is_400(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    headers = auth("intake", **{"Content-Type": "application/json"})
    await expect_problem(
        ledger,
        client.post("/appeals", content=b'{"uscc": ', headers=headers),
        400,
        "malformed-json",
    )
    await expect_problem(
        ledger,
        client.post("/appeals", content=b"[1, 2]", headers=headers),
        400,
        "malformed-json",
    )


async def test_wrong_content_type_is_415(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    headers = auth("intake", **{"Content-Type": "text/plain"})
    await expect_problem(
        ledger,
        client.post("/appeals", content=b"{}", headers=headers),
        415,
        "unsupported-media-type",
    )


async def test_a_body_over_the_limit_is_413(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    problem = await expect_problem(
        ledger,
        post(
            client, "/appeals", {**RECEIPT, "description": "长" * 5000}, auth("intake")
        ),
        413,
        "body-too-large",
    )
    assert problem["limit"] == 8 * 1024


async def test_validation_lists_every_bad_field(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    body = {
        **RECEIPT,
        "channel": "fax",
        "priority": 3,
        "colour": "red",
    }
    del body["title"]
    problem = await expect_problem(
        ledger, post(client, "/appeals", body, auth("intake")), 422, "invalid-field"
    )
    fields = {e["field"]: e["reason"] for e in problem["errors"]}
    assert set(fields) == {"channel", "priority", "colour", "title"}
    assert fields["title"] == "is required"
    assert fields["colour"] == "is not a field of this command"
    assert fields["channel"].startswith("must be one of: hotline, portal")


async def test_a_bad_credit_code_is_422_with_the_reason(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    problem = await expect_problem(
        ledger,
        post(
            client,
            "/appeals",
            {**RECEIPT, "uscc": "91330100716105852G"},
            auth("intake"),
        ),
        422,
        "invalid-credit-code",
    )
    assert problem["errors"] == [
        {"field": "uscc", "reason": "check character is 'G' but should be 'F'"}
    ]


async def test_an_unknown_appeal_is_404(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    await expect_problem(
        ledger,
        post(
            client,
            "/appeals/7d1c2f9e-0000-4000-8000-000000000000/accept",
            {},
            auth("handler"),
        ),
        404,
        "appeal-not-found",
    )


async def test_an_unknown_command_is_404(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    appeal_id = await received(client, auth)
    await expect_problem(
        ledger,
        post(client, f"/appeals/{appeal_id}/approve", {}, auth("admin")),
        404,
        "unknown-command",
    )


async def test_a_command_the_state_does_not_allow_is_409_with_the_state(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    appeal_id = await received(client, auth)
    problem = await expect_problem(
        ledger,
        post(
            client,
            f"/appeals/{appeal_id}/resolve",
            {"outcome": "resolved", "result": "x"},
            auth("admin"),
        ),
        409,
        "command-not-allowed",
    )
    assert problem["appeal_status"] == "received"
    assert problem["command"] == "resolve"


async def test_a_stale_if_match_is_412_with_the_current_version(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    appeal_id = await received(client, auth)
    problem = await expect_problem(
        ledger,
        post(
            client,
            f"/appeals/{appeal_id}/assign",
            {"unit": UNIT},
            auth("dispatcher", **{"If-Match": '"7"'}),
        ),
        412,
        "version-conflict",
    )
    assert problem["current_version"] == 1
    fresh = await post(
        client,
        f"/appeals/{appeal_id}/assign",
        {"unit": UNIT},
        auth("dispatcher", **{"If-Match": '"1"'}),
    )
    assert fresh.status_code == 200


async def test_missing_credentials_are_401(
    client: httpx.AsyncClient, ledger: AppealLedger
) -> None:
    await expect_problem(
        ledger, post(client, "/appeals", RECEIPT, {}), 401, "unauthorized"
    )


async def test_a_role_not_allowed_is_403(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    await expect_problem(
        ledger, post(client, "/appeals", RECEIPT, auth("auditor")), 403, "not-permitted"
    )
    appeal_id = await received(client, auth)
    await post(
        client, f"/appeals/{appeal_id}/assign", {"unit": UNIT}, auth("dispatcher")
    )
    await expect_problem(
        ledger,
        post(client, f"/appeals/{appeal_id}/accept", {}, auth("other_handler")),
        403,
        "not-permitted",
    )


async def test_the_actor_is_the_principal_not_the_body(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    problem = await expect_problem(
        ledger,
        post(client, "/appeals", {**RECEIPT, "actor": {"id": "boss"}}, auth("intake")),
        422,
        "invalid-field",
    )
    assert problem["errors"] == [
        {"field": "actor", "reason": "is not a field of this command"}
    ]
    appeal_id = await received(client, auth)
    (event,) = ledger.events.get(UUID(appeal_id))
    assert event.actor["role"] == "intake"  # type: ignore[attr-defined]
    assert event.actor["name"] == "12345热线 王受理"  # type: ignore[attr-defined]
    assert event.actor["id"].startswith("tok_")  # type: ignore[attr-defined]
