"""Callers retry on timeouts and run many workers at once: Idempotency-Key
replays, If-Match races, and retries racing each other."""

from __future__ import annotations

import asyncio
from uuid import UUID

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.bootstrap import open_ledger
from appeals.http.app import create_app
from appeals.infra.clock import FixedClock
from appeals.infra.settings import Settings
from tests.builders import RECEIPT, log_position, post, received
from tests.domain.lifecycle_fixtures import UNIT
from tests.http.conftest import Auth

pytestmark = pytest.mark.asyncio


async def test_a_retried_receipt_with_the_same_key_is_answered_again(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    body = {**RECEIPT, "external_id": None}
    headers = auth("intake", **{"Idempotency-Key": "req-1"})
    first = await post(client, "/appeals", body, headers)
    position = log_position(ledger)
    retry = await post(client, "/appeals", body, headers)
    assert retry.status_code == first.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert log_position(ledger) == position


async def test_a_retried_command_with_the_same_key_acts_once(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    appeal_id = await received(client, auth)
    headers = auth("dispatcher", **{"Idempotency-Key": "assign-1"})
    first = await post(client, f"/appeals/{appeal_id}/assign", {"unit": UNIT}, headers)
    position = log_position(ledger)
    retry = await post(client, f"/appeals/{appeal_id}/assign", {"unit": UNIT}, headers)
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert log_position(ledger) == position


async def test_the_same_key_with_a_different_body_is_refused(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    appeal_id = await received(client, auth)
    headers = auth("dispatcher", **{"Idempotency-Key": "assign-2"})
    await post(client, f"/appeals/{appeal_id}/assign", {"unit": UNIT}, headers)
    position = log_position(ledger)
    other = await post(
        client, f"/appeals/{appeal_id}/assign", {"unit": "SZ-SWJ"}, headers
    )
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert log_position(ledger) == position


async def test_keys_belong_to_their_principal(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    appeal_id = await received(client, auth)
    body = {"level": 1, "note": "催办"}
    mine = await post(
        client,
        f"/appeals/{appeal_id}/supervise",
        body,
        auth("supervisor", **{"Idempotency-Key": "k"}),
    )
    theirs = await post(
        client,
        f"/appeals/{appeal_id}/supervise",
        body,
        auth("admin", **{"Idempotency-Key": "k"}),
    )
    assert (mine.json()["version"], theirs.json()["version"]) == (2, 3)


async def test_a_retry_survives_a_restart(
    settings: Settings, clock: FixedClock, auth: Auth
) -> None:
    headers = auth("intake", **{"Idempotency-Key": "across-restart"})
    body = {**RECEIPT, "external_id": None}
    answers = []
    for _ in range(2):
        app = create_app(lambda: open_ledger(settings, clock=clock))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://t"
            ) as http:
                answers.append(await post(http, "/appeals", body, headers))
    assert answers[0].json() == answers[1].json()
    assert answers[1].headers["idempotent-replayed"] == "true"


async def test_retries_racing_each_other_act_once(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    appeal_id = await received(client, auth)
    headers = auth("supervisor", **{"Idempotency-Key": "race"})
    body = {"level": 2, "note": "限期办理"}
    responses = await asyncio.gather(
        *[
            post(client, f"/appeals/{appeal_id}/supervise", body, headers)
            for _ in range(8)
        ]
    )
    assert {r.status_code for r in responses} == {200}
    assert {r.json()["version"] for r in responses} == {2}
    assert ledger.get(UUID(appeal_id)).version == 2


async def test_receipts_with_one_key_racing_create_one_appeal(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    headers = auth("intake", **{"Idempotency-Key": "receipt-race"})
    body = {**RECEIPT, "external_id": None}
    responses = await asyncio.gather(
        *[post(client, "/appeals", body, headers) for _ in range(8)]
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    receipts = [
        n
        for n in ledger.recorder.select_notifications(start=1, limit=1000)
        if n.topic == "Appeal.Received"
    ]
    assert len(receipts) == 1


async def test_concurrent_commands_with_the_same_if_match_one_wins(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    appeal_id = await received(client, auth)
    responses = await asyncio.gather(
        *[
            post(
                client,
                f"/appeals/{appeal_id}/supervise",
                {"level": 1, "note": f"催办 {n}"},
                auth("supervisor", **{"If-Match": '"1"'}),
            )
            for n in range(8)
        ]
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 7
    assert all(
        r.json()["current_version"] == 2 for r in responses if r.status_code == 412
    )
    assert ledger.get(UUID(appeal_id)).version == 2


async def test_concurrent_commands_without_if_match_never_lose_an_event(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    appeal_id = await received(client, auth)
    responses = await asyncio.gather(
        *[
            post(
                client,
                f"/appeals/{appeal_id}/supervise",
                {"level": 1, "note": f"催办 {n}"},
                auth("supervisor"),
            )
            for n in range(8)
        ]
    )
    ok = [r for r in responses if r.status_code == 200]
    assert all(r.status_code in (200, 412) for r in responses)
    assert ok
    assert ledger.get(UUID(appeal_id)).version == 1 + len(ok)
