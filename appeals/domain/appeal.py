"""The Appeal aggregate (企业诉求): one enterprise request, from receipt to
reconcile-and-close (DOMAIN.md lifecycle).

Commands decide (guards, then one event); events evolve state in ``apply``.
Every event records the actor and the business time the command carried;
the domain never reads a clock.

Event topics are explicit and stable (``"Appeal.Accepted"``), so renaming or
moving a class never orphans stored events. To change an event's fields,
raise its ``class_version`` and add ``upcast_v1_v2(state)`` (see
docs/events.md).
"""

from __future__ import annotations

from copy import deepcopy
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from appeals.domain.chain import GENESIS, link
from appeals.domain.deadlines import Timekeeping
from appeals.domain.errors import CommandNotAllowed, InvalidField
from appeals.domain.permissions import authorize
from appeals.domain.sla import RUNG_LABELS, Stage
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import (
    FINAL_STATUSES,
    SYSTEM_ACTOR,
    Actor,
    Category,
    Channel,
    Outcome,
    Priority,
    Satisfaction,
    Status,
    text,
)

ActorRecord = dict[str, str | None]
DEFAULT_MAX_REOPENS = 2
"""Automatic reopens after unsatisfied evaluations before a supervisor decides."""


def escalation_key(stage: str, due: datetime, level: int) -> str:
    """One rung of one deadline: a moved deadline (pause, extension) is a new
    one, so its ladder starts again."""
    return f"{stage}@{due.isoformat()}#{level}"


def aware(value: datetime, field: str) -> datetime:
    """Instants must carry a time zone: a naive one is ambiguous in an audit."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidField(field, "must include a time zone offset")
    return value


IMMUTABLE = frozenset(
    {str, int, float, bool, type(None), datetime, date, timedelta, UUID}
)
"""Value types an appeal's copy may share with the original."""


