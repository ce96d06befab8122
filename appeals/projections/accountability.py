"""Accountability (问责): what each unit and cadre did, per day and category.

Counters per (day, unit, cadre, category) are moved by each event, with the
day in Asia/Shanghai and the unit and cadre the appeal was assigned to when it
happened; weeks, months and any other period are sums of days. Stage outcomes
(on time or late) come from the domain's :class:`TimelinessFold`, the same
fold the timeliness view and ``GET /appeals/{id}`` use, so the three agree.

The 12345 centre (``CENTRE_UNIT``) has its own unit row, never mixed into a
department's: its dispatch stage (接诉转办: ``dispatched``,
``dispatched_on_time``, ``dispatch_working_seconds``, and the escalations of
late dispatches) and its answers on the spot (当场办: ``answered_on_the_spot``,
the 直接答复 count, with the evaluations of those answers). ``urged`` counts
the enterprise's own 催办, charged to the unit holding the appeal then (the
centre's row while it awaits dispatch). The centre's row
is not ranked with the units. A unit's first response runs from assignment
(for appeals received with a dispatch deadline); one ended by the unit's
return (退单) is due only if the return came after its deadline.

Rates (docs/reports.md):
- response rate = first responses on time / first responses due, where a
  first response is due once it is made or its stage ends without one;
- resolution rate = evaluations judging the appeal resolved / evaluations;
- satisfaction rate = (satisfied + basically satisfied) / evaluations;
  a callback (回访) reached after a resolve deadline passed with no reply is
  an evaluation of the unit holding the appeal;
- evaluation windows that lapsed are counted apart and left out of the
  resolution and satisfaction rates.

:func:`report` answers ``GET /reports/accountability``: sums per period and
group, and the rates. It ranks nobody: activity rates can be improved by
leaving an appeal alone (an unresolved appeal is evaluated only when the
centre calls the enterprise back); the
ranking is the monthly assessment's, whose denominators are what was due
(appeals.projections.assessment, appeals.domain.assessment).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from appeals.domain.appeal import Appeal
from appeals.domain.assessment import Activity
from appeals.domain.deadlines import Timekeeping
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.rates import rates
from appeals.domain.timeliness import CENTRE_STAGES, StageCycle
from appeals.infra.clock import SHANGHAI
from appeals.infra.database import Database, Sql
from appeals.projections.lifecycle import APPEAL_EVENTS, topics_of
from appeals.projections.reading import live_table, read
from appeals.projections.runtime.model import (
    PART,
    Apply,
    Change,
    Projection,
    Put,
    State,
    Table,
)
from appeals.projections.timeliness import advance, fold_table

COUNTERS = (
    "assigned",
    "accepted",
    "accepted_on_time",
    "returned",
    "responses_due",
    "responded_on_time",
    "resolved",
    "resolved_on_time",
    "resolve_working_seconds",
    "replied",
    "replied_on_time",
    "evaluated",
    "judged_resolved",
    "satisfied",
    "basically_satisfied",
    "unsatisfied",
    "evaluation_lapsed",
    "reopened",
    "supervised",
    "escalated",
    "public_notices",
    "extended",
    "dispatched",
    "dispatched_on_time",
    "dispatch_working_seconds",
    "answered_on_the_spot",
    "urged",
    "warned",
)
KEY = ("day", "unit", "cadre", "category", PART)
"""``part``: the part of a split rebuild that counted the row (0 live and
in a whole rebuild); readers sum over it (``Projection.summed_by_part``)."""

CREATE_DAILY = (
    "CREATE TABLE IF NOT EXISTS {table} (day TEXT NOT NULL, unit TEXT NOT NULL, "
    f"cadre TEXT NOT NULL, category TEXT NOT NULL, {PART} INTEGER NOT NULL, "
    + ", ".join(f"{name} INTEGER NOT NULL" for name in COUNTERS)
    + f", PRIMARY KEY ({', '.join(KEY)}))"
)
INDEX_BY_UNIT = "CREATE INDEX IF NOT EXISTS {name}_by_unit ON {table} (unit, day)"

FOLDS = fold_table("accountability_folds")
DAILY = Table(
    name="accountability_daily",
    columns=(*KEY, *COUNTERS),
    key=KEY,
    create=CREATE_DAILY,
    indexes=(INDEX_BY_UNIT,),
)


def _ended_counts(cycle: StageCycle) -> Counter[str]:
    """Counters moved when a stage cycle ends (completed or otherwise)."""
    moved: Counter[str] = Counter()
    done = cycle.completed_at
    on_time = done is not None and done <= cycle.due
    if cycle.stage == "first_response":
        returned_in_time = (
            cycle.ended_by == "returned"
            and cycle.ended_at is not None
            and cycle.ended_at <= cycle.due
        )
        if not returned_in_time:
            moved["responses_due"] += 1
            moved["responded_on_time"] += on_time
    elif cycle.stage == "dispatch" and done is not None:
        moved["dispatched"] += 1
        moved["dispatched_on_time"] += on_time
    elif cycle.stage == "accept" and done is not None:
        moved["accepted"] += 1
        moved["accepted_on_time"] += on_time
    elif cycle.stage == "accept" and cycle.ended_by == "returned":
        moved["returned"] += 1
    elif cycle.stage == "resolve" and done is not None:
        moved["resolved"] += 1
        moved["resolved_on_time"] += on_time
    elif cycle.stage == "reply" and done is not None:
        moved["replied"] += 1
        moved["replied_on_time"] += on_time
    return moved


def _event_counts(event: Any) -> Counter[str]:
    """Counters an event moves by itself."""
    moved: Counter[str] = Counter()
    if isinstance(event, Appeal.Evaluated) or (
        isinstance(event, Appeal.CalledBack)  # an ignored appeal's verdict (回访)
        and event.purpose == "expired"
        and event.outcome == "reached"
    ):
        moved["evaluated"] += 1
        moved["judged_resolved"] += bool(event.resolved)
        moved[str(event.satisfaction)] += 1  # a reached callback carries one
    elif isinstance(event, Appeal.EvaluationLapsed):
        moved["evaluation_lapsed"] += 1
    elif isinstance(event, Appeal.Reopened):
        moved["reopened"] += 1
    elif isinstance(event, Appeal.Supervised):
        moved["supervised"] += 1
    elif isinstance(event, Appeal.Escalated):
        moved["escalated"] += 1
        moved["public_notices"] += event.level == 3
    elif isinstance(event, Appeal.ExtensionApproved):
        moved["extended"] += 1
    elif isinstance(event, Appeal.AnsweredOnTheSpot):
        moved["answered_on_the_spot"] += 1
    elif isinstance(event, Appeal.Warned):
        moved["warned"] += 1  # 预警 before a deadline
    elif isinstance(event, Appeal.Urged):
        moved["urged"] += 1  # 企业催办, charged to whoever holds the appeal
    return moved


CENTRE = (CENTRE_UNIT, "")
"""The centre's (unit, cadre): its dispatch and close stages are its own."""
WORKING_SECONDS = {
    "resolve": "resolve_working_seconds",
    "dispatch": "dispatch_working_seconds",
}


