"""Publishing a month's report (the assessment, the 通报): only once the
month has ended; the first publication is revision 1, a later one a revision
that must give its reason; two racing first publications leave one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from eventsourcing.persistence import IntegrityError

from appeals.application.service import AppealLedger
from appeals.domain.assessment import Period
from appeals.domain.errors import CommandNotAllowed, InvalidField
from appeals.domain.publication import MonthlyPublication
from appeals.domain.values import Actor
from appeals.infra.clock import SHANGHAI

Record = TypeVar("Record", bound=MonthlyPublication)


def publish_month(
    ledger: AppealLedger,
    period: Period,
    actor: Actor,
    reason: str | None,
    *,
    content_at: Callable[[datetime], Any],
    existing: Record | None,
    first: Callable[[Any, Actor, datetime], Record],
) -> dict[str, Any]:
    """Publishes the ended month ``period`` with the content drawn up now
    (``first`` records a first publication; an ``existing`` record is revised
    with ``reason``); returns the revision recorded."""
    now = ledger.clock.now()
    _, end = period.bounds(SHANGHAI)
    if now < end:
        raise InvalidField(
            "period",
            f"{period} 尚未结束 has not ended: only an ended month is "
            "published (its preview answers live)",
        )
    content = content_at(now)
    if existing is None:
        record = first(content, actor, now)
    else:
        if reason is None:
            raise InvalidField(
                "reason",
                f"{period} 已发布 was published before: a revision must give "
                "its reason",
            )
        existing.revise(content, reason, actor, now)
        record = existing
    try:
        ledger.save(record)
    except IntegrityError:  # published or revised by someone else meanwhile
        raise CommandNotAllowed(
            "publish",
            "published",
            f"another publication of {period} was recorded at the same "
            "time; read it, then revise it if needed",
        ) from None
    return record.revision()


def published_month(
    record: MonthlyPublication | None,
    kind: type[MonthlyPublication],
    period: Period,
    revision: int | None,
) -> dict[str, Any]:
    """The latest revision (or ``revision``) with the list of all revisions."""
    if record is None:
        raise kind.NOT_PUBLISHED(str(period))
    return {
        **record.revision(revision),
        "revisions": [
            {k: r[k] for k in ("revision", "reason", "published_at", "digest")}
            for r in record.revisions
        ],
    }
