"""Bearer-token authentication: a token check never blocks the event loop,
a token checked lately costs no threadpool hop yet a revoked one stops
working within the cache window, and a role that may not receive learns
nothing from a duplicate receipt."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import uuid4

import httpx
import pytest
import pytest_asyncio

from appeals.application.service import AppealLedger
from appeals.http import auth as auth_module
from appeals.http.app import create_app
from appeals.infra.tokens import Cached, TokenInfo, TokenStore, Verdict
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

    def cached(self, token: str) -> Verdict:
        return Cached.MISS  # never checked lately: every check is slow

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


# ---- the token cache ----------------------------------------------------------

T = TypeVar("T")


class Clocks:
    """The token store's two clocks, moved by hand."""

    def __init__(self) -> None:
        self.monotonic = 1000.0
        self.wall = datetime(2026, 10, 8, 9, 0, tzinfo=UTC).timestamp()

    def advance(self, seconds: float) -> None:
        self.monotonic += seconds
        self.wall += seconds


class Hops:
    """Counts the auth module's hops to the threadpool."""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, func: Callable[..., T], *args: Any) -> T:
        self.count += 1
        return func(*args)


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest_asyncio.fixture
async def served(
    ledger: AppealLedger, clocks: Clocks
) -> AsyncIterator[tuple[httpx.AsyncClient, TokenStore]]:
    """A client of the app whose token store runs on ``clocks``."""
    app = create_app(lambda: ledger)
    async with app.router.lifespan_context(app):
        store = TokenStore(
            ledger.database,
            monotonic=lambda: clocks.monotonic,
            wall_clock=lambda: clocks.wall,
        )
        context = app.state.context
        app.state.context = dataclasses.replace(context, tokens=store)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://appeals.test"
        ) as http:
            yield http, store


async def test_a_token_checked_lately_costs_no_threadpool_hop(
    served: tuple[httpx.AsyncClient, TokenStore],
    clocks: Clocks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    http, store = served
    token, _ = store.create(now=T0, role="intake", name="王受理")
    hops = Hops()
    monkeypatch.setattr(auth_module, "run_in_threadpool", hops)
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        response = await http.get(f"/appeals/{uuid4()}", headers=headers)
        assert response.status_code == 404  # authenticated, no such appeal
    assert hops.count == 1  # the first check only
    clocks.advance(store.cache_seconds)  # the verdict is now too old
    response = await http.get(f"/appeals/{uuid4()}", headers=headers)
    assert response.status_code == 404
    assert hops.count == 2
    unknown = {"Authorization": "Bearer alt_not-a-token"}
    for _ in range(2):
        response = await http.get(f"/appeals/{uuid4()}", headers=unknown)
        assert response.status_code == 401
    assert hops.count == 3  # an unknown token's verdict is cached as well


async def test_a_token_revoked_elsewhere_stops_working_within_the_cache_window(
    served: tuple[httpx.AsyncClient, TokenStore],
    ledger: AppealLedger,
    clocks: Clocks,
) -> None:
    http, store = served
    token, info = store.create(now=T0, role="intake", name="王受理")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await http.get(f"/appeals/{uuid4()}", headers=headers)).status_code == 404
    # Revoked by another process (`appeals tokens revoke`, its own store).
    TokenStore(ledger.database).revoke(info.id, datetime.now(UTC))
    assert store.cache_seconds == 5.0  # the documented window
    clocks.advance(store.cache_seconds - 0.5)
    assert store.cached(token) == info  # still inside the window: cached
    clocks.advance(0.5)
    assert store.cached(token) is Cached.MISS  # the window is over
    response = await http.get(f"/appeals/{uuid4()}", headers=headers)
    assert response.status_code == 401
    assert store.cached(token) is None  # the refusal is what is cached now


async def test_a_revocation_in_this_process_takes_effect_at_once(
    served: tuple[httpx.AsyncClient, TokenStore],
) -> None:
    http, store = served
    token, info = store.create(now=T0, role="intake", name="王受理")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await http.get(f"/appeals/{uuid4()}", headers=headers)).status_code == 404
    store.revoke(info.id, datetime.now(UTC))
    response = await http.get(f"/appeals/{uuid4()}", headers=headers)
    assert response.status_code == 401


async def test_a_cached_token_stops_working_when_it_expires(
    served: tuple[httpx.AsyncClient, TokenStore], clocks: Clocks
) -> None:
    http, store = served
    expires = datetime.fromtimestamp(clocks.wall + 2, UTC)
    token, _ = store.create(now=T0, role="intake", name="王受理", expires_at=expires)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await http.get(f"/appeals/{uuid4()}", headers=headers)).status_code == 404
    clocks.advance(2)  # expired, though its verdict is only 2 s old
    assert store.cached(token) is None
    response = await http.get(f"/appeals/{uuid4()}", headers=headers)
    assert response.status_code == 401


async def test_a_cached_check_records_no_use(
    served: tuple[httpx.AsyncClient, TokenStore],
    clocks: Clocks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The last use is written on a database check only (at most once a
    minute), in the threadpool: never by a check answered from memory."""
    http, store = served
    token, _ = store.create(now=T0, role="intake", name="王受理")
    notes: list[str] = []
    original = store._note_use

    def note(key: str) -> None:
        notes.append(key)
        original(key)

    monkeypatch.setattr(store, "_note_use", note)
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):
        await http.get(f"/appeals/{uuid4()}", headers=headers)
    assert len(notes) == 1
    [listed] = [t for t in store.list() if t.name == "王受理"]
    assert listed.last_used_at is not None
