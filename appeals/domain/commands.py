"""Commands: what a caller asks of an appeal, as plain typed values.

Imperative names (``Assign``), one per lifecycle command, data only. The HTTP
edge builds them from request bodies (their fields are the body's fields);
the application executes each through its table of ``{Command: Appeal.method}``
(appeals.application.service), and the aggregate method decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from appeals.domain.deadlines import Timekeeping
from appeals.domain.directory import EMPTY_DIRECTORY, Directory
from appeals.domain.values import (
    AppealKind,
    AttachmentPurpose,
    CallbackOutcome,
    Category,
    Channel,
    ExclusionReason,
    Grade,
    Outcome,
    Priority,
    Satisfaction,
)

DEFAULT_MAX_REOPENS = 2
"""Automatic reopens after unsatisfied evaluations before a supervisor decides."""


@dataclass(frozen=True)
class Rules:
    """Configurable rules the aggregate applies: the calendar and time-limit
    policy, how many automatic reopens before a supervisor decides, and the
    directory of registered units, cadres and catalogue items that routing
    checks (appeals.domain.directory)."""

    timekeeping: Timekeeping
    max_reopens: int = DEFAULT_MAX_REOPENS
    directory: Directory = EMPTY_DIRECTORY


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
    kind: AppealKind | None = None
    """诉求类型 (consult, help, complaint, ...): time limits are keyed on it."""
    item: str | None = None
    """A catalogue item in force that the filer chose (a suggestion for
    dispatch; Open311's ``service_code``)."""
    address: str = ""
    """Where, if it matters (a site, a plot, a road)."""


@dataclass(frozen=True)
class Command:
    """A command on an existing appeal (``POST /appeals/{id}/{name}``)."""

    name: ClassVar[str]
    summary: ClassVar[str]


@dataclass(frozen=True)
class Assign(Command):
    """交办/派单 to a registered unit (its code), optionally a registered cadre
    serving it, optionally by a routing catalogue item (its code): the item
    gives the lead unit when no unit is named, and the co-units, 诉求类型 and
    time limits. A unit or an item is required."""

    name = "assign"
    summary = "Assign to a registered unit and cadre, or by catalogue item (交办)"
    unit: str | None = None
    cadre: str | None = None
    item: str | None = None
    co_units: tuple[str, ...] = ()
    """协办 units besides the item's (registered, active, not the lead)."""


@dataclass(frozen=True)
class AnswerOnTheSpot(Command):
    """当场办: intake answers a received appeal at once from a catalogue
    item, with the item's standard answer unless another is given; the
    appeal goes straight to the enterprise's evaluation."""

    name = "answer-on-the-spot"
    summary = "Answer at intake from a catalogue item (当场办); evaluation follows"
    item: str
    answer: str = ""


@dataclass(frozen=True)
class Accept(Command):
    name = "accept"
    summary = "Acknowledge receipt by the assigned unit (签收)"


@dataclass(frozen=True)
class Return(Command):
    name = "return"
    summary = "Return a misrouted appeal, with a reason (退回)"
    reason: str


@dataclass(frozen=True)
class NoteProgress(Command):
    name = "note-progress"
    summary = "Record a progress note (办理进展)"
    note: str
    public: bool = True
    """Whether the enterprise reads it (default public; appeals.domain.disclosure)."""


@dataclass(frozen=True)
class Pause(Command):
    name = "pause"
    summary = "Wait for the enterprise to supply information (补充材料)"
    reason: str


@dataclass(frozen=True)
class Resume(Command):
    name = "resume"
    summary = "The enterprise supplied what was asked; the clock runs again"
    note: str = ""
    public: bool = True
    """Whether the enterprise reads it (default public; appeals.domain.disclosure)."""


@dataclass(frozen=True)
class RequestExtension(Command):
    name = "request-extension"
    summary = "Ask to move the resolution deadline (延期申请)"
    requested_deadline: datetime
    reason: str


@dataclass(frozen=True)
class DecideExtension(Command):
    name = "decide-extension"
    summary = "Approve (optionally with another date) or refuse an extension"
    approve: bool
    new_deadline: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class RequestExclusion(Command):
    """剔除申请: the unit (or the centre) asks that the appeal be left out of
    assessment, saying why and with what evidence."""

    name = "request-exclusion"
    summary = "Ask that the appeal be left out of assessment (剔除申请), with evidence"
    reason: ExclusionReason
    evidence: str


@dataclass(frozen=True)
class DecideExclusion(Command):
    name = "decide-exclusion"
    summary = "Grant or refuse a pending exclusion request (剔除审核)"
    approve: bool
    note: str = ""


@dataclass(frozen=True)
class Supervise(Command):
    name = "supervise"
    summary = "Urge the unit, at escalation level 1-3 (督办)"
    level: int
    note: str
    public: bool = False
    """Whether the enterprise reads it (default internal; appeals.domain.disclosure)."""


@dataclass(frozen=True)
class Resolve(Command):
    name = "resolve"
    summary = "Finish handling with an outcome (办结)"
    outcome: Outcome
    result: str
    public: bool = True
    """Whether the enterprise reads it (default public; appeals.domain.disclosure)."""


@dataclass(frozen=True)
class Reply(Command):
    name = "reply"
    summary = "Communicate the result to the enterprise (反馈)"
    channel: Channel
    content: str


@dataclass(frozen=True)
class Evaluate(Command):
    name = "evaluate"
    summary = "The enterprise's evaluation (企业评价, 好差评); a 差评 reopens for 整改"
    resolved: bool
    satisfaction: Satisfaction | None = None
    """The three-grade verdict; with ``grade`` it must be the grade's."""
    comment: str = ""
    grade: Grade | None = None
    """好差评 on the five-grade scale; gives ``satisfaction`` by the table
    (appeals.domain.values.GRADE_TO_SATISFACTION). One of the two is required."""


@dataclass(frozen=True)
class Reopen(Command):
    name = "reopen"
    summary = "Send back to the same unit for another cycle (重办)"
    reason: str
    public: bool = False
    """Whether the enterprise reads it (default internal; appeals.domain.disclosure)."""


@dataclass(frozen=True)
class Close(Command):
    name = "close"
    summary = "Reconcile and close (对账销号)"
    note: str = ""
    public: bool = False
    """Whether the enterprise reads it (default internal; appeals.domain.disclosure)."""


@dataclass(frozen=True)
class Withdraw(Command):
    name = "withdraw"
    summary = "The enterprise withdraws the appeal (撤回)"
    reason: str


@dataclass(frozen=True)
class Merge(Command):
    name = "merge"
    summary = "Merge into another open appeal about the same matter"
    into: UUID
    reason: str


@dataclass(frozen=True)
class Comment(Command):
    """留言: the enterprise writes on its appeal (or intake for it, or an
    official); public unless an official marks it internal."""

    name = "comment"
    summary = "Write a comment on the appeal (留言)"
    text: str
    public: bool = True
    """Whether the enterprise reads it (default public; appeals.domain.disclosure)."""


@dataclass(frozen=True)
class SupplyMaterials(Command):
    """补充材料: the enterprise supplies what the handler paused for, naming
    attachments it uploaded (their SHA-256); the clock resumes at once."""

    name = "supply-materials"
    summary = "Supply the materials asked for; the clock resumes (补充材料)"
    note: str
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Urge(Command):
    name = "urge"
    summary = "The enterprise urges the unit (企业催办)"
    note: str = ""


@dataclass(frozen=True)
class CallBack(Command):
    """回访: the centre calls the enterprise back and records the attempt.
    Reached, it records the enterprise's verdict (``grade``, and whether it
    was ``resolved`` except on a quality-check sample); otherwise the
    failure, and after the policy's attempts the appeal is 无法回访."""

    name = "callback"
    summary = "Record a callback attempt (回访): reached with the verdict, or not"
    outcome: CallbackOutcome
    grade: Grade | None = None
    resolved: bool | None = None
    note: str = ""


@dataclass(frozen=True)
class AnswerOrder(Command):
    """督办回复: answer the open supervision order of a rung on a late stage."""

    name = "answer-order"
    summary = "Answer a supervision order (督办回复)"
    stage: str
    level: int
    answer: str


@dataclass(frozen=True)
class AcceptPart(Command):
    """协办签收 by a co-handling unit (a handler: its own unit)."""

    name = "accept-part"
    summary = "A co-handling unit accepts its part (协办签收)"
    unit: str | None = None


@dataclass(frozen=True)
class ReportPart(Command):
    """协办反馈: a co-handling unit reports its part to the lead unit."""

    name = "report-part"
    summary = "A co-handling unit reports its part (协办反馈)"
    report: str
    unit: str | None = None
    public: bool = False


@dataclass(frozen=True)
class WaivePart(Command):
    """A supervisor waives a co-unit's part (recorded with the reason)."""

    name = "waive-part"
    summary = "Waive a co-handling unit's part, with the reason (免于协办)"
    unit: str
    reason: str


@dataclass(frozen=True)
class TakeOver(Command):
    """领导领办: a registered leader takes the appeal over; it is supervised
    under the leader's name from then on."""

    name = "take-over"
    summary = "A leader takes the appeal over (领导领办)"
    leader: str
    note: str = ""


@dataclass(frozen=True)
class Sample(Command):
    """抽查: draw an evaluated or closed appeal for a quality-check callback."""

    name = "sample"
    summary = "Draw an evaluated or closed appeal for a quality check (抽查)"
    reason: str = ""


@dataclass(frozen=True)
class AddAttachment(Command):
    """附件: a file already in the blob store, recorded on the appeal (not a
    JSON command: ``POST /appeals/{id}/attachments`` uploads the file and the
    HTTP edge builds this from what the upload measured)."""

    name = "add-attachment"
    summary = "Attach a file (附件)"
    sha256: str
    size: int
    media_type: str
    filename: str
    purpose: AttachmentPurpose = AttachmentPurpose.SUPPLEMENT
    public: bool | None = None
    """Officials' attachments are internal unless true; the enterprise's are
    always public."""


@dataclass(frozen=True)
class Escalate(Command):
    """Time-driven (the scheduler's, not an HTTP command): record a rung of
    the escalation ladder for a late stage."""

    name = "escalate"
    summary = "Record a rung of the escalation ladder for a late stage"
    stage: str
    level: int


@dataclass(frozen=True)
class Warn(Command):
    """Time-driven (the scheduler's): 预警 before a running stage's deadline."""

    name = "warn"
    summary = "Warn that a running stage's deadline is near (预警)"
    stage: str


@dataclass(frozen=True)
class LapseEvaluation(Command):
    """Time-driven (the scheduler's, not an HTTP command): the evaluation
    window passed with no evaluation."""

    name = "lapse-evaluation"
    summary = "Record that the evaluation window passed with no evaluation"


COMMANDS: dict[str, type[Command]] = {
    cls.name: cls
    for cls in (
        Assign,
        AnswerOnTheSpot,
        Accept,
        Return,
        NoteProgress,
        Pause,
        Resume,
        RequestExtension,
        DecideExtension,
        RequestExclusion,
        DecideExclusion,
        Supervise,
        Resolve,
        Reply,
        Evaluate,
        Reopen,
        Close,
        Withdraw,
        Merge,
        Comment,
        SupplyMaterials,
        Urge,
        CallBack,
        Sample,
        AnswerOrder,
        AcceptPart,
        ReportPart,
        WaivePart,
        TakeOver,
    )
}
"""The commands a client may send, by the name used in their URL."""
