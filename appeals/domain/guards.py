"""The appeal's write-side state and the named rules its commands check.

The state is what decisions need, nothing more: descriptions, names and
contacts live in the events and the views (appeals.application.queries). Each
guard is a rule with a name (``check_is_open``) that refuses with
:class:`CommandNotAllowed` and says why; who may act is asked of the
permissions table.
"""

from __future__ import annotations

from copy import deepcopy
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn, Self
from uuid import UUID

from appeals.domain.deadlines import Timekeeping
from appeals.domain.errors import CommandNotAllowed, InvalidField
from appeals.domain.permissions import authorize, may_close_referred
from appeals.domain.sla import Stage
from appeals.domain.values import FINAL_STATUSES, Actor, Status


def aware(value: datetime, field: str) -> datetime:
    """Instants must carry a time zone: a naive one is ambiguous in an audit."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidField(field, "must include a time zone offset")
    return value


def check_supported(value: datetime, field: str, tk: Timekeeping) -> datetime:
    """An instant a command names lies in the years the calendar supports."""
    if not tk.calendar.supports(value):
        span = tk.calendar.supported_years
        assert span is not None
        years = f"{span.start}–{span.stop - 1}"
        raise InvalidField(field, f"must fall within the calendar's years {years}")
    return value


IMMUTABLE = frozenset(
    {str, int, float, bool, type(None), datetime, date, timedelta, UUID}
)
"""Value types an appeal's copy may share with the original."""

OPEN_STATUSES = tuple(s for s in Status if s not in FINAL_STATUSES)


class AppealState:
    """The Appeal aggregate's state and guards (a base of
    :class:`appeals.domain.appeal.Appeal`)."""

    if TYPE_CHECKING:
        # State set by the events (appeals.domain.events). Declared for readers
        # and type checkers only: class annotations would make the library
        # generate __init__.
        ticket: str
        uscc: str
        category: str
        priority: str
        status: str
        unit: str | None
        paused: bool
        pending_extension: dict[str, Any] | None
        reopen_count: int
        needs_supervisor: bool
        first_response_due: datetime
        accept_due: datetime | None
        resolve_due: datetime | None
        reply_due: datetime | None
        evaluation_due: datetime | None
        paused_at: datetime | None
        chain_head: str
        responded: bool
        escalations: list[str]
        evaluation_lapsed: bool
        extension_count: int
    else:
        # A default for appeals snapshotted before extensions were counted.
        extension_count = 0

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """A copy sharing the immutable values (text, numbers, instants, ids)
        and copying the rest: the store hands every command a copy of the
        cached appeal, and copying each string and instant was a visible
        share of a command's CPU time."""
        copied = object.__new__(type(self))
        memo[id(self)] = copied
        copied.__dict__.update(
            {
                name: value if type(value) in IMMUTABLE else deepcopy(value, memo)
                for name, value in self.__dict__.items()
            }
        )
        return copied

    @property
    def is_open(self) -> bool:
        """Not closed, withdrawn or merged."""
        return self.status not in FINAL_STATUSES

    def check_permitted(self, command: str, actor: Actor) -> None:
        """The permissions table allows ``actor`` this command on this appeal
        (its unit and enterprise)."""
        authorize(command, actor, unit=self.unit, uscc=self.uscc)

    def check_status(self, command: str, *statuses: Status) -> None:
        """The appeal is in one of ``statuses``."""
        if self.status not in statuses:
            allowed = ", ".join(s.value for s in statuses)
            self._refuse(command, f"it must be {allowed}")

    def check_is_open(self, command: str) -> None:
        """The appeal is not closed, withdrawn or merged."""
        self.check_status(command, *OPEN_STATUSES)

    def check_is_not_paused(self, command: str, reason: str) -> None:
        """The appeal is not waiting for the enterprise."""
        if self.paused:
            self._refuse(command, reason)

    def check_is_paused(self, command: str) -> datetime:
        """The appeal waits for the enterprise; returns since when."""
        if not self.paused or self.paused_at is None:
            self._refuse(command, "it is not paused")
        return self.paused_at

    def check_extension_is_pending(self, command: str) -> dict[str, Any]:
        """An extension request awaits a decision; returns it."""
        if self.pending_extension is None:
            self._refuse(command, "no extension request is pending")
        return self.pending_extension

    def check_referral_allows_close(self, actor: Actor) -> None:
        """An appeal referred to a supervisor is closed by one."""
        if self.needs_supervisor and not may_close_referred(actor):
            self._refuse("close", "it was referred to a supervisor")

    def _refuse(self, command: str, reason: str) -> NoReturn:
        raise CommandNotAllowed(command, self.status, reason)

    def check_extensions_left(self, command: str, tk: Timekeeping) -> None:
        """Fewer extensions were approved than the policy allows an appeal."""
        allowed = tk.policy.extensions.max_count
        if self.extension_count >= allowed:
            self._refuse(command, f"it had the {allowed} extensions the policy allows")

    def _extended(
        self, value: datetime, at: datetime, field: str, tk: Timekeeping
    ) -> datetime:
        """An extension moves the deadline later, into the future, within the
        calendar's years and by no more working time than the policy allows."""
        check_supported(aware(value, field), field, tk)
        if value <= at:
            raise InvalidField(field, "must be later than now")
        if self.resolve_due is None:
            return value
        if value <= self.resolve_due:
            current = self.resolve_due.isoformat()
            raise InvalidField(field, f"must be later than the deadline {current}")
        most = tk.policy.extensions.max_length
        latest = tk.moved(self.resolve_due, most.working_time(tk.calendar.day_length))
        if value > latest:
            raise InvalidField(
                field,
                f"an extension adds at most {most} of working time: "
                f"{latest.isoformat()} at the latest",
            )
        return value

    def _due(self, tk: Timekeeping, stage: Stage, at: datetime) -> datetime:
        return tk.due(stage, aware(at, "at"), self.priority, self.category)

    def _dues(self, tk: Timekeeping, at: datetime, **stages: Stage) -> dict[str, Any]:
        """An event's deadline fields (``resolve_due=Stage.RESOLVE``), the
        policy version and whether any deadline falls in an estimated year."""
        dues = {name: self._due(tk, stage, at) for name, stage in stages.items()}
        return {
            **dues,
            "sla_version": tk.version,
            "provisional": tk.provisional(*dues.values()),
        }
