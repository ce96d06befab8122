"""An HTTP client bound to the ASGI app over a real ledger (both stores)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from appeals.application import AppealLedger
from appeals.http.app import create_app


@pytest_asyncio.fixture
async def client(ledger: AppealLedger) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(lambda: ledger)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://appeals.test"
        ) as http:
            yield http
