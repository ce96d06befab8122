"""``/metrics`` scraped and read with prometheus-client's own parser, on both
stores: requests by route and status with their latency, commands by type
and outcome, each view's lag behind the log, a webhook subscriber's lag, the
scheduler's pending work and the database pool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from appeals.application.service import AppealLedger
from appeals.bootstrap import scheduled_escalation
from appeals.http.app import create_app
from appeals.infra.blobs import BlobStore
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.infra.settings import Settings
from appeals.infra.webhooks import WebhookStore
from appeals.projections.registry import projections
from tests.builders import RECEIPT, post
from tests.http.conftest import Auth, serving
from tests.support.reports import project

pytestmark = pytest.mark.asyncio

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest_asyncio.fixture
async def client(
    ledger: AppealLedger, blobs: BlobStore
) -> AsyncIterator[httpx.AsyncClient]:
    """The app without a projection worker or scheduler of its own."""
    app = create_app(lambda: ledger, blobs=blobs)
    async with serving(app) as http:
        yield http


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def labelled(samples: Samples, name: str, label: str) -> dict[str, float]:
    """``name``'s samples by the value of their one label ``label``."""
    return {
        dict(labels)[label]: found
        for (sample, labels), found in samples.items()
        if sample == name
    }


async def test_requests_and_commands_are_counted_by_route_status_type_and_outcome(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    before = await scrape(client)
    received = await post(client, "/appeals", RECEIPT, auth("intake"))
    again = await post(client, "/appeals", RECEIPT, auth("intake"))
    appeal = received.json()["id"]
    refused = await post(client, f"/appeals/{appeal}/close", {}, auth("dispatcher"))
    assigned = await post(
        client, f"/appeals/{appeal}/assign", {"unit": "x"}, auth("dispatcher")
    )
    read = await client.get(f"/appeals/{appeal}", headers=auth("auditor"))
    assert (received.status_code, again.status_code, read.status_code) == (
        201,
        200,
        200,
    )
    assert refused.status_code == 409
    after = await scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "appeals_http_requests_total"
    assert grew(requests, method="POST", route="/appeals", status="201") == 1
    assert grew(requests, method="POST", route="/appeals", status="200") == 1
    assert grew(requests, method="GET", route="/appeals/{appeal_id}", status="200") == 1
    route = "/appeals/{appeal_id}/{command}"
    assert grew(requests, method="POST", route=route, status="409") == 1
    latency = "appeals_http_request_duration_seconds"
    assert grew(f"{latency}_count", method="POST", route="/appeals", status="201") == 1
    assert grew(f"{latency}_sum", method="POST", route="/appeals", status="201") > 0

    commands = "appeals_commands_total"
    assert grew(commands, command="receive", outcome="ok") == 1
    # the same source reference again: the appeal received before
    assert grew(commands, command="receive", outcome="existing") == 1
    assert grew(commands, command="close", outcome="command-not-allowed") == 1
    slug = assigned.json()["type"].rsplit("/", 1)[1] if assigned.is_error else "ok"
    assert grew(commands, command="assign", outcome=slug) == 1
    # A read is not a command.
    kinds = {dict(labels)["command"] for (name, labels) in after if name == commands}
    assert not any(kind.startswith("GET") for kind in kinds)
    assert grew(requests, method="GET", route="/metrics", status="200") >= 1


async def test_a_replayed_command_is_counted_as_replayed(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    headers = auth("intake", **{"Idempotency-Key": "metrics-0001"})
    before = await scrape(client)
    first = await post(client, "/appeals", RECEIPT, headers)
    second = await post(client, "/appeals", RECEIPT, headers)
    assert second.headers.get("idempotent-replayed") == "true", second.headers
    after = await scrape(client)
    name = "appeals_commands_total"
    assert first.status_code == 201
    replayed = value(after, name, command="receive", outcome="replayed")
    assert replayed - value(before, name, command="receive", outcome="replayed") == 1


async def test_each_views_lag_and_a_subscribers_lag_are_read_from_the_database(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    projected = project(ledger)
    subscriber = WebhookStore(ledger.database).add(
        "http://127.0.0.1:9/hook", (), None, projected, datetime.now(UTC)
    )
    for number in range(2):
        changes = {"external_id": f"metrics-lag-{number}"}
        response = await post(client, "/appeals", RECEIPT | changes, auth("intake"))
        assert response.status_code == 201
    head = ledger.recorder.max_notification_id() or 0
    samples = await scrape(client)

    assert value(samples, "appeals_log_head_position") == head
    lags = labelled(samples, "appeals_projection_lag_events", "view")
    names = {view.name for view in projections(ledger.rules.timekeeping)}
    assert set(lags) == names
    assert lags == dict.fromkeys(names, head - projected)
    positions = labelled(samples, "appeals_projection_position", "view")
    assert positions["appeal_list"] == projected
    seconds = labelled(samples, "appeals_projection_lag_seconds", "view")
    assert set(seconds) == names
    assert all(s >= 0 for s in seconds.values())
    assert set(labelled(samples, "appeals_projection_failed", "view").values()) == {0}
    webhooks = labelled(samples, "appeals_webhook_lag_events", "subscriber")
    assert webhooks == {subscriber.id: head - projected}
    dead = labelled(samples, "appeals_webhook_dead_letters", "subscriber")
    assert dead == {subscriber.id: 0}

    project(ledger)
    caught_up = await scrape(client)
    lags = labelled(caught_up, "appeals_projection_lag_events", "view")
    assert lags == dict.fromkeys(names, 0)
    seconds = labelled(caught_up, "appeals_projection_lag_seconds", "view")
    assert seconds == dict.fromkeys(names, 0)


async def test_the_schedulers_pending_work_and_its_wait(
    client: httpx.AsyncClient,
    auth: Auth,
    ledger: AppealLedger,
    clock: FixedClock,
    settings: Settings,
) -> None:
    response = await post(client, "/appeals", RECEIPT, auth("intake"))
    assert response.status_code == 201
    project(ledger)
    idle = await scrape(client)
    assert value(idle, "appeals_scheduler_pending_actions") == 0
    assert value(idle, "appeals_scheduler_lag_seconds") == 0

    # A Tuesday morning weeks later: the dispatch is long overdue.
    clock.set(datetime(2026, 11, 10, 10, 0, tzinfo=SHANGHAI))
    late = await scrape(client)
    assert value(late, "appeals_scheduler_pending_actions") >= 1
    assert value(late, "appeals_scheduler_lag_seconds") > 0

    result = scheduled_escalation(ledger, settings.database)()
    assert result is not None
    assert result.recorded >= 1
    project(ledger)
    done = await scrape(client)
    assert value(done, "appeals_scheduler_pending_actions") == 0
    assert value(done, "appeals_scheduler_lag_seconds") == 0


async def test_the_database_pool_is_sampled(
    client: httpx.AsyncClient, ledger: AppealLedger
) -> None:
    samples: dict[str, Any] = {
        name: found for (name, _), found in (await scrape(client)).items()
    }
    assert samples["appeals_db_pool_connections_max"] >= 1
    assert samples["appeals_db_pool_connections_open"] >= 0
    assert (
        0
        <= samples["appeals_db_pool_connections_in_use"]
        <= (samples["appeals_db_pool_connections_max"])
    )
    assert samples["appeals_db_pool_requests_waiting"] == 0
