"""What appeal events mean to the read models: the status each one leads to,
and how instants are stored so that both engines sort and filter them alike.

Read models follow the events, not the aggregate: this is the same lifecycle
as ``Appeal.*.apply`` (docs/domain.md diagram), restated for the fields a report
needs. Only these fields are read, so events may gain fields freely.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from eventsourcing.utils import get_topic

from appeals.domain.appeal import Appeal
from appeals.domain.values import FINAL_STATUSES, Status
from appeals.infra.clock import SHANGHAI

STATUS_AFTER: dict[type[Appeal.Event], Status] = {
    Appeal.Received: Status.RECEIVED,
    Appeal.Assigned: Status.ASSIGNED,
    Appeal.AnsweredOnTheSpot: Status.REPLIED,  # 当场办: straight to evaluation
    Appeal.Accepted: Status.IN_PROGRESS,
    Appeal.Returned: Status.RECEIVED,
    Appeal.Resolved: Status.RESOLVED,
    Appeal.Replied: Status.REPLIED,
    Appeal.Evaluated: Status.EVALUATED,
    Appeal.Reopened: Status.IN_PROGRESS,
    Appeal.Closed: Status.CLOSED,
    Appeal.Withdrawn: Status.WITHDRAWN,
    Appeal.Merged: Status.MERGED,
}
"""Events that move an appeal to another status, and the status they lead to
(a reopen of an appeal answered on the spot leads back to received: see
:func:`status_after`)."""

APPEAL_EVENTS: tuple[type[Appeal.Event], ...] = (
    *STATUS_AFTER,
    Appeal.ProgressNoted,
    Appeal.Paused,
    Appeal.Resumed,
    Appeal.ExtensionRequested,
    Appeal.ExtensionApproved,
    Appeal.ExtensionRefused,
    Appeal.Supervised,
    Appeal.Escalated,
    Appeal.EvaluationLapsed,
    Appeal.ReferredToSupervisor,
    Appeal.PartAccepted,
    Appeal.PartReported,
    Appeal.PartWaived,
)
"""Every appeal event a read model may see (each is activity on the appeal)."""

FINAL = frozenset(status.value for status in FINAL_STATUSES)


def topics_of(*classes: type[Appeal.Event]) -> frozenset[str]:
    """The stored topics (``"Appeal.Received"``) of event classes."""
    return frozenset(get_topic(cls) for cls in classes)


def status_after(event: object) -> str | None:
    """The status ``event`` leads to, or None if it leaves the status alone."""
    status = STATUS_AFTER.get(type(event))  # type: ignore[arg-type]
    if isinstance(event, Appeal.Reopened) and event.dispatch_due is not None:
        status = Status.RECEIVED  # answered on the spot: back to the centre
    return None if status is None else status.value


def is_open(status: str) -> bool:
    """Open until closed, withdrawn or merged (an evaluated appeal is open)."""
    return status not in FINAL


@lru_cache(maxsize=16_384)  # a cycle's instants are stored again at each event
def stored_instant(value: datetime) -> str:
    """An instant as fixed-width UTC text: sorts and compares chronologically
    as plain text on SQLite and PostgreSQL alike."""
    # isoformat, not strftime: the same text, several times faster (rebuilds
    # write a few of these per event).
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


def stored_or_none(value: datetime | None) -> str | None:
    """:func:`stored_instant` of an instant that may be missing."""
    return None if value is None else stored_instant(value)


def read_instant(value: str) -> datetime:
    """A stored instant back, in Asia/Shanghai (the business time zone)."""
    parsed = datetime.fromisoformat(value)  # reads the "Z" as UTC (3.11+)
    if parsed.tzinfo is None:  # stored without one: UTC all the same
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(SHANGHAI)


def shanghai_month(value: datetime) -> str:
    """``YYYY-MM`` of an instant in Asia/Shanghai (reports count local months)."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m")


def read_or_none(value: str | None) -> datetime | None:
    """:func:`read_instant` of a stored instant that may be missing."""
    return None if value is None else read_instant(value)
