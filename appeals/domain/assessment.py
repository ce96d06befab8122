"""The assessment (考核) of units, cadres, localities and categories for a
period, under a versioned scheme: pure functions of the facts the assessment
view keeps (appeals.projections.assessment) and of the instant assessed.

Every denominator is what was *due* (docs/assessment.md): a stage cycle whose
deadline fell in the period and had passed when the assessment was made
counts, whether it was met, met late or is still open; one that ended before
its deadline by a withdrawal, a merge or a return (退单), or whose appeal is
covered by a granted exclusion (剔除), is not due. So no unit can improve its
figures by leaving an appeal alone.

The facts (:class:`CycleFact`, :class:`Activity`) come from the views; a
:class:`Scheme` (a versioned file, appeals/infra/default_assessment.toml)
weighs the indicators; :func:`assess` computes and ranks one grouping's rows.
A row is ranked only if every scored indicator has something due, each
scored denominator reaches the scheme's minimum sample, and it is not the
centre's: missing indicators are reported as missing, never re-weighted.
"""

from __future__ import annotations

import hashlib
import json
import re
from calendar import monthrange
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any, NamedTuple

from appeals.domain.errors import InvalidField
from appeals.domain.identities import CENTRE_UNIT

ASSESSED_STAGES = ("dispatch", "first_response", "accept", "resolve")
"""The stages whose cycles the assessment counts (dispatch: the centre's)."""

FIRST_YEAR, LAST_YEAR = 2000, 2099
"""The months an assessment may name (as the reports' date parameters)."""

NOT_DUE_ENDINGS = frozenset({"withdrawn", "merged", "returned"})
"""Endings that make a cycle not due when they come before its deadline."""


@dataclass(frozen=True)
class CycleFact:
    """One stage cycle as the assessment sees it."""

    appeal_id: str
    stage: str  # one of ASSESSED_STAGES
    cycle: int
    unit: str | None  # the unit charged (CENTRE_UNIT for dispatch)
    cadre: str | None  # the cadre assigned then, if any (a registered code)
    category: str
    locality: str | None  # the enterprise's GB/T 2260 code
    started_at: datetime
    due: datetime
    completed_at: datetime | None
    ended_by: str | None  # returned, withdrawn, merged, closed, reopened ...
    ended_at: datetime | None
    excluded: bool = False  # a granted exclusion (剔除) covers the appeal
    # resolve cycles only: the enterprise's verdict on this cycle's result
    verdict_resolved: bool | None = None
    verdict_satisfaction: str | None = None  # satisfied, basic, unsatisfied
    verdict_lapsed: bool = False  # the evaluation window passed without one

    def is_due(self, as_of: datetime) -> bool:
        """Whether the cycle counts in a denominator assessed at ``as_of``
        (:meth:`Standing.is_due`)."""
        return self.standing(as_of).is_due()

    def met(self) -> bool:
        """Completed by its deadline."""
        return self.completed_at is not None and self.completed_at <= self.due

    def standing(self, as_of: datetime) -> Standing:
        """What the assessment reads of this cycle at ``as_of``."""
        completed = self.completed_at
        return Standing(
            stage=self.stage,
            unit=self.unit,
            cadre=self.cadre,
            locality=self.locality,
            category=self.category,
            excluded=self.excluded,
            ended_by=self.ended_by,
            deadline_passed=self.due <= as_of,
            ended_by_deadline=self.ended_at is not None and self.ended_at <= self.due,
            completed=completed is not None,
            completed_by_deadline=completed is not None and completed <= self.due,
            completed_by_as_of=completed is not None and completed <= as_of,
            verdict_resolved=self.verdict_resolved,
            verdict_satisfaction=self.verdict_satisfaction,
            verdict_lapsed=self.verdict_lapsed,
        )


class Standing(NamedTuple):
    """Everything the assessment reads of one cycle as of an instant: who and
    what it is charged to, and how its instants compare (with the deadline,
    with the instant assessed), not the instants themselves. Cycles of one
    standing count alike, so a view can count them grouped in SQL
    (appeals.projections.assessment.standings) and :func:`tally_standings`
    add them up as :func:`tally` adds up the cycles one by one. A named
    tuple: a month's preview makes thousands, three times faster than a
    frozen dataclass's."""

    stage: str
    unit: str | None
    cadre: str | None
    locality: str | None
    category: str
    excluded: bool
    ended_by: str | None
    deadline_passed: bool  # due <= as of
    ended_by_deadline: bool  # ended_at <= due
    completed: bool
    completed_by_deadline: bool  # met
    completed_by_as_of: bool  # done, as the completion rate counts
    verdict_resolved: bool | None
    verdict_satisfaction: str | None
    verdict_lapsed: bool

    def is_due(self) -> bool:
        """Whether the cycle counts in a denominator (:func:`counts_as_due`)."""
        return counts_as_due(
            self.excluded,
            self.deadline_passed,
            self.ended_by,
            self.ended_by_deadline,
            self.completed,
        )


