"""Bearer-token authentication: a token check never blocks the event loop."""

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
from tests.domain.lifecycle_fixtures import T0

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
