"""Bearer-token authentication: a token check never blocks the event loop,
and a role that may not receive learns nothing from a duplicate receipt."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from uuid import uuid4

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.http.app import create_app
from appeals.infra.tokens import TokenInfo, TokenStore
from tests.builders import RECEIPT, post
from tests.domain.lifecycle_fixtures import T0
from tests.http.conftest import Auth

pytestmark = pytest.mark.asyncio


class SlowTokenStore:
    """A token store whose lookups wait until released (a slow database)."""

    def __init__(self, inner: TokenStore) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()

    def verify(self, token: str) -> TokenInfo | None:
        self.entered.set()
        self.release.wait(timeout=5)
        return self.inner.verify(token)


async def test_a_slow_token_check_does_not_block_other_requests(
    ledger: AppealLedger,
) -> None:
    app = create_app(lambda: ledger)
    async with app.router.lifespan_context(app):
        store = TokenStore(ledger.database)
        token, _ = store.create(now=T0, role="intake", name="王受理")
        slow = SlowTokenStore(store)
        context = app.state.context
        app.state.context = dataclasses.replace(context, tokens=slow)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://appeals.test"
        ) as http:
            headers = {"Authorization": f"Bearer {token}"}
            pending = asyncio.create_task(
                http.get(f"/appeals/{uuid4()}", headers=headers)
            )
            assert await asyncio.to_thread(slow.entered.wait, 5)
            health = await asyncio.wait_for(http.get("/healthz"), 2)
            assert health.status_code == 200
            assert not pending.done()  # still waiting for its token check
            slow.release.set()
            response = await pending
    assert response.status_code == 404


async def test_a_role_that_may_not_receive_learns_nothing_from_a_source_reference(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    """Receiving an already-received source reference answers the existing
    appeal only to those who may receive: an auditor gets 403, not the appeal
    (and another enterprise gets 403 for a reference it did not file)."""
    body = {**RECEIPT, "external_id": "12345-2026-7777777"}
    first = await post(client, "/appeals", body, auth("intake"))
    assert first.status_code == 201, first.text
    again = await post(client, "/appeals", body, auth("intake"))
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    for who in ("auditor", "dispatcher", "other_enterprise"):
        refused = await post(client, "/appeals", body, auth(who))
        assert refused.status_code == 403, (who, refused.text)
        assert first.json()["id"] not in refused.text
    # another enterprise sending the same reference for itself (its own credit
    # code, as the portal fills it) learns nothing of the first appeal either
    own = {k: v for k, v in body.items() if k != "uscc"}
    theirs = await post(client, "/appeals", own, auth("other_enterprise"))
    assert theirs.status_code == 422, theirs.text
    assert theirs.json()["errors"][0]["field"] == "external_id"
    for leaked in (first.json()["id"], first.json()["ticket"], RECEIPT["title"]):
        assert leaked not in theirs.text