def counts_as_due(
    excluded: bool,
    deadline_passed: bool,
    ended_by: str | None,
    ended_by_deadline: bool,
    completed: bool,
) -> bool:
    """The due rule: a cycle counts in a denominator when its deadline has
    passed, no granted exclusion covers it, and it did not end before the
    deadline by a withdrawal, merge or return. (A :class:`Standing`'s; the
    assessment view says it in SQL too, ``DUE_AS_OF``, for the median hours,
    and the tests compare the two.)"""
    if excluded or not deadline_passed:
        return False
    ended_early = ended_by in NOT_DUE_ENDINGS and ended_by_deadline and not completed
    return not ended_early


Counted = tuple[Standing, int]
"""A standing and how many cycles have it."""


@dataclass(frozen=True)
class Activity:
    """What one unit's cadre did on one day in one category, for the rates
    that are not deadlines (退单率, 重办率, 督办): counts from the
    accountability view."""

    day: date
    unit: str
    cadre: str | None
    category: str
    locality: str | None
    assigned: int = 0
    returned: int = 0
    resolved: int = 0
    reopened: int = 0
    supervised: int = 0
    escalated: int = 0


@dataclass(frozen=True)
class Period:
    """A calendar month (``2026-11``) in the city's time zone."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str, field: str = "period") -> Period:
        try:
            if re.fullmatch(r"[0-9]{4}-[0-9]{2}", text) is None:
                raise ValueError(text)
            year, month = (int(part) for part in text.split("-"))
            if not FIRST_YEAR <= year <= LAST_YEAR:
                raise ValueError(text)
            date(year, month, 1)
        except ValueError:
            raise InvalidField(
                field,
                f"期间格式不符 {text!r} is not a month like 2026-11 "
                f"(years {FIRST_YEAR}-{LAST_YEAR})",
            ) from None
        return cls(year, month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, monthrange(self.year, self.month)[1])

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[start, end): midnight of the first day to midnight after the last."""
        return _bounds(self.year, self.month, tz)

    def contains(self, instant: datetime, tz: tzinfo) -> bool:
        start, end = self.bounds(tz)
        return start <= instant < end


@lru_cache(maxsize=256)  # asked once per cycle tallied: tens of thousands
def _bounds(year: int, month: int, tz: tzinfo) -> tuple[datetime, datetime]:
    first = date(year, month, 1)
    after = first + timedelta(days=monthrange(year, month)[1])
    return datetime.combine(first, time(0), tz), datetime.combine(after, time(0), tz)


# ---- the scheme ---------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """One indicator's definition (its label, whether lower is better)."""

    key: str
    zh: str
    en: str
    stage: str | None  # the stage whose due cycles are its denominator
    lower_is_better: bool = False


INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in (
        Indicator("response_rate", "响应率", "response rate", "first_response"),
        Indicator("acceptance_rate", "及时签收率", "on-time acceptance", "accept"),
        Indicator(
            "on_time_resolution_rate", "按时办结率", "on-time resolution", "resolve"
        ),
        Indicator("completion_rate", "办结率", "completion rate", "resolve"),
        Indicator("resolution_rate", "解决率", "resolution rate", "resolve"),
        Indicator("satisfaction_rate", "满意率", "satisfaction rate", "resolve"),
        Indicator("return_rate", "退单率", "return rate", None, lower_is_better=True),
        Indicator("reopen_rate", "重办率", "reopen rate", None, lower_is_better=True),
        Indicator("dispatch_rate", "按时转办率", "on-time dispatch", "dispatch"),
    )
}
"""Every indicator the engine computes (docs/assessment.md gives formulas)."""


@dataclass(frozen=True)
class Weighting:
    """How one indicator counts in the score."""

    weight: float
    floor: float | None = None  # a value below it scores 0 (threshold scoring)


@dataclass(frozen=True)
class Scheme:
    """A versioned assessment scheme (考核办法): the indicators' weights and
    floors, the minimum sample and where the weights come from."""

    version: str
    name: str
    source: str
    min_sample: int
    weights: dict[str, Weighting]

    def __post_init__(self) -> None:
        unknown = sorted(set(self.weights) - set(INDICATORS))
        if unknown:
            raise ValueError(f"unknown indicators: {', '.join(unknown)}")
        if self.min_sample < 1:
            raise ValueError("min_sample must be at least 1")
        for key, weighting in self.weights.items():
            if weighting.weight < 0:
                raise ValueError(f"indicators.{key}.weight must not be negative")
            if weighting.floor is not None and not 0 <= weighting.floor <= 1:
                raise ValueError(f"indicators.{key}.floor must be between 0 and 1")
        total = sum(w.weight for w in self.weights.values())
        if abs(total - 1) > 1e-9:
            raise ValueError(f"the weights must sum to 1, not {total:g}")

    @property
    def scored(self) -> list[str]:
        """The indicators that count in the score (weight > 0), in order."""
        return [k for k in INDICATORS if self.weights.get(k, Weighting(0)).weight > 0]

    def to_record(self) -> dict[str, Any]:
        """The scheme as published with each assessment (JSON)."""
        return {
            "version": self.version,
            "name": self.name,
            "source": self.source,
            "min_sample": self.min_sample,
            "indicators": {
                key: {"weight": w.weight, "floor": w.floor}
                for key, w in self.weights.items()
            },
        }


