"""Assessments (考核) as a service: a month's figures computed from the views
under the scheme in force, previewed live, published once and frozen.

:meth:`Assessments.compute` reads the assessment view's cycles of the month,
counted in SQL by standing (``standings``), and the accountability view's
activity, notes the position they reflect and whether the views had caught
up with the log (``complete``), and lets the domain
(appeals.domain.assessment) compute every grouping's rows.
:meth:`Assessments.publish` records the result as a
:class:`~appeals.domain.published_assessment.PublishedAssessment`: the first
publication of a month, or a revision that must give its reason. A month is
published only once it has ended; until then, and for any month, the preview
answers live.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from typing import Any

from appeals.application.publications import (
    publish_month,
    published_month,
)
from appeals.application.service import AppealLedger
from appeals.domain.assessment import (
    GROUPING_READS,
    GROUPS,
    Period,
    Scheme,
    assess_tallies,
    digest,
    tally_standings,
)
from appeals.domain.directory import Directory, RememberingDirectory
from appeals.domain.divisions import division_name
from appeals.domain.identities import assessment_id
from appeals.domain.published_assessment import Publication, PublishedAssessment
from appeals.domain.values import Actor, Category
from appeals.infra.clock import SHANGHAI
from appeals.projections import accountability
from appeals.projections import assessment as view
from appeals.projections.reading import Remembered

COUNTED = {group: GROUPING_READS[group] for group in ("cadre", "locality", "category")}
"""The groupings a month's cycles are counted for (the units' rows are
tallied from the cadres' counts)."""


class Assessments:
    """Computes, publishes and reads the monthly assessments of one ledger."""

    def __init__(
        self,
        ledger: AppealLedger,
        scheme: Scheme,
        names: Directory | None = None,
        past: Remembered | None = None,
    ) -> None:
        self.ledger = ledger
        self.scheme = scheme
        self.past = past
        """What the service remembers of days counted (the preview's: a
        month asked again reads only the days that changed); a publication
        counts afresh."""
        # a month's rows name the same units again and again: asked once each
        # (``names``: the service's, remembered across requests; none given,
        # as for a publication, the registry's names as they are now)
        self.names = names or RememberingDirectory(ledger.rules.directory, 60)

    def compute(
        self, period: Period, as_of: datetime | None = None, afresh: bool = False
    ) -> Publication:
        """The month's rows for every grouping, as of ``as_of`` (default:
        now); ``afresh``: counting every cycle, nothing remembered used."""
        as_of = as_of or self.ledger.clock.now()
        database = self.ledger.database
        head = self.ledger.recorder.max_notification_id() or 0
        # the month's cycles (a city's: some 10,000) counted in SQL, per
        # grouping; the units' rows from the cadres' counts (a unit's row
        # reads nothing of a cycle that the cadres' count does not keep)
        past = None if afresh else self.past
        seen, counted = view.standings_per_grouping(
            database, [period], as_of, SHANGHAI, COUNTED, past
        )
        counted["unit"] = counted["cadre"]
        done, activity = accountability.activity(
            database, period.first_day, period.last_day
        )
        reached = min(seen, done)
        groups = {
            group: [
                {**plain(row), "label": self.label(group, row.key)}
                for row in assess_tallies(
                    tally_standings(
                        counted[group].get(str(period), []), activity, period, group
                    ),
                    self.scheme,
                    group,
                )
            ]
            for group in GROUPS
        }
        return Publication(
            period=str(period),
            scheme_version=self.scheme.version,
            scheme=self.scheme.to_record(),
            position=reached,
            complete=reached >= head,
            as_of=as_of.isoformat(),
            groups=groups,
            digest=digest(groups),
        )

    def label(self, group: str, key: tuple[str, ...]) -> dict[str, str]:
        return group_label(self.names, group, key)

    def publish(
        self, period: Period, actor: Actor, reason: str | None = None
    ) -> dict[str, Any]:
        """Publishes the ended month ``period`` (a revision, with ``reason``,
        if it was published before); returns the revision recorded."""
        return publish_month(
            self.ledger,
            period,
            actor,
            reason,
            content_at=lambda now: self.compute(period, now, afresh=True),
            existing=self._load(period),
            first=PublishedAssessment.publish,
        )

    def published(self, period: Period, revision: int | None = None) -> dict[str, Any]:
        """The latest revision of the month's assessment (or ``revision``),
        with the list of all revisions."""
        record = self._load(period)
        return published_month(record, PublishedAssessment, period, revision)

    def _load(self, period: Period) -> PublishedAssessment | None:
        record_id = assessment_id(str(period))
        return self.ledger.find(record_id, PublishedAssessment)


def plain(row: Any) -> dict[str, Any]:
    """A row as JSON-ready values (dataclasses as dicts, tuples as lists,
    enums as their values), built in one walk (``dataclasses.asdict`` would
    deep-copy every value first: a sixth of a month's preview)."""

    def value(item: Any) -> Any:
        if isinstance(item, Enum):
            return item.value
        if isinstance(item, tuple | list):
            return [value(i) for i in item]
        if isinstance(item, dict):
            return {str(k): value(v) for k, v in item.items()}
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            return {
                f.name: value(getattr(item, f.name)) for f in dataclasses.fields(item)
            }
        return item

    if dataclasses.is_dataclass(row) and not isinstance(row, type):
        return dict(value(row))
    return {key: value(item) for key, item in dict(row).items()}


def group_label(names: Directory, group: str, key: tuple[str, ...]) -> dict[str, str]:
    """What people call a row: the unit's (and cadre's) registered name as it
    is now, the division's name, the category's label; the code itself when
    nothing is registered under it."""
    code = key[-1]
    if group == "locality":
        division = division_name(code)
        return (
            {"zh": code, "en": code}
            if division is None
            else dict(zip(("zh", "en"), division, strict=True))
        )
    if group == "category":
        return Category.of(code).label()
    unit = names.unit(key[0])
    unit_zh = key[0] if unit is None else unit.name_zh
    unit_en = key[0] if unit is None else (unit.name_en or unit.name_zh)
    if group == "unit":
        return {"zh": unit_zh, "en": unit_en}
    cadre = names.cadre(code)
    person = code if cadre is None else cadre.name
    return {"zh": f"{unit_zh} {person}", "en": f"{unit_en} {person}"}
