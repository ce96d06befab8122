"""Timeliness (限时办结): every stage cycle of every appeal, with its recorded
deadline, completion, working and paused time and on-time flag.

The per-appeal logic is the domain's own :class:`TimelinessFold` (the same
one ``GET /appeals/{id}`` uses), kept between events as JSON in
``timeliness_folds``; each event's effect on the cycles is written to
``timeliness_cycles``. Working time is measured, when a cycle ends, with the
official calendar the projection is built with, so the report's medians and
the appeal's own timeliness agree. Open cycles are measured when read (the
overdue report, :mod:`appeals.projections.overdue`), because their lateness
grows with the clock. :func:`report` answers ``GET /reports/timeliness``.

The 12345 centre's dispatch stage (``stage = 'dispatch'``, ``unit = '12345'``)
is a cycle like the units' stages, so its on-time rate and working time
report beside theirs (``group_by=unit``); a unit's first-response cycle starts
at its assignment (see :mod:`appeals.domain.timeliness`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from statistics import median, quantiles
from typing import Any

import orjson
from eventsourcing.utils import get_topic

from appeals.domain import late_stages
from appeals.domain.appeal import Appeal
from appeals.domain.deadlines import Timekeeping
from appeals.domain.timeliness import StageCycle, TimelinessFold
from appeals.infra.database import Database, Sql
from appeals.projections.changes import PERIOD, counted, counter_table, day_spans
from appeals.projections.changes import versions as changes_of
from appeals.projections.lifecycle import (
    APPEAL_EVENTS,
    stored_instant,
    stored_or_none,
    topics_of,
)
from appeals.projections.reading import Remembered, live_table, read
from appeals.projections.runtime.model import (
    Apply,
    Change,
    Projection,
    Put,
    State,
    Table,
    id_text,
    require,
)

CREATE_FOLDS = """
CREATE TABLE IF NOT EXISTS {table} (
    appeal_id TEXT NOT NULL PRIMARY KEY,
    category TEXT NOT NULL,
    priority TEXT NOT NULL,
    uscc TEXT NOT NULL,
    ticket TEXT NOT NULL,
    fold TEXT NOT NULL
)
"""
CREATE_CYCLES = """
CREATE TABLE IF NOT EXISTS {table} (
    appeal_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    cycle INTEGER NOT NULL,
    ticket TEXT NOT NULL,
    uscc TEXT NOT NULL,
    unit TEXT,
    cadre TEXT,
    category TEXT NOT NULL,
    priority TEXT NOT NULL,
    started_at TEXT NOT NULL,
    due TEXT NOT NULL,
    completed_at TEXT,
    ended_by TEXT,
    ended_at TEXT,
    is_open INTEGER NOT NULL,
    paused_since TEXT,
    paused_seconds INTEGER NOT NULL,
    extensions INTEGER NOT NULL,
    escalation_level INTEGER,
    on_time INTEGER,
    working_seconds INTEGER,
    late_seconds INTEGER,
    warned INTEGER NOT NULL,
    PRIMARY KEY (appeal_id, stage, cycle)
)
"""


def _running(stages: Sequence[str]) -> str:
    """The condition on the running, unpaused cycles of ``stages``."""
    listed = ", ".join(repr(stage) for stage in stages)
    return f"is_open = 1 AND paused_since IS NULL AND stage IN ({listed})"


CLIMBING_STAGES = _running((*late_stages.LATE_STAGES, "evaluation"))
"""Running cycles of the stages that climb the escalation ladder (the
stages that can be late, a co-handler's aside) and of evaluation windows,
which lapse: what the escalation scheduler reads (``SELECT_DUE``), and the
condition of its partial index, word for word."""
INDEX_CLIMBING = (
    "CREATE INDEX IF NOT EXISTS {name}_climbing ON {table} "
    "(escalation_level, due) WHERE " + CLIMBING_STAGES
)
"""The scheduler's stages by rung, then deadline: a pass reads those
past their deadline below the ladder's top without stepping over the
rest of a city's backlog of late stages, most of them at the top or a
co-handler's (at the ten-million city's density, 4,795 of the 73,764 open
cycles past their deadline: 37 ms read from an index of every open cycle
by deadline, 20 from this one, 0.4 MB; docs/benchmarks.md). The
warnings' reader (``SELECT_WARNABLE``) reads ``INDEX_RUNNING_LATE``."""

