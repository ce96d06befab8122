"""Trends and hotspots as a service: read the views a measure needs for the
months asked, let the domain (appeals.domain.trends) compute, and name the
rows as people call them.

Rates read the assessment view's due cycles, counted, and the accountability
view's activity, volumes the appeal list, first-response hours the assessment
view's responses' hours, packed per group and month;
the answer states the lowest position among the views it read and whether
they had all caught up with the log (``complete``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from appeals.application.assessments import group_label
from appeals.application.service import AppealLedger
from appeals.domain import trends
from appeals.domain.assessment import (
    GROUPING_READS,
    Activity,
    Counted,
    Period,
)
from appeals.domain.directory import Directory, RememberingDirectory
from appeals.domain.errors import InvalidField
from appeals.domain.trends import CITY_KEY, CITY_LABEL, MEASURES, Hours, Receipt
from appeals.infra.clock import SHANGHAI
from appeals.projections import accountability, appeal_list
from appeals.projections import assessment as assessment_view
from appeals.projections.reading import Remembered

VIEWS = (assessment_view.NAME, accountability.NAME, appeal_list.PROJECTION.name)
"""The views trends read (an answer waits for each with ``?position=``)."""


@dataclass(frozen=True)
class _Read:
    """What a trend read from the views, and the lowest position among them."""

    position: int
    standings: dict[str, list[Counted]] | None = None
    hours: list[Hours] | None = None
    activity: list[Activity] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)


@dataclass(frozen=True)
class Answer:
    body: dict[str, Any]
    position: int
    complete: bool


class Trends:
    """Computes trends and hotspots over one ledger's views."""

    def __init__(
        self,
        ledger: AppealLedger,
        names: Directory | None = None,
        past: Remembered | None = None,
    ) -> None:
        self.ledger = ledger
        # months past counted once and used again while none of their cycles
        # changes (``past``: the service's, kept across requests)
        self.past = past
        # the rows name the same units again and again: asked once each
        # (``names``: the service's, remembered across requests)
        self.names = names or RememberingDirectory(ledger.rules.directory, 60)

    def trend(
        self,
        measure: str,
        group_by: str,
        first: Period,
        last: Period,
        baseline: Period,
        compare: Period,
        unit: str | None = None,
    ) -> Answer:
        """``measure`` per month ``first``..``last`` for the city and per
        group (only ``unit``'s row besides the city's when given), with each
        row's change from ``baseline`` to ``compare``."""
        periods = trends.months(first, last)
        for name, period in (("baseline", baseline), ("compare", compare)):
            if period not in periods:
                raise InvalidField(name, "must be a month from from to to")
        as_of = self.ledger.clock.now()
        read = self._read(measure, group_by, periods, as_of)
        tk = self.ledger.rules.timekeeping
        series = trends.trend(
            measure,
            group_by,
            periods,
            [],  # no measure reads cycles one by one now
            read.activity,
            read.receipts,
            as_of,
            SHANGHAI,
            tk.working_time,
            read.standings,
            read.hours,
        )
        items = []
        for key in trends.ordered(series):
            own = group_by == "unit" and key == (unit,)
            if unit is not None and key != CITY_KEY and not own:
                continue  # a handler: the city and its own unit's row
            figures = series[key]
            before, after = figures[str(baseline)].value, figures[str(compare)].value
            difference, relative = trends.change(before, after)
            items.append(
                {
                    "group": "city" if key == CITY_KEY else (key[0] or None),
                    "label": self._label(group_by, key),
                    "values": [
                        {"period": str(p), **figures[str(p)].plain()} for p in periods
                    ],
                    "baseline": before,
                    "compare": after,
                    "change": difference,
                    "relative_change": relative,
                }
            )
        chosen = MEASURES[measure]
        body = {
            "indicator": measure,
            "label": chosen.label(),
            "kind": chosen.kind,
            "lower_is_better": chosen.lower_is_better,
            "group_by": group_by,
            "from": str(first),
            "to": str(last),
            "periods": [str(p) for p in periods],
            "baseline": str(baseline),
            "compare": str(compare),
            "as_of": as_of.isoformat(),
            "items": items,
        }
        return self._answer(body, read.position)

    def hotspots(self, first: date, last: date) -> Answer:
        """Categories × localities on days ``first``..``last``."""
        start = datetime.combine(first, time(0), SHANGHAI)
        end = datetime.combine(last + timedelta(days=1), time(0), SHANGHAI)
        as_of = self.ledger.clock.now()
        database = self.ledger.database
        # the window's resolve stages and receipts (a month of a city's: some
        # 10,000 each) counted in SQL by category and locality
        seen, counted = assessment_view.standings_between(
            database, start, end, as_of, trends.HOTSPOT_STAGES, trends.HOTSPOT_KEEP
        )
        listed, received = appeal_list.received_counts(database, start, end)
        spots = trends.hotspots(received, counted)
        items = [
            {
                "category": s.category,
                "category_label": group_label(self.names, "category", (s.category,)),
                "locality": s.locality,
                "locality_label": group_label(self.names, "locality", (s.locality,)),
                "received": s.received,
                "due": s.due,
                "late": s.late,
                "late_rate": s.late_rate,
            }
            for s in spots
        ]
        body = {"from": first.isoformat(), "to": last.isoformat(), "items": items}
        return self._answer(body, min(seen, listed))

    def _read(
        self, measure: str, group_by: str, periods: list[Period], as_of: datetime
    ) -> _Read:
        database = self.ledger.database
        start, end = periods[0].bounds(SHANGHAI)[0], periods[-1].bounds(SHANGHAI)[1]
        if measure == "received":
            seen, receipts = appeal_list.receipts(database, start, end)
            return _Read(seen, receipts=receipts)
        if measure == "first_response_hours":  # a median needs every value
            working_time = self.ledger.rules.timekeeping.working_time
            seen, hours = assessment_view.response_hours(
                database, periods, as_of, SHANGHAI, working_time, group_by, self.past
            )
            return _Read(seen, hours=hours)
        stages = trends.stages_read(measure, group_by)
        # a rate: a year of a city's cycles (some 100,000) counted in SQL
        keep = GROUPING_READS.get(group_by, ())  # the city's: nothing apart
        seen, standings = assessment_view.standings(
            database, periods, as_of, SHANGHAI, stages, keep, self.past
        )
        if not trends.reads_activity(measure, group_by):
            return _Read(seen, standings=standings)
        first, last = periods[0].first_day, periods[-1].last_day
        kept = [c for c in keep if c in accountability.ACTIVITY_KEPT]  # no locality
        done, activity = accountability.activity(
            database, first, last, monthly=True, keep=kept
        )
        return _Read(min(seen, done), standings=standings, activity=activity)

    def _answer(self, body: dict[str, Any], reached: int) -> Answer:
        head = self.ledger.recorder.max_notification_id() or 0
        return Answer(body, reached, reached >= head)

    def _label(self, group_by: str, key: tuple[str, ...]) -> dict[str, str]:
        if key == CITY_KEY:
            return dict(CITY_LABEL)
        if key == ("",):
            if group_by == "unit":
                return {"zh": "未交办", "en": "not assigned"}
            return {"zh": "未知", "en": "unknown"}
        return group_label(self.names, group_by, key)
