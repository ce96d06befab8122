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
from typing import TYPE_CHECKING, Any

from appeals.domain.errors import AppealError, InvalidField
from appeals.domain.identities import assessment_id
from appeals.domain.master_data import MasterCreated, MasterEvent, MasterRecord
from appeals.domain.permissions import authorize
from appeals.domain.values import Actor

REASON_LIMIT = 2_000


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
        return {
            "period": self.period,
            "scheme_version": self.scheme_version,
            "scheme": self.scheme,
            "position": self.position,
            "complete": self.complete,
            "as_of": self.as_of,
            "groups": self.groups,
            "digest": self.digest,
        }


class AssessmentNotPublished(AppealError):
    """No assessment of this month has been published (404)."""

    type_slug = "assessment-not-published"

    def __init__(self, period: str, revision: int | None = None) -> None:
        self.period, self.revision = period, revision
        which = "" if revision is None else f" revision {revision}"
        super().__init__(f"未发布 no published assessment of {period}{which}")

    def details(self) -> dict[str, Any]:
        return {"period": self.period, "revision": self.revision}


class PublishedAssessment(MasterRecord, created_event_name="Published"):
    """One month's published assessment and its revisions."""

    TOPIC = "Assessment"

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
            assessment.period = self.period
            assessment.revisions = [_revision(self, 1, None)]

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
            revision = _revision(self, self.revision, self.reason)
            assessment.revisions = [*assessment.revisions, revision]

    if TYPE_CHECKING:  # set by the events (an annotation would make it an init arg)
        period: str
        revisions: list[dict[str, Any]]

    @classmethod
    def publish(
        cls, publication: Publication, actor: Actor, at: datetime
    ) -> PublishedAssessment:
        authorize("publish_assessment", actor, unit=None, uscc=None)
        return cls._register(
            cls.Published,
            id=assessment_id(publication.period),
            actor=actor,
            at=at,
            **publication.fields(),
        )

    def revise(
        self, publication: Publication, reason: str, actor: Actor, at: datetime
    ) -> None:
        """A new revision; its reason is required (why the month changed)."""
        authorize("publish_assessment", actor, unit=None, uscc=None)
        reason = reason.strip()
        if not reason:
            raise InvalidField(
                "reason", "须说明修订原因 a revision must give its reason"
            )
        if len(reason) > REASON_LIMIT:
            raise InvalidField("reason", f"at most {REASON_LIMIT} characters")
        self._record(
            self.Revised,
            actor,
            at,
            revision=len(self.revisions) + 1,
            reason=reason,
            **publication.fields(),
        )

    def revision(self, number: int | None = None) -> dict[str, Any]:
        """The latest revision, or revision ``number`` (1 is the first)."""
        if number is None:
            return self.revisions[-1]
        if not 1 <= number <= len(self.revisions):
            raise AssessmentNotPublished(self.period, number)
        return self.revisions[number - 1]


def _revision(
    event: PublishedAssessment.Published | PublishedAssessment.Revised,
    number: int,
    reason: str | None,
) -> dict[str, Any]:
    return {
        "revision": number,
        "reason": reason,
        "published_at": event.timestamp.isoformat(),
        "published_by": event.actor,
        "period": event.period,
        "scheme_version": event.scheme_version,
        "scheme": event.scheme,
        "position": event.position,
        "complete": event.complete,
        "as_of": event.as_of,
        "groups": event.groups,
        "digest": event.digest,
    }
