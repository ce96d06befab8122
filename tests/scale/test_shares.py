"""Views divided among projection workers by leases (appeals.infra.lease.Shares):
a fair share each, a newcomer gets its part, a departed peer's part is taken
over; on SQLite one worker runs every view."""

from __future__ import annotations

import time
from typing import Any
from uuid import uuid4

import psycopg

from appeals.application.service import AppealLedger
from appeals.bootstrap import events_of
from appeals.infra.lease import Shares, holders
from appeals.infra.settings import ProjectionSettings
from appeals.projections import category_month
from appeals.projections.runtime.worker import Worker
from devtools.pgcluster import PostgresServer

VIEWS = [f"view-{n}" for n in range(7)]


def shares(server: PostgresServer, group: str) -> Shares:
    def connect() -> psycopg.Connection[Any]:
        return server.connect()

    return Shares(connect, group, VIEWS)


def test_peers_divide_the_views_and_take_over_a_departed_peers(
    postgres_server: PostgresServer,
) -> None:
    group = f"test-{uuid4().hex[:8]}"
    first, second = shares(postgres_server, group), shares(postgres_server, group)
    try:
        assert first.refresh() == frozenset(VIEWS)  # alone: every view
        assert second.refresh() == frozenset()  # all taken, for now
        first.refresh()  # sees two peers: gives back beyond its share of 4
        second.refresh()  # takes what was given back
        assert (len(first.held), len(second.held)) == (4, 3)
        assert first.held.isdisjoint(second.held)
        # Listed heaviest first: what is given back is spread over the list.
        assert sorted(second.held) == ["view-1", "view-3", "view-5"]
        assert (first.peers, second.peers) == (2, 2)
        with postgres_server.connect() as connection:
            seen = holders(connection, group, VIEWS)
        assert set(seen) == set(VIEWS)
        assert len(set(seen.values())) == 2  # two sessions hold them

        first.close()  # its session ends, as a killed worker's does
        # The server ends the session a moment later: a later refresh, as
        # the worker's next look, takes every view.
        deadline = time.monotonic() + 30
        while second.refresh() != frozenset(VIEWS):
            assert time.monotonic() < deadline, second.held
            time.sleep(0.05)
        assert second.peers == 1
    finally:
        first.close()
        second.close()


def test_groups_do_not_share_leases(postgres_server: PostgresServer) -> None:
    one = shares(postgres_server, f"test-{uuid4().hex[:8]}")
    other = shares(postgres_server, f"test-{uuid4().hex[:8]}")
    try:
        assert one.refresh() == other.refresh() == frozenset(VIEWS)
    finally:
        one.close()
        other.close()


def test_the_worker_runs_its_share_on_postgresql_and_everything_on_sqlite(
    ledger: AppealLedger,
) -> None:
    worker = Worker(
        events_of(ledger),
        [category_month.PROJECTION],
        ProjectionSettings(),
        chores=[(60.0, lambda: None)],
    )
    try:
        worker.take_leases()
        assert worker.active == worker.runners  # alone, it holds every view
        assert worker.chores_held
        on_postgres = ledger.database.engine == "postgres"
        assert (worker.shares is not None) is on_postgres
        if worker.shares is not None:
            worker.shares.close()  # lost: a peer may take them
            assert worker.shares.held == frozenset()
    finally:
        if worker.shares is not None:
            worker.shares.close()
