"""The appeal's write-side state and the named rules its commands check.

The state is what decisions need, nothing more: descriptions, names and
contacts live in the events and the views (appeals.application.queries). Each
guard is a rule with a name (``check_is_open``) that refuses with
:class:`CommandNotAllowed` and says why; who may act is asked of the
permissions table. Routing guards ask the directory of registered units,
cadres and catalogue items (``Rules.directory``) and refuse a value that is
not registered with :class:`InvalidField`, naming the field and suggesting
what was probably meant.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn, Self
from uuid import UUID

from appeals.domain.deadlines import Timekeeping
from appeals.domain.directory import (
    CadreEntry,
    CatalogueEntry,
    Directory,
    UnitEntry,
)
from appeals.domain.errors import CommandNotAllowed, InvalidField
from appeals.domain.permissions import authorize, may_close_referred
from appeals.domain.sla import Stage
from appeals.domain.values import FINAL_STATUSES, Actor, Status

if TYPE_CHECKING:
    from appeals.domain.events import Event


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
CO_UNIT_COMMANDS = frozenset({"accept_part", "report_part"})
"""What a co-handling unit (协办) does on an appeal another unit leads."""


@dataclass(frozen=True)
class DeadlineTerms:
    """What a deadline's limit is looked up by besides the stage, priority
    and category: the 诉求类型 and a routing catalogue item's own limits."""

    kind: str | None = None
    limits: Mapping[str, str] | None = None


def suggest_units(directory: Directory, code: str, limit: int = 3) -> list[str]:
    """Registered unit codes close to ``code`` (a misspelt code, a name typed
    instead of a code, stray spaces), the likeliest first."""
    wanted = code.strip()
    entries = [e for c in directory.unit_codes() if (e := directory.unit(c))]
    by_name = {e.name_zh: e.code for e in entries if not e.retired}
    by_code = {e.code.casefold(): e.code for e in entries if not e.retired}
    found: list[str] = []
    exact = by_name.get(wanted) or by_code.get(wanted.casefold())
    if exact is not None:
        found.append(exact)
    found += [
        by_code[c] for c in difflib.get_close_matches(wanted.casefold(), by_code, limit)
    ]
    found += [by_name[n] for n in difflib.get_close_matches(wanted, by_name, limit)]
    return list(dict.fromkeys(found))[:limit]