RUNNING_LATE_STAGES = _running(late_stages.LATE_STAGES)
"""Running cycles of the stages that can be late (evaluation windows and a
co-handler's stages aside): what the overdue reader
(appeals.projections.overdue) reads, and the condition of its partial index,
word for word (SQLite uses a partial index only for a query that states its
condition)."""
INDEX_RUNNING_LATE = (
    "CREATE INDEX IF NOT EXISTS {name}_running_late ON {table} "
    "(due, appeal_id, stage, is_open, paused_since, unit, cadre, category) "
    "WHERE " + RUNNING_LATE_STAGES
)
"""The overdue report's stages by deadline, in the order it lists them, and
only those: a city's backlog of late stages (a hundred thousand rows at ten
million events) is counted from this index alone, without stepping over the
co-handlers' stages and the closed cycles. It
holds the condition's columns too, constant as they are (SQLite reads an
index alone only if it holds every column the query names), and those the
report filters on (a handler's report is its own unit's): a filtered count
or page steps over the index only, not over every late row's table row (a
unit's report at the ten-million city's density, 58,546 late stages: 183
ms for its 8,260 and 382 when it had none, 15 and 21 ms from this index)."""
INDEX_BY_COMPLETION = (
    "CREATE INDEX IF NOT EXISTS {name}_completed_figures ON {table} "
    "(completed_at, stage, unit, on_time, working_seconds)"
)
"""The timeliness report reads the cycles completed in a window, whatever
their stage: every column it reads is in the index, so a quarter's tens of
thousands of cycles are read from the index alone."""
INDEX_OPEN_BY_USCC = (
    "CREATE INDEX IF NOT EXISTS {name}_open_uscc ON {table} (uscc, due) "
    "WHERE is_open = 1"
)
"""An enterprise's running stages (its ledger's overdue count): partial, so
it holds only the open cycles."""


class IdentityMemo:
    """What was computed from an object, by the object itself (held, so its
    identity is not reused while remembered; never by ids another history
    could repeat): the latest answers, between half of ``limit`` and
    ``limit`` of them (one or two for a limit of 1), in two generations of plain
    dictionaries, the older dropped whole when the newer fills (an ordered
    dictionary's upkeep on every put was 2.1% of a one-pass rebuild)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._found: dict[int, tuple[Any, Any]] = {}
        self._older: dict[int, tuple[Any, Any]] = {}
        self.hits = 0

    def get(self, key: Any) -> Any | None:
        found = self._found.get(id(key)) or self._older.get(id(key))
        if found is None or found[0] is not key:
            return None
        self.hits += 1
        return found[1]

    def put(self, key: Any, value: Any) -> None:
        if len(self._found) >= max(1, self.limit // 2):
            self._older = self._found
            self._found = {}
        self._found[id(key)] = (key, value)


class FoldCodec:
    """An appeal's fold, stored as the JSON of its state. The text of the
    latest folds encoded is remembered: views that share a fold
    (``SharedFolds``) encode it once. Each cycle's JSON is kept with the
    cycle (``StageCycle.keep_encoded``), made once however often its fold
    is stored, and lighter to carry than its state (measured: a carried
    fold row 9.4 KB with the state kept, docs/projections.md)."""

    def __init__(self, limit: int = 5_000) -> None:
        self._texts = IdentityMemo(limit)

    def encode(self, value: TimelinessFold) -> str:
        text: str | None = self._texts.get(value)
        if text is None:
            state = value.to_state(cycles=[_cycle_json(c) for c in value.cycles])
            text = orjson.dumps(state).decode()
            self._texts.put(value, text)
        return text

    def decode(self, stored: str) -> TimelinessFold:
        state = orjson.loads(stored)
        fold = TimelinessFold.from_state(state)
        for cycle, cycle_state in zip(fold.cycles, state["cycles"], strict=True):
            if len(cycle_state) == CYCLE_STATE_FIELDS:  # not an older form
                cycle.keep_encoded(_fragment(cycle_state))
        return fold


def _fragment(state: dict[str, Any]) -> orjson.Fragment:
    # As text: the bytes orjson returns keep the room it grew them in (4 KiB
    # each, measured with tracemalloc), the text only its characters.
    return orjson.Fragment(orjson.dumps(state).decode())


CYCLE_STATE_FIELDS = len(StageCycle.__dataclass_fields__) - 1  # but _encoded


def _cycle_json(cycle: StageCycle) -> orjson.Fragment:
    """The cycle's state as JSON, made once (kept with the cycle)."""
    encoded = cycle.encoded
    if encoded is None:
        encoded = _fragment(cycle.to_state())
        cycle.keep_encoded(encoded)
    return encoded  # type: ignore[no-any-return]


