"""The timeliness and accountability views as pure folds over real events
(2026 calendar: see tests/domain/lifecycle_fixtures.py), their readers' pure
arithmetic, and the readers round-tripped through SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest

from appeals.application.service import AppealLedger
from appeals.domain.appeal import Appeal
from appeals.domain.commands import (
    Accept,
    Assign,
    Escalate,
    Evaluate,
    NoteProgress,
    Reply,
    Resolve,
    Return,
    Supervise,
)
from appeals.domain.timeliness import StageCycle, TimelinessFold, timeliness
from appeals.domain.values import SYSTEM_ACTOR, Channel, Outcome, Satisfaction
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.projections import accountability
from appeals.projections import timeliness as timeliness_view
from appeals.projections.lifecycle import read_instant
from appeals.projections.runtime.model import fold
from tests.builders import CADRE, when
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    ENTERPRISE,
    HANDLER,
    SUPERVISOR,
    TK,
    UNIT,
    receive,
    t,
)
from tests.support.reports import history, project


def late_appeal() -> list[Any]:
    """Received Mon 14 Sep 10:00; accepted a day late; resolved late after
    an escalation; replied on time; judged unsatisfied (reopened)."""
    appeal = receive(t(9, 14, 10))
    when(appeal, Assign(UNIT, CADRE), DISPATCHER, t(9, 14, 10))
    when(appeal, Accept(), HANDLER, t(9, 16, 10))
    when(appeal, NoteProgress("已联系企业"), HANDLER, t(9, 16, 11))
    # Resolve due at the close of the make-up Sunday 20 Sep (15, 16, 17, 18,
    # 20): a working day late at the close of 21 Sep.
    when(appeal, Escalate("resolve", 1), SYSTEM_ACTOR, t(9, 21, 17, 30))
    when(appeal, Supervise(2, "请加快"), SUPERVISOR, t(9, 21, 17, 40))
    when(appeal, Resolve(Outcome.PARTIAL, "部分解决"), HANDLER, t(9, 22, 10))
    when(appeal, Reply(Channel.HOTLINE, "已告知"), HANDLER, t(9, 22, 11))
    when(appeal, Evaluate(False, Satisfaction.UNSATISFIED, ""), ENTERPRISE, t(9, 23, 9))
    return list(appeal.collect_events())


def test_cycles_match_the_appeals_own_timeliness() -> None:
    events = late_appeal()
    view = fold(timeliness_view.projection(TK), events)
    rows = {(r["stage"], r["cycle"]): r for r in view.rows("timeliness_cycles")}
    own = {(c["stage"], c["cycle"]): c for c in timeliness(events, t(9, 23, 10), TK)}
    assert set(rows) == set(own)
    for key, row in rows.items():
        assert read_instant(row["due"]).isoformat() == own[key]["due"]
        if not row["is_open"]:
            assert row["working_seconds"] == own[key]["working_seconds"]
            assert row["late_seconds"] == own[key]["overdue_seconds"]
    assert rows[("accept", 1)]["on_time"] == 0
    assert rows[("resolve", 1)]["escalation_level"] == 1
    assert rows[("resolve", 2)]["is_open"] == 1  # reopened after the evaluation
    assert rows[("resolve", 1)]["cadre"] == CADRE


def test_accountability_counts_per_unit_cadre_and_day() -> None:
    view = fold(accountability.projection(TK), late_appeal())
    days = {r["day"]: r for r in view.rows("accountability_daily") if r["unit"]}
    assert days["2026-09-14"]["assigned"] == 1
    assert (days["2026-09-16"]["accepted"], days["2026-09-16"]["accepted_on_time"]) == (
        1,
        0,
    )
    assert days["2026-09-16"]["responses_due"] == 1
    assert days["2026-09-21"]["escalated"] == 1
    assert days["2026-09-21"]["supervised"] == 1
    sep22 = days["2026-09-22"]
    assert (sep22["resolved"], sep22["resolved_on_time"]) == (1, 0)
    assert (sep22["replied"], sep22["replied_on_time"]) == (1, 1)
    sep23 = days["2026-09-23"]
    assert (sep23["evaluated"], sep23["unsatisfied"], sep23["reopened"]) == (1, 1, 1)
    assert {r["cadre"] for r in days.values()} == {CADRE}


def test_a_return_is_counted_for_the_returning_unit() -> None:
    appeal: Appeal = receive(t(9, 14, 10))
    when(appeal, Assign(UNIT, None), DISPATCHER, t(9, 14, 10))
    when(appeal, Return("非本单位职责"), HANDLER, t(9, 15, 9))
    view = fold(accountability.projection(TK), appeal.collect_events())
    returned = [r for r in view.rows("accountability_daily") if r["returned"]]
    assert [(r["unit"], r["day"]) for r in returned] == [(UNIT, "2026-09-15")]


def test_a_changed_stage_cycle_states_its_change_not_its_predecessors() -> None:
    """A cycle keeps its stored form; a changed copy must not inherit it."""
    start = datetime(2026, 10, 8, 1, 0, tzinfo=UTC)
    cycle = StageCycle("resolve", 1, "unit-a", start, start.replace(day=15))
    assert cycle.to_state()["completed_at"] is None
    timeliness_view.FoldCodec().encode(TimelinessFold(cycles=[cycle]))
    assert cycle.encoded is not None
    done = replace(cycle, completed_at=start.replace(day=9))
    assert done.encoded is None
    assert done.to_state()["completed_at"] == "2026-10-09T01:00:00+00:00"
    assert StageCycle.from_state(done.to_state()) == done
    assert StageCycle.from_state(done.to_state()).to_state() == done.to_state()


def test_a_fold_is_stored_as_the_json_of_its_state_however_it_was_made() -> None:
    """The codec writes each cycle's JSON once and keeps it with the cycle;
    what it stores is exactly the JSON of the fold's state, for a fold
    folded, read back, changed after reading, or stored in an older form."""
    codec = timeliness_view.FoldCodec()
    start = datetime(2026, 10, 8, 1, 0, tzinfo=UTC)
    cycles = [
        StageCycle("accept", 1, "unit-a", start, start.replace(day=9), start),
        StageCycle("resolve", 1, "unit-a", start, start.replace(day=15)),
    ]
    folded = TimelinessFold(cycles=cycles, open_index={"resolve": 1}, unit="unit-a")

    def as_state(fold: TimelinessFold) -> str:
        return orjson.dumps(fold.to_state()).decode()

    text = codec.encode(folded)
    assert text == as_state(folded)
    read = codec.decode(text)
    assert read == folded
    assert read is not folded
    assert all(c.encoded is not None for c in read.cycles)
    assert codec.encode(read) == text
    done = replace(read.cycles[1], completed_at=start.replace(day=9))
    changed = TimelinessFold(cycles=[read.cycles[0], done], unit="unit-a")
    assert codec.encode(changed) == as_state(changed)
    assert '"completed_at":"2026-10-09T01:00:00+00:00"' in codec.encode(changed)
    older = folded.to_state()
    del older["cycles"][1]["warned"]  # a fold stored before 预警 was recorded
    again = codec.decode(orjson.dumps(older).decode())
    assert again == folded
    assert codec.encode(again) == text  # written back in today's form


def test_views_share_the_fold_an_event_produced_only_for_that_very_event() -> None:
    appeal: Appeal = receive(t(9, 14, 10))
    when(appeal, Assign(UNIT, None), DISPATCHER, t(9, 14, 10))
    received, assigned = appeal.collect_events()
    shared = timeliness_view.SharedFolds(limit=1)
    start = shared.after(received, TimelinessFold())
    after = shared.after(assigned, start)
    assert shared.after(assigned, start) is after  # the same event: reused
    assert shared.hits == 1
    copy = type(assigned)(**assigned.__dict__)  # equal, but not this event
    again = shared.after(copy, start)
    assert again is not after
    assert again == after
    assert shared.after(received, TimelinessFold()) is not start  # dropped: limit 1
    text = timeliness_view.FOLD_CODEC.encode(after)
    assert timeliness_view.FOLD_CODEC.decode(text) == after


def test_an_identity_memo_keeps_the_latest_answers_by_the_object_itself() -> None:
    memo = timeliness_view.IdentityMemo(limit=4)
    keys = [object() for _ in range(6)]
    for index, key in enumerate(keys):
        memo.put(key, index)
    # two generations of two: the latest two certainly, never more than four
    assert [memo.get(key) for key in keys] == [None, None, 2, 3, 4, 5]
    assert memo.hits == 4
    memo.put(object(), 6)  # the newer generation full: the older dropped whole
    assert [memo.get(key) for key in keys[2:]] == [None, None, 4, 5]
    memo.put(keys[0], "again")
    assert memo.get(keys[0]) == "again"
    memo.put([1], "by identity")
    assert memo.get([1]) is None  # an equal object is not the object


def test_the_timeliness_summary_gives_rates_medians_and_p90() -> None:
    rows = [
        ("accept", UNIT, 1, 3600),
        ("accept", UNIT, 0, 15 * 3600),
        ("resolve", "SZ-SWJ", None, None),
    ]
    by_stage = {
        i["stage"]: i
        for i in timeliness_view.summarise(
            [timeliness_view.figures_of(rows, "stage")], "stage"
        )
    }
    accept = by_stage["accept"]
    assert (accept["completed"], accept["on_time"], accept["on_time_rate"]) == (
        2,
        1,
        0.5,
    )
    assert accept["median_working_hours"] == 8.0
    assert accept["p90_working_hours"] is not None
    resolve = by_stage["resolve"]
    assert (resolve["on_time_rate"], resolve["median_working_hours"]) == (None, None)
    by_unit = timeliness_view.summarise(
        [timeliness_view.figures_of(rows, "unit")], "unit"
    )
    assert [(i["stage"], i["unit"]) for i in by_unit] == [
        ("accept", UNIT),
        ("resolve", "SZ-SWJ"),
    ]


def test_accountability_periods() -> None:
    assert accountability.period_of("2026-09-14", "day") == "2026-09-14"
    assert accountability.period_of("2026-09-14", "week") == "2026-W38"
    assert accountability.period_of("2026-09-14", "month") == "2026-09"
    assert accountability.period_of("2026-09-14", "all") == "all"


def test_the_readers_answer_from_the_store(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    history(ledger, clock)
    head = project(ledger)
    september = (date(2026, 9, 1), date(2026, 9, 30))
    seen, items = timeliness_view.report(
        ledger.database, *september, SHANGHAI, [], "stage"
    )
    stages = {i["stage"]: i for i in items}
    assert seen == head
    assert (stages["accept"]["completed"], stages["accept"]["on_time"]) == (2, 1)
    assert stages["accept"]["median_working_hours"] == 8.0
    _, none = timeliness_view.report(
        ledger.database, *september, SHANGHAI, [("unit", "SZ-SWJ")], "stage"
    )
    assert none == []
    seen, units = accountability.report(
        ledger.database, "unit", "month", *september, None
    )
    (unit,) = [i for i in units if i["unit"] == UNIT]
    assert seen == head
    assert (unit["period"], unit["assigned"], unit["accepted"]) == ("2026-09", 3, 2)
    assert unit["response_rate"] == pytest.approx(1.0)
    _, other = accountability.report(
        ledger.database, "unit", "all", *september, "SZ-SWJ"
    )
    assert other == []
