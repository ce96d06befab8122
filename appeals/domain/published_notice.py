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
from typing import Any

from appeals.domain.identities import notice_id
from appeals.domain.master_data import MasterCreated, MasterEvent
from appeals.domain.publication import MonthlyPublication, MonthNotPublished
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


class NoticeNotPublished(MonthNotPublished):
    """No 通报 of this month has been published (404)."""

    type_slug = "notice-not-published"
    what = "notice (通报)"


class PublishedNotice(MonthlyPublication, created_event_name="Published"):
    """One month's published 通报 and its revisions."""

    TOPIC = "Notice"
    CONTENT = CONTENT
    PERMISSION = "publish_notice"
    NOT_PUBLISHED = NoticeNotPublished

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
            notice._add_revision(self, 1, None)

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
            notice._add_revision(self, self.revision, self.reason)

    @classmethod
    def publish(
        cls, content: dict[str, Any], actor: Actor, at: datetime
    ) -> PublishedNotice:
        record_id = notice_id(content["period"])
        return cls._first(cls.Published, record_id, content, actor, at)

    def revise(
        self, content: dict[str, Any], reason: str, actor: Actor, at: datetime
    ) -> None:
        """A new revision; its reason is required (why the list changed)."""
        self._revise(self.Revised, content, reason, actor, at)
