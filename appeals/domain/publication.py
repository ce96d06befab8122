"""What a month's published report shares (the assessment, 考核结果, and the
通报): a chained master-data record (appeals.domain.master_data) whose first
publication is revision 1 and whose later ones are revisions that must give
their reason; every revision is kept and readable.

A subclass names its content (``CONTENT``: the fields each publication
records), the permission that publishes it and the error for a month or
revision not published, and declares its ``Published`` (creation) and
``Revised`` event classes with those fields: they are its stored schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self
from uuid import UUID

from appeals.domain.errors import AppealError, InvalidField
from appeals.domain.master_data import MasterCreated, MasterEvent, MasterRecord
from appeals.domain.permissions import authorize
from appeals.domain.values import Actor

REASON_LIMIT = 2_000


class MonthNotPublished(AppealError):
    """No publication of this month (or of this revision of it): a 404."""

    what: ClassVar[str] = "publication"

    def __init__(self, period: str, revision: int | None = None) -> None:
        self.period, self.revision = period, revision
        which = "" if revision is None else f" revision {revision}"
        super().__init__(f"未发布 no published {self.what} of {period}{which}")

    def details(self) -> dict[str, Any]:
        return {"period": self.period, "revision": self.revision}


class MonthlyPublication(MasterRecord):
    """A month's published report and its revisions."""

    CONTENT: ClassVar[tuple[str, ...]]
    PERMISSION: ClassVar[str]
    NOT_PUBLISHED: ClassVar[type[MonthNotPublished]]

    if TYPE_CHECKING:  # set by the events (an annotation would make it an init arg)
        period: str
        revisions: list[dict[str, Any]]

    @classmethod
    def _first(
        cls,
        event_class: type[MasterCreated],
        record_id: UUID,
        content: dict[str, Any],
        actor: Actor,
        at: datetime,
    ) -> Self:
        authorize(cls.PERMISSION, actor, unit=None, uscc=None)
        fields = {key: content[key] for key in cls.CONTENT}
        return cls._register(event_class, id=record_id, actor=actor, at=at, **fields)

    def _revise(
        self,
        event_class: type[MasterEvent],
        content: dict[str, Any],
        reason: str,
        actor: Actor,
        at: datetime,
    ) -> None:
        """A new revision; its reason is required (why the month changed)."""
        authorize(self.PERMISSION, actor, unit=None, uscc=None)
        reason = reason.strip()
        if not reason:
            raise InvalidField(
                "reason", "须说明修订原因 a revision must give its reason"
            )
        if len(reason) > REASON_LIMIT:
            raise InvalidField("reason", f"at most {REASON_LIMIT} characters")
        self._record(
            event_class,
            actor,
            at,
            revision=len(self.revisions) + 1,
            reason=reason,
            **{key: content[key] for key in self.CONTENT},
        )

    def revise(self, content: Any, reason: str, actor: Actor, at: datetime) -> None:
        """A new revision of ``content`` (each kind records its own event)."""
        raise NotImplementedError

    def revision(self, number: int | None = None) -> dict[str, Any]:
        """The latest revision, or revision ``number`` (1 is the first)."""
        if number is None:
            return self.revisions[-1]
        if not 1 <= number <= len(self.revisions):
            raise self.NOT_PUBLISHED(self.period, number)
        return self.revisions[number - 1]

    def _add_revision(
        self, event: MasterEvent, number: int, reason: str | None
    ) -> None:
        """Applies a publication event: the revision as readers get it."""
        self.period = getattr(event, "period")  # noqa: B009 (every CONTENT has it)
        revision = {
            "revision": number,
            "reason": reason,
            "published_at": event.timestamp.isoformat(),
            "published_by": event.actor,
            **{key: getattr(event, key) for key in self.CONTENT},
        }
        self.revisions = [*getattr(self, "revisions", []), revision]