def make_apply(tk: Timekeeping) -> Apply:

    def apply(event: Any, state: State) -> list[Change]:
        row, before, after = advance(event, state, FOLDS)
        own = (after.unit or "", after.cadre or "")
        moved: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        centres = (  # the centre's own: its stages, an urge awaiting it
            isinstance(event, Appeal.Escalated | Appeal.Warned)
            and event.stage in CENTRE_STAGES
        ) or (isinstance(event, Appeal.Urged) and event.unit is None)
        moved[CENTRE if centres else own] += _event_counts(event)
        old = {(c.stage, c.cycle): c for c in before.cycles}
        for cycle in after.cycles:
            previous = old.get((cycle.stage, cycle.cycle))
            if previous is None and cycle.stage == "accept":
                moved[own]["assigned"] += 1
            if (previous is None or previous.is_open) and not cycle.is_open:
                # charged to whom the cycle ran against (the centre's
                # dispatch, a returning unit's bounced stages), not to
                # whoever holds the appeal after this event
                whose = (cycle.unit or "", cycle.cadre or "")
                moved[whose] += _ended_counts(cycle)
                seconds = WORKING_SECONDS.get(cycle.stage)
                if seconds is not None and cycle.completed_at is not None:
                    figures = cycle.measure(cycle.completed_at, tk)
                    moved[whose][seconds] += figures["working_seconds"]
        changes: list[Change] = [Put(FOLDS, row)]
        day = event.timestamp.astimezone(SHANGHAI).date().isoformat()
        for (unit, cadre), counters in moved.items():
            if not counters:
                continue
            key = (day, unit, cadre, row["category"], state.part)
            counts = dict(state.get(DAILY, key) or dict.fromkeys(COUNTERS, 0))
            for name, amount in counters.items():
                counts[name] = counts.get(name, 0) + amount
            changes.append(
                Put(
                    DAILY,
                    {
                        **dict(zip(KEY, key, strict=True)),
                        **{name: counts[name] for name in COUNTERS},
                    },
                )
            )
        return changes

    return apply


NAME = "accountability"


def projection(tk: Timekeeping) -> Projection:
    """The accountability read model, measuring with ``tk``'s calendar."""
    return Projection(
        name=NAME,
        tables=(FOLDS, DAILY),
        topics=topics_of(
            *APPEAL_EVENTS, Appeal.Urged, Appeal.Warned, Appeal.CalledBack
        ),
        apply=make_apply(tk),
        description="per unit, cadre, category and day: what was done, on time",
        cost=4,
        summed_by_part=True,
    )


# ---- reading ------------------------------------------------------------------

