"""Assessments (考核) as a service: a month's figures computed from the views
under the scheme in force, previewed live, published once and frozen.

:meth:`Assessments.compute` reads the assessment view's cycle facts and the
accountability view's activity for the month, notes the position they
reflect and whether the views had caught up with the log (``complete``),
and lets the domain (appeals.domain.assessment) compute every grouping's rows.
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

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from appeals.application.registry import Registry
from appeals.application.service import AppealLedger
from appeals.domain.assessment import GROUPS, Period, Scheme, assess, digest
from appeals.domain.divisions import division_name
from appeals.domain.errors import CommandNotAllowed, InvalidField
from appeals.domain.identities import assessment_id
from appeals.domain.published_assessment import (
    AssessmentNotPublished,
    Publication,
    PublishedAssessment,
)
from appeals.domain.values import Actor, Category
from appeals.infra.clock import SHANGHAI
from appeals.projections import accountability
from appeals.projections import assessment as view


class Assessments:
    """Computes, publishes and reads the monthly assessments of one ledger."""

    def __init__(self, ledger: AppealLedger, scheme: Scheme) -> None:
        self.ledger = ledger
        self.scheme = scheme
        self.registry = Registry(ledger)

    def compute(self, period: Period, as_of: datetime | None = None) -> Publication:
        """The month's rows for every grouping, as of ``as_of`` (default: now)."""
        as_of = as_of or self.ledger.clock.now()
        database = self.ledger.database
        head = self.ledger.recorder.max_notification_id() or 0
        start, end = period.bounds(SHANGHAI)
        seen, facts = view.facts(database, start, end)
        done, activity = accountability.activity(
            database, period.first_day, period.last_day
        )
        reached = min(seen, done)
        groups = {
            group: [
                {**plain(row), "label": self.label(group, row.key)}
                for row in assess(
                    facts, activity, self.scheme, period, as_of, SHANGHAI, group
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
        """What people call the row: the unit's (and cadre's) registered
        name as it is now, the division's name, the category's label; the
        code itself when nothing is registered under it."""
        code = key[-1]
        if group == "locality":
            names = division_name(code)
            return (
                {"zh": code, "en": code}
                if names is None
                else dict(zip(("zh", "en"), names, strict=True))
            )
        if group == "category":
            return Category.of(code).label()
        unit = self.registry.unit(key[0])
        unit_zh = key[0] if unit is None else unit.name_zh
        unit_en = key[0] if unit is None else (unit.name_en or unit.name_zh)
        if group == "unit":
            return {"zh": unit_zh, "en": unit_en}
        cadre = self.registry.cadre(code)
        person = code if cadre is None else cadre.name
        return {"zh": f"{unit_zh} {person}", "en": f"{unit_en} {person}"}

    def publish(
        self, period: Period, actor: Actor, reason: str | None = None
    ) -> dict[str, Any]:
        """Publishes the ended month ``period`` (a revision, with ``reason``,
        if it was published before); returns the revision recorded."""
        now = self.ledger.clock.now()
        _, end = period.bounds(SHANGHAI)
        if now < end:
            raise InvalidField(
                "period",
                f"{period} 尚未结束 has not ended: only an ended month is "
                "published (its preview answers live)",
            )
        publication = self.compute(period, now)
        existing = self._load(period)
        if existing is None:
            assessment = PublishedAssessment.publish(publication, actor, now)
        else:
            if reason is None:
                raise InvalidField(
                    "reason",
                    f"{period} 已发布 was published before: a revision must give "
                    "its reason",
                )
            existing.revise(publication, reason, actor, now)
            assessment = existing
        try:
            self.ledger.save(assessment)
        except IntegrityError:  # published or revised by someone else meanwhile
            raise CommandNotAllowed(
                "publish",
                "published",
                f"another publication of {period} was recorded at the same "
                "time; read it, then revise it if needed",
            ) from None
        return assessment.revision()

    def published(self, period: Period, revision: int | None = None) -> dict[str, Any]:
        """The latest revision of the month's assessment (or ``revision``),
        with the list of all revisions."""
        assessment = self._load(period)
        if assessment is None:
            raise AssessmentNotPublished(str(period))
        return {
            **assessment.revision(revision),
            "revisions": [
                {k: r[k] for k in ("revision", "reason", "published_at", "digest")}
                for r in assessment.revisions
            ],
        }

    def _load(self, period: Period) -> PublishedAssessment | None:
        try:
            found: object = self.ledger.repository.get(assessment_id(str(period)))
        except AggregateNotFoundError:
            return None
        assert isinstance(found, PublishedAssessment)
        return found


def plain(row: Any) -> dict[str, Any]:
    """A row as JSON-ready values (tuples as lists, enums as their values)."""

    def value(item: Any) -> Any:
        if isinstance(item, Enum):
            return item.value
        if isinstance(item, tuple | list):
            return [value(i) for i in item]
        if isinstance(item, dict):
            return {str(k): value(v) for k, v in item.items()}
        return item

    record = (
        dataclasses.asdict(row)
        if dataclasses.is_dataclass(row) and not isinstance(row, type)
        else dict(row)
    )
    return {key: value(item) for key, item in record.items()}
