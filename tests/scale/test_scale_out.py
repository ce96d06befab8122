"""Scale-out on PostgreSQL, shown (issue 20, item 4; docs/scaling.md): a
primary and a streaming replica, two ``appeals serve`` processes on two ports
reading from the replica, two ``appeals projections run`` workers dividing
the views by leases. Writes go to either API and are read back through the
other with ``?position=`` (read-your-writes over the replica); one worker is
killed with SIGKILL mid-stream; the other takes over its views, every view
reaches the log's head, and every acknowledged appeal is in the list read
from the replica."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from appeals.bootstrap import create_storage
from appeals.infra.event_source import open_event_source
from appeals.infra.lease import holders
from appeals.infra.settings import Settings
from appeals.infra.timekeeping import load_timekeeping
from appeals.projections.registry import projections
from appeals.projections.runtime.runner import status
from appeals.projections.runtime.worker import CHORES
from devtools.pgcluster import (
    PostgresServer,
    PostgresUnavailable,
    replica_of,
    throwaway_cluster,
)
from tests.support.server import ROOT, intake_token, served

pytestmark = pytest.mark.slow

WRITES_BEFORE, WRITES_AFTER = 12, 12
WAIT = 30.0
"""Seconds any one wait below may take at most (a bound, not a figure)."""
GROUP = "projections:public"

T = TypeVar("T")


def until(what: str, check: Callable[[], T | None], timeout: float = WAIT) -> T:
    """``check()``'s first truthy answer, polled for ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[PostgresServer, PostgresServer]]:
    """A throwaway primary and its streaming replica."""
    try:
        with throwaway_cluster() as primary, replica_of(primary) as replica:
            yield primary, replica
    except PostgresUnavailable as missing:
        pytest.fail(f"PostgreSQL (initdb, pg_basebackup) is needed: {missing}")


@contextmanager
def worker(env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``appeals projections run`` in a process of its own; killed on exit."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "appeals.cli", "projections", "run"],
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)