# ---- the computation ----------------------------------------------------------

GROUPS = ("unit", "cadre", "locality", "category")
"""How rows are grouped; ``cadre`` rows are keyed by (unit, cadre)."""

GroupKey = tuple[str, ...]


@dataclass
class Tally:
    """Numerators and denominators of one group's indicators."""

    counts: dict[str, list[int]] = field(
        default_factory=lambda: {key: [0, 0] for key in INDICATORS}
    )
    verdicts_lapsed: int = 0
    verdicts_pending: int = 0
    supervised: int = 0
    escalated: int = 0

    def add(self, key: str, met: bool, times: int = 1) -> None:
        self.counts[key][0] += met * times
        self.counts[key][1] += times

    def add_rate(self, key: str, part: int, whole: int) -> None:
        self.counts[key][0] += part
        self.counts[key][1] += whole


GROUPING_READS: dict[str, tuple[str, ...]] = {
    "unit": ("unit",),
    "cadre": ("unit", "cadre"),
    "locality": ("locality",),
    "category": ("category",),
}
"""What each grouping tells cycles apart by (:func:`_keys`): a view
counting cycles for one grouping keeps only these apart. A grouping that
does not read the unit reads only whether a unit is charged and whether it
is the centre: such a count may give every other unit as :data:`ANY_UNIT`."""
ANY_UNIT = "*"
"""Any charged unit but the centre, where a count need not tell them apart
(no unit code has a ``*``)."""


# The rows a cycle counts in. The assessment view's count
# (appeals.projections.assessment, UNIT_CHARGED) relies on what these read
# of the unit when a grouping does not keep it: whether one is charged and
# whether it is the centre. Change both together (the equivalence tests in
# tests/projections/test_assessment_standings.py compare them).
def _keys(
    unit: str | None,
    cadre: str | None,
    locality: str | None,
    category: str,
    group_by: str,
) -> GroupKey | None:
    if not unit:
        return None  # unassigned: no unit is charged, so no row
    if group_by == "unit":
        return (unit,)
    if group_by == "cadre":
        return None if not cadre else (unit, cadre)
    if group_by == "locality":
        return None if unit == CENTRE_UNIT else (locality or "",)
    return None if unit == CENTRE_UNIT else (category,)


def tally(
    facts: Iterable[CycleFact],
    activity: Iterable[Activity],
    period: Period,
    as_of: datetime,
    tz: tzinfo,
    group_by: str,
) -> dict[GroupKey, Tally]:
    """Every group's numerators and denominators for ``period`` as of ``as_of``."""
    standings = (
        (fact.standing(as_of), 1) for fact in facts if period.contains(fact.due, tz)
    )
    return tally_standings(standings, activity, period, group_by)


def tally_standings(
    counted: Iterable[Counted],
    activity: Iterable[Activity],
    period: Period,
    group_by: str,
) -> dict[GroupKey, Tally]:
    """:func:`tally` of the cycles due in ``period``, counted by standing
    (each standing taken as of the instant assessed)."""
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {GROUPS}")
    tallies: dict[GroupKey, Tally] = defaultdict(Tally)
    for s, times in counted:
        key = _keys(s.unit, s.cadre, s.locality, s.category, group_by)
        if key is None or not s.is_due():
            continue
        group = tallies[key]
        met = s.completed_by_deadline
        if s.stage == "dispatch":
            group.add("dispatch_rate", met, times)
        elif s.stage == "first_response":
            group.add("response_rate", met, times)
        elif s.stage == "accept":
            group.add("acceptance_rate", met, times)
        elif s.stage == "resolve":
            group.add("on_time_resolution_rate", met, times)
            done = s.completed_by_as_of
            group.add("completion_rate", done, times)
            if s.verdict_resolved is not None:
                group.add("resolution_rate", s.verdict_resolved, times)
                satisfied = s.verdict_satisfaction in SATISFIED
                group.add("satisfaction_rate", satisfied, times)
            elif not done:  # no result, so no verdict: unresolved, unsatisfied
                group.add("resolution_rate", False, times)
                group.add("satisfaction_rate", False, times)
            elif s.verdict_lapsed:
                group.verdicts_lapsed += times
            else:
                group.verdicts_pending += times
    first, last = period.first_day, period.last_day
    for did in activity:
        key = _keys(did.unit, did.cadre, did.locality, did.category, group_by)
        if key is None or not first <= did.day <= last:
            continue
        group = tallies[key]
        group.add_rate("return_rate", did.returned, did.assigned)
        group.add_rate("reopen_rate", did.reopened, did.resolved)
        group.supervised += did.supervised
        group.escalated += did.escalated
    return dict(tallies)


