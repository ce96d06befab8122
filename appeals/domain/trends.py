"""Trends (趋势对比) and hotspots (热点): any indicator month by month, for the
city and per unit, locality or category, compared between a baseline and a
compared month — the "response time −80%, satisfaction 70% → 90%" kind of
claim, made checkable (docs/reports.md, "Trends and hotspots").

Every rate is the assessment's (appeals.domain.assessment): its denominator is
what came due in the month, open and late stages included, so a unit cannot
improve its trend by leaving an appeal alone. Two measures are not rates:

- ``received``: appeals received in the month (by the unit holding each now);
- ``first_response_hours``: the median working hours to the first response of
  the first responses due in the month; one still not made counts with the
  working time elapsed so far (a lower bound), so ignoring an appeal raises
  the median instead of dropping out of it; one whose stage ended without a
  response (returned or withdrawn after its deadline) counts to that end.

A change is ``compare − baseline`` (percentage points for a rate) and the
relative change ``(compare − baseline) / baseline`` (none from a zero or
missing baseline). The city row sums every unit's numerators and denominators
(the centre's dispatch included), never averages the units' rates.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from statistics import median
from typing import Any, NamedTuple

from appeals.domain.assessment import (
    INDICATORS,
    Activity,
    Counted,
    CycleFact,
    GroupKey,
    Period,
    Standing,
    Tally,
    tally_standings,
)
from appeals.domain.errors import InvalidField
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.working_time import WorkingTime

CITY = "city"
GROUPS = (CITY, "unit", "locality", "category")
CITY_KEY: GroupKey = ("#city",)
"""The city's row: ``#`` is in no unit, locality or category code."""
ACTIVITY_MEASURES = frozenset({"return_rate", "reopen_rate"})
"""Rates counted from the accountability view's activity, which has units and
categories but no locality."""
CITY_LABEL = {"zh": "全市", "en": "City-wide"}
MAX_MONTHS = 36
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Measure:
    """One indicator a trend can follow."""

    key: str
    zh: str
    en: str
    kind: str  # rate, count or hours
    lower_is_better: bool = False

    def label(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


MEASURES: dict[str, Measure] = {
    "received": Measure("received", "受理量", "appeals received", "count"),
    "first_response_hours": Measure(
        "first_response_hours",
        "首次响应工作时长中位数(小时)",
        "median working hours to first response",
        "hours",
        lower_is_better=True,
    ),
    **{
        key: Measure(key, i.zh, i.en, "rate", i.lower_is_better)
        for key, i in INDICATORS.items()
    },
}


@dataclass(frozen=True)
class Receipt:
    """One appeal received, as volumes count it."""

    received_at: datetime
    category: str
    unit: str | None  # the unit holding it now (None: not yet assigned)
    locality: str


class Response(NamedTuple):
    """One first response as the median hours count it: the month it came
    due in, where it is charged, and the working hours it took (to the
    response, to the stage's end without one, or so far)."""

    month: str  # YYYY-MM, of its deadline
    unit: str | None
    locality: str | None
    category: str
    hours: float


class Hours(NamedTuple):
    """The working hours of one group's first responses due in one month,
    every one (a median needs them all), as a view hands them over
    (appeals.projections.assessment.response_hours) or :func:`hours_of`
    makes them from responses."""

    month: str  # YYYY-MM, of the deadlines
    key: GroupKey
    hours: tuple[float, ...]


def hours_of(responses: Iterable[Response], group_by: str) -> list[Hours]:
    """The city's and each group's :class:`Hours` per month. A response
    with no unit charged counts in the city's row only."""
    found: dict[tuple[str, GroupKey], list[float]] = defaultdict(list)
    for response in responses:
        found[response.month, CITY_KEY].append(response.hours)
        if group_by != CITY and response.unit:
            key = _group_key(
                group_by, response.unit, response.locality or "", response.category
            )
            found[response.month, key].append(response.hours)
    return [Hours(month, key, tuple(values)) for (month, key), values in found.items()]


@dataclass(frozen=True)
class Figure:
    """One group's value in one month, with what it was computed from."""

    value: float | None
    numerator: float | None
    denominator: int

    def plain(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
        }


Series = dict[GroupKey, dict[str, Figure]]


def months(first: Period, last: Period) -> list[Period]:
    """Every month from ``first`` to ``last``; an InvalidField if reversed or
    longer than :data:`MAX_MONTHS`."""
    if (last.year, last.month) < (first.year, first.month):
        raise InvalidField("from", "起始月份晚于截止月份 must not be after to")
    out: list[Period] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(Period(year, month))
        if len(out) > MAX_MONTHS:
            raise InvalidField(
                "from", f"最多{MAX_MONTHS}个月 at most {MAX_MONTHS} months"
            )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def month_of(instant: datetime, tz: tzinfo) -> str:
    return instant.astimezone(tz).strftime("%Y-%m")


STAGE_OF: dict[str, str] = {
    "dispatch_rate": "dispatch",
    "response_rate": "first_response",
    "first_response_hours": "first_response",
    "acceptance_rate": "accept",
    "on_time_resolution_rate": "resolve",
    "completion_rate": "resolve",
    "resolution_rate": "resolve",
    "satisfaction_rate": "resolve",
}
"""The assessed stage whose cycles each measure counts (:func:`tally`)."""


def stages_read(measure: str, group_by: str) -> tuple[str, ...] | None:
    """The stages whose cycles :func:`trend` needs for ``measure`` by
    ``group_by`` (None: every stage; empty: none). A group's row appears when
    it has any cycle due, so grouped rates read every stage; the city's row
    and the median hours count only their own stage's cycles."""
    if measure == "first_response_hours":
        return (STAGE_OF[measure],)
    if group_by != CITY:
        return None
    if measure in ACTIVITY_MEASURES:
        return ()
    stage = STAGE_OF.get(measure)
    return None if stage is None else (stage,)


def reads_activity(measure: str, group_by: str) -> bool:
    """Whether :func:`trend` needs the units' activity for ``measure`` by
    ``group_by`` (a group with activity only still has its row; the median
    hours count first responses alone)."""
    if measure == "first_response_hours":
        return False
    return group_by != CITY or measure in ACTIVITY_MEASURES


def trend(
    measure: str,
    group_by: str,
    periods: Sequence[Period],
    facts: Iterable[CycleFact],
    activity: Iterable[Activity],
    receipts: Iterable[Receipt],
    as_of: datetime,
    tz: tzinfo,
    working_time: WorkingTime,
    standings: Mapping[str, Iterable[Counted]] | None = None,
    hours: Iterable[Hours] | None = None,
) -> Series:
    """Per group (the city's row always included) and month, ``measure``.
    A rate counts ``standings`` per month (``YYYY-MM``) when given, as a
    view counts them (appeals.projections.assessment.standings), else the
    ``facts``' own; the median hours take ``hours`` when given, as a view
    reads them (appeals.projections.assessment.response_hours), else
    :func:`hours_of` :func:`responses_of` the facts."""
    if measure not in MEASURES:
        raise InvalidField("indicator", "unknown indicator: " + measure)
    if group_by not in GROUPS:
        raise InvalidField("group_by", "must be one of " + ", ".join(GROUPS))
    if group_by == "locality" and measure in ACTIVITY_MEASURES:
        raise InvalidField(
            "group_by",
            f"{measure} 按单位或类别统计 is counted per unit or category, not locality",
        )
    wanted = {str(p) for p in periods}
    series: Series = defaultdict(dict)
    if measure == "received":
        _received(series, group_by, receipts, wanted, tz)
    elif measure == "first_response_hours":
        if hours is None:
            hours = hours_of(responses_of(facts, as_of, tz, working_time), group_by)
        for cell in hours:
            if cell.month in wanted and cell.hours:
                value = round(median(cell.hours), 2)
                series[cell.key][cell.month] = Figure(value, None, len(cell.hours))
    else:
        if standings is None:
            standings = standings_by_month(facts, as_of, tz)
        _rates(series, measure, group_by, periods, standings, activity)
    # a month with nothing received received none; a rate with nothing due
    # has no value
    empty = Figure(0.0, 0.0, 0) if measure == "received" else Figure(None, None, 0)
    for key in series:
        for period in wanted:
            series[key].setdefault(period, empty)
    series.setdefault(CITY_KEY, dict.fromkeys(wanted, empty))
    return dict(series)


def _group_key(group_by: str, unit: str | None, locality: str, category: str) -> Any:
    if group_by == "unit":
        return (unit or "",)
    if group_by == "locality":
        return (locality,)
    return (category,)


def _received(
    series: Series,
    group_by: str,
    receipts: Iterable[Receipt],
    wanted: set[str],
    tz: tzinfo,
) -> None:
    counts: dict[GroupKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for receipt in receipts:
        month = month_of(receipt.received_at, tz)
        if month not in wanted:
            continue
        counts[CITY_KEY][month] += 1
        if group_by != CITY:
            key = _group_key(group_by, receipt.unit, receipt.locality, receipt.category)
            counts[key][month] += 1
    for key, by_month in counts.items():
        for month, count in by_month.items():
            series[key][month] = Figure(float(count), float(count), count)


def responses_of(
    facts: Iterable[CycleFact],
    as_of: datetime,
    tz: tzinfo,
    working_time: WorkingTime,
) -> list[Response]:
    """The first responses among ``facts`` due as of ``as_of``, with the
    working hours each took: to the response; to the stage's end without one
    (returned, withdrawn, closed... after its deadline); or, still not made,
    so far (the view keeps the first two measured: appeals.projections.
    assessment.response_hours)."""
    found = []
    for fact in facts:
        if fact.stage != "first_response" or not fact.is_due(as_of):
            continue
        end = fact.completed_at or fact.ended_at or as_of
        hours = working_time(fact.started_at, end) / HOUR
        month = month_of(fact.due, tz)
        found.append(Response(month, fact.unit, fact.locality, fact.category, hours))
    return found


def standings_by_month(
    facts: Iterable[CycleFact], as_of: datetime, tz: tzinfo
) -> dict[str, list[Counted]]:
    """The facts' standings as of ``as_of``, counted per month of their
    deadline (what a view's :func:`standings` answers, from the facts)."""
    counts: Counter[tuple[str, Standing]] = Counter(
        (month_of(fact.due, tz), fact.standing(as_of)) for fact in facts
    )
    by_month: dict[str, list[Counted]] = defaultdict(list)
    for (month, standing), times in counts.items():
        by_month[month].append((standing, times))
    return dict(by_month)


def _rates(
    series: Series,
    measure: str,
    group_by: str,
    periods: Sequence[Period],
    standings: Mapping[str, Iterable[Counted]],
    activity: Iterable[Activity],
) -> None:
    activity_by_month: dict[str, list[Activity]] = defaultdict(list)
    for did in activity:
        activity_by_month[did.day.strftime("%Y-%m")].append(did)
    for period in periods:
        month = str(period)
        due = list(standings.get(month, ()))
        done = activity_by_month.get(month, [])
        by_unit = tally_standings(due, done, period, "unit")
        series[CITY_KEY][month] = _figure(_summed(by_unit.values()), measure)
        if group_by == CITY:
            continue
        groups = (
            by_unit
            if group_by == "unit"
            else tally_standings(due, done, period, group_by)
        )
        for key, group in groups.items():
            series[key][month] = _figure(group, measure)


def _summed(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for group in tallies:
        for key, (part, whole) in group.counts.items():
            total.add_rate(key, part, whole)
    return total


def _figure(group: Tally, measure: str) -> Figure:
    part, whole = group.counts[measure]
    return Figure(None if whole == 0 else part / whole, float(part), whole)


def change(
    baseline: float | None, compare: float | None
) -> tuple[float | None, float | None]:
    """``compare − baseline`` and the relative change (None where undefined)."""
    if baseline is None or compare is None:
        return None, None
    difference = compare - baseline
    relative = None if baseline == 0 else difference / baseline
    return difference, relative


def ordered(series: Series) -> list[GroupKey]:
    """The city first, then the groups by key (the unassigned last)."""
    rest = sorted(k for k in series if k != CITY_KEY)
    return [
        CITY_KEY,
        *(k for k in rest if k != ("",)),
        *(k for k in rest if k == ("",)),
    ]


# ---- hotspots -----------------------------------------------------------------


@dataclass(frozen=True)
class Hotspot:
    """Appeals of one category from one locality in a window, and how many
    of their resolve stages that came due were late."""

    category: str
    locality: str
    received: int
    due: int
    late: int

    @property
    def late_rate(self) -> float | None:
        return None if self.due == 0 else self.late / self.due


HOTSPOT_STAGES = ("resolve",)
"""The stages :func:`hotspots` counts (what its reader need read)."""
HOTSPOT_KEEP = ("locality", "category")
"""What :func:`hotspots` tells stages apart by, besides whether the centre
ran them (what a view counting them need keep apart)."""


def hotspots(
    received: Mapping[tuple[str, str], int], standings: Iterable[Counted]
) -> list[Hotspot]:
    """Per (category, locality): the appeals ``received`` in a window and the
    resolve stages due in it, counted by standing (late: not completed by
    the deadline; the centre's own stages not counted), the busiest first."""
    due: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for standing, count in standings:
        if standing.stage not in HOTSPOT_STAGES or standing.unit == CENTRE_UNIT:
            continue
        if standing.is_due():
            counted = due[(standing.category, standing.locality or "")]
            counted[0] += count
            counted[1] += 0 if standing.completed_by_deadline else count
    keys = set(received) | set(due)
    spots = [
        Hotspot(c, loc, received.get((c, loc), 0), *due.get((c, loc), (0, 0)))
        for c, loc in keys
    ]
    return sorted(spots, key=lambda s: (-s.received, -s.late, s.category, s.locality))