FOLD_CODEC = FoldCodec()


def fold_table(name: str) -> Table:
    """A per-appeal table holding the appeal's timeliness fold as JSON (each
    view that derives from the fold keeps its own, to rebuild on its own)."""
    return Table(
        name=name,
        columns=("appeal_id", "category", "priority", "uscc", "ticket", "fold"),
        key=("appeal_id",),
        create=CREATE_FOLDS,
        per_appeal=True,
        codecs=(("fold", FOLD_CODEC),),
    )


FOLDS = fold_table("timeliness_folds")
DAYS = counter_table("timeliness_days")
"""How many times a cycle completed in each hour (``YYYY-MM-DDTHH`` of the
stored, UTC, completion; days before December 2026, hence the table's name)
was written, or stopped being completed then
(:mod:`appeals.projections.changes`): what lets the report use again what
it counted of a day."""
CYCLE_COLUMNS = (
    "appeal_id",
    "stage",
    "cycle",
    "ticket",
    "uscc",
    "unit",
    "cadre",
    "category",
    "priority",
    "started_at",
    "due",
    "completed_at",
    "ended_by",
    "ended_at",
    "is_open",
    "paused_since",
    "paused_seconds",
    "extensions",
    "escalation_level",
    "on_time",
    "working_seconds",
    "late_seconds",
    "warned",
)
CYCLES = Table(
    name="timeliness_cycles",
    columns=CYCLE_COLUMNS,
    key=("appeal_id", "stage", "cycle"),
    create=CREATE_CYCLES,
    indexes=(
        INDEX_CLIMBING,
        INDEX_RUNNING_LATE,
        INDEX_BY_COMPLETION,
        INDEX_OPEN_BY_USCC,
    ),
    # an earlier release's running stages by deadline (open_late, then
    # open_by_due), replaced by INDEX_RUNNING_LATE and INDEX_CLIMBING
    retired=("{name}_open_late", "{name}_open_by_due"),
    written_only=True,  # each event's cycles come from the fold
)


def cycle_row(
    appeal: dict[str, Any], cycle: StageCycle, tk: Timekeeping
) -> dict[str, Any]:
    """A cycle as stored: measured once it has ended (completed or not)."""
    row: dict[str, Any] = {
        "appeal_id": appeal["appeal_id"],
        "stage": cycle.stage,
        "cycle": cycle.cycle,
        "ticket": appeal["ticket"],
        "uscc": appeal["uscc"],
        "unit": cycle.unit,
        "cadre": cycle.cadre,
        "category": appeal["category"],
        "priority": appeal["priority"],
        "started_at": stored_instant(cycle.started_at),
        "due": stored_instant(cycle.due),
        "completed_at": stored_or_none(cycle.completed_at),
        "ended_by": cycle.ended_by,
        "ended_at": stored_or_none(cycle.ended_at),
        "is_open": int(cycle.is_open),
        "paused_since": stored_or_none(cycle.paused_since),
        "paused_seconds": int(cycle.paused.total_seconds()),
        "extensions": cycle.extensions,
        "escalation_level": None
        if cycle.escalation_level < 0
        else cycle.escalation_level,
        "on_time": None,
        "working_seconds": None,
        "late_seconds": None,
        "warned": int(cycle.warned),
    }
    if not cycle.is_open:
        figures = cycle.measure(cycle.completed_at or cycle.ended_at, tk)  # type: ignore[arg-type]
        row["working_seconds"] = figures["working_seconds"]
        row["late_seconds"] = figures["overdue_seconds"]
        if figures["on_time"] is not None:
            row["on_time"] = int(figures["on_time"])
    return row


