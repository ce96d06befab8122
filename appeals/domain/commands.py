"""Commands: what a caller asks of an appeal, as plain typed values.

Imperative names (``Assign``), one per lifecycle command. The HTTP edge builds
them from request bodies (their fields are the body's fields) and the
application executes them; each knows which aggregate method decides it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from appeals.domain.appeal import DEFAULT_MAX_REOPENS, Appeal
from appeals.domain.deadlines import Timekeeping
from appeals.domain.values import (
    Actor,
    Category,
    Channel,
    Outcome,
    Priority,
    Satisfaction,
)


@dataclass(frozen=True)
class Rules:
    """Configurable rules the aggregate applies: the calendar and time-limit
    policy, and how many automatic reopens before a supervisor decides."""

    timekeeping: Timekeeping
    max_reopens: int = DEFAULT_MAX_REOPENS


@dataclass(frozen=True)
class Receive:
    """受理: a new appeal (``POST /appeals``)."""

    name: ClassVar[str] = "receive"
    summary: ClassVar[str] = "Receive a new appeal (受理)"

    uscc: str
    enterprise_name: str
    channel: Channel
    category: Category
    title: str
    priority: Priority = Priority.NORMAL
    description: str = ""
    contact: str = ""
    external_id: str | None = None

    def new_appeal(
        self,
        *,
        appeal_id: UUID,
        ticket: str,
        actor: Actor,
        at: datetime,
        tk: Timekeeping,
    ) -> Appeal:
        """The appeal this receipt creates (its id and ticket are allocated
        by the application)."""
        return Appeal.receive(
            appeal_id=appeal_id,
            ticket=ticket,
            actor=actor,
            at=at,
            uscc=self.uscc,
            enterprise_name=self.enterprise_name,
            channel=self.channel,
            category=self.category,
            priority=self.priority,
            title=self.title,
            description=self.description,
            contact=self.contact,
            external_id=self.external_id,
            tk=tk,
        )


@dataclass(frozen=True)
class Command:
    """A command on an existing appeal (``POST /appeals/{id}/{name}``)."""

    name: ClassVar[str]
    summary: ClassVar[str]

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Assign(Command):
    name = "assign"
    summary = "Assign to a responsible unit and cadre (交办)"
    unit: str
    cadre: str | None = None

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.assign(actor, at, self.unit, self.cadre, rules.timekeeping)


@dataclass(frozen=True)
class Accept(Command):
    name = "accept"
    summary = "Acknowledge receipt by the assigned unit (签收)"

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.accept(actor, at)


@dataclass(frozen=True)
class Return(Command):
    name = "return"
    summary = "Return a misrouted appeal, with a reason (退回)"
    reason: str

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.return_(actor, at, self.reason)


@dataclass(frozen=True)
class NoteProgress(Command):
    name = "note-progress"
    summary = "Record a progress note (办理进展)"
    note: str

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.note_progress(actor, at, self.note)


@dataclass(frozen=True)
class Pause(Command):
    name = "pause"
    summary = "Wait for the enterprise to supply information (补充材料)"
    reason: str

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.pause(actor, at, self.reason)


@dataclass(frozen=True)
class Resume(Command):
    name = "resume"
    summary = "The enterprise supplied what was asked; the clock runs again"
    note: str = ""

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.resume(actor, at, self.note, rules.timekeeping)


@dataclass(frozen=True)
class RequestExtension(Command):
    name = "request-extension"
    summary = "Ask to move the resolution deadline (延期申请)"
    requested_deadline: datetime
    reason: str

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.request_extension(actor, at, self.requested_deadline, self.reason)


@dataclass(frozen=True)
class DecideExtension(Command):
    name = "decide-extension"
    summary = "Approve (optionally with another date) or refuse an extension"
    approve: bool
    new_deadline: datetime | None = None
    note: str = ""

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.decide_extension(actor, at, self.approve, self.new_deadline, self.note)


@dataclass(frozen=True)
class Supervise(Command):
    name = "supervise"
    summary = "Urge the unit, at escalation level 1-3 (督办)"
    level: int
    note: str

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.supervise(actor, at, self.level, self.note)


@dataclass(frozen=True)
class Resolve(Command):
    name = "resolve"
    summary = "Finish handling with an outcome (办结)"
    outcome: Outcome
    result: str

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.resolve(actor, at, self.outcome, self.result, rules.timekeeping)


@dataclass(frozen=True)
class Reply(Command):
    name = "reply"
    summary = "Communicate the result to the enterprise (反馈)"
    channel: Channel
    content: str

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.reply(actor, at, self.channel, self.content, rules.timekeeping)


@dataclass(frozen=True)
class Evaluate(Command):
    name = "evaluate"
    summary = "The enterprise's evaluation (企业评价); unsatisfied reopens"
    resolved: bool
    satisfaction: Satisfaction
    comment: str = ""

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.evaluate(
            actor,
            at,
            self.resolved,
            self.satisfaction,
            self.comment,
            rules.timekeeping,
            rules.max_reopens,
        )


@dataclass(frozen=True)
class Reopen(Command):
    name = "reopen"
    summary = "Send back to the same unit for another cycle (重办)"
    reason: str

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.reopen(actor, at, self.reason, rules.timekeeping)


@dataclass(frozen=True)
class Close(Command):
    name = "close"
    summary = "Reconcile and close (对账销号)"
    note: str = ""

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.close(actor, at, self.note)


@dataclass(frozen=True)
class Withdraw(Command):
    name = "withdraw"
    summary = "The enterprise withdraws the appeal (撤回)"
    reason: str

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.withdraw(actor, at, self.reason)


@dataclass(frozen=True)
class Merge(Command):
    name = "merge"
    summary = "Merge into another open appeal about the same matter"
    into: UUID
    reason: str

    def decide(self, appeal: Appeal, actor: Actor, at: datetime, rules: Rules) -> None:
        appeal.merge_into(actor, at, self.into, self.reason)


COMMANDS: dict[str, type[Command]] = {
    cls.name: cls
    for cls in (
        Assign,
        Accept,
        Return,
        NoteProgress,
        Pause,
        Resume,
        RequestExtension,
        DecideExtension,
        Supervise,
        Resolve,
        Reply,
        Evaluate,
        Reopen,
        Close,
        Withdraw,
        Merge,
    )
}
"""Commands by the name used in their URL."""
