"""APPEALS_READ_DATABASE_URL: a PostgreSQL replica of a PostgreSQL primary,
in the primary's schema unless it names one; errors name the variable."""

from __future__ import annotations

import pytest

from appeals.infra.settings import ConfigurationError, Settings

PRIMARY = "postgresql://app:secret@10.0.0.11:5432/appeals?schema=appeals"


def test_unset_reads_the_primary() -> None:
    assert Settings.from_env({"APPEALS_DATABASE_URL": PRIMARY}).read_database is None


def test_the_replica_takes_the_primarys_schema_unless_it_names_one() -> None:
    settings = Settings.from_env(
        {
            "APPEALS_DATABASE_URL": PRIMARY,
            "APPEALS_READ_DATABASE_URL": "postgresql://app:secret@10.0.0.12/appeals",
        }
    )
    replica = settings.read_database
    assert replica is not None
    assert (replica.pg_host, replica.pg_port, replica.pg_dbname) == (
        "10.0.0.12",
        5432,
        "appeals",
    )
    assert replica.pg_schema == "appeals"
    named = Settings.from_env(
        {
            "APPEALS_DATABASE_URL": PRIMARY,
            "APPEALS_READ_DATABASE_URL": "postgresql://r@10.0.0.12/appeals?schema=x",
        }
    ).read_database
    assert named is not None
    assert named.pg_schema == "x"


@pytest.mark.parametrize(
    ("primary", "replica", "says"),
    [
        ("sqlite:///var/a.sqlite3", "postgresql://r@h/appeals", "PostgreSQL replica"),
        (PRIMARY, "sqlite:///var/b.sqlite3", "PostgreSQL replica"),
        (PRIMARY, "mysql://r@h/appeals", "APPEALS_READ_DATABASE_URL='mysql:"),
        (PRIMARY, "postgresql://r@h/", "APPEALS_READ_DATABASE_URL: name the database"),
    ],
)
def test_a_read_database_that_cannot_be_a_replica_is_refused(
    primary: str, replica: str, says: str
) -> None:
    with pytest.raises(ConfigurationError, match="APPEALS_READ_DATABASE_URL") as e:
        Settings.from_env(
            {"APPEALS_DATABASE_URL": primary, "APPEALS_READ_DATABASE_URL": replica}
        )
    assert says in str(e.value)