SHARED_FOLDS = 5_000


class SharedFolds:
    """The folds the latest events produced, for the other views that fold
    the same event in the same process (a rebuild feeding every view from one
    pass over the log decodes each event once and hands them all the same
    object). A fold after an event is a pure function of the appeal's history
    up to it, so a view may take another's; they are remembered by the event
    object itself (``IdentityMemo``). At most ``limit`` are kept."""

    def __init__(self, limit: int = SHARED_FOLDS) -> None:
        self._folds = IdentityMemo(limit)

    @property
    def hits(self) -> int:
        return self._folds.hits

    def after(self, event: Any, before: TimelinessFold) -> TimelinessFold:
        """The fold after ``event``: another view's if it folded this very
        event, else ``before`` advanced by it (``before`` is not changed)."""
        after: TimelinessFold | None = self._folds.get(event)
        if after is None:
            after = before.copy()
            after.apply(get_topic(type(event)), event)
            self._folds.put(event, after)
        return after


SHARED = SharedFolds()


def advance(
    event: Any, state: State, folds: Table
) -> tuple[dict[str, Any], TimelinessFold, TimelinessFold]:
    """The appeal's fold row, and its fold before and after ``event``. The
    row holds the fold as an object (encoded when written: ``FOLD_CODEC``);
    folds are never changed once in a row, only replaced."""
    appeal_id = id_text(event.originator_id)
    if isinstance(event, Appeal.Received):
        row: dict[str, Any] = {
            "appeal_id": appeal_id,
            "category": event.category,
            "priority": event.priority,
            "uscc": event.uscc,
            "ticket": event.ticket,
            "fold": None,
        }
        before = TimelinessFold()
    else:
        row = dict(require(state, folds, (appeal_id,)))
        before = row["fold"]
    after = SHARED.after(event, before)
    row["fold"] = after
    return row, before, after


def make_apply(tk: Timekeeping) -> Apply:
    def apply(event: Any, state: State) -> list[Change]:
        row, before, after = advance(event, state, FOLDS)
        changes: list[Change] = [Put(FOLDS, row)]
        old = {(c.stage, c.cycle): c for c in before.cycles}
        periods: set[str] = set()
        for cycle in after.cycles:
            previous = old.get((cycle.stage, cycle.cycle))
            # An unchanged cycle is the same object (a fold's copy shares
            # its cycles): most are, and `is` spares comparing their fields.
            if previous is not cycle and previous != cycle:
                changes.append(Put(CYCLES, cycle_row(row, cycle, tk)))
                for was in (cycle, previous):
                    if was is not None and was.completed_at is not None:
                        periods.add(stored_instant(was.completed_at)[:PERIOD])
        changes.extend(counted(state, DAYS, periods))
        return changes

    return apply


NAME = "timeliness"


def projection(tk: Timekeeping) -> Projection:
    """The timeliness read model, measuring with ``tk``'s calendar."""
    return Projection(
        name=NAME,
        tables=(FOLDS, CYCLES, DAYS),
        topics=topics_of(*APPEAL_EVENTS, Appeal.Warned),
        apply=make_apply(tk),
        description="stage cycles with deadlines, working time and lateness",
        cost=4,
        summed_by_part=True,
    )


# ---- reading ------------------------------------------------------------------

