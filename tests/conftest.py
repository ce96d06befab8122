"""Fixtures shared by the suite.

Store-level tests take the ``settings`` fixture, which runs each of them on
both SQLite and PostgreSQL. PostgreSQL is real: ``APPEALS_TEST_DATABASE_URL``,
or a throwaway cluster this session starts (devtools/pgcluster.py). Each
test gets a fresh SQLite file or a fresh PostgreSQL schema, so tests never see
each other's events.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from appeals.application.service import AppealLedger
from appeals.bootstrap import open_ledger
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.infra.settings import Settings
from appeals.infra.store import eventsourcing_env
from devtools.pgcluster import (
    PostgresServer,
    PostgresUnavailable,
    postgres_for_tests,
)
from tests.builders import DIRECTORY
from tests.support.organisation import register_test_organisation

STORES = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        with postgres_for_tests() as server:
            yield server
    except PostgresUnavailable as missing:
        pytest.fail(f"PostgreSQL is needed for the store tests: {missing}")


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL for one test, on each store in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'appeals.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    schema = f"t_{uuid4().hex[:16]}"
    yield (
        f"{server.url()}?schema={schema}"
        if "?" not in server.url()
        else (f"{server.url()}&schema={schema}")
    )
    with server.connect() as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def settings(store: str) -> Settings:
    return Settings.from_env({"APPEALS_DATABASE_URL": store})


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 10, 8, 9, 12, tzinfo=SHANGHAI))


@pytest.fixture
def ledger(
    request: pytest.FixtureRequest, settings: Settings, clock: FixedClock
) -> Iterator[AppealLedger]:
    """A ledger on a fresh store holding the test organisation
    (tests.support.organisation), or no organisation at all in modules
    marked ``empty_organisation``."""
    app = open_ledger(settings, clock=clock)
    if request.node.get_closest_marker("empty_organisation") is None:
        register_test_organisation(app)
    yield app
    app.close()


LoggerState = tuple[list[logging.Handler], int, bool, bool]


def _loggers() -> dict[logging.Logger, LoggerState]:
    found = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    return {
        logger: (list(logger.handlers), logger.level, logger.propagate, logger.disabled)
        for logger in found
    }


def _pytests(handler: logging.Handler) -> bool:
    return type(handler).__module__.startswith("_pytest.")


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """Puts every logger's handlers, level, propagation and disabled flag
    back after each test. A command run in-process applies the service's
    logging configuration (appeals.infra.logs), whose handler writes to the
    stderr of that moment: a test's capture, closed when the test ends. Left
    in place, it made every later line logged in the session a "Logging
    error" on that closed stream."""
    before = _loggers()
    yield
    for logger in _loggers():
        handlers, level, propagate, disabled = before.get(
            logger, ([], logging.NOTSET, True, False)
        )
        # pytest adds and removes its own capture handlers around each phase
        # of a test: they are left as pytest has them now.
        own = [handler for handler in logger.handlers if _pytests(handler)]
        logger.handlers = [h for h in handlers if not _pytests(h)] + own
        logger.setLevel(level)
        logger.propagate = propagate
        logger.disabled = disabled


def pytest_report_header() -> list[str]:
    url = os.environ.get("APPEALS_TEST_DATABASE_URL")
    where = "APPEALS_TEST_DATABASE_URL" if url else "a throwaway cluster"
    return [f"PostgreSQL for store tests: {where}", f"psycopg {psycopg.__version__}"]


@pytest.fixture
def routed(
    ledger: AppealLedger, settings: Settings, clock: FixedClock
) -> Iterator[AppealLedger]:
    """A ledger on the fixture's store that routes by the test directory
    (tests.builders.DIRECTORY: its units, cadres and catalogue items)."""
    app = AppealLedger(
        {**eventsourcing_env(settings), "CREATE_TABLE": "n"},
        clock=clock,
        directory=DIRECTORY,
    )
    yield app
    app.close()