SATISFIED = frozenset({"satisfied", "basic", "basically_satisfied"})
"""Verdicts counted satisfied (满意 and 基本满意)."""


@dataclass(frozen=True)
class Row:
    """One group's assessment."""

    key: GroupKey
    values: dict[str, float | None]  # indicator -> rate (None: nothing due)
    samples: dict[str, list[int]]  # indicator -> [numerator, denominator]
    score: float | None
    ranked: bool
    rank: int | None
    note: str
    missing: tuple[str, ...] = ()
    verdicts_lapsed: int = 0
    verdicts_pending: int = 0
    supervised: int = 0
    escalated: int = 0
    centre: bool = False


def _score(
    values: dict[str, float | None], scheme: Scheme
) -> tuple[float | None, tuple[str, ...]]:
    missing = tuple(k for k in scheme.scored if values[k] is None)
    if missing:
        return None, missing
    total = 0.0
    for key in scheme.scored:
        value = values[key]
        assert value is not None
        weighting = scheme.weights[key]
        if INDICATORS[key].lower_is_better:
            value = 1 - value
        if weighting.floor is not None and value < weighting.floor:
            value = 0.0
        total += weighting.weight * value
    return total, ()


def assess(
    facts: Iterable[CycleFact],
    activity: Iterable[Activity],
    scheme: Scheme,
    period: Period,
    as_of: datetime,
    tz: tzinfo,
    group_by: str,
) -> list[Row]:
    """Every group's row, ranked: scored rows with every scored indicator
    present and each scored denominator at least ``min_sample`` share ranks
    on equal scores (1, 1, 3); the others are listed with the reason; the
    centre's row (dispatch) is listed apart and never ranked."""
    return assess_tallies(
        tally(facts, activity, period, as_of, tz, group_by), scheme, group_by
    )


def assess_tallies(
    tallies: Mapping[GroupKey, Tally], scheme: Scheme, group_by: str
) -> list[Row]:
    """:func:`assess` of the groups' tallies (:func:`tally`,
    :func:`tally_standings`)."""
    rows: list[Row] = []
    for key, group in tallies.items():
        values = {
            k: (None if whole == 0 else part / whole)
            for k, (part, whole) in group.counts.items()
        }
        score, missing = _score(values, scheme)
        centre = key[0] == CENTRE_UNIT and group_by in ("unit", "cadre")
        small = [k for k in scheme.scored if 0 < group.counts[k][1] < scheme.min_sample]
        if centre:
            note = "12345中心单列，不参与单位排名 the centre is reported apart"
        elif missing:
            note = "缺少指标，不排名 missing: " + ", ".join(missing)
        elif small:
            note = (
                f"样本不足{scheme.min_sample}件，不排名 "
                f"fewer than {scheme.min_sample} due: " + ", ".join(small)
            )
        else:
            note = ""
        rows.append(
            Row(
                key=key,
                values=values,
                samples={k: list(v) for k, v in group.counts.items()},
                score=score,
                ranked=not note,
                rank=None,
                note=note,
                missing=missing,
                verdicts_lapsed=group.verdicts_lapsed,
                verdicts_pending=group.verdicts_pending,
                supervised=group.supervised,
                escalated=group.escalated,
                centre=centre,
            )
        )
    return _ranked(rows)


def _ranked(rows: list[Row]) -> list[Row]:
    """Competition ranking (1, 1, 3) of the ranked rows by score, rounded to
    six places; ranked rows first, then the others, each by key."""
    ranked = sorted(
        (r for r in rows if r.ranked),
        key=lambda r: (-round(r.score or 0.0, 6), r.key),
    )
    out: list[Row] = []
    previous: float | None = None
    rank = 0
    for position, row in enumerate(ranked, start=1):
        score = round(row.score or 0.0, 6)
        if score != previous:
            rank, previous = position, score
        out.append(replace(row, rank=rank))
    others = sorted((r for r in rows if not r.ranked), key=lambda r: (r.centre, r.key))
    return out + others


def digest(groups: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """SHA-256 of the rows' canonical JSON (sorted keys, rows in key order):
    the same rows give the same digest whatever order they came in."""
    canonical = {
        group: sorted(rows, key=lambda r: json.dumps(r["key"], ensure_ascii=False))
        for group, rows in groups.items()
    }
    text = json.dumps(
        canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()