SELECT_ENDED = (
    "SELECT stage, unit, on_time, working_seconds{completed} FROM {table} "
    "WHERE completed_at IS NOT NULL AND completed_at >= ? AND completed_at < ?"
    "{where}{order}"
)
"""With their completions, in the order of the index they are read from
(``INDEX_BY_COMPLETION``), when the report cuts them into days (without
sorting them); else without (a quarter's 260,000 instants, made into
strings, would cost a quarter of the read)."""
_CLIMBING = (
    "SELECT appeal_id, ticket, stage, due, escalation_level FROM {table} "
    "WHERE " + CLIMBING_STAGES
)
SELECT_DUE = (
    _CLIMBING
    + " AND escalation_level IS NULL AND due < ? UNION ALL "
    + _CLIMBING
    + " AND escalation_level < ? AND due < ? ORDER BY due, appeal_id, stage"
)
"""Those not yet escalated, then those below the top rung, each a range of
``INDEX_CLIMBING`` (``escalation_level IS NULL OR escalation_level < ?``
is not one range, and was read as every open cycle past its deadline)."""
SELECT_WARNABLE = (
    "SELECT appeal_id, ticket, stage, started_at, due, paused_seconds FROM {table} "
    "WHERE " + RUNNING_LATE_STAGES + " AND warned = 0 AND due > ? "
    "ORDER BY due, appeal_id, stage"
)


def filter_conditions(equals: Sequence[tuple[str, str]]) -> tuple[str, list[str]]:
    allowed = {"unit", "cadre", "category", "stage", "uscc", "priority"}
    conditions, params = [], []
    for column, value in equals:
        if column not in allowed:
            raise ValueError(f"cannot filter on {column!r}")
        conditions.append(f" AND {column} = ?")
        params.append(value)
    return "".join(conditions), params


def select_completed(
    sql: Sql,
    table: str,
    start: datetime,
    end: datetime,
    equals: Sequence[tuple[str, str]] = (),
    in_order: bool = False,
) -> list[tuple[Any, ...]]:
    """(stage, unit, on_time, working_seconds) of cycles completed in
    [start, end); ``in_order``: and completed_at, in its order."""
    where, params = filter_conditions(equals)
    statement = SELECT_ENDED.format(
        table=table,
        where=where,
        completed=", completed_at" if in_order else "",
        order=" ORDER BY completed_at" if in_order else "",
    )
    return sql.execute(  # the rows as they come: a quarter holds tens of thousands
        statement, [stored_instant(start), stored_instant(end), *params]
    ).all()


def select_due(
    sql: Sql, table: str, now: datetime, top_rung: int
) -> list[tuple[str, str, str, str, int | None]]:
    """(appeal_id, ticket, stage, due, escalation_level) of running cycles,
    evaluation windows included, whose deadline has passed at ``now``, of
    the stages that climb the ladder (not co-handlers') and below its
    ``top_rung``: a city's backlog of late stages is mostly at the top or a
    co-handler's, with nothing to record, and is left in the table (at the
    ten-million city's density, 4,795 of the 73,764 past their deadline:
    ``INDEX_CLIMBING``)."""
    params = [stored_instant(now), top_rung, stored_instant(now)]
    rows = sql.execute(SELECT_DUE.format(table=table), params).all()
    return [(str(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4]) for r in rows]


def select_warnable(
    sql: Sql, table: str, now: datetime
) -> list[tuple[str, str, str, str, str, int]]:
    """(appeal_id, ticket, stage, started_at, due, paused_seconds) of running
    cycles of the stages that can be late (not co-handlers') not yet warned
    of whose deadline is still ahead at ``now``."""
    rows = sql.execute(SELECT_WARNABLE.format(table=table), [stored_instant(now)]).all()
    return [
        (str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5] or 0))
        for r in rows
    ]


# ---- GET /reports/timeliness ----------------------------------------------------

HOUR = 3600
Completed = tuple[Any, ...]
"""(stage, unit, on_time, working_seconds[, completed_at]) of a cycle."""


