"""The outage gate: refuses at once while the database is known down, lets
one probe through per interval, opens again on success; and which errors
count as an outage."""

from __future__ import annotations

import sqlite3

import psycopg
import psycopg.errors
import pytest
from eventsourcing.persistence import OperationalError
from psycopg_pool import PoolTimeout

from appeals.infra.availability import (
    PROBE_INTERVAL,
    Availability,
    DatabaseUnavailable,
    is_outage,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_gate_fails_fast_while_down_and_lets_one_probe_through() -> None:
    clock = Clock()
    gate = Availability(clock)
    gate.admit()  # up: everyone passes
    gate.failed()
    with pytest.raises(DatabaseUnavailable):
        gate.admit()
    clock.now += PROBE_INTERVAL
    gate.admit()  # the probe
    with pytest.raises(DatabaseUnavailable):
        gate.admit()  # the others, until the probe says more
    gate.succeeded()
    gate.admit()
    assert not gate.down


def wrapped(cause: BaseException) -> OperationalError:
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as error:
        return error


def test_what_counts_as_an_outage() -> None:
    assert is_outage(wrapped(PoolTimeout("no connection in 2 s")))
    assert is_outage(wrapped(psycopg.OperationalError("connection refused")))
    assert is_outage(wrapped(psycopg.errors.AdminShutdown("terminating")))
    assert is_outage(wrapped(sqlite3.OperationalError("database is locked")))
    assert not is_outage(wrapped(psycopg.errors.LockNotAvailable("lock timeout")))
    assert not is_outage(wrapped(sqlite3.OperationalError("no such table: x")))
