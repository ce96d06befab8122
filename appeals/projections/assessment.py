"""The assessment view (考核): every stage cycle the assessment counts, with
the enterprise's verdict on each resolve cycle and the appeal's granted
exclusion (剔除), as the domain's :class:`~appeals.domain.assessment.CycleFact`.

Cycles come from the domain's :class:`TimelinessFold` (the fold the
timeliness and accountability views and ``GET /appeals/{id}`` use, so they
agree), charged to the unit and cadre each ran against. An evaluation is the
verdict on the appeal's latest resolve cycle, and so is a callback (回访)
reached after that cycle's deadline passed with no reply; a lapsed
evaluation window or 无法回访 marks that cycle ``verdict_lapsed``. An appeal
whose exclusion is granted has every cycle, past and later, marked
``excluded``. The locality is the enterprise's registration division: the
credit code's characters 3–8.

:func:`facts` reads the cycles due in a window; :func:`standings` counts
them in SQL by month and by what the assessment reads of them (the domain's
:class:`~appeals.domain.assessment.Standing`), so a year of a city's cycles
comes back as a few hundred counted rows; the month's activity counts
(退单, 重办, 督办) are the accountability view's
(:func:`appeals.projections.accountability.activity`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from appeals.domain.appeal import Appeal
from appeals.domain.assessment import (
    ANY_UNIT,
    ASSESSED_STAGES,
    NOT_DUE_ENDINGS,
    Counted,
    CycleFact,
    GroupKey,
    Period,
    Standing,
)
from appeals.domain.deadlines import Timekeeping
from appeals.domain.divisions import locality_of
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.timeliness import StageCycle
from appeals.domain.trends import CITY, CITY_KEY, HOUR, Hours
from appeals.domain.working_time import WorkingTime, measured_to
from appeals.infra.database import Database, Sql
from appeals.projections import changes as period_changes
from appeals.projections.changes import PERIOD, counter_table, day_spans, versions
from appeals.projections.lifecycle import (
    APPEAL_EVENTS,
    read_instant,
    read_or_none,
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
)
from appeals.projections.timeliness import advance, fold_table

NAME = "assessment"
US = timedelta(microseconds=1)
US_PER_HOUR = HOUR // US
FIRST_RESPONSE = "first_response"

CREATE_CYCLES = """
CREATE TABLE IF NOT EXISTS {table} (
    appeal_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    cycle INTEGER NOT NULL,
    unit TEXT,
    cadre TEXT,
    category TEXT NOT NULL,
    locality TEXT,
    started_at TEXT NOT NULL,
    due TEXT NOT NULL,
    completed_at TEXT,
    ended_by TEXT,
    ended_at TEXT,
    excluded INTEGER NOT NULL,
    verdict_resolved INTEGER,
    verdict_satisfaction TEXT,
    verdict_lapsed INTEGER NOT NULL,
    worked_us BIGINT,
    PRIMARY KEY (appeal_id, stage, cycle)
)
"""
INDEX_BY_DUE = "CREATE INDEX IF NOT EXISTS {name}_due_stage ON {table} (due, stage)"
"""Cycles due in a period (the assessment), of some stages (a trend)."""
CREATE_EXCLUSIONS = (
    "CREATE TABLE IF NOT EXISTS {table} (appeal_id TEXT NOT NULL PRIMARY KEY)"
)

FOLDS = fold_table("assessment_folds")
COLUMNS = (
    "appeal_id",
    "stage",
    "cycle",
    "unit",
    "cadre",
    "category",
    "locality",
    "started_at",
    "due",
    "completed_at",
    "ended_by",
    "ended_at",
    "excluded",
    "verdict_resolved",
    "verdict_satisfaction",
    "verdict_lapsed",
    "worked_us",
)
"""``worked_us``: the working time, in microseconds, from the cycle's start
to its end (the completion, or the end without one); None while it runs.
Measured once, when the cycle ends, so the median response hours read it
instead of measuring every response again (:func:`responses`)."""
CYCLES = Table(
    name="assessment_cycles",
    columns=COLUMNS,
    key=("appeal_id", "stage", "cycle"),
    create=CREATE_CYCLES,
    indexes=(INDEX_BY_DUE,),
    retired=("{name}_unmeasured",),  # an earlier release's running cycles
    read_by_appeal=True,
)
EXCLUSIONS = Table(
    name="assessment_exclusions",
    columns=("appeal_id",),
    key=("appeal_id",),
    create=CREATE_EXCLUSIONS,
    per_appeal=True,
)
DAYS = counter_table("assessment_days")
"""How many times a cycle due in each hour (``YYYY-MM-DDTHH`` of the
stored, UTC, deadline; days before December 2026, hence the table's name)
was written (:mod:`appeals.projections.changes`): what lets a trend use
again what it counted of a month past, and a month's assessment what it
counted of its days."""
VERDICT = ("verdict_resolved", "verdict_satisfaction", "verdict_lapsed")


def cycle_row(
    appeal: dict[str, Any],
    cycle: StageCycle,
    kept: Mapping[str, Any] | None,
    excluded: bool,
    tk: Timekeeping,
) -> dict[str, Any]:
    """A cycle as stored, keeping the verdict already recorded on it."""
    end = cycle.completed_at or cycle.ended_at
    worked = None if end is None else tk.working_time(cycle.started_at, end) // US
    return {
        "appeal_id": appeal["appeal_id"],
        "stage": cycle.stage,
        "cycle": cycle.cycle,
        "unit": cycle.unit,
        "cadre": cycle.cadre,
        "category": appeal["category"],
        "locality": locality_of(appeal["uscc"]),
        "started_at": stored_instant(cycle.started_at),
        "due": stored_instant(cycle.due),
        "completed_at": stored_or_none(cycle.completed_at),
        "ended_by": cycle.ended_by,
        "ended_at": stored_or_none(cycle.ended_at),
        "excluded": int(excluded),
        "verdict_resolved": None if kept is None else kept["verdict_resolved"],
        "verdict_satisfaction": None if kept is None else kept["verdict_satisfaction"],
        "verdict_lapsed": 0 if kept is None else kept["verdict_lapsed"],
        "worked_us": worked,
    }


def callback_verdict(event: Any) -> dict[str, Any]:
    """What a callback (回访) says of the latest resolve cycle: a reached
    callback after its resolve deadline passed with no reply is the verdict
    (so an ignored appeal is judged); 无法回访 counts like a lapsed window
    (out of satisfaction). A reply's callback is judged by the ``Evaluated``
    recorded with it; a sample's grade is not the unit's verdict."""
    if event.purpose == "expired" and event.outcome == "reached":
        return {
            "verdict_resolved": int(bool(event.resolved)),
            "verdict_satisfaction": event.satisfaction,
        }
    if event.unreachable and event.purpose != "sample":
        return {"verdict_lapsed": 1}
    return {}


def make_apply(tk: Timekeeping) -> Apply:

    def apply(event: Any, state: State) -> list[Change]:
        row, before, after = advance(event, state, FOLDS)
        appeal_id = row["appeal_id"]
        changes: list[Change] = [Put(FOLDS, row)]
        granted = isinstance(event, Appeal.ExclusionGranted)
        if granted:
            changes.append(Put(EXCLUSIONS, {"appeal_id": appeal_id}))
        excluded = granted or state.get(EXCLUSIONS, (appeal_id,)) is not None
        old = {(c.stage, c.cycle): c for c in before.cycles}
        latest_resolve = max(
            (c for c in after.cycles if c.stage == "resolve"),
            key=lambda c: c.cycle,
            default=None,
        )
        verdict: dict[str, Any] = {}
        if isinstance(event, Appeal.Evaluated):
            verdict = {
                "verdict_resolved": int(bool(event.resolved)),
                "verdict_satisfaction": event.satisfaction,
            }
        elif isinstance(event, Appeal.EvaluationLapsed):
            verdict = {"verdict_lapsed": 1}
        elif isinstance(event, Appeal.CalledBack):
            verdict = callback_verdict(event)
        periods: set[str] = set()
        for cycle in after.cycles:
            if cycle.stage not in ASSESSED_STAGES:
                continue
            key = (appeal_id, cycle.stage, cycle.cycle)
            previous = old.get((cycle.stage, cycle.cycle))
            changed = previous is not cycle and previous != cycle
            judged = bool(verdict) and cycle is latest_resolve
            if not (changed or judged or granted):
                continue
            kept = state.get(CYCLES, key)
            stored = cycle_row(row, cycle, kept, excluded, tk)
            if judged:
                stored.update(verdict)
            changes.append(Put(CYCLES, stored))
            periods.add(stored["due"][:PERIOD])
            if kept is not None:  # an extension moves it: its old hour changed too
                periods.add(kept["due"][:PERIOD])
        changes.extend(period_changes.counted(state, DAYS, periods))
        return changes

    return apply


def projection(tk: Timekeeping) -> Projection:
    """The assessment view, measuring ended cycles' working time with
    ``tk``'s calendar."""
    return Projection(
        name=NAME,
        tables=(FOLDS, CYCLES, EXCLUSIONS, DAYS),
        topics=topics_of(*APPEAL_EVENTS, Appeal.ExclusionGranted, Appeal.CalledBack),
        apply=make_apply(tk),
        description="every stage cycle the assessment counts, "
        "with verdicts, exclusions and working time",
        cost=3,
        summed_by_part=True,
    )


# ---- reading ------------------------------------------------------------------

SELECT_FACTS = "SELECT {columns} FROM {table} WHERE due >= ? AND due < ?"
FACT_COLUMNS = tuple(c for c in COLUMNS if c != "worked_us")
"""What :func:`fact` reads (a copy from before ``worked_us`` answers too)."""


def facts(
    database: Database,
    start: datetime,
    end: datetime,
    stages: Sequence[str] | None = None,
) -> tuple[int, list[CycleFact]]:
    """The position the view reflects, and every cycle due in [start, end)
    (of ``stages`` only, if given)."""

    def load(sql: Sql) -> list[CycleFact]:
        statement = SELECT_FACTS.format(
            columns=", ".join(FACT_COLUMNS), table=live_table(database, CYCLES)
        )
        params = [stored_instant(start), stored_instant(end)]
        if stages is not None:
            if not stages:
                return []
            statement += f" AND stage IN ({', '.join('?' for _ in stages)})"
            params.extend(stages)
        rows = sql.execute(statement, params)
        return [
            fact(dict(zip(FACT_COLUMNS, values, strict=True))) for values in rows.all()
        ]

    return read(database, NAME, load)


def fact(row: dict[str, Any]) -> CycleFact:
    """A stored row as the domain's fact."""

    resolved = row["verdict_resolved"]
    return CycleFact(
        appeal_id=row["appeal_id"],
        stage=row["stage"],
        cycle=int(row["cycle"]),
        unit=row["unit"],
        cadre=row["cadre"],
        category=row["category"],
        locality=row["locality"],
        started_at=read_instant(row["started_at"]),
        due=read_instant(row["due"]),
        completed_at=read_or_none(row["completed_at"]),
        ended_by=row["ended_by"],
        ended_at=read_or_none(row["ended_at"]),
        excluded=bool(row["excluded"]),
        verdict_resolved=None if resolved is None else bool(resolved),
        verdict_satisfaction=row["verdict_satisfaction"],
        verdict_lapsed=bool(row["verdict_lapsed"]),
    )


GROUPED = ("unit", "cadre", "locality", "category")
"""The columns :func:`standings` may keep apart. Not kept, the unit reads
as whether one is charged and whether it is the centre (none, the centre's
code, or ``ANY_UNIT``): what the city's sums, localities and categories
read of it; the others read as None."""
UNIT_CHARGED = (
    "CASE WHEN unit IS NULL OR unit = '' THEN NULL WHEN unit = ? THEN unit ELSE ? END"
)
"""The unit, not kept apart: none, the centre, or ANY_UNIT."""
STANDING_TESTS = (
    "excluded",
    "ended_by",
    "due <= ?",  # the deadline has passed (as of)
    "ended_at IS NOT NULL AND ended_at <= due",
    "completed_at IS NOT NULL",
    "completed_at IS NOT NULL AND completed_at <= due",
    "completed_at IS NOT NULL AND completed_at <= ?",  # done (as of)
    "verdict_resolved",
    "verdict_satisfaction",
    "verdict_lapsed",
)
"""What the assessment reads of a cycle, in :class:`Standing`'s order after
the grouping columns: instants compared, never returned. Stored instants
are fixed-width UTC text, so they compare as text."""


COUNTING_WORK_MEM = "32MB"
"""PostgreSQL's memory for counting standings (this transaction's only):
it expects about one group per cycle (it cannot know how few standings
there are), and below about 16 MB for a year of a city's cycles (120,000)
it sorts them on disk instead of hashing them (270 ms instead of 90)."""


def standings(
    database: Database,
    periods: Sequence[Period],
    as_of: datetime,
    tz: tzinfo,
    stages: Sequence[str] | None = None,
    keep: Collection[str] = GROUPED,
    past: Remembered | None = None,
) -> tuple[int, dict[str, list[Counted]]]:
    """The position the view reflects, and per month of ``periods`` (in
    ``tz``) the cycles due in it (of ``stages`` only, if given) counted by
    their :class:`Standing` as of ``as_of``: what the domain's
    :func:`~appeals.domain.assessment.tally_standings` adds up exactly as
    :func:`~appeals.domain.assessment.tally` adds up :func:`facts`. Only
    ``keep`` of :data:`GROUPED` are kept apart (``GROUPING_READS`` says what
    each grouping needs): a trend by unit need not tell cadres apart, nor
    the city's row units, and cycles alike in what is kept come back as one
    row. Given ``past``, months it remembers are not counted again."""
    groupings = {NAME: keep}
    position, found = _count(database, periods, as_of, tz, stages, groupings, past)
    return position, found[NAME]


def standings_per_grouping(
    database: Database,
    periods: Sequence[Period],
    as_of: datetime,
    tz: tzinfo,
    groupings: Mapping[str, Collection[str]],
    past: Remembered | None = None,
) -> tuple[int, dict[str, dict[str, list[Counted]]]]:
    """:func:`standings` once per grouping (its name: what it keeps apart,
    ``GROUPING_READS``), every count in ONE statement (``UNION ALL``), so
    all of them see the same commits (PostgreSQL reads at READ COMMITTED: a
    statement apiece could each see another): a month's assessment counts
    its cycles several ways, each a few hundred rows, where keeping every
    column apart at once would return nearly a row per cycle.

    Given ``past``, the cycles are counted per day, and a day it remembers
    is not counted again: a month's preview, asked again and again while
    the month runs (its days on both sides of now, :func:`side`), reads only
    today's cycles and those of days that changed since, alike standings
    of its days added up (:func:`_added`). The days remembered were counted
    by earlier statements: on PostgreSQL a commit between the reading of
    the counts of changes and the count of the days not remembered can
    leave a remembered day one change behind the others in one answer (the
    next request counts it again); a publication counts afresh."""
    return _count(database, periods, as_of, tz, None, groupings, past, by_day=True)


def _count(
    database: Database,
    periods: Sequence[Period],
    as_of: datetime,
    tz: tzinfo,
    stages: Sequence[str] | None,
    groupings: Mapping[str, Collection[str]],
    past: Remembered | None = None,
    by_day: bool = False,
) -> tuple[int, dict[str, dict[str, list[Counted]]]]:
    """Per grouping, per month of ``periods``, the cycles counted by
    standing; given ``past``, what it remembers of each month (or, if
    ``by_day``, of each day: a month not ended) is not counted again."""
    what: tuple[Any, ...] = ("standings", None if stages is None else tuple(stages))
    what += tuple((name, tuple(sorted(keep))) for name, keep in groupings.items())
    by_day = by_day and past is not None  # read afresh: a month at once
    spans = _days(periods, tz) if by_day else _months(periods, tz)

    def load(sql: Sql) -> dict[str, dict[str, list[Counted]]]:
        counted, rest, version = _remembered(sql, database, spans, as_of, past, what)
        counting = _Counting(database, rest, as_of, stages)
        counting.remembering = past is not None
        fresh = counting.load(sql, groupings)
        for _, _, label in rest:
            counted[label] = {
                name: fresh.get(name, {}).get(label, []) for name in groupings
            }
            _keep(past, counting, what, label, version, counted[label])
        found: dict[str, dict[str, list[Counted]]] = {name: {} for name in groupings}
        for name in groupings:
            for _, _, label in spans:
                if counted[label][name]:  # a month with none left out, as SQL does
                    month = found[name].setdefault(label[: len("YYYY-MM")], [])
                    month.extend(counted[label][name])
            if by_day:  # alike standings of different days as one
                found[name] = {m: _added(rows) for m, rows in found[name].items()}
        return found

    position, found = read(database, NAME, load)
    return position, found


def _added(rows: list[Counted]) -> list[Counted]:
    """``rows`` with alike standings added up: a month's days repeat most
    of its standings (a city's month counted by cadre: 10,697 rows of days,
    1,154 standings; its three groupings 20,789 and 1,909), and each row
    costs the domain's tally ten times an addition."""
    added: dict[Standing, int] = {}
    for standing, times in rows:
        added[standing] = added.get(standing, 0) + times
    return list(added.items())


Span = tuple[datetime, datetime, str]
"""[start, end) and its label: a month (``YYYY-MM``) or a day (ISO)."""


def _months(periods: Sequence[Period], tz: tzinfo) -> list[Span]:
    return [(*period.bounds(tz), str(period)) for period in periods]


def _days(periods: Sequence[Period], tz: tzinfo) -> list[Span]:
    return [
        (start, end, day.isoformat())
        for period in periods
        for start, end, day in day_spans(period.first_day, period.last_day, tz)
    ]


PAST = "past"
AHEAD = "ahead"


def side(start: datetime, end: datetime, as_of: datetime) -> str | None:
    """Which side of ``as_of`` the span [start, end) lies on: :data:`PAST`
    (ended by it: every cycle due in it had its deadline pass), :data:`AHEAD`
    (begun after it: none had), or None (it holds ``as_of``). What is counted
    of a span on one side is the same for any later instant on that side,
    while its cycles do not change."""
    if end <= as_of:
        return PAST
    if start > as_of:
        return AHEAD
    return None


WINDOW = "window"


def standings_between(
    database: Database,
    start: datetime,
    end: datetime,
    as_of: datetime,
    stages: Sequence[str],
    keep: Collection[str],
) -> tuple[int, list[Counted]]:
    """The position the view reflects, and the cycles of ``stages`` due in
    [start, end) counted by their :class:`Standing` as of ``as_of``, as
    :func:`standings` counts a month's (a window of any days: hotspots)."""
    counting = _Counting(database, [(start, end, WINDOW)], as_of, stages)
    position, found = read(
        database, NAME, lambda sql: counting.load(sql, {WINDOW: keep})
    )
    return position, found.get(WINDOW, {}).get(WINDOW, [])


def response_hours(
    database: Database,
    periods: Sequence[Period],
    as_of: datetime,
    tz: tzinfo,
    working_time: WorkingTime,
    group_by: str = CITY,
    past: Remembered | None = None,
) -> tuple[int, list[Hours]]:
    """The position the view reflects, and per month of ``periods`` the
    working hours of the first responses due in it as of ``as_of`` (the
    domain's due rule, :data:`DUE_AS_OF`), for the city and each group of
    ``group_by``: as measured when their stage ended (``worked_us``), or,
    still running, measured now to ``as_of``. One row per group and month,
    the hours packed in it (a year of a city's responses by unit: some 200
    rows instead of 28,500 at two million events). What the domain's
    :func:`~appeals.domain.trends.hours_of` makes of
    :func:`~appeals.domain.trends.responses_of` the cycles. Given ``past``,
    the months it remembers are not read again: neither their ended
    responses' hours nor when their running ones started (those are
    measured again to ``as_of``: their hours grow; while none of the month's
    cycles changes, none of them has ended)."""
    if group_by not in HOURS_KEYS:
        raise ValueError(f"group_by must be one of {sorted(HOURS_KEYS)}")
    key = HOURS_KEYS[group_by]
    what = ("hours", key)

    def load(sql: Sql) -> list[Hours]:
        # the month holding as_of in days: it changes all the time, but
        # mostly today, so its days before are remembered as months are
        spans = [
            span
            for period in periods
            for span in (
                _days([period], tz)
                if side(*period.bounds(tz), as_of) is None
                else _months([period], tz)
            )
        ]
        remembered, rest, version = _remembered(sql, database, spans, as_of, past, what)
        counting = _Counting(database, rest, as_of, (FIRST_RESPONSE,))
        ended, running = counting.hours(sql, key)
        read_now: dict[str, tuple[dict[GroupKey, Any], dict[GroupKey, Any]]] = {
            label: ({}, {}) for _, _, label in rest
        }
        for (label, k), values in ended.items():
            # sorted, so the median's sort of a month's hours is a merge
            read_now[label][0][k] = tuple(sorted(values))
        for (label, k), since in running.items():
            read_now[label][1][k] = tuple(since)
        for label, kept in read_now.items():
            _keep(past, counting, what, label, version, kept)
        # the running ones too: while none of a span's cycles changes, none
        # of them ended (it would have moved the span's count)
        hours: dict[tuple[str, GroupKey], list[float]] = {}
        to_now = measured_to(working_time, as_of, tz)
        for label, (done, still) in (*remembered.items(), *read_now.items()):
            month = label[: len("YYYY-MM")]  # a month's, or a day's of it
            for k, values in done.items():
                hours.setdefault((month, k), []).extend(values)
            for k, since in still.items():
                hours.setdefault((month, k), []).extend(
                    (working_time(start, stop) if stop else to_now(start)) / HOUR
                    for start, stop in since
                )
        return [Hours(month, k, tuple(values)) for (month, k), values in hours.items()]

    return read(database, NAME, load)


def _remembered(
    sql: Sql,
    database: Database,
    spans: Sequence[Span],
    as_of: datetime,
    past: Remembered | None,
    what: tuple[Any, ...],
) -> tuple[dict[str, Any], list[Span], dict[str, Any]]:
    """What ``past`` remembers of ``what`` per span (label: what it
    counted); the spans it does not (to be read); and every span's count of
    changes, read first: what is read after is as new as they are, or
    newer."""
    if past is None or not spans:
        return {}, list(spans), {}
    counts = versions(sql, database, DAYS, [s[:2] for s in spans])
    table = live_table(database, CYCLES)
    remembered, rest = {}, []
    for (start, end, label), version in zip(spans, counts, strict=True):
        key = (table, what, label, side(start, end, as_of))
        kept = past.get(key, version, as_of)
        if kept is None:
            rest.append((start, end, label))
        else:
            remembered[label] = kept
    return remembered, rest, {s[2]: v for s, v in zip(spans, counts, strict=True)}


def _keep(
    past: Remembered | None,
    counting: _Counting,
    what: tuple[Any, ...],
    label: str,
    version: Mapping[str, Any],
    value: Any,
) -> None:
    """Keeps what ``counting`` counted of the span ``label``, if it may be
    used again (:meth:`_Counting.settled`)."""
    settled = counting.settled(label)
    if past is not None and settled is not None:
        key = (counting.table, what, label, settled)
        past.put(key, version[label], value, counting.as_of)


HoursByCell = dict[tuple[str, GroupKey], list[float]]
"""Hours per (month, group)."""
RunningByCell = dict[tuple[str, GroupKey], list[tuple[datetime, datetime | None]]]
"""Per (month, group), when each first response still running started (and
its end, if a row some older writer left unmeasured ended)."""
HOURS_KEYS: dict[str, str] = {
    CITY: "NULL",
    "unit": "unit",
    "locality": "COALESCE(locality, '')",
    "category": "COALESCE(category, '')",
}
"""Per trend grouping, the column its groups are told apart by (the
domain's ``_group_key``); the city's row has none."""
DUE_AS_OF = (
    "excluded = 0 AND due <= ? AND (ended_by IS NULL OR ended_by NOT IN ("
    + ", ".join(f"'{ending}'" for ending in sorted(NOT_DUE_ENDINGS))
    + ") OR ended_at IS NULL OR ended_at > due OR completed_at IS NOT NULL)"
)
"""The domain's :func:`~appeals.domain.assessment.counts_as_due` in SQL (as
of the instant bound to ``?``): not excluded, the deadline passed, and not
ended before it by a withdrawal, merge or return without the stage done."""
CHARGED = "unit IS NOT NULL AND unit <> ''"
"""A unit is charged: a response without one counts in the city's row only."""


class _Counting:
    """The statements that read one window's cycles at one instant: their
    standings counted (:func:`standings`), their responses measured
    (:func:`responses`)."""

    def __init__(
        self,
        database: Database,
        buckets: Sequence[tuple[datetime, datetime, str]],
        as_of: datetime,
        stages: Sequence[str] | None,
    ) -> None:
        """Cycles due in ``buckets`` ([start, end) and a label; in order,
        apart), each counted in its bucket's."""
        self.table = live_table(database, CYCLES)
        self.buckets = buckets
        self.stages = stages
        bucket_ends: list[tuple[str, str]] = []
        self.runs: list[list[str]] = []
        """Consecutive buckets as one [start, end) (:meth:`_within`)."""
        self.sides: dict[str, str | None] = {}
        for start, end, label in buckets:
            begins, ends = stored_instant(start), stored_instant(end)
            if self.runs and begins < self.runs[-1][1]:
                # the buckets are told apart by their ends, in order
                raise ValueError("periods must be in order, apart")
            bucket_ends.append((ends, label))
            if self.runs and self.runs[-1][1] == begins:
                self.runs[-1][1] = ends
            else:
                self.runs.append([begins, ends])
            self.sides[label] = side(start, end, as_of)
        self.bucket, self.bucket_params = _bucket(bucket_ends)
        """The bucket a cycle is due in (SQL, bound to its parameters)."""
        self.as_of = as_of
        self.at = stored_instant(as_of)
        self.latest: dict[str, str] = {}
        """Per bucket counted, its latest completion (:meth:`settled`)."""
        self.remembering = False
        """Whether :meth:`load` reads the latest completions (the counts are
        to be remembered: :meth:`settled`)."""

    def load(
        self, sql: Sql, groupings: Mapping[str, Collection[str]]
    ) -> dict[str, dict[str, list[Counted]]]:
        """Per grouping (name: what it keeps apart), per month, the counted
        standings."""
        if not self.buckets or (self.stages is not None and not self.stages):
            return {}
        parts = [self._select(name, keep) for name, keep in groupings.items()]
        statement = " UNION ALL ".join(text for text, _ in parts)
        params = [value for _, values in parts for value in values]
        if sql.database.engine == "postgres":
            # the planner cannot tell how few standings there are, and with
            # the default work_mem sorts a year's cycles on disk to group them
            sql.execute(f"SET LOCAL work_mem = '{COUNTING_WORK_MEM}'")
        found: dict[str, dict[str, list[Counted]]] = {}
        for values in sql.execute(statement, params).all():
            months = found.setdefault(values[0], {})
            months.setdefault(values[1], []).append(
                (standing(values[2:-2]), int(values[-2]))
            )
            self._completed(values[1], values[-1])
        return found

    def _completed(self, bucket: str, latest: str | None) -> None:
        if latest is not None and latest > self.latest.get(bucket, ""):
            self.latest[bucket] = latest

    def settled(self, label: str) -> str | None:
        """The side of the instant asked the bucket ``label`` (read by this
        counting) lies on (:func:`side`), if every completion read in it
        had happened by then, so a later instant on the same side reads it
        the same (``reading.Remembered``); else None."""
        if self.latest.get(label, "") > self.at:
            return None
        return self.sides[label]

    def hours(self, sql: Sql, key: str) -> tuple[HoursByCell, RunningByCell]:
        """The window's first responses due, packed per group and month
        (:func:`response_hours`): the ended ones' hours, and when the
        running ones started (and ended, for a row some older writer left
        unmeasured), to be measured to the instant asked."""
        if not self.buckets:
            return {}, {}
        packed = "string_agg" if sql.database.engine == "postgres" else "group_concat"
        statement = (
            f"SELECT CASE WHEN {CHARGED} THEN 1 ELSE 0 END, {key}, {self.bucket}, "
            f"{packed}(CAST(worked_us AS TEXT), ',') "
            "FILTER (WHERE worked_us IS NOT NULL), "
            f"{packed}(started_at || '/' || COALESCE(completed_at, ended_at, ''), ',') "
            "FILTER (WHERE worked_us IS NULL) "
            f"FROM {self.table} "
            f"WHERE {self._within()} AND stage = ? AND {DUE_AS_OF} "
            "GROUP BY 1, 2, 3"
        )
        params = [*self.bucket_params, *self._runs(), FIRST_RESPONSE, self.at]
        ended_hours: HoursByCell = {}
        running_since: RunningByCell = {}
        for charged, group, month, ended, running in sql.execute(
            statement, params
        ).all():
            done = [int(us) / US_PER_HOUR for us in ended.split(",")] if ended else []
            since = []
            for span in running.split(",") if running else ():
                start, _, end = span.partition("/")
                since.append((read_instant(start), read_instant(end) if end else None))
            cells = [(month, CITY_KEY)]
            if charged and key != "NULL":
                cells.append((month, (group or "",)))
            for cell in cells:
                ended_hours.setdefault(cell, []).extend(done)
                running_since.setdefault(cell, []).extend(since)
        return ended_hours, running_since

    def _within(self) -> str:
        """Due in a bucket (bound to :meth:`_runs`)."""
        runs = " OR ".join("(due >= ? AND due < ?)" for _ in self.runs)
        return f"({runs})"

    def _runs(self) -> list[str]:
        return [bound for run in self.runs for bound in run]

    def _select(self, name: str, keep: Collection[str]) -> tuple[str, list[Any]]:
        """One grouping's ``SELECT`` (first column: its name) and parameters."""
        unknown = set(keep) - set(GROUPED)
        if unknown:
            raise ValueError(f"cannot keep {sorted(unknown)}: only {GROUPED}")
        unit = "unit" if "unit" in keep else UNIT_CHARGED
        others = [c if c in keep else "NULL" for c in GROUPED[1:]]
        grouped = ["stage", unit, *(c for c in GROUPED[1:] if c in keep)]
        selected = ["?", self.bucket, "stage", unit, *others, *STANDING_TESTS]
        latest = "MAX(completed_at)" if self.remembering else "NULL"
        statement = f"SELECT {', '.join(selected)}, COUNT(*), {latest} "
        statement += f"FROM {self.table} "
        statement += f"WHERE {self._within()}"
        charged = [] if "unit" in keep else [CENTRE_UNIT, ANY_UNIT]
        params = [name, *self.bucket_params, *charged, self.at, self.at, *self._runs()]
        if self.stages is not None:
            statement += f" AND stage IN ({', '.join('?' for _ in self.stages)})"
            params.extend(self.stages)
        kept = [1 + selected.index(column) for column in grouped]
        tests = [1 + selected.index(test) for test in STANDING_TESTS]
        statement += " GROUP BY " + ", ".join(str(i) for i in [1, 2, *kept, *tests])
        return statement, params


def _bucket(ends: Sequence[tuple[str, str]]) -> tuple[str, list[str]]:
    """The label of the bucket a cycle is due in, of buckets given by their
    ends (in order) and labels, and its parameters: halves of the buckets
    tested in turn, so a month's days cost a cycle five comparisons, not
    sixteen. Only for cycles due in one of them (:meth:`_Counting._within`)."""
    if not ends:
        return "NULL", []
    if len(ends) == 1:
        return "?", [ends[0][1]]
    half = len(ends) // 2
    earlier, earlier_params = _bucket(ends[:half])
    later, later_params = _bucket(ends[half:])
    sql = f"CASE WHEN due < ? THEN {earlier} ELSE {later} END"
    return sql, [ends[half - 1][0], *earlier_params, *later_params]


def standing(values: Sequence[Any]) -> Standing:
    """A counted row's standing (SQLite's 0 and 1 as booleans), in
    :class:`Standing`'s order (positional: a named tuple built by keyword
    is three times slower, and a year's trend builds thousands)."""
    stage, unit, cadre, locality, category, excluded, ended_by, *rest = values
    passed, ended_early, completed, met, done, resolved, satisfaction, lapsed = rest
    return Standing(
        stage,
        unit,
        cadre,
        locality,
        category or "",
        bool(excluded),
        ended_by,
        bool(passed),
        bool(ended_early),
        bool(completed),
        bool(met),
        bool(done),
        None if resolved is None else bool(resolved),
        satisfaction,
        bool(lapsed),
    )