def report(
    database: Database,
    first: date,
    last: date,
    tz: tzinfo,
    equals: Sequence[tuple[str, str]],
    group_by: str,
    past: Remembered | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """The view's position, and per stage (and unit, if ``group_by`` is
    ``unit``) of the cycles completed on days ``first``..``last`` (local to
    ``tz``): how many, how many on time, the rate, median and p90 hours.

    Given ``past``, the days it remembers are not read again: a quarter of
    a city's completed cycles is some 260,000 rows, and a day's change only
    when one of its cycles does (:data:`DAYS`), so a report read again reads
    only the days that changed (today's, mostly)."""
    table = live_table(database, CYCLES)
    spans = day_spans(first, last, tz)
    days = [day for _, _, day in spans]
    starts = [start for start, _, _ in spans]
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tz)
    what = (table, tuple(equals), group_by)

    def load(sql: Sql) -> list[DayFigures]:
        if past is None:  # nothing to keep: the window at once
            rows = select_completed(sql, table, starts[0], end, equals)
            return [figures_of(rows, group_by)]
        versions = changes_of(sql, database, DAYS, [span[:2] for span in spans])
        counted = [
            past.get((*what, day), version)
            for day, version in zip(days, versions, strict=True)
        ]
        missing = [number for number, found in enumerate(counted) if found is None]
        for run in runs(missing):  # consecutive days not remembered: one read
            rows = select_completed(
                sql, table, starts[run[0]], spans[run[-1]][1], equals, in_order=True
            )
            completions = [found[4] for found in rows]
            cuts = [bisect_left(completions, stored_instant(starts[n])) for n in run]
            for number, cut, stop in zip(
                run, cuts, [*cuts[1:], len(rows)], strict=True
            ):
                figures = figures_of(rows[cut:stop], group_by)
                counted[number] = figures
                past.put((*what, days[number]), versions[number], figures)
        return [figures for figures in counted if figures is not None]

    seen, counted = read(database, NAME, load)
    return seen, summarise(counted, group_by)


def runs(numbers: Sequence[int]) -> list[list[int]]:
    """``numbers`` (ascending) cut into runs of consecutive ones."""
    found: list[list[int]] = []
    for number in numbers:
        if found and found[-1][-1] == number - 1:
            found[-1].append(number)
        else:
            found.append([number])
    return found


DayFigures = dict[tuple[str, str], tuple[int, int, int, tuple[int, ...]]]
"""Per group (stage, and unit or ''), of the cycles completed on one day:
how many, how many on time, how many timed, their working seconds sorted."""


def figures_of(rows: Sequence[Completed], group_by: str) -> DayFigures:
    """The completed cycles' figures per group: each row touched once."""
    by_unit = group_by == "unit"
    groups: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    for row in rows:  # (with or without completed_at: not read here)
        stage, unit, on_time, working = row[0], row[1], row[2], row[3]
        key = (stage, (unit or "") if by_unit else "")
        group = groups.get(key)
        if group is None:
            group = groups[key] = ([0, 0, 0], [])
        counts, seconds = group
        counts[0] += 1
        if on_time is not None:
            counts[1] += on_time
            counts[2] += 1
        if working is not None:
            seconds.append(working)
    return {
        key: (counts[0], counts[1], counts[2], tuple(sorted(seconds)))
        for key, (counts, seconds) in groups.items()
    }


def summarise(days: Sequence[DayFigures], group_by: str) -> list[dict[str, Any]]:
    """The report's items from its days' figures: counts added up, and each
    group's hours, its days' sorted runs merged (one sort of runs), read for
    the median and p90."""
    by_unit = group_by == "unit"
    groups: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    for figures in days:
        for key, (completed, on_time, timed, seconds) in figures.items():
            group = groups.get(key)
            if group is None:
                group = groups[key] = ([0, 0, 0], [])
            counts, every = group
            counts[0] += completed
            counts[1] += on_time
            counts[2] += timed
            every.extend(seconds)
    items = []
    for (stage, unit), ((completed, on_time, timed), worked) in sorted(groups.items()):
        worked.sort()
        hours = [w / HOUR for w in worked]  # sorted already: median and
        items.append(  # quantiles sort it again in linear time
            {
                "stage": stage,
                **({"unit": unit} if by_unit else {}),
                "completed": completed,
                "on_time": on_time,
                "on_time_rate": on_time / timed if timed else None,
                "median_working_hours": round(median(hours), 2) if hours else None,
                "p90_working_hours": round(quantiles(hours, n=10)[-1], 2)
                if len(hours) >= 2
                else None,
            }
        )
    return items
