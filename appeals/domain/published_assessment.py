"""A month's assessment (考核结果) as published: frozen, chained like every
record (appeals.domain.master_data), its revisions kept side by side.

Publishing records everything a reader needs to trust the figures later: the
scheme (its version and full content, so changing the scheme file never
rewrites a published month), the log position the facts were read at and
whether the views had caught up with the log then (``complete``), the instant
assessed, every row of every grouping, and a digest of the rows. A second
publication of the same month is a revision that must give its reason; the
earlier revision stays readable (``revision=1``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from appeals.domain.identities import assessment_id
from appeals.domain.master_data import MasterCreated, MasterEvent
from appeals.domain.publication import MonthlyPublication, MonthNotPublished
from appeals.domain.values import Actor

CONTENT = (
    "period",
    "scheme_version",
    "scheme",
    "position",
    "complete",
    "as_of",
    "groups",
    "digest",
)
"""What each publication holds (a revision's content)."""


@dataclass(frozen=True)
class Publication:
    """What one publication of a month holds (a revision's content)."""

    period: str
    scheme_version: str
    scheme: dict[str, Any]
    position: int
    complete: bool
    as_of: str  # the instant assessed, ISO 8601
    groups: dict[str, list[dict[str, Any]]]  # group_by -> rows
    digest: str

    def fields(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in CONTENT}


class AssessmentNotPublished(MonthNotPublished):
    """No assessment of this month has been published (404)."""

    type_slug = "assessment-not-published"
    what = "assessment"


class PublishedAssessment(MonthlyPublication, created_event_name="Published"):
    """One month's published assessment and its revisions."""

    TOPIC = "Assessment"
    CONTENT = CONTENT
    PERMISSION = "publish_assessment"
    NOT_PUBLISHED = AssessmentNotPublished

    class Event(MasterEvent):
        TOPIC = "Assessment.Event"

    class Created(Event, MasterCreated):
        TOPIC = "Assessment.Created"

    class Published(Created):
        """发布: the month's first publication (revision 1)."""

        TOPIC = "Assessment.Published"
        period: str
        scheme_version: str
        scheme: dict[str, Any]
        position: int
        complete: bool
        as_of: str
        groups: dict[str, list[dict[str, Any]]]
        digest: str

        def apply(self, assessment: PublishedAssessment) -> None:
            assessment._add_revision(self, 1, None)

    class Revised(Event):
        """修订: a later publication of the same month, with its reason."""

        TOPIC = "Assessment.Revised"
        revision: int
        reason: str
        period: str
        scheme_version: str
        scheme: dict[str, Any]
        position: int
        complete: bool
        as_of: str
        groups: dict[str, list[dict[str, Any]]]
        digest: str

        def apply(self, assessment: PublishedAssessment) -> None:
            assessment._add_revision(self, self.revision, self.reason)

    @classmethod
    def publish(
        cls, publication: Publication, actor: Actor, at: datetime
    ) -> PublishedAssessment:
        record_id = assessment_id(publication.period)
        return cls._first(cls.Published, record_id, publication.fields(), actor, at)

    def revise(
        self, publication: Publication, reason: str, actor: Actor, at: datetime
    ) -> None:
        """A new revision; its reason is required (why the month changed)."""
        self._revise(self.Revised, publication.fields(), reason, actor, at)