class Appeal(Aggregate, created_event_name="Received"):
    """An enterprise appeal and the decisions its lifecycle allows."""

    TOPIC = "Appeal"

    class Event(Aggregate.Event):
        """Every appeal event: who did it (the authenticated actor), and its
        link in the appeal's hash chain (appeals.domain.chain)."""

        actor: ActorRecord
        chain: str

        def mutate(self, aggregate: Any) -> Any:
            appeal = super().mutate(aggregate)
            assert appeal is not None
            appeal.chain_head = self.chain
            return appeal

    class Created(Event, Aggregate.Created):
        TOPIC = "Appeal.Created"

    class Received(Created):
        """受理: the appeal entered the ledger through a channel."""

        TOPIC = "Appeal.Received"
        ticket: str
        uscc: str
        enterprise_name: str
        channel: str
        category: str
        priority: str
        title: str
        description: str
        contact: str
        external_id: str | None
        first_response_due: datetime
        sla_version: str

        def apply(self, appeal: Appeal) -> None:
            appeal.ticket = self.ticket
            appeal.uscc = self.uscc
            appeal.enterprise_name = self.enterprise_name
            appeal.channel = self.channel
            appeal.category = self.category
            appeal.priority = self.priority
            appeal.title = self.title
            appeal.description = self.description
            appeal.contact = self.contact
            appeal.external_id = self.external_id
            appeal.status = Status.RECEIVED.value
            appeal.unit = None
            appeal.cadre = None
            appeal.paused = False
            appeal.pending_extension = None
            appeal.reopen_count = 0
            appeal.return_count = 0
            appeal.supervision_level = 0
            appeal.needs_supervisor = False
            appeal.merged_into = None
            appeal.outcome = None
            appeal.evaluation = None
            appeal.first_response_due = self.first_response_due
            appeal.responded = False
            appeal.escalations = []
            appeal.evaluation_lapsed = False
            appeal.accept_due = None
            appeal.resolve_due = None
            appeal.reply_due = None
            appeal.evaluation_due = None
            appeal.paused_at = None

    class Assigned(Event):
        """交办/派单: dispatched to a responsible unit and optionally a cadre."""

        TOPIC = "Appeal.Assigned"
        unit: str
        cadre: str | None
        accept_due: datetime
        resolve_due: datetime
        sla_version: str

        def apply(self, appeal: Appeal) -> None:
            appeal.status = Status.ASSIGNED.value
            appeal.unit = self.unit
            appeal.cadre = self.cadre
            appeal.accept_due = self.accept_due
            appeal.resolve_due = self.resolve_due

    class Accepted(Event):
        """签收: the unit acknowledged it has the appeal."""

        TOPIC = "Appeal.Accepted"

        def apply(self, appeal: Appeal) -> None:
            appeal.status = Status.IN_PROGRESS.value

    class Returned(Event):
        """退回/退单: the unit sent a misrouted appeal back, with a reason."""

        TOPIC = "Appeal.Returned"
        unit: str
        reason: str

        def apply(self, appeal: Appeal) -> None:
            appeal.status = Status.RECEIVED.value
            appeal.unit = None
            appeal.cadre = None
            appeal.paused = False
            appeal.paused_at = None
            appeal.pending_extension = None
            appeal.accept_due = None
            appeal.resolve_due = None
            appeal.return_count += 1

    class ProgressNoted(Event):
        """办理进展: a progress note."""

        TOPIC = "Appeal.ProgressNoted"
        note: str

        def apply(self, appeal: Appeal) -> None:
            appeal.responded = True

    class Paused(Event):
        """补充材料: waiting for the enterprise; the resolve clock stops."""

        TOPIC = "Appeal.Paused"
        reason: str

        def apply(self, appeal: Appeal) -> None:
            appeal.paused = True
            appeal.paused_at = self.timestamp
            appeal.responded = True

    class Resumed(Event):
        """The enterprise supplied what was asked; the clock runs again."""

        TOPIC = "Appeal.Resumed"
        note: str
        paused_seconds: int
        resolve_due: datetime

        def apply(self, appeal: Appeal) -> None:
            appeal.paused = False
            appeal.paused_at = None
            appeal.resolve_due = self.resolve_due

    class ExtensionRequested(Event):
        """延期申请: the unit asks to move the resolution deadline."""

        TOPIC = "Appeal.ExtensionRequested"
        requested_deadline: datetime
        reason: str

        def apply(self, appeal: Appeal) -> None:
            appeal.pending_extension = {
                "requested_deadline": self.requested_deadline,
                "reason": self.reason,
            }

    class ExtensionApproved(Event):
        """延期批准: the resolution deadline moves to ``new_deadline``."""

        TOPIC = "Appeal.ExtensionApproved"
        new_deadline: datetime
        note: str

        def apply(self, appeal: Appeal) -> None:
            appeal.pending_extension = None
            appeal.resolve_due = self.new_deadline

    class ExtensionRefused(Event):
        """延期不予批准: the deadline stands."""

        TOPIC = "Appeal.ExtensionRefused"
        note: str

        def apply(self, appeal: Appeal) -> None:
            appeal.pending_extension = None

    class Supervised(Event):
        """督办: a leader urges the unit, at escalation level 1 to 3."""

        TOPIC = "Appeal.Supervised"
        level: int
        note: str

        def apply(self, appeal: Appeal) -> None:
            appeal.supervision_level = max(appeal.supervision_level, self.level)

    class Resolved(Event):
        """办结: handling finished with an outcome and a result."""

        TOPIC = "Appeal.Resolved"
        outcome: str
        result: str
        reply_due: datetime
        sla_version: str

        def apply(self, appeal: Appeal) -> None:
            appeal.status = Status.RESOLVED.value
            appeal.outcome = self.outcome
            appeal.reply_due = self.reply_due
            appeal.responded = True

    class Replied(Event):
        """反馈: the result was communicated to the enterprise."""

        TOPIC = "Appeal.Replied"
        channel: str
        content: str
        evaluation_due: datetime
        sla_version: str

        def apply(self, appeal: Appeal) -> None:
            appeal.status = Status.REPLIED.value
            appeal.evaluation_due = self.evaluation_due
            appeal.responded = True
            appeal.evaluation_lapsed = False

    class Evaluated(Event):
        """回访/企业评价: the enterprise judged the result."""

        TOPIC = "Appeal.Evaluated"
        resolved: bool
        satisfaction: str
        comment: str

        def apply(self, appeal: Appeal) -> None:
            appeal.status = Status.EVALUATED.value
            appeal.evaluation = {
                "resolved": self.resolved,
                "satisfaction": self.satisfaction,
            }

    class Reopened(Event):
        """重办: back to the same unit for another resolve cycle."""

        TOPIC = "Appeal.Reopened"
        reason: str
        automatic: bool
        resolve_due: datetime
        sla_version: str

        def apply(self, appeal: Appeal) -> None:
            appeal.status = Status.IN_PROGRESS.value
            appeal.resolve_due = self.resolve_due
            appeal.reply_due = None
            appeal.evaluation_due = None
            appeal.reopen_count += 1
            appeal.needs_supervisor = False
            appeal.paused = False
            appeal.outcome = None
            appeal.evaluation = None

    class Escalated(Event):
        """督办 by the system: a stage ran past its deadline by a rung of the
        escalation ladder (0: reminder 催办; 3: public notice 通报)."""

        TOPIC = "Appeal.Escalated"
        stage: str
        level: int
        due: datetime
        late_seconds: int
        note: str

        def apply(self, appeal: Appeal) -> None:
            key = escalation_key(self.stage, self.due, self.level)
            appeal.escalations = [*appeal.escalations, key]
            appeal.supervision_level = max(appeal.supervision_level, self.level)

    class EvaluationLapsed(Event):
        """The evaluation window closed with no evaluation from the enterprise;
        the appeal may now be closed, and rates count it separately."""

        TOPIC = "Appeal.EvaluationLapsed"
        due: datetime

        def apply(self, appeal: Appeal) -> None:
            appeal.evaluation_lapsed = True

    class ReferredToSupervisor(Event):
        """Unsatisfied again after the allowed reopens: a supervisor decides."""

        TOPIC = "Appeal.ReferredToSupervisor"
        reason: str

        def apply(self, appeal: Appeal) -> None:
            appeal.needs_supervisor = True

    class Closed(Event):
        """对账销号: reconciled and closed."""

        TOPIC = "Appeal.Closed"
        note: str

        def apply(self, appeal: Appeal) -> None:
            appeal.status = Status.CLOSED.value
            appeal.needs_supervisor = False

    class Withdrawn(Event):
        """撤回: the enterprise no longer needs this."""

        TOPIC = "Appeal.Withdrawn"
        reason: str

        def apply(self, appeal: Appeal) -> None:
            appeal.status = Status.WITHDRAWN.value

    class Merged(Event):
        """Merged into another appeal about the same matter."""

        TOPIC = "Appeal.Merged"
        into: UUID
        reason: str

        def apply(self, appeal: Appeal) -> None:
            appeal.status = Status.MERGED.value
            appeal.merged_into = self.into

    if TYPE_CHECKING:
        # State set by the events above. Declared for readers and type checkers
        # only: class annotations would make the library generate __init__.
        ticket: str
        uscc: str
        enterprise_name: str
        channel: str
        category: str
        priority: str
        title: str
        description: str
        contact: str
        external_id: str | None
        status: str
        unit: str | None
        cadre: str | None
        paused: bool
        pending_extension: dict[str, Any] | None
        reopen_count: int
        return_count: int
        supervision_level: int
        needs_supervisor: bool
        merged_into: UUID | None
        outcome: str | None
        evaluation: dict[str, Any] | None
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

    def __deepcopy__(self, memo: dict[int, Any]) -> Appeal:
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

    # ---- commands -------------------------------------------------------

    @classmethod
    def receive(
        cls,
        *,
        appeal_id: UUID,
        ticket: str,
        actor: Actor,
        at: datetime,
        uscc: str,
        enterprise_name: str,
        channel: Channel,
        category: Category,
        priority: Priority,
        title: str,
        description: str,
        tk: Timekeeping,
        contact: str = "",
        external_id: str | None = None,
    ) -> Appeal:
        """受理. The application allocates the ticket number and id; this
        records the receipt and the first-response deadline."""
        uscc = validate_uscc(uscc)
        authorize("receive", actor, unit=None, uscc=uscc)
        at = aware(at, "at")
        fields: dict[str, Any] = {
            "originator_topic": get_topic(cls),
            "originator_id": appeal_id,
            "originator_version": cls.INITIAL_VERSION,
            "timestamp": at,
            "actor": actor.as_record(),
            "ticket": ticket,
            "uscc": uscc,
            "enterprise_name": text(enterprise_name, "enterprise_name"),
            "channel": channel.value,
            "category": category.value,
            "priority": priority.value,
            "title": text(title, "title"),
            "description": text(description, "description", required=False),
            "contact": text(contact, "contact", required=False),
            "external_id": None
            if external_id is None
            else text(external_id, "external_id"),
            "first_response_due": tk.due(
                Stage.FIRST_RESPONSE, at, priority.value, category.value
            ),
            "sla_version": tk.version,
        }
        fields["chain"] = link(GENESIS, cls.Received.TOPIC, fields)
        del fields["originator_topic"], fields["originator_id"]
        del fields["originator_version"]
        return cls._create(cls.Received, id=appeal_id, **fields)

    def assign(
        self, actor: Actor, at: datetime, unit: str, cadre: str | None, tk: Timekeeping
    ) -> None:
        """交办 to ``unit`` (and ``cadre``); starts the acceptance and
        resolution clocks afresh (also after a return)."""
        unit = text(unit, "unit")
        cadre = text(cadre, "cadre") if cadre else None
        self._allow("assign", actor, Status.RECEIVED)
        self._record(
            self.Assigned,
            actor,
            at,
            unit=unit,
            cadre=cadre,
            accept_due=self._due(tk, Stage.ACCEPT, at),
            resolve_due=self._due(tk, Stage.RESOLVE, at),
            sla_version=tk.version,
        )

    def accept(self, actor: Actor, at: datetime) -> None:
        """签收 by the assigned unit."""
        self._allow("accept", actor, Status.ASSIGNED)
        self._record(self.Accepted, actor, at)

    def return_(self, actor: Actor, at: datetime, reason: str) -> None:
        """退回 a misrouted appeal to the dispatcher, with a reason."""
        reason = text(reason, "reason")
        self._allow("return", actor, Status.ASSIGNED, Status.IN_PROGRESS)
        assert self.unit is not None
        self._record(self.Returned, actor, at, unit=self.unit, reason=reason)

    def note_progress(self, actor: Actor, at: datetime, note: str) -> None:
        """办理进展 while in progress."""
        note = text(note, "note")
        self._allow("note_progress", actor, Status.IN_PROGRESS)
        self._record(self.ProgressNoted, actor, at, note=note)

    def pause(self, actor: Actor, at: datetime, reason: str) -> None:
        """补充材料: wait for the enterprise (stops the resolve clock)."""
        reason = text(reason, "reason")
        self._allow("pause", actor, Status.IN_PROGRESS)
        if self.paused:
            self._refuse("pause", "it is already paused")
        self._record(self.Paused, actor, at, reason=reason)

    def resume(self, actor: Actor, at: datetime, note: str, tk: Timekeeping) -> None:
        """The enterprise supplied what was asked; the resolution deadline
        moves back by the working time spent waiting."""
        note = text(note, "note", required=False)
        self._allow("resume", actor, Status.IN_PROGRESS)
        if not self.paused or self.paused_at is None:
            self._refuse("resume", "it is not paused")
        waited = tk.working_time(self.paused_at, aware(at, "at"))
        assert self.resolve_due is not None
        self._record(
            self.Resumed,
            actor,
            at,
            note=note,
            paused_seconds=int(waited.total_seconds()),
            resolve_due=tk.moved(self.resolve_due, waited),
        )

    def request_extension(
        self, actor: Actor, at: datetime, requested_deadline: datetime, reason: str
    ) -> None:
        """延期申请 for the resolution deadline."""
        reason = text(reason, "reason")
        requested_deadline = self._later(requested_deadline, at, "requested_deadline")
        self._allow("request_extension", actor, Status.IN_PROGRESS)
        if self.pending_extension is not None:
            self._refuse("request_extension", "an extension request is pending")
        self._record(
            self.ExtensionRequested,
            actor,
            at,
            requested_deadline=requested_deadline,
            reason=reason,
        )

    def decide_extension(
        self,
        actor: Actor,
        at: datetime,
        approve: bool,
        new_deadline: datetime | None = None,
        note: str = "",
    ) -> None:
        """Approve (with a new deadline, by default the one requested) or refuse."""
        note = text(note, "note", required=False)
        self._allow("decide_extension", actor, Status.IN_PROGRESS)
        if self.pending_extension is None:
            self._refuse("decide_extension", "no extension request is pending")
        if not approve:
            self._record(self.ExtensionRefused, actor, at, note=note)
            return
        deadline = new_deadline or self.pending_extension["requested_deadline"]
        deadline = self._later(deadline, at, "new_deadline")
        self._record(
            self.ExtensionApproved, actor, at, new_deadline=deadline, note=note
        )

    def supervise(self, actor: Actor, at: datetime, level: int, note: str) -> None:
        """督办 an open appeal at escalation level 1 (催办) to 3 (通报)."""
        note = text(note, "note")
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 3:
            raise InvalidField("level", "must be 1, 2 or 3")
        self._allow("supervise", actor, *self._open_statuses())
        self._record(self.Supervised, actor, at, level=level, note=note)

    def resolve(
        self,
        actor: Actor,
        at: datetime,
        outcome: Outcome,
        result: str,
        tk: Timekeeping,
    ) -> None:
        """办结 with an outcome; a paused appeal must be resumed first."""
        result = text(result, "result")
        self._allow("resolve", actor, Status.IN_PROGRESS)
        if self.paused:
            self._refuse("resolve", "it is paused waiting for the enterprise")
        self._record(
            self.Resolved,
            actor,
            at,
            outcome=outcome.value,
            result=result,
            reply_due=self._due(tk, Stage.REPLY, at),
            sla_version=tk.version,
        )

    def reply(
        self,
        actor: Actor,
        at: datetime,
        channel: Channel,
        content: str,
        tk: Timekeeping,
    ) -> None:
        """反馈 the result to the enterprise; opens the evaluation window."""
        content = text(content, "content")
        self._allow("reply", actor, Status.RESOLVED)
        self._record(
            self.Replied,
            actor,
            at,
            channel=channel.value,
            content=content,
            evaluation_due=self._due(tk, Stage.EVALUATION_WINDOW, at),
            sla_version=tk.version,
        )

    def evaluate(
        self,
        actor: Actor,
        at: datetime,
        resolved: bool,
        satisfaction: Satisfaction,
        comment: str,
        tk: Timekeeping,
        max_reopens: int = DEFAULT_MAX_REOPENS,
    ) -> None:
        """企业评价. Unsatisfied: reopened to the same unit automatically, up
        to ``max_reopens`` times; after that referred to a supervisor."""
        comment = text(comment, "comment", required=False)
        if not isinstance(resolved, bool):
            raise InvalidField("resolved", "must be true or false")
        self._allow("evaluate", actor, Status.REPLIED)
        self._record(
            self.Evaluated,
            actor,
            at,
            resolved=resolved,
            satisfaction=satisfaction.value,
            comment=comment,
        )
        if satisfaction is not Satisfaction.UNSATISFIED:
            return
        if self.reopen_count < max_reopens:
            reason = "企业评价不满意，自动重办 (unsatisfied evaluation, reopened)"
            self._reopen(SYSTEM_ACTOR, at, reason, tk, automatic=True)
        else:
            reason = (
                f"已重办{self.reopen_count}次仍不满意，提交督办 "
                f"(unsatisfied after {self.reopen_count} reopens)"
            )
            self._record(self.ReferredToSupervisor, SYSTEM_ACTOR, at, reason=reason)

    def reopen(self, actor: Actor, at: datetime, reason: str, tk: Timekeeping) -> None:
        """重办 by a supervisor after resolution, reply or evaluation: a new
        resolve cycle with a fresh deadline."""
        reason = text(reason, "reason")
        self._allow("reopen", actor, Status.RESOLVED, Status.REPLIED, Status.EVALUATED)
        self._reopen(actor, at, reason, tk, automatic=False)

    def _reopen(
        self, actor: Actor, at: datetime, reason: str, tk: Timekeeping, automatic: bool
    ) -> None:
        self._record(
            self.Reopened,
            actor,
            at,
            reason=reason,
            automatic=automatic,
            resolve_due=self._due(tk, Stage.RESOLVE, at),
            sla_version=tk.version,
        )

    def open_deadline(self, stage: str) -> datetime | None:
        """The deadline of ``stage`` if it is running now (a paused resolve
        stage is not: its clock is stopped)."""
        if not self.is_open:
            return None
        if stage == "first_response":
            return None if self.responded else self.first_response_due
        running = {
            "accept": (Status.ASSIGNED, self.accept_due),
            "resolve": (Status.IN_PROGRESS, self.resolve_due),
            "reply": (Status.RESOLVED, self.reply_due),
        }.get(stage)
        if running is None or self.status != running[0]:
            return None
        if stage == "resolve" and self.paused:
            return None
        return running[1]

    def escalate(
        self, actor: Actor, at: datetime, stage: str, level: int, tk: Timekeeping
    ) -> None:
        """Records a rung of the escalation ladder for a late stage, once."""
        authorize("escalate", actor, unit=self.unit, uscc=self.uscc)
        rung = next((r for r in tk.policy.escalation if r.level == level), None)
        if rung is None:
            raise InvalidField("level", f"the ladder has no rung {level}")
        due = self.open_deadline(stage)
        if due is None:
            self._refuse("escalate", f"its {stage} stage is not running")
        late = tk.working_time(due, aware(at, "at"))
        if at <= due or late < rung.offset(tk.calendar.day_length):
            self._refuse("escalate", f"its {stage} stage is not late enough yet")
        if escalation_key(stage, due, level) in self.escalations:
            self._refuse("escalate", f"rung {level} of {stage} is already recorded")
        label_zh, label_en = RUNG_LABELS[level]
        self._record(
            self.Escalated,
            actor,
            at,
            stage=stage,
            level=level,
            due=due,
            late_seconds=int(late.total_seconds()),
            note=f"{label_zh} ({label_en})",
        )

    def lapse_evaluation(self, actor: Actor, at: datetime) -> None:
        """Records that the evaluation window passed with no evaluation."""
        authorize("lapse_evaluation", actor, unit=self.unit, uscc=self.uscc)
        if self.status != Status.REPLIED or self.evaluation_lapsed:
            self._refuse("lapse_evaluation", "no evaluation window is open")
        assert self.evaluation_due is not None
        if aware(at, "at") <= self.evaluation_due:
            self._refuse("lapse_evaluation", "the evaluation window is still open")
        self._record(self.EvaluationLapsed, actor, at, due=self.evaluation_due)

    def close(self, actor: Actor, at: datetime, note: str = "") -> None:
        """对账销号 after evaluation (or after the evaluation window lapsed);
        a referred appeal needs a supervisor."""
        note = text(note, "note", required=False)
        if self.status == Status.REPLIED and self.evaluation_lapsed:
            self._allow("close", actor, Status.REPLIED)
        else:
            self._allow("close", actor, Status.EVALUATED)
        if self.needs_supervisor and actor.role.value not in ("supervisor", "admin"):
            self._refuse("close", "it was referred to a supervisor")
        self._record(self.Closed, actor, at, note=note)

    def withdraw(self, actor: Actor, at: datetime, reason: str) -> None:
        """撤回 from any open state."""
        reason = text(reason, "reason")
        self._allow("withdraw", actor, *self._open_statuses())
        self._record(self.Withdrawn, actor, at, reason=reason)

    def merge_into(self, actor: Actor, at: datetime, into: UUID, reason: str) -> None:
        """Merge into another (open) appeal; the application checks the target."""
        reason = text(reason, "reason")
        if into == self.id:
            raise InvalidField("into", "an appeal cannot be merged into itself")
        self._allow("merge", actor, *self._open_statuses())
        self._record(self.Merged, actor, at, into=into, reason=reason)

    # ---- guards ---------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES

    def _open_statuses(self) -> tuple[Status, ...]:
        return tuple(s for s in Status if s not in FINAL_STATUSES)

    def _allow(self, command: str, actor: Actor, *statuses: Status) -> None:
        """Authorises the actor, then checks the current state allows it."""
        authorize(command, actor, unit=self.unit, uscc=self.uscc)
        if self.status not in statuses:
            allowed = ", ".join(s.value for s in statuses)
            self._refuse(command, f"it must be {allowed}")

    def _refuse(self, command: str, reason: str) -> NoReturn:
        raise CommandNotAllowed(command, self.status, reason)

    def _later(self, value: datetime, at: datetime, field: str) -> datetime:
        """An extension must move the deadline later, and into the future."""
        if aware(value, field) <= at:
            raise InvalidField(field, "must be later than now")
        if self.resolve_due is not None and value <= self.resolve_due:
            current = self.resolve_due.isoformat()
            raise InvalidField(field, f"must be later than the deadline {current}")
        return value

    def _due(self, tk: Timekeeping, stage: Stage, at: datetime) -> datetime:
        return tk.due(stage, aware(at, "at"), self.priority, self.category)

    def _record(
        self, event_class: type[Event], actor: Actor, at: datetime, **fields: Any
    ) -> None:
        """Triggers the event with its actor, time and chain link; the link
        hashes exactly the state the event will store."""
        state: dict[str, Any] = {
            "originator_id": self.id,
            "originator_version": self.version + 1,
            "timestamp": aware(at, "at"),
            "actor": actor.as_record(),
            **fields,
        }
        chain = link(self.chain_head, getattr(event_class, "TOPIC"), state)  # noqa: B009
        del state["originator_id"], state["originator_version"]
        self.trigger_event(event_class, chain=chain, **state)
