"""The appeal's events: what happened to an appeal, as stored.

One frozen class per fact, each with its actor (the authenticated principal),
its business time (``timestamp``, carried by the command) and its link in the
appeal's hash chain. ``apply`` evolves the write-side state of
:class:`appeals.domain.appeal.Appeal`.

Topics are explicit and stable (``"Appeal.Accepted"``): stored events name
their class by topic, so moving or renaming a class never orphans them (the
``Appeal`` aggregate registers them). To change an event's fields, raise its
``class_version`` and add ``upcast_v1_v2(state)`` (see docs/events.md, which
:func:`appeals.domain.event_docs.render` writes from these classes); a new
field with a default needs neither: an event stored before it reads the default.

Clocks. The 12345 centre's dispatch stage (接诉转办, charged to the centre)
runs from receipt and from each return (退单) to the next assignment, answer
on the spot (当场办), withdrawal or merge: ``dispatch_due`` on ``Received``,
``Returned`` and a ``Reopened`` that sends an answered-on-the-spot appeal back
to dispatch. The first-response clock of an appeal received with a dispatch
deadline starts at assignment: ``Assigned.first_response_due`` is set on each
assignment while the appeal has had no first response (a re-assignment after
a return restarts it for the new unit), so neither the centre's dispatch time
nor a bounced appeal's time is charged to a unit. Appeals received before
(``Received.dispatch_due`` absent) keep the receipt-based
``Received.first_response_due`` they were given. ``counting`` names the
counting convention of the deadlines an event records (``"office_hours"``,
``"next_day"``; absent: ``"office_hours"``, the only one there was).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from appeals.domain.values import Status

if TYPE_CHECKING:
    from appeals.domain.appeal import Appeal

ActorRecord = dict[str, str | None]

OFFICE_HOURS = "office_hours"
"""The counting convention of every deadline recorded before conventions were
named: N x office hours from the start instant."""


WARNING_LEVEL = -1
"""The warning (预警) is kept beside the rungs as the one before the reminder."""


def escalation_key(stage: str, due: datetime, level: int) -> str:
    """One rung of one deadline: a moved deadline (pause, extension) is a new
    one, so its ladder starts again."""
    return f"{stage}@{due.isoformat()}#{level}"


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
    """The first event of an appeal (the library's creation event)."""

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
    first_response_due: datetime | None
    """Appeals received before the dispatch stage: the first-response deadline
    counted from receipt. None when it starts at assignment (``dispatch_due``
    set)."""
    sla_version: str
    provisional: bool = False
    """A deadline here falls in a provisional (estimated) calendar year."""
    kind: str | None = None
    """诉求类型 (appeals.domain.values.AppealKind), if intake gave one."""
    dispatch_due: datetime | None = None
    """The centre's dispatch (接诉转办) deadline."""
    counting: str = OFFICE_HOURS
    """The counting convention of this event's deadline."""
    item: str | None = None
    """The catalogue item the filer chose (Open311 ``service_code``): a
    suggestion for dispatch, not a routing."""
    address: str = ""
    """Where, if the filer said (Open311 ``address_string``, ``lat``/``long``)."""
    visit: str | None = None
    """The visit (走访) this problem was found on (channel ``visit``)."""

    def apply(self, appeal: Appeal) -> None:
        appeal.ticket = self.ticket
        appeal.uscc = self.uscc
        appeal.category = self.category
        appeal.priority = self.priority
        appeal.status = Status.RECEIVED.value
        appeal.unit = None
        appeal.paused = False
        appeal.pending_extension = None
        appeal.exclusion = None
        appeal.reopen_count = 0
        appeal.needs_supervisor = False
        appeal.first_response_due = self.first_response_due
        appeal.responded = False
        appeal.escalations = []
        appeal.evaluation_lapsed = False
        appeal.extension_count = 0
        appeal.accept_due = None
        appeal.resolve_due = None
        appeal.reply_due = None
        appeal.evaluation_due = None
        appeal.paused_at = None
        appeal.kind = self.kind
        appeal.dispatch_due = self.dispatch_due
        appeal.responds_from_assignment = self.dispatch_due is not None
        appeal.item = None
        appeal.deadline_kind = self.kind
        appeal.limits = None


class Assigned(Event):
    """交办/派单: dispatched to a responsible unit and optionally a cadre, by a
    routing catalogue item or not. Ends the centre's dispatch stage; starts
    the unit's acceptance, resolution and first-response clocks (see
    "Clocks" in docs/events.md)."""

    TOPIC = "Appeal.Assigned"
    unit: str
    cadre: str | None
    accept_due: datetime
    resolve_due: datetime
    sla_version: str
    provisional: bool = False
    """A deadline here falls in a provisional (estimated) calendar year."""
    item: str | None = None
    """The routing catalogue item's code, if routed by one."""
    item_version: int | None = None
    co_units: Sequence[str] = ()
    """协办 units (the item's), besides the lead ``unit``."""
    kind: str | None = None
    """The 诉求类型 the deadlines were computed for (the item's, else the appeal's)."""
    limits: dict[str, str] | None = None
    """The item's time limits (stage -> "5d") that applied, if any."""
    counting: str = OFFICE_HOURS
    """The counting convention of ``resolve_due`` (the others follow it unless
    their limit is in hours)."""
    first_response_due: datetime | None = None
    """The unit's first-response deadline, counted from this assignment (None:
    the appeal already had its first response, or its clock ran from receipt)."""
    co_accept_due: datetime | None = None
    """Each co-unit's own acceptance deadline (the accept limit), if any."""
    co_report_due: datetime | None = None
    """Each co-unit's own deadline to report its part (the resolve limit)."""

    def apply(self, appeal: Appeal) -> None:
        new_callback_round(appeal)
        appeal.co_parts = {
            unit: {"accepted": False, "reported": False, "waived": False}
            for unit in self.co_units
        }
        appeal.status = Status.ASSIGNED.value
        appeal.unit = self.unit
        appeal.accept_due = self.accept_due
        appeal.resolve_due = self.resolve_due
        appeal.dispatch_due = None
        appeal.item = self.item
        appeal.deadline_kind = self.kind
        appeal.limits = self.limits
        if self.first_response_due is not None:
            appeal.first_response_due = self.first_response_due


class AnsweredOnTheSpot(Event):
    """当场办: intake answered the appeal at once from a routing catalogue
    item (its standard answer or another); ends the dispatch stage, counts as
    the first response, and opens the evaluation window."""

    TOPIC = "Appeal.AnsweredOnTheSpot"
    item: str
    item_version: int
    answer: str
    evaluation_due: datetime
    counting: str
    sla_version: str
    provisional: bool = False
    """A deadline here falls in a provisional (estimated) calendar year."""
    callback_due: datetime | None = None
    """回访 due (the policy's ``callback`` limit from the answer)."""

    def apply(self, appeal: Appeal) -> None:
        appeal.status = Status.REPLIED.value
        appeal.evaluation_due = self.evaluation_due
        appeal.responded = True
        appeal.evaluation_lapsed = False
        new_callback_round(appeal)
        appeal.dispatch_due = None
        appeal.item = self.item


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
    dispatch_due: datetime | None = None
    """The centre's dispatch deadline, counted again from the return."""
    counting: str = OFFICE_HOURS
    sla_version: str | None = None
    provisional: bool = False
    """A deadline here falls in a provisional (estimated) calendar year."""

    def apply(self, appeal: Appeal) -> None:
        new_callback_round(appeal)
        appeal.status = Status.RECEIVED.value
        appeal.unit = None
        appeal.paused = False
        appeal.paused_at = None
        appeal.pending_extension = None
        appeal.accept_due = None
        appeal.resolve_due = None
        appeal.dispatch_due = self.dispatch_due
        if appeal.responds_from_assignment and not appeal.responded:
            appeal.first_response_due = None  # the next unit's starts afresh


class ProgressNoted(Event):
    """办理进展: a progress note."""

    TOPIC = "Appeal.ProgressNoted"
    note: str
    public: bool = True
    """Whether the enterprise reads the note (appeals.domain.disclosure)."""

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
    provisional: bool = False
    """A deadline here falls in a provisional (estimated) calendar year."""
    public: bool = True
    """Whether the enterprise reads the note (appeals.domain.disclosure)."""

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


class ExclusionRequested(Event):
    """剔除申请: the appeal should be left out of assessment, and why."""

    TOPIC = "Appeal.ExclusionRequested"
    reason: str
    evidence: str

    def apply(self, appeal: Appeal) -> None:
        appeal.exclusion = {
            "status": "requested",
            "reason": self.reason,
            "evidence": self.evidence,
            "note": None,
        }


class ExclusionGranted(Event):
    """剔除批准: the appeal is left out of every assessment from now on."""

    TOPIC = "Appeal.ExclusionGranted"
    note: str

    def apply(self, appeal: Appeal) -> None:
        appeal.exclusion = {
            **(appeal.exclusion or {}),
            "status": "granted",
            "note": self.note,
        }


class ExclusionRefused(Event):
    """剔除不予批准: the appeal stays in the assessment."""

    TOPIC = "Appeal.ExclusionRefused"
    note: str

    def apply(self, appeal: Appeal) -> None:
        appeal.exclusion = {
            **(appeal.exclusion or {}),
            "status": "refused",
            "note": self.note,
        }


class ExtensionApproved(Event):
    """延期批准: the resolution deadline moves to ``new_deadline``."""

    TOPIC = "Appeal.ExtensionApproved"
    new_deadline: datetime
    note: str
    provisional: bool = False
    """A deadline here falls in a provisional (estimated) calendar year."""

    def apply(self, appeal: Appeal) -> None:
        appeal.pending_extension = None
        appeal.resolve_due = self.new_deadline
        appeal.extension_count += 1


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
    public: bool = False
    """Whether the enterprise reads the note (appeals.domain.disclosure)."""


class Resolved(Event):
    """办结: handling finished with an outcome and a result."""

    TOPIC = "Appeal.Resolved"
    outcome: str
    result: str
    reply_due: datetime
    sla_version: str
    provisional: bool = False
    """A deadline here falls in a provisional (estimated) calendar year."""
    counting: str = OFFICE_HOURS
    public: bool = True
    """Whether the enterprise reads the result (appeals.domain.disclosure)."""

    def apply(self, appeal: Appeal) -> None:
        appeal.status = Status.RESOLVED.value
        appeal.reply_due = self.reply_due
        appeal.responded = True


class Replied(Event):
    """反馈: the result was communicated to the enterprise."""

    TOPIC = "Appeal.Replied"
    channel: str
    content: str
    evaluation_due: datetime
    sla_version: str
    provisional: bool = False
    """A deadline here falls in a provisional (estimated) calendar year."""
    counting: str = OFFICE_HOURS
    callback_due: datetime | None = None
    """回访 due (the policy's ``callback`` limit from the reply); absent in
    replies recorded before callbacks were kept: due at once."""

    def apply(self, appeal: Appeal) -> None:
        appeal.status = Status.REPLIED.value
        appeal.evaluation_due = self.evaluation_due
        appeal.responded = True
        appeal.evaluation_lapsed = False
        new_callback_round(appeal)


class Evaluated(Event):
    """回访/企业评价: the enterprise judged the result."""

    TOPIC = "Appeal.Evaluated"
    resolved: bool
    satisfaction: str
    """The three-grade verdict every rate counts (from ``grade`` by
    ``appeals.domain.values.GRADE_TO_SATISFACTION`` when a grade was given)."""
    comment: str
    grade: str | None = None
    """好差评 on the five-grade scale; absent in evaluations recorded before it."""
    source: str = "enterprise"
    """``enterprise`` (its own), ``callback`` (回访 by the centre)."""
    close_due: datetime | None = None
    """对账销号 due (the policy's ``close`` limit); none when a 差评 reopens
    the appeal at once, and in evaluations recorded before the close stage."""

    def apply(self, appeal: Appeal) -> None:
        appeal.status = Status.EVALUATED.value
        appeal.close_due = self.close_due


class Reopened(Event):
    """重办: back to the same unit for another resolve cycle; an appeal
    answered on the spot (no unit) goes back to the centre to be dispatched
    (``dispatch_due`` set, no ``resolve_due``)."""

    TOPIC = "Appeal.Reopened"
    reason: str
    automatic: bool
    resolve_due: datetime | None
    sla_version: str
    provisional: bool = False
    """A deadline here falls in a provisional (estimated) calendar year."""
    counting: str = OFFICE_HOURS
    dispatch_due: datetime | None = None
    public: bool = False
    """Whether the enterprise reads the reason (appeals.domain.disclosure)."""
    rectification: bool = False
    """核实整改 after a 差评: ``resolve_due`` is the policy's ``rectify`` limit."""

    def apply(self, appeal: Appeal) -> None:
        appeal.close_due = None
        appeal.sampled = False
        new_callback_round(appeal)
        if self.dispatch_due is not None:
            appeal.status = Status.RECEIVED.value
            appeal.dispatch_due = self.dispatch_due
        else:
            appeal.status = Status.IN_PROGRESS.value
        appeal.resolve_due = self.resolve_due
        appeal.reply_due = None
        appeal.evaluation_due = None
        appeal.reopen_count += 1
        appeal.needs_supervisor = False
        appeal.paused = False


class Escalated(Event):
    """督办 by the system: a stage ran past its deadline by a rung of the
    escalation ladder (0: reminder 催办; 3: public notice 通报)."""

    TOPIC = "Appeal.Escalated"
    stage: str
    level: int
    due: datetime
    late_seconds: int
    note: str
    addressee_kind: str | None = None
    """督办单: ``unit``, ``unit_leader``, ``parent_leader`` or ``centre_head``
    (the policy's ``[orders]``); absent in rungs recorded before orders."""
    addressee_unit: str | None = None
    """The unit the order is addressed to."""
    addressee: str | None = None
    """The registered leader (cadre code) it is addressed to, if one is."""
    reply_due: datetime | None = None
    """When the order must be answered; unanswered, the next rung follows."""

    def apply(self, appeal: Appeal) -> None:
        key = escalation_key(self.stage, self.due, self.level)
        appeal.escalations = [*appeal.escalations, key]
        if self.reply_due is not None:
            appeal.open_orders = {**appeal.open_orders, key: self.reply_due}


class OrderAnswered(Event):
    """督办回复: the addressee answered a supervision order."""

    TOPIC = "Appeal.OrderAnswered"
    stage: str
    level: int
    due: datetime
    """The deadline the order was about (with ``stage`` and ``level``, the order)."""
    answer: str

    def apply(self, appeal: Appeal) -> None:
        key = escalation_key(self.stage, self.due, self.level)
        appeal.open_orders = {k: v for k, v in appeal.open_orders.items() if k != key}


class Warned(Event):
    """预警 by the system: most of a running stage's time has passed (the
    policy's ``warning_share``); its deadline is near, not past."""

    TOPIC = "Appeal.Warned"
    stage: str
    due: datetime
    note: str

    def apply(self, appeal: Appeal) -> None:
        key = escalation_key(self.stage, self.due, WARNING_LEVEL)
        appeal.escalations = [*appeal.escalations, key]


class EvaluationLapsed(Event):
    """The evaluation window closed with no evaluation from the enterprise;
    the appeal may now be closed, and rates count it separately."""

    TOPIC = "Appeal.EvaluationLapsed"
    due: datetime
    close_due: datetime | None = None
    """对账销号 due, counted from when the window passed (``due``)."""

    def apply(self, appeal: Appeal) -> None:
        appeal.evaluation_lapsed = True
        appeal.close_due = self.close_due


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
    public: bool = False
    """Whether the enterprise reads the note (appeals.domain.disclosure)."""
    reconciliation: str | None = None
    """对账: ``confirmed`` (the enterprise evaluated) or ``lapsed`` (its
    window passed); absent in closings recorded before it was kept."""

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


class Commented(Event):
    """留言: the enterprise (or intake on its behalf, or an official) wrote
    on the appeal; the clock is not touched."""

    TOPIC = "Appeal.Commented"
    text: str
    public: bool = True
    """Whether the enterprise reads it (appeals.domain.disclosure)."""


class MaterialsSupplied(Event):
    """补充材料已提交: the enterprise supplied what a handler paused for, with
    the attachments it uploaded; a ``Resumed`` by the same actor follows in
    the same command, so the clock runs again at once."""

    TOPIC = "Appeal.MaterialsSupplied"
    note: str
    attachments: Sequence[str] = ()
    """SHA-256 of attachments already on the appeal (``AttachmentAdded``)."""


class Urged(Event):
    """企业催办: the enterprise urges the unit; counted per unit in reports."""

    TOPIC = "Appeal.Urged"
    note: str
    unit: str | None = None
    """The unit the appeal was with when urged (none while at the centre)."""

    def apply(self, appeal: Appeal) -> None:
        appeal.urge_count = appeal.urge_count + 1


class AttachmentAdded(Event):
    """附件: a file on the appeal, stored content-addressed in the blob store;
    its hash, size, sniffed type and name are here, so the chain covers them."""

    TOPIC = "Appeal.AttachmentAdded"
    sha256: str
    size: int
    media_type: str
    name: str
    purpose: str
    """``supplement`` (补充材料), ``evidence`` (佐证材料) or ``other``."""
    public: bool = True
    """Whether the enterprise may see and download it."""

    def apply(self, appeal: Appeal) -> None:
        appeal.attachments = [*appeal.attachments, self.sha256]


def new_callback_round(appeal: Appeal) -> None:
    """A new reason to call back (a reply, a reopen, a new assignment, a
    sample): no attempts made yet."""
    appeal.callback_failures = 0
    appeal.callback_concluded = False


class CalledBack(Event):
    """回访: one attempt by the centre to call the enterprise back. Reached,
    it carries the verdict when no evaluation follows (``purpose`` ``expired``:
    the resolve deadline passed with no reply, so an ignored appeal gets a
    verdict; ``sample``: 抽查); after a reply the verdict is the ``Evaluated``
    recorded with it. ``unreachable`` (无法回访) after the policy's failed
    attempts."""

    TOPIC = "Appeal.CalledBack"
    purpose: str
    """``reply`` (after 反馈), ``expired`` (limit passed, no reply), ``sample``."""
    outcome: str
    """``reached``, ``no_answer``, ``refused``, ``wrong_number``."""
    attempt: int
    """The attempt's number in this round (1, 2, ...)."""
    unit: str | None
    """The unit the appeal is with (whose verdict this is)."""
    note: str
    resolved: bool | None = None
    grade: str | None = None
    satisfaction: str | None = None
    unreachable: bool = False

    def apply(self, appeal: Appeal) -> None:
        if self.outcome == "reached" or self.unreachable:
            appeal.callback_concluded = True
            appeal.callback_failures = 0
            if self.purpose == "sample":
                appeal.sampled = False
        else:
            appeal.callback_failures = appeal.callback_failures + 1


class Sampled(Event):
    """抽查: drawn for a quality-check callback."""

    TOPIC = "Appeal.Sampled"
    reason: str

    def apply(self, appeal: Appeal) -> None:
        appeal.sampled = True
        new_callback_round(appeal)


def _part(appeal: Appeal, unit: str, **changes: bool) -> None:
    appeal.co_parts = {
        **appeal.co_parts,
        unit: {**appeal.co_parts[unit], **changes},
    }


class PartAccepted(Event):
    """协办签收: a co-handling unit accepted its part."""

    TOPIC = "Appeal.PartAccepted"
    unit: str

    def apply(self, appeal: Appeal) -> None:
        _part(appeal, self.unit, accepted=True)


class PartReported(Event):
    """协办反馈: a co-handling unit reported its part to the lead unit."""

    TOPIC = "Appeal.PartReported"
    unit: str
    report: str
    public: bool = False
    """Whether the enterprise reads the report (appeals.domain.disclosure)."""

    def apply(self, appeal: Appeal) -> None:
        _part(appeal, self.unit, accepted=True, reported=True)


class PartWaived(Event):
    """免于协办: a supervisor waived a co-unit's part, with the reason."""

    TOPIC = "Appeal.PartWaived"
    unit: str
    reason: str

    def apply(self, appeal: Appeal) -> None:
        _part(appeal, self.unit, waived=True)


class TakenOver(Event):
    """领导领办: a leader took the appeal over; its supervision orders are
    addressed to the leader from then on."""

    TOPIC = "Appeal.TakenOver"
    leader: str
    """The leader's cadre code."""
    leader_unit: str
    note: str

    def apply(self, appeal: Appeal) -> None:
        appeal.leader = self.leader