GROUPS = {"unit": "unit", "cadre": "cadre", "category": "category"}
PERIODS = ("day", "week", "month", "all")
SELECT_DAYS = (
    "SELECT {group}, day, {sums} FROM {table} WHERE day >= ? AND day <= ? "
    "{where}GROUP BY {group}, day"
)


def select_days(
    sql: Sql,
    table: str,
    group_by: str,
    first: str,
    last: str,
    unit: str | None = None,
) -> list[dict[str, Any]]:
    """Counter sums per group and day, for days ``first``..``last`` (ISO)."""
    group = GROUPS[group_by]
    where, params = ("AND unit = ? ", [unit]) if unit is not None else ("", [])
    statement = SELECT_DAYS.format(
        group=group,
        # Aliases matter: PostgreSQL rows are read as dicts by column name.
        sums=", ".join(f"SUM({name}) AS {name}" for name in COUNTERS),
        table=table,
        where=where,
    )
    rows = sql.execute(statement, [first, last, *params]).all()
    return [
        {"group": row[0], "day": row[1], **dict(zip(COUNTERS, row[2:], strict=True))}
        for row in rows
    ]


def report(
    database: Database,
    group_by: str,
    period: str,
    first: date,
    last: date,
    unit: str | None,
) -> tuple[int, list[dict[str, Any]]]:
    """The view's position and, per period and group (days ``first``..
    ``last``, only ``unit``'s if given), the counters and rates. Nothing is
    ranked here: the assessment ranks (appeals.domain.assessment)."""
    table = live_table(database, DAILY)
    seen, days = read(
        database,
        NAME,
        lambda sql: select_days(
            sql, table, group_by, first.isoformat(), last.isoformat(), unit
        ),
    )
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(COUNTERS, 0)
    )
    for row in days:
        key = (period_of(row["day"], period), row["group"])
        for name in COUNTERS:
            totals[key][name] += int(row[name] or 0)
    items: list[dict[str, Any]] = []
    for (when, group), counts in sorted(totals.items()):
        items.append({"period": when, group_by: group or None, **counts,
                      **rates(counts)})  # fmt: skip
    return seen, items


def period_of(day: str, period: str) -> str:
    """The period (of :data:`PERIODS`) an ISO day falls in."""
    value = date.fromisoformat(day)
    if period == "day":
        return day
    if period == "month":
        return day[:7]
    if period == "week":
        year, week, _ = value.isocalendar()
        return f"{year}-W{week:02d}"
    return "all"


ACTIVITY_KEPT = ("cadre", "category")
"""What :func:`activity` may keep apart besides the day and the unit."""
SUMMED = ("assigned", "returned", "resolved", "reopened", "supervised", "escalated")


def activity(
    database: Database,
    first: date,
    last: date,
    *,
    monthly: bool = False,
    keep: Sequence[str] = ACTIVITY_KEPT,
) -> tuple[int, list[Activity]]:
    """The position the view reflects, and what each unit's cadres did per day
    and category from ``first`` to ``last`` (the assessment's 退单率, 重办率
    and 督办 counts); the unassigned pseudo-unit (``""``) included.

    ``monthly``: summed per calendar month instead, each dated the month's
    first day, and keeping apart only ``keep`` of :data:`ACTIVITY_KEPT`
    (the others read as none): a year of a trend by unit is a row per unit
    and month instead of one per day, cadre and category. The assessment
    counts activity per month, so it counts these alike (tested)."""
    unknown = set(keep) - {"unit", *ACTIVITY_KEPT}  # the unit is always kept
    if unknown:
        raise ValueError(f"cannot keep {sorted(unknown)}: only {ACTIVITY_KEPT}")
    day = "substr(day, 1, 7)" if monthly else "day"
    grouped = [day, "unit", *(c for c in ACTIVITY_KEPT if c in keep)]
    selected = [day, "unit", *(c if c in keep else "''" for c in ACTIVITY_KEPT)]
    sums = ", ".join(f"SUM({name})" for name in SUMMED)
    statement = (
        f"SELECT {', '.join(selected)}, {sums} FROM {live_table(database, DAILY)} "
        f"WHERE day >= ? AND day <= ? GROUP BY {', '.join(grouped)} "
        f"ORDER BY {', '.join(grouped)}"
    )

    def dated(text: str) -> date:
        return date.fromisoformat(text + "-01" if monthly else text)

    def load(sql: Sql) -> list[Activity]:
        rows = sql.execute(statement, [first.isoformat(), last.isoformat()]).all()
        return [
            Activity(
                day=dated(row[0]),
                unit=row[1],
                cadre=row[2] or None,
                category=row[3],
                locality=None,
                assigned=int(row[4]),
                returned=int(row[5]),
                resolved=int(row[6]),
                reopened=int(row[7]),
                supervised=int(row[8]),
                escalated=int(row[9]),
            )
            for row in rows
        ]

    return read(database, NAME, load)
