"""The monthly 通报 as a service: the appeals still late after the ladder's
last rung at some time in a month, previewed live, published once the month
has ended and frozen (appeals.domain.published_notice).

:meth:`Notices.compute` reads the supervision view's orders of the last rung
(appeals.projections.supervision.notice_rows), one row per late stage, with
the unit each is charged to and its registered name, and per unit the count;
it states the position read and whether the view had caught up.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime
from typing import Any

import orjson

from appeals.application.publications import (
    publish_month,
    published_month,
)
from appeals.application.registry import Registry
from appeals.application.service import AppealLedger
from appeals.domain.assessment import Period
from appeals.domain.identities import notice_id
from appeals.domain.published_notice import PublishedNotice
from appeals.domain.values import Actor
from appeals.infra.clock import SHANGHAI
from appeals.projections import supervision

ROW_FIELDS = (
    "ticket",
    "appeal_id",
    "stage",
    "due",
    "unit",
    "issued_at",
    "addressee_unit",
    "addressee",
    "answered_at",
    "settled_at",
)


class Notices:
    """Computes, publishes and reads the monthly 通报 of one ledger."""

    def __init__(self, ledger: AppealLedger) -> None:
        self.ledger = ledger
        self.registry = Registry(ledger)

    @property
    def level(self) -> int:
        """The ladder's last rung: its orders put an appeal on the 通报."""
        return max(r.level for r in self.ledger.rules.timekeeping.policy.escalation)

    def compute(self, period: Period, as_of: datetime | None = None) -> dict[str, Any]:
        """The month's list as of ``as_of`` (default: now)."""
        as_of = as_of or self.ledger.clock.now()
        head = self.ledger.recorder.max_notification_id() or 0
        start, end = period.bounds(SHANGHAI)
        seen, rows = supervision.notice_rows(
            self.ledger.database, self.level, start, min(end, as_of)
        )
        names = {unit: self.unit_name(unit) for unit in {row["unit"] for row in rows}}
        appeals = [
            {
                **{key: row[key] for key in ROW_FIELDS},
                "unit_name": names[row["unit"]],
                "still_late": row["settled_at"] is None,
            }
            for row in rows
        ]
        per_unit = Counter(row["unit"] for row in appeals)
        units = [
            {"unit": unit, "unit_name": names[unit], "appeals": count}
            for unit, count in sorted(
                per_unit.items(), key=lambda u: (-u[1], u[0] or "")
            )
        ]
        digest = hashlib.sha256(
            orjson.dumps(
                {"appeals": appeals, "units": units}, option=orjson.OPT_SORT_KEYS
            )
        ).hexdigest()
        return {
            "period": str(period),
            "level": self.level,
            "position": seen,
            "complete": seen >= head,
            "as_of": as_of.isoformat(),
            "appeals": appeals,
            "units": units,
            "digest": digest,
        }

    def unit_name(self, code: str | None) -> str | None:
        if code is None:
            return None
        unit = self.registry.unit(code)
        return code if unit is None else unit.name_zh

    def publish(
        self, period: Period, actor: Actor, reason: str | None = None
    ) -> dict[str, Any]:
        """Publishes the ended month (a revision, with ``reason``, if it was
        published before); returns the revision recorded."""
        return publish_month(
            self.ledger,
            period,
            actor,
            reason,
            content_at=lambda now: self.compute(period, now),
            existing=self._load(period),
            first=PublishedNotice.publish,
        )

    def published(self, period: Period, revision: int | None = None) -> dict[str, Any]:
        """The latest revision of the month's 通报 (or ``revision``), with the
        list of all revisions."""
        record = self._load(period)
        return published_month(record, PublishedNotice, period, revision)

    def _load(self, period: Period) -> PublishedNotice | None:
        return self.ledger.find(notice_id(str(period)), PublishedNotice)
