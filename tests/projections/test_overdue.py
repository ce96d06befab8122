"""The overdue reader over the timeliness view, on SQLite and PostgreSQL,
with real 2026 dates (office hours 09:00-12:00, 13:30-17:30)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from appeals.application.service import AppealLedger
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.infra.database import Sql
from appeals.projections import appeal_list, overdue, timeliness
from appeals.projections.lifecycle import stored_instant
from appeals.projections.reading import live_table
from appeals.projections.runtime.storage import transaction
from tests.domain.lifecycle_fixtures import TK, UNIT, USCC
from tests.support.reports import assigned, at, history, project


def test_late_since_finds_the_deadline_that_many_working_days_behind() -> None:
    now = datetime(2026, 9, 24, 10, tzinfo=SHANGHAI)
    assert overdue.late_since(TK, now, 0) == now
    one = overdue.late_since(TK, now, 1)
    assert TK.working_time(one, now) >= TK.calendar.day_length
    assert abs((one - datetime(2026, 9, 23, 10, tzinfo=SHANGHAI)).total_seconds()) < 1


def test_the_report_buckets_late_stages_and_counts_them_in_the_database(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeals = history(ledger, clock)
    head = project(ledger)
    # Resolve due at the close of the make-up Sunday 20 Sep: 21-24 Sep late.
    at(clock, 9, 24, 17, 30)
    tk = ledger.rules.timekeeping
    seen, found = overdue.report(ledger.database, tk, clock.now(), [], None)
    assert seen == head
    late = {(i["appeal_id"], i["stage"]): i for i in found.items}
    assert late[(str(appeals["idle"]), "accept")]["bucket"] == "over_5"
    assert late[(str(appeals["slow"]), "resolve")]["late_working_days"] == 4.0
    assert found.total == len(found.items)
    per_item = Counter(i["bucket"] for i in found.items)
    assert {k: v for k, v in found.buckets.items() if v} == dict(per_item)
    _, first = overdue.report(ledger.database, tk, clock.now(), [], 1)
    assert (len(first.items), first.buckets) == (1, found.buckets)
    _, elsewhere = overdue.report(
        ledger.database, tk, clock.now(), [("unit", "SZ-SWJ")], None
    )
    assert (elsewhere.total, elsewhere.items) == (0, [])
    assert UNIT in {i["unit"] for i in found.items}


def test_other_views_ask_it_which_appeals_are_overdue(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeals = history(ledger, clock)
    on_time = assigned(ledger, clock, 24)
    project(ledger)
    at(clock, 9, 24, 10)
    query = appeal_list.ListQuery(overdue_at=clock.now())
    _, rows = appeal_list.read_page(ledger.database, query)
    ids = {row["appeal_id"] for row in rows}
    # "done" was evaluated on 16 Sep and nobody closed it: the centre's close
    # stage (对账销号, 3 working days) is late too.
    assert ids == {str(appeals["slow"]), str(appeals["idle"]), str(appeals["done"])}
    assert str(on_time) not in ids
    assert overdue.count_appeals(ledger.database, clock.now(), USCC) == 3
    assert overdue.count_appeals(ledger.database, clock.now(), "X") == 0


def test_the_counts_and_the_list_are_read_from_the_late_stages_own_index(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    # SQLite uses a partial index only where the query states its condition:
    # the reader's and the index's are the same words (RUNNING_LATE_STAGES).
    database = ledger.database
    table, now = projected_cycles(ledger, clock)
    count = overdue.COUNT_LATE.format(table=table, where="", older=" AND due > ?")
    listing = overdue.SELECT_LATE.format(columns="ticket", table=table, where="")
    # a handler's: its own unit's, from the same index alone (covering)
    where, _ = timeliness.filter_conditions([("unit", UNIT)])
    own = overdue.COUNT_LATE.format(table=table, where=where, older="")
    with transaction(database, write=False) as sql:
        for statement, values in (
            ("SELECT " + count, [now, now, "2026"]),
            (listing, [now]),
            ("SELECT " + own, [now, UNIT, now]),
        ):
            plan = planned(sql, database.engine, statement, values)
            assert f"{timeliness.NAME}_cycles_running_late" in plan, plan
            if statement != listing:  # counted from the index, not the table
                assert ("Index Only Scan" in plan) or ("COVERING" in plan), plan


def test_the_schedulers_due_stages_are_read_from_their_own_index(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    # Those not yet escalated and those below the top rung: each a range of
    # the index by rung and deadline, not every open cycle past its deadline
    # (at the top or a co-handler's, most of a city's are nothing to do).
    # The same rows in the same order as the condition read as one range.
    database = ledger.database
    table, _ = projected_cycles(ledger, clock)
    later = clock.now() + timedelta(days=400)  # every open stage past due
    now = stored_instant(later)
    levels = [None, 0, 2, 3]  # interleaved along the deadlines
    with transaction(database, write=True) as sql:
        late = sql.execute(
            f"SELECT appeal_id, stage, cycle FROM {table} "
            "WHERE is_open = 1 AND due < ? ORDER BY due, appeal_id, stage",
            [now],
        ).all()
        for number, key in enumerate(late):
            sql.execute(
                f"UPDATE {table} SET escalation_level = ? "
                "WHERE appeal_id = ? AND stage = ? AND cycle = ?",
                [levels[number % len(levels)], *key],
            )
    one_range = (
        "SELECT appeal_id, ticket, stage, due, escalation_level FROM {table} "
        "WHERE " + timeliness.CLIMBING_STAGES + " AND due < ? "
        "AND (escalation_level IS NULL OR escalation_level < ?) "
        "ORDER BY due, appeal_id, stage"
    ).format(table=table)
    statement = timeliness.SELECT_DUE.format(table=table)
    with transaction(database, write=False) as sql:
        expected = [tuple(row) for row in sql.execute(one_range, [now, 3]).all()]
        due = timeliness.select_due(sql, table, later, 3)
        plan = planned(sql, database.engine, statement, [now, 3, now])
    assert len(late) > len(levels), "the history has stages past their deadline"
    assert {d[4] for d in due} == {None, 0, 2}
    assert [(*d[:4], d[4]) for d in due] == [
        (str(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4]) for r in expected
    ]
    assert plan.count(f"{timeliness.NAME}_cycles_climbing") == 2, plan
    assert ("SEARCH" in plan) or ("Index Cond" in plan), plan  # ranges, not scans


def planned(sql: Sql, engine: str, statement: str, values: list[Any]) -> str:
    """The plan the store chooses for ``statement``, as one string; on
    PostgreSQL told to use an index where it can (the tables are small)."""
    if engine == "postgres":
        sql.execute("SET LOCAL enable_seqscan = off")
        explain = "EXPLAIN "
    else:
        explain = "EXPLAIN QUERY PLAN "
    return " ".join(str(row) for row in sql.execute(explain + statement, values).all())


def projected_cycles(ledger: AppealLedger, clock: FixedClock) -> tuple[str, str]:
    """The history projected: the live cycles table, and the clock's
    instant as stored."""
    history(ledger, clock)
    project(ledger)
    return live_table(ledger.database, timeliness.CYCLES), stored_instant(clock.now())
