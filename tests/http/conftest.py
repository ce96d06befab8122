"""An HTTP client bound to the ASGI app over a real ledger (both stores), and
a bearer token for every role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from appeals.application.service import AppealLedger
from appeals.http.app import create_app
from appeals.infra.blobs import BlobStore, FileBlobStore
from appeals.infra.tokens import TokenStore
from tests.builders import TAX_UNIT
from tests.domain.lifecycle_fixtures import T0, UNIT, USCC

ROLE_TOKENS = {
    "intake": {"role": "intake", "name": "12345热线 王受理"},
    "dispatcher": {"role": "dispatcher", "name": "市营商办 李派单"},
    "handler": {"role": "handler", "name": "市人社局 张三", "unit": UNIT},
    "other_handler": {"role": "handler", "name": "市税务局 赵四", "unit": TAX_UNIT},
    "supervisor": {"role": "supervisor", "name": "市政府督查室 周督办"},
    "auditor": {"role": "auditor", "name": "审计局 钱审计"},
    "enterprise": {"role": "enterprise", "name": "某某科技", "uscc": USCC},
    "other_enterprise": {
        "role": "enterprise",
        "name": "别家公司",
        "uscc": "9144030071526726XG",
    },
    "admin": {"role": "admin", "name": "系统管理员"},
}


class Auth:
    """Authorization headers by role name (see ROLE_TOKENS)."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens

    def __call__(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    """The attachments' blob store of the test app: a directory of its own."""
    return FileBlobStore(tmp_path / "blobs")


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app``, started (its lifespan) and stopped around it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://appeals.test"
        ) as http:
            yield http


@pytest_asyncio.fixture
async def client(
    ledger: AppealLedger, blobs: BlobStore
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        lambda: ledger, body_limit=8 * 1024, blobs=blobs, attachment_limit=64 * 1024
    )
    async with serving(app) as http:
        yield http


@pytest.fixture
def auth(ledger: AppealLedger) -> Auth:
    store = TokenStore(ledger.database)
    store.create_table()
    tokens = {}
    for who, spec in ROLE_TOKENS.items():
        token, _ = store.create(now=T0, **spec)
        tokens[who] = token
    return Auth(tokens)
