"""Settings parsed once from the environment: the defaults are the dataclass
fields', every boolean is read one way, and a bad value names its variable."""

from __future__ import annotations

import pytest

from appeals.infra.settings import (
    ConfigurationError,
    ProjectionSettings,
    ServerSettings,
    Settings,
)

SQLITE = {"APPEALS_DATABASE_URL": "sqlite:///var/test.sqlite3"}
POSTGRES = {"APPEALS_DATABASE_URL": "postgresql://u:p@db:5432/appeals"}


def test_an_empty_environment_gives_the_defaults_written_on_the_fields() -> None:
    parsed = Settings.from_env({})
    assert parsed == Settings(projections=ProjectionSettings(run_in_server=True))


def test_projections_run_in_the_server_by_default_only_on_sqlite() -> None:
    assert Settings.from_env(SQLITE).projections.run_in_server is True
    assert Settings.from_env(POSTGRES).projections.run_in_server is False


@pytest.mark.parametrize("name", ["APPEALS_CREATE_TABLES", "APPEALS_GROUP_COMMIT"])
@pytest.mark.parametrize(
    ("raw", "value"), [("0", False), ("off", False), ("1", True), ("yes", True)]
)
def test_every_flag_is_read_the_same_way(name: str, raw: str, value: bool) -> None:
    parsed = Settings.from_env({**SQLITE, name: raw})
    flags = {
        "APPEALS_CREATE_TABLES": parsed.create_tables,
        "APPEALS_GROUP_COMMIT": parsed.group_commit,
    }
    assert flags[name] is value


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("APPEALS_GROUP_COMMIT", "maybe", "must be 1 or 0"),
        ("APPEALS_RUN_PROJECTIONS", "maybe", "must be 1 or 0"),
        ("APPEALS_MAX_REOPENS", "-1", "must be at least 0"),
        ("APPEALS_PROJECTION_BATCH_SIZE", "0", "must be 1 to 100000"),
        ("APPEALS_PROJECTION_POLL_MS", "soon", "is not a whole number"),
        ("APPEALS_MAX_CONNECTIONS", "0", "must be 1 to 1000000"),
        ("APPEALS_REQUEST_TIMEOUT_MS", "10", "must be 100 to 600000"),
        ("APPEALS_DB_WAIT_SECONDS", "0", "must be 1 to 60"),
        ("APPEALS_REMEMBERED_ENTRIES", "-1", "must be 0 to 100000"),
        ("APPEALS_RATE_WEIGHTS", "response=0.3", "APPEALS_ASSESSMENT_SCHEME"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, raw: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as raised:
        Settings.from_env({**SQLITE, name: raw})
    assert name in str(raised.value)


def test_milliseconds_become_seconds() -> None:
    parsed = Settings.from_env(
        {
            **SQLITE,
            "APPEALS_PROJECTION_POLL_MS": "50",
            "APPEALS_PROJECTION_WAIT_MS": "0",
        }
    )
    assert parsed.projections.poll_interval == 0.05
    assert parsed.projections.max_wait == 0.0


def test_the_server_limits_are_read_from_the_environment() -> None:
    parsed = Settings.from_env(
        {
            **SQLITE,
            "APPEALS_MAX_CONNECTIONS": "64",
            "APPEALS_REQUEST_TIMEOUT_MS": "1500",
            "APPEALS_KEEP_ALIVE_SECONDS": "3",
            "APPEALS_DB_WAIT_SECONDS": "4",
        }
    )
    assert parsed.server == ServerSettings(
        max_connections=64, request_timeout=1.5, keep_alive=3
    )
    assert parsed.db_wait == 4