def _quoted(directory: Directory, codes: list[str]) -> str:
    def one(code: str) -> str:
        entry = directory.unit(code)
        name = f"（{entry.name_zh}）" if entry and entry.name_zh != code else ""
        return f"'{code}'{name}"

    return " 或 ".join(one(code) for code in codes)


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
        exclusion: dict[str, Any] | None
        reopen_count: int
        needs_supervisor: bool
        first_response_due: datetime | None
        dispatch_due: datetime | None
        responds_from_assignment: bool
        kind: str | None
        deadline_kind: str | None
        limits: dict[str, str] | None
        item: str | None
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

        def _record(
            self,
            event_class: type[Event],
            actor: Actor,
            at: datetime,
            **fields: Any,
        ) -> None:
            """Triggers an event with its actor, time and chain link (the
            aggregate's, appeals.domain.appeal)."""

    else:
        # Defaults for appeals snapshotted before these were kept.
        extension_count = 0
        dispatch_due = None
        responds_from_assignment = False  # received before the dispatch stage
        kind = None
        deadline_kind = None
        limits = None
        item = None

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
        (its unit and enterprise; a co-handling unit's on its own part)."""
        unit = self.unit
        co_parts: dict[str, Any] = getattr(self, "co_parts", {})
        if command in CO_UNIT_COMMANDS and actor.unit in co_parts:
            unit = actor.unit
        authorize(command, actor, unit=unit, uscc=self.uscc)

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

    # ---- routing: what the directory says ----------------------------------

    def check_routed(self, unit: str | None, item: str | None) -> None:
        """An assignment names a unit or a catalogue item to route by."""
        if unit is None and item is None:
            raise InvalidField(
                "unit", "须指定承办单位或目录事项 (give a unit or a catalogue item)"
            )

    def check_unit_is_registered(
        self, directory: Directory, code: str, field: str = "unit"
    ) -> UnitEntry:
        """``code`` is a registered unit's; if not, the refusal suggests the
        registered codes (or names) closest to it."""
        entry = directory.unit(code)
        if entry is None:
            reason = f"未登记的单位 '{code}' (no registered unit '{code}')"
            close = suggest_units(directory, code)
            if close:
                reason += f"; 是否为 {_quoted(directory, close)}?"
            raise InvalidField(field, reason)
        return entry

    def check_unit_is_active(self, entry: UnitEntry, field: str = "unit") -> None:
        """The unit has not been retired (撤销): nothing new is routed to it."""
        if entry.retired:
            raise InvalidField(
                field, f"单位 '{entry.code}' 已撤销 (unit '{entry.code}' is retired)"
            )

    def check_cadre_serves(
        self, directory: Directory, code: str, unit: str
    ) -> CadreEntry:
        """``code`` is a registered, serving cadre posted to ``unit`` now."""
        entry = directory.cadre(code)
        if entry is None:
            raise InvalidField(
                "cadre", f"未登记的干部 '{code}' (no registered cadre '{code}')"
            )
        if entry.retired:
            raise InvalidField(
                "cadre", f"干部 '{code}' 已不在职 (cadre '{code}' no longer serves)"
            )
        if entry.unit != unit:
            raise InvalidField(
                "cadre",
                f"干部 '{code}' 现任职于 '{entry.unit}'，不属于 '{unit}' "
                f"(cadre '{code}' serves '{entry.unit}', not '{unit}')",
            )
        return entry

    def check_item_is_published(
        self, directory: Directory, code: str
    ) -> CatalogueEntry:
        """``code`` is a published routing catalogue item, not retired."""
        entry = directory.catalogue_item(code)
        if entry is None:
            raise InvalidField(
                "item",
                f"未发布的目录事项 '{code}' (no published catalogue item '{code}')",
            )
        if entry.retired:
            raise InvalidField(
                "item",
                f"目录事项 '{code}' 已废止 (catalogue item '{code}' is retired)",
            )
        return entry

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

    def _terms(self) -> DeadlineTerms:
        """The terms later deadlines are computed on: those of the routing
        (the item's 诉求类型 and limits), else the appeal's own 诉求类型."""
        return DeadlineTerms(self.deadline_kind, self.limits)

    def _due(
        self,
        tk: Timekeeping,
        stage: Stage,
        at: datetime,
        terms: DeadlineTerms | None = None,
    ) -> datetime:
        terms = terms or self._terms()
        return tk.due(
            stage,
            aware(at, "at"),
            self.priority,
            self.category,
            kind=terms.kind,
            limits=terms.limits,
        )

    def _counting(
        self, tk: Timekeeping, stage: Stage, terms: DeadlineTerms | None = None
    ) -> str:
        terms = terms or self._terms()
        return tk.counting(
            stage, self.priority, self.category, kind=terms.kind, limits=terms.limits
        )

    def _dues(
        self,
        tk: Timekeeping,
        at: datetime,
        terms: DeadlineTerms | None = None,
        **stages: Stage,
    ) -> dict[str, Any]:
        """An event's deadline fields (``resolve_due=Stage.RESOLVE``), the
        policy version, whether any deadline falls in an estimated year, and
        the counting convention of the last one named (the event's principal
        deadline)."""
        terms = terms or self._terms()
        start = aware(at, "at")
        dues: dict[str, Any] = {}
        limit = None
        for name, stage in stages.items():
            # Each stage's limit is looked up once: it gives both the deadline
            # and, for the principal (last) one, the counting convention.
            limit = tk.limit(
                stage,
                self.priority,
                self.category,
                kind=terms.kind,
                limits=terms.limits,
            )
            dues[name] = tk.due_after(limit, start)
        assert limit is not None, "an event names at least one deadline"
        return {
            **dues,
            "sla_version": tk.version,
            "provisional": tk.provisional(*dues.values()),
            "counting": tk.policy.counting(limit).value,
        }