def test_two_apis_and_two_workers_over_a_replica_survive_a_killed_worker(
    cluster: tuple[PostgresServer, PostgresServer], tmp_path: Path
) -> None:
    primary, replica = cluster
    env = {
        "APPEALS_DATABASE_URL": primary.url(),
        "APPEALS_READ_DATABASE_URL": replica.url(),
        "APPEALS_CREATE_TABLES": "0",  # created once, below
        "APPEALS_RUN_PROJECTIONS": "0",  # the workers are processes of their own
        "APPEALS_RUN_WEBHOOKS": "0",
        "APPEALS_PROJECTION_WAIT_MS": "20000",
        "APPEALS_PG_POOL_SIZE": "4",
        "APPEALS_BLOB_STORE": str(tmp_path / "blobs"),
    }
    settings = Settings.from_env(env)
    create_storage(settings)
    token = intake_token(env)
    with open_event_source(settings) as source:
        views = [
            p.name for p in projections(load_timekeeping(settings, source.database))
        ]

    def held() -> dict[str, str]:
        with primary.connect() as connection:
            return holders(connection, GROUP, [*views, CHORES])

    def pid_of(holder: str) -> int:
        """The worker's own process id, from its session's application_name
        (``appeals-projections HOST:PID (pid BACKEND)``)."""
        return int(holder.split()[1].rsplit(":", 1)[1])

    with ExitStack() as stack:
        apis = [stack.enter_context(served(env)) for _ in range(2)]
        workers = [
            stack.enter_context(worker(env, tmp_path / f"worker-{n}.log"))
            for n in range(2)
        ]
        pids = {w.pid for w in workers}
        client = stack.enter_context(
            httpx.Client(timeout=WAIT, headers={"Authorization": f"Bearer {token}"})
        )

        # The two workers divide the views between them.
        def divided() -> dict[str, int] | None:
            owners = {name: pid_of(h) for name, h in held().items()}
            complete = set(owners) == {*views, CHORES}
            return owners if complete and set(owners.values()) == pids else None

        owners = until("the workers to divide the views", divided)
        assert len(views) > 2

        acknowledged: list[str] = []

        def write_then_read(n: int) -> None:
            """Receives an appeal through one API, then reads it back through
            the other, from the replica, with ``?position=``."""
            api, other = apis[n % 2], apis[(n + 1) % 2]
            answer = client.post(
                f"{api}/appeals",
                headers={"Idempotency-Key": f"scale-{n}"},
                json={
                    "uscc": "91330100716105852F",
                    "enterprise_name": "苏州某某科技有限公司",
                    "channel": "hotline",
                    "category": "financing",
                    "title": f"扩容演练第{n}件",
                },
            )
            assert answer.status_code == 201, answer.text
            appeal, position = answer.json()["id"], answer.json()["position"]
            acknowledged.append(appeal)
            listed = client.get(
                f"{other}/appeals",
                params={"position": position, "limit": 500, "order": "oldest"},
            )
            assert listed.status_code == 200, listed.text
            assert int(listed.headers["Projection-Position"]) >= position
            assert appeal in [item["id"] for item in listed.json()["items"]]

        for n in range(WRITES_BEFORE):
            write_then_read(n)

        # Kill the worker that runs the appeal list, mid-stream.
        victim = next(w for w in workers if w.pid == owners["appeal_list"])
        survivor = next(w for w in workers if w is not victim)
        orphaned = {name for name, pid in owners.items() if pid == victim.pid}
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        for n in range(WRITES_BEFORE, WRITES_BEFORE + WRITES_AFTER):
            write_then_read(n)

        # The survivor took over every view the dead worker had.
        def survivor_holds_all() -> dict[str, str] | None:
            found = held()
            everything = set(found) == {*views, CHORES}
            alone = {pid_of(h) for h in found.values()} == {survivor.pid}
            return found if everything and alone else None

        taken = until("the survivor to hold every view", survivor_holds_all)
        assert orphaned <= set(taken)
        assert survivor.poll() is None
        # ... as `appeals projections status` tells an operator.
        shown = subprocess.run(
            [sys.executable, "-m", "appeals.cli", "projections", "status"],
            env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "400", **env},
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
        assert shown.returncode == 0, shown.stderr
        rows = {line.split()[1]: line for line in shown.stdout.splitlines()[3:-1]}
        for view in views:
            assert f":{survivor.pid} (pid " in rows[view]

        # Every view reaches the log's head ...
        with open_event_source(settings) as source:
            head = source.head()

            def caught_up() -> bool:
                live = [s for s in status(source) if s.tracked.target == "live"]
                return {s.name for s in live} >= set(views) and all(
                    s.lag_events == 0 and s.tracked.failure is None for s in live
                )

            until("every view to reach the log's head", caught_up)

        # ... and every acknowledged appeal is in the list each API reads
        # from the replica.
        assert len(acknowledged) == WRITES_BEFORE + WRITES_AFTER
        for api in apis:
            listed = client.get(
                f"{api}/appeals", params={"position": head, "limit": 500}
            )
            assert listed.status_code == 200, listed.text
            assert sorted(i["id"] for i in listed.json()["items"]) == sorted(
                acknowledged
            )

        # The reads are the replica's: with its replay paused, a new appeal
        # is in the primary's view but not in what the APIs answer, until
        # the replica replays again.
        with replica.connect() as standby:
            standby.execute("SELECT pg_wal_replay_pause()")
            try:
                answer = client.post(
                    f"{apis[0]}/appeals",
                    json={
                        "uscc": "91330100716105852F",
                        "enterprise_name": "苏州某某科技有限公司",
                        "channel": "hotline",
                        "category": "financing",
                        "title": "回放暂停时受理",
                    },
                )
                assert answer.status_code == 201, answer.text
                paused, position = answer.json()["id"], answer.json()["position"]
                with open_event_source(settings) as source:
                    until(
                        "the primary's appeal list to take the appeal in",
                        lambda: next(
                            s.tracked.position >= position
                            for s in status(source)
                            if (s.name, s.tracked.target) == ("appeal_list", "live")
                        ),
                    )
                for api in apis:
                    unseen = client.get(f"{api}/appeals", params={"limit": 500})
                    assert paused not in [i["id"] for i in unseen.json()["items"]]
            finally:
                standby.execute("SELECT pg_wal_replay_resume()")
        for api in apis:
            seen = client.get(
                f"{api}/appeals", params={"position": position, "limit": 500}
            )
            assert paused in [i["id"] for i in seen.json()["items"]]
