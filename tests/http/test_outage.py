"""A PostgreSQL outage under load, against a real ``appeals serve`` and a
cluster of this test's own (stopped and started again): liveness stays
instant, readiness follows the database within a second or two, requests
answer 503 with Retry-After quickly and never 500, and every acknowledged
receipt is in the log exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from uuid import UUID

import httpx
import pytest

from appeals.bootstrap import open_ledger
from appeals.infra.settings import Settings
from devtools.pgcluster import PostgresServer, stopped, throwaway_cluster
from tests.builders import RECEIPT
from tests.support.server import intake_token, served

DB_WAIT = 1  # APPEALS_DB_WAIT_SECONDS
ANSWER_BOUND = DB_WAIT + 2.0  # generous: the wait, plus a loaded machine
RECOVERY_BOUND = 4.0  # reconnect timeout + probe interval + a loaded machine


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[PostgresServer]:
    """Not the session's shared cluster: this one is stopped mid-test."""
    with throwaway_cluster(log=lambda _: None) as server:
        yield server


@dataclass
class Load:
    """Receipts sent with an Idempotency-Key each, from a few threads."""

    base: str
    token: str
    answers: list[tuple[str, int, float, httpx.Headers, str]] = field(
        default_factory=list
    )
    acknowledged: dict[str, str] = field(default_factory=dict)
    acknowledged_at: list[float] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, key: str) -> int:
        body = {**RECEIPT, "external_id": None, "title": f"停电测试 {key}"}
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
        started = time.monotonic()
        try:
            response = httpx.post(
                self.base + "/appeals", json=body, headers=headers, timeout=10
            )
        except httpx.HTTPError as error:  # the request never got an answer
            self.note(key, -1, started, httpx.Headers(), repr(error))
            return -1
        self.note(key, response.status_code, started, response.headers, response.text)
        if response.status_code == 201:
            with self.lock:
                self.acknowledged[key] = response.json()["id"]
                self.acknowledged_at.append(time.monotonic())
        return response.status_code

    def note(
        self, key: str, status: int, started: float, headers: httpx.Headers, text: str
    ) -> None:
        with self.lock:
            self.answers.append(
                (key, status, time.monotonic() - started, headers, text)
            )

    def recovered_within(self, since: float, bound: float) -> float:
        """Seconds from ``since`` until the load's first acknowledged receipt
        after it (fails after ``bound``)."""
        deadline = time.monotonic() + bound
        while time.monotonic() < deadline:
            with self.lock:
                after = [t for t in self.acknowledged_at if t > since]
            if after:
                return min(after) - since
            time.sleep(0.05)
        pytest.fail(f"no receipt was acknowledged within {bound} s of readiness")

    def run(self, name: str) -> None:
        for n in range(10_000):
            if self.stop.is_set():
                return
            self.send(f"{name}-{n}")
            time.sleep(0.02)


PROBES = httpx.Client(timeout=10)  # one client: no set-up inside a timing


@pytest.fixture(scope="module", autouse=True)
def _close_probes() -> Iterator[None]:
    yield
    PROBES.close()


def timed_get(url: str) -> tuple[int, float]:
    started = time.monotonic()
    response = PROBES.get(url)
    return response.status_code, time.monotonic() - started


def until(url: str, status: int, bound: float) -> float:
    """Seconds until ``url`` answers ``status`` (fails after ``bound``)."""
    started = time.monotonic()
    while time.monotonic() - started < bound:
        if timed_get(url)[0] == status:
            return time.monotonic() - started
        time.sleep(0.05)
    pytest.fail(f"{url} did not answer {status} within {bound} s")


def test_a_database_restart_under_load(own_cluster: PostgresServer) -> None:
    env = {
        "APPEALS_DATABASE_URL": own_cluster.url() + "?schema=outage",
        "APPEALS_DB_WAIT_SECONDS": str(DB_WAIT),
    }
    token = intake_token(env)
    with served(env, ready="/readyz") as base:
        load = Load(base, token)
        workers = [threading.Thread(target=load.run, args=(f"w{i}",)) for i in range(3)]
        for worker in workers:
            worker.start()
        time.sleep(1.0)
        with stopped(own_cluster, log=lambda _: None):
            assert until(base + "/readyz", 503, bound=5.0) < 1.0 + 0.5
            for _ in range(10):
                status, took = timed_get(base + "/healthz")
                assert status == 200
                assert took < 0.25  # the requirement is 100 ms; slack for CI
            time.sleep(1.5)  # the load meets the outage
            outage_key = "during-the-outage"
            assert load.send(outage_key) == 503
        assert until(base + "/readyz", 200, bound=5.0) < 2.0 + 0.5
        ready = time.monotonic()
        # The pool reconnects within its one-second reconnect timeout, and one
        # caller probes every quarter second: writes land again soon after.
        took = load.recovered_within(ready, bound=10.0)
        assert took < RECOVERY_BOUND
        time.sleep(0.5)  # more load after the return
        load.stop.set()
        for worker in workers:
            worker.join(timeout=30)
        check_answers(load)
        # Every refused or unanswered receipt, retried with its key as a client
        # does (a 503 says Retry-After; at most three tries), lands.
        unanswered = {key for key, *_ in load.answers} - set(load.acknowledged)
        for key in sorted(unanswered):
            for _attempt in range(3):
                if load.send(key) == 201:
                    break
                time.sleep(1.0)  # the service's Retry-After
            assert key in load.acknowledged, load.answers[-1]
    check_log(env, load)


def check_answers(load: Load) -> None:
    statuses = {status for _, status, *_ in load.answers}
    assert statuses <= {201, 503}, statuses
    outage = [a for a in load.answers if a[1] == 503]
    assert outage, "no request met the outage"
    for _key, _status, took, headers, text in outage:
        assert took < ANSWER_BOUND
        assert headers["retry-after"] == "1"
        assert headers["content-type"] == "application/problem+json"
        assert "database-unavailable" in text


def check_log(env: dict[str, str], load: Load) -> None:
    ledger = open_ledger(Settings.from_env(env))
    try:
        received = [
            n.originator_id
            for n in ledger.recorder.select_notifications(start=1, limit=100_000)
            if n.topic == "Appeal.Received"
        ]
    finally:
        ledger.close()
    acknowledged = [UUID(appeal_id) for appeal_id in load.acknowledged.values()]
    assert len(acknowledged) == len({key for key, *_ in load.answers})
    assert sorted(received) == sorted(acknowledged)  # each exactly once
