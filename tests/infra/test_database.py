"""A pipelined transaction (PostgreSQL's pipeline mode, used by the live
projection worker) means the same as a plain one: what it wrote is read back
inside it, it commits whole, and an error anywhere in it rolls all of it
back, even one the database reports only after later statements were sent."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError

from appeals.application.service import AppealLedger
from appeals.infra.database import Database


def _scratch(database: Database) -> str:
    """A table of this test's own (in its store's schema on PostgreSQL)."""
    table = database.table("pipeline_scratch")
    database.execute_script(
        [f"CREATE TABLE IF NOT EXISTS {table} (k INTEGER PRIMARY KEY, v TEXT)"]
    )
    return table


def _rows(database: Database, table: str) -> list[tuple[object, ...]]:
    with database.reading() as sql:
        return sql.execute(f"SELECT k, v FROM {table} ORDER BY k").all()


def test_a_pipelined_transaction_reads_its_own_writes_and_commits_whole(
    ledger: AppealLedger,
) -> None:
    database = ledger.database
    scratch = _scratch(database)
    with database.transaction(pipelined=True) as sql:
        assert sql.pipelined is (database.engine == "postgres")
        sql.executemany(f"INSERT INTO {scratch} VALUES (?, ?)", [(1, "a"), (2, "b")])
        sql.execute(f"UPDATE {scratch} SET v = ? WHERE k = ?", ("c", 2))
        seen = sql.execute(f"SELECT COUNT(*), MAX(v) FROM {scratch}").one()
        assert seen == (2, "c")
        sql.executemany(f"INSERT INTO {scratch} VALUES (?, ?)", [(3, "d")])
    assert _rows(database, scratch) == [(1, "a"), (2, "c"), (3, "d")]


def test_an_error_in_a_pipelined_transaction_rolls_all_of_it_back(
    ledger: AppealLedger,
) -> None:
    database = ledger.database
    scratch = _scratch(database)
    with database.transaction() as sql:
        sql.executemany(f"INSERT INTO {scratch} VALUES (?, ?)", [(1, "kept")])

    def write_a_duplicate_among_others() -> None:
        with database.transaction(pipelined=True) as sql:
            sql.executemany(f"INSERT INTO {scratch} VALUES (?, ?)", [(2, "new")])
            sql.executemany(f"INSERT INTO {scratch} VALUES (?, ?)", [(1, "again")])
            sql.executemany(f"INSERT INTO {scratch} VALUES (?, ?)", [(3, "after")])

    # eventsourcing's IntegrityError on both engines; on PostgreSQL it may
    # come only at the end of the block, when the pipeline is synced.
    with pytest.raises(IntegrityError):
        write_a_duplicate_among_others()
    assert _rows(database, scratch) == [(1, "kept")]


def test_a_read_after_many_unread_writes_in_a_pipeline_gets_its_own_rows(
    ledger: AppealLedger,
) -> None:
    # Thousands of rows written and not read, then a read: on PostgreSQL the
    # writes' results arrive while the read is sent; the read must still get
    # its own rows (it got an INSERT's result in about one try in five).
    database = ledger.database
    scratch = _scratch(database)
    counter = database.table("pipeline_counter")
    database.execute_script(
        [f"CREATE TABLE IF NOT EXISTS {counter} (name TEXT PRIMARY KEY, n INTEGER)"]
    )
    with database.transaction() as sql:
        sql.execute(f"INSERT INTO {counter} VALUES (?, ?)", ("tick", 0))
    upsert = (
        f"INSERT INTO {scratch} VALUES (?, ?) "
        "ON CONFLICT (k) DO UPDATE SET v = excluded.v"
    )
    for attempt in range(1, 31):
        with database.transaction(pipelined=True) as sql:
            sql.executemany(upsert, [(k, f"v{attempt}") for k in range(6_000)])
            seen = sql.execute(
                f"UPDATE {counter} SET n = n + 1 WHERE name = ? RETURNING n", ("tick",)
            ).one()
            assert seen == (attempt,)
            assert sql.execute(f"SELECT COUNT(*) FROM {scratch}").one() == (6_000,)
