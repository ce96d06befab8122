"""A month's 通报 as published: the appeals still late after the ladder's
last rung (书面通报) at some time in the month, and the units they are charged
to; frozen and chained like a published assessment
(appeals.domain.published_assessment), its revisions kept side by side.

It records what a reader needs to trust it later: the log position the list
was read at and whether the view had caught up (``complete``), the instant
it was drawn up, the rung it lists, every row and a digest of the rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from appeals.domain.errors import AppealError, InvalidField
from appeals.domain.identities import notice_id
from appeals.domain.master_data import MasterCreated, MasterEvent, MasterRecord
from appeals.domain.permissions import authorize
from appeals.domain.published_assessment import REASON_LIMIT
from appeals.domain.values import Actor

CONTENT = (
    "period",
    "level",
    "position",
    "complete",
    "as_of",
    "appeals",
    "units",
    "digest",
)
"""What each publication holds (a revision's content)."""


class NoticeNotPublished(AppealError):
    """No 通报 of this month has been published (404)."""

    type_slug = "notice-not-published"

    def __init__(self, period: str, revision: int | None = None) -> None:
        self.period, self.revision = period, revision
        which = "" if revision is None else f" revision {revision}"
        super().__init__(f"未发布 no published notice (通报) of {period}{which}")

    def details(self) -> dict[str, Any]:
        return {"period": self.period, "revision": self.revision}


class PublishedNotice(MasterRecord, created_event_name="Published"):
    """One month's published 通报 and its revisions."""

    TOPIC = "Notice"

    class Event(MasterEvent):
        TOPIC = "Notice.Event"

    class Created(Event, MasterCreated):
        TOPIC = "Notice.Created"

    class Published(Created):
        """发布: the month's first publication (revision 1)."""

        TOPIC = "Notice.Published"
        period: str
        level: int
        position: int
        complete: bool
        as_of: str
        appeals: list[dict[str, Any]]
        units: list[dict[str, Any]]
        digest: str

        def apply(self, notice: PublishedNotice) -> None:
            notice.period = self.period
            notice.revisions = [_revision(self, 1, None)]

    class Revised(Event):
        """修订: a later publication of the same month, with its reason."""

        TOPIC = "Notice.Revised"
        revision: int
        reason: str
        period: str
        level: int
        position: int
        complete: bool
        as_of: str
        appeals: list[dict[str, Any]]
        units: list[dict[str, Any]]
        digest: str

        def apply(self, notice: PublishedNotice) -> None:
            revision = _revision(self, self.revision, self.reason)
            notice.revisions = [*notice.revisions, revision]

    if TYPE_CHECKING:  # set by the events
        period: str
        revisions: list[dict[str, Any]]

    @classmethod
    def publish(
        cls, content: dict[str, Any], actor: Actor, at: datetime
    ) -> PublishedNotice:
        authorize("publish_notice", actor, unit=None, uscc=None)
        fields = {key: content[key] for key in CONTENT}
        return cls._register(
            cls.Published, id=notice_id(content["period"]), actor=actor, at=at, **fields
        )

    def revise(
        self, content: dict[str, Any], reason: str, actor: Actor, at: datetime
    ) -> None:
        """A new revision; its reason is required (why the list changed)."""
        authorize("publish_notice", actor, unit=None, uscc=None)
        reason = reason.strip()
        if not reason:
            raise InvalidField(
                "reason", "须说明修订原因 a revision must give its reason"
            )
        if len(reason) > REASON_LIMIT:
            raise InvalidField("reason", f"at most {REASON_LIMIT} characters")
        fields = {key: content[key] for key in CONTENT}
        self._record(
            self.Revised,
            actor,
            at,
            revision=len(self.revisions) + 1,
            reason=reason,
            **fields,
        )

    def revision(self, number: int | None = None) -> dict[str, Any]:
        """The latest revision, or revision ``number`` (1 is the first)."""
        if number is None:
            return self.revisions[-1]
        if not 1 <= number <= len(self.revisions):
            raise NoticeNotPublished(self.period, number)
        return self.revisions[number - 1]


def _revision(
    event: PublishedNotice.Published | PublishedNotice.Revised,
    number: int,
    reason: str | None,
) -> dict[str, Any]:
    return {
        "revision": number,
        "reason": reason,
        "published_at": event.timestamp.isoformat(),
        "published_by": event.actor,
        **{key: getattr(event, key) for key in CONTENT},
    }
