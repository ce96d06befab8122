"""The Appeal aggregate (企业诉求): one enterprise request, from receipt to
reconcile-and-close (docs/domain.md lifecycle).

Each command value (appeals.domain.commands) has one method here that
decides: named guards, then one event (appeals.domain.events), which evolves
the state in its ``apply``. Every event records the actor and the business
time the command carried; the domain never reads a clock.

Routing asks ``rules.directory`` (registered units, cadres and catalogue
items). The clocks: the 12345 centre's dispatch stage (接诉转办) runs from
receipt and from each return to the next assignment or answer on the spot
(当场办); a unit's first-response clock starts when the appeal is assigned to
it (for appeals received with a dispatch deadline; older appeals keep the
receipt-based deadline they were given), so the centre's time and a bounced
appeal's time are never charged to a unit.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from appeals.domain import events
from appeals.domain.chain import GENESIS, chained
from appeals.domain.co_handling import CoHandling
from appeals.domain.commands import (
    DEFAULT_MAX_REOPENS,
    Accept,
    AnswerOnTheSpot,
    Assign,
    Close,
    DecideExclusion,
    DecideExtension,
    Evaluate,
    Merge,
    NoteProgress,
    Pause,
    Receive,
    Reopen,
    Reply,
    RequestExclusion,
    RequestExtension,
    Resolve,
    Resume,
    Return,
    Rules,
    Supervise,
    Withdraw,
)
from appeals.domain.directory import CatalogueEntry, Directory
from appeals.domain.errors import InvalidField
from appeals.domain.events import escalation_key
from appeals.domain.follow_through import FollowThrough, grading
from appeals.domain.guards import DeadlineTerms, aware
from appeals.domain.interaction import Interaction
from appeals.domain.late_stages import LateStages
from appeals.domain.permissions import authorize
from appeals.domain.sla import Stage
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import (
    Actor,
    AppealKind,
    Channel,
    ExclusionReason,
    Role,
    Status,
    text,
)

__all__ = ["DEFAULT_MAX_REOPENS", "Appeal", "aware", "escalation_key"]


class Appeal(
    CoHandling,
    FollowThrough,
    Interaction,
    LateStages,
    Aggregate,
    created_event_name="Received",
):
    """An enterprise appeal and the decisions its lifecycle allows."""

    TOPIC = "Appeal"

    # The events, reachable as Appeal.Received etc. (the library finds the
    # creation event and registers every topic through these names).
    if TYPE_CHECKING:
        Event: TypeAlias = events.Event
        Created: TypeAlias = events.Created
        Received: TypeAlias = events.Received
        Assigned: TypeAlias = events.Assigned
        AnsweredOnTheSpot: TypeAlias = events.AnsweredOnTheSpot
        Accepted: TypeAlias = events.Accepted
        Returned: TypeAlias = events.Returned
        ProgressNoted: TypeAlias = events.ProgressNoted
        Paused: TypeAlias = events.Paused
        Resumed: TypeAlias = events.Resumed
        ExtensionRequested: TypeAlias = events.ExtensionRequested
        ExtensionApproved: TypeAlias = events.ExtensionApproved
        ExtensionRefused: TypeAlias = events.ExtensionRefused
        ExclusionRequested: TypeAlias = events.ExclusionRequested
        ExclusionGranted: TypeAlias = events.ExclusionGranted
        ExclusionRefused: TypeAlias = events.ExclusionRefused
        Supervised: TypeAlias = events.Supervised
        Resolved: TypeAlias = events.Resolved
        Replied: TypeAlias = events.Replied
        Evaluated: TypeAlias = events.Evaluated
        Reopened: TypeAlias = events.Reopened
        Escalated: TypeAlias = events.Escalated
        EvaluationLapsed: TypeAlias = events.EvaluationLapsed
        ReferredToSupervisor: TypeAlias = events.ReferredToSupervisor
        Closed: TypeAlias = events.Closed
        Withdrawn: TypeAlias = events.Withdrawn
        Merged: TypeAlias = events.Merged
        Commented: TypeAlias = events.Commented
        MaterialsSupplied: TypeAlias = events.MaterialsSupplied
        Urged: TypeAlias = events.Urged
        AttachmentAdded: TypeAlias = events.AttachmentAdded
        Warned: TypeAlias = events.Warned
        CalledBack: TypeAlias = events.CalledBack
        Sampled: TypeAlias = events.Sampled
        OrderAnswered: TypeAlias = events.OrderAnswered
        PartAccepted: TypeAlias = events.PartAccepted
        PartReported: TypeAlias = events.PartReported
        PartWaived: TypeAlias = events.PartWaived
        TakenOver: TypeAlias = events.TakenOver
    else:
        Event = events.Event
        Created = events.Created
        Received = events.Received
        Assigned = events.Assigned
        AnsweredOnTheSpot = events.AnsweredOnTheSpot
        Accepted = events.Accepted
        Returned = events.Returned
        ProgressNoted = events.ProgressNoted
        Paused = events.Paused
        Resumed = events.Resumed
        ExtensionRequested = events.ExtensionRequested
        ExtensionApproved = events.ExtensionApproved
        ExtensionRefused = events.ExtensionRefused
        ExclusionRequested = events.ExclusionRequested
        ExclusionGranted = events.ExclusionGranted
        ExclusionRefused = events.ExclusionRefused
        Supervised = events.Supervised
        Resolved = events.Resolved
        Replied = events.Replied
        Evaluated = events.Evaluated
        Reopened = events.Reopened
        Escalated = events.Escalated
        EvaluationLapsed = events.EvaluationLapsed
        ReferredToSupervisor = events.ReferredToSupervisor
        Closed = events.Closed
        Withdrawn = events.Withdrawn
        Merged = events.Merged
        Commented = events.Commented
        MaterialsSupplied = events.MaterialsSupplied
        Urged = events.Urged
        AttachmentAdded = events.AttachmentAdded
        Warned = events.Warned
        CalledBack = events.CalledBack
        Sampled = events.Sampled
        OrderAnswered = events.OrderAnswered
        PartAccepted = events.PartAccepted
        PartReported = events.PartReported
        PartWaived = events.PartWaived
        TakenOver = events.TakenOver

    # ---- commands -------------------------------------------------------

    @classmethod
    def receive(
        cls,
        command: Receive,
        *,
        appeal_id: UUID,
        ticket: str,
        actor: Actor,
        at: datetime,
        rules: Rules,
        visit: tuple[UUID, str] | None = None,
    ) -> Appeal:
        """受理. The application allocates the ticket number and id; this
        records the receipt and the centre's dispatch deadline (the
        first-response clock starts at assignment). A problem found on a
        visit (走访) names the visit and its cadre's unit (``visit``): it is
        filed through the visit channel by that unit, the centre or a
        supervisor."""
        uscc = validate_uscc(command.uscc)
        kind = None if command.kind is None else AppealKind.parse(command.kind, "kind")
        if visit is None:
            authorize("receive", actor, unit=None, uscc=uscc)
        else:
            authorize("file_from_visit", actor, unit=visit[1], uscc=uscc)
            if command.channel is not Channel.VISIT:
                raise InvalidField(
                    "channel", "走访发现的问题渠道为 visit (filed from a visit)"
                )
        if actor.role is Role.ENTERPRISE and command.channel is not Channel.PORTAL:
            raise InvalidField(
                "channel",
                "企业自助提交的诉求渠道为 portal an enterprise files its own "
                "appeals through the portal",
            )
        at = aware(at, "at")
        tk = rules.timekeeping
        keys = (command.priority.value, command.category.value)
        kind_code = None if kind is None else kind.value
        external_id = command.external_id
        fields: dict[str, Any] = {
            "ticket": ticket,
            "uscc": uscc,
            "enterprise_name": text(command.enterprise_name, "enterprise_name"),
            "channel": command.channel.value,
            "category": command.category.value,
            "priority": command.priority.value,
            "title": text(command.title, "title"),
            "description": text(command.description, "description", required=False),
            "contact": text(command.contact, "contact", required=False),
            "external_id": None
            if external_id is None
            else text(external_id, "external_id"),
            "first_response_due": None,
            "sla_version": tk.version,
            "kind": kind_code,
            "dispatch_due": tk.due(Stage.DISPATCH, at, *keys, kind=kind_code),
            "counting": tk.counting(Stage.DISPATCH, *keys, kind=kind_code),
        }
        fields["provisional"] = tk.provisional(fields["dispatch_due"])
        # Always recorded (the chain hashes what is stored, defaults included).
        fields["item"] = (
            None if command.item is None else cls._requested_item(command.item, rules)
        )
        fields["address"] = text(command.address, "address", required=False)
        fields["visit"] = None if visit is None else str(visit[0])
        header = {
            "originator_topic": get_topic(cls),
            "originator_id": appeal_id,
            "originator_version": cls.INITIAL_VERSION,
        }
        record = actor.as_record()
        state = chained(cls.Received.TOPIC, GENESIS, header, at, record, fields)
        return cls._create(cls.Received, id=appeal_id, **state)

    def assign(self, command: Assign, actor: Actor, at: datetime, rules: Rules) -> None:
        """交办 to a registered unit (and a cadre serving it), or by a catalogue
        item (its lead unit unless a unit is named; its co-units, 诉求类型 and
        limits). Ends the dispatch stage; starts the acceptance and resolution
        clocks afresh (also after a return), and the unit's first-response
        clock while the appeal has had no first response."""
        unit = None if command.unit is None else text(command.unit, "unit")
        cadre = text(command.cadre, "cadre") if command.cadre else None
        code = None if command.item is None else text(command.item, "item")
        self.check_permitted("assign", actor)
        self.check_status("assign", Status.RECEIVED)
        self.check_routed(unit, code)
        directory, tk = rules.directory, rules.timekeeping
        item = None if code is None else self.check_item_is_published(directory, code)
        field = "unit"
        if unit is None:
            assert item is not None
            unit, field = item.lead_unit, "item"
        self.check_unit_is_active(
            self.check_unit_is_registered(directory, unit, field), field
        )
        if cadre is not None:
            self.check_cadre_serves(directory, cadre, unit)
        co_units = self._co_units(directory, unit, item, command.co_units)
        if item is None:
            terms = DeadlineTerms(self.kind)
        else:
            terms = DeadlineTerms(item.kind, dict(item.limits) or None)
        first_response_due = None
        if self.responds_from_assignment and not self.responded:
            first_response_due = self._due(tk, Stage.FIRST_RESPONSE, at, terms)
        dues = self._dues(
            tk, at, terms, accept_due=Stage.ACCEPT, resolve_due=Stage.RESOLVE
        )
        dues["provisional"] = dues["provisional"] or tk.provisional(first_response_due)
        # every field is recorded, defaults too (the chain hashes what is stored)
        dues["co_accept_due"] = dues["accept_due"] if co_units else None
        dues["co_report_due"] = dues["resolve_due"] if co_units else None
        self._record(
            self.Assigned,
            actor,
            at,
            unit=unit,
            cadre=cadre,
            item=None if item is None else item.code,
            item_version=None if item is None else item.version,
            co_units=co_units,
            kind=terms.kind,
            limits=None if terms.limits is None else dict(terms.limits),
            first_response_due=first_response_due,
            **dues,
        )

    def _co_units(
        self,
        directory: Directory,
        lead: str,
        item: CatalogueEntry | None,
        added: tuple[str, ...],
    ) -> list[str]:
        """The item's co-handling units and those the dispatcher adds, each
        registered and active, none the lead, in order, once."""
        named = [text(code, "unit") for code in added]
        for code in named:
            if code == lead:
                raise InvalidField(
                    "co_units", f"协办单位不能是主办单位 {code} is the lead"
                )
            self.check_unit_is_active(
                self.check_unit_is_registered(directory, code, "co_units"), "co_units"
            )
        from_item = [] if item is None else [u for u in item.co_units if u != lead]
        return list(dict.fromkeys([*from_item, *named]))

    def answer_on_the_spot(
        self, command: AnswerOnTheSpot, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """当场办: intake answers a received appeal from a catalogue item (its
        standard answer unless another is given); the dispatch stage ends, the
        answer is the first response, and the evaluation window opens."""
        code = text(command.item, "item")
        given = text(command.answer, "answer", required=False)
        self.check_permitted("answer_on_the_spot", actor)
        self.check_status("answer_on_the_spot", Status.RECEIVED)
        item = self.check_item_is_published(rules.directory, code)
        answer = self._answer(given, item.code, item.standard_answer)
        tk = rules.timekeeping
        terms = DeadlineTerms(item.kind, dict(item.limits) or None)
        dues = self._dues(
            tk, at, terms, callback_due=Stage.CALLBACK, evaluation_due=Stage.EVALUATION
        )
        self._record(
            self.AnsweredOnTheSpot,
            actor,
            at,
            item=item.code,
            item_version=item.version,
            answer=answer,
            **dues,
        )

    @staticmethod
    def _requested_item(code: str, rules: Rules) -> str:
        """A catalogue item in force, as the filer named it."""
        entry = rules.directory.catalogue_item(text(code, "item"))
        if entry is None or entry.retired:
            raise InvalidField(
                "item",
                f"目录事项 '{code}' 不存在或已停用 "
                f"(no catalogue item '{code}' is in force)",
            )
        return entry.code

    @staticmethod
    def _answer(given: str, item: str, standard: str | None) -> str:
        """The answer given, else the item's standard answer, else refused."""
        for answer in (given, standard or ""):
            try:
                return text(answer, "answer")
            except InvalidField:
                continue
        raise InvalidField(
            "item",
            f"目录事项 '{item}' 没有标准答复，须填写答复 "
            f"(catalogue item '{item}' has no standard answer: give one)",
        )

    def accept(self, command: Accept, actor: Actor, at: datetime, rules: Rules) -> None:
        """签收 by the assigned unit."""
        self.check_permitted("accept", actor)
        self.check_status("accept", Status.ASSIGNED)
        self._record(self.Accepted, actor, at)

    def return_(
        self, command: Return, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """退回 a misrouted appeal to the dispatcher, with a reason."""
        reason = text(command.reason, "reason")
        self.check_permitted("return", actor)
        self.check_status("return", Status.ASSIGNED, Status.IN_PROGRESS)
        assert self.unit is not None
        dues = self._dues(
            rules.timekeeping, at, DeadlineTerms(self.kind), dispatch_due=Stage.DISPATCH
        )
        self._record(self.Returned, actor, at, unit=self.unit, reason=reason, **dues)

    def note_progress(
        self, command: NoteProgress, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """办理进展 while in progress."""
        note = text(command.note, "note")
        self.check_permitted("note_progress", actor)
        self.check_status("note_progress", Status.IN_PROGRESS)
        self._record(self.ProgressNoted, actor, at, note=note, public=command.public)

    def pause(self, command: Pause, actor: Actor, at: datetime, rules: Rules) -> None:
        """补充材料: wait for the enterprise (stops the resolve clock)."""
        reason = text(command.reason, "reason")
        self.check_permitted("pause", actor)
        self.check_status("pause", Status.IN_PROGRESS)
        self.check_is_not_paused("pause", "it is already paused")
        self._record(self.Paused, actor, at, reason=reason)

    def resume(self, command: Resume, actor: Actor, at: datetime, rules: Rules) -> None:
        """The enterprise supplied what was asked; the resolution deadline
        moves back by the working time spent waiting."""
        note = text(command.note, "note", required=False)
        self.check_permitted("resume", actor)
        self.check_status("resume", Status.IN_PROGRESS)
        self.check_is_paused("resume")
        self._record(
            self.Resumed,
            actor,
            at,
            note=note,
            **self._resumption(at, rules),
            public=command.public,
        )

    def _resumption(self, at: datetime, rules: Rules) -> dict[str, Any]:
        """The fields of a ``Resumed`` now: the working time spent waiting and
        the resolution deadline moved back by it."""
        tk = rules.timekeeping
        assert self.paused_at is not None
        assert self.resolve_due is not None
        waited = tk.working_time(self.paused_at, aware(at, "at"))
        resolve_due = tk.moved(self.resolve_due, waited)
        return {
            "paused_seconds": int(waited.total_seconds()),
            "resolve_due": resolve_due,
            "provisional": tk.provisional(resolve_due),
        }

    def request_extension(
        self, command: RequestExtension, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """延期申请 for the resolution deadline."""
        reason = text(command.reason, "reason")
        self.check_permitted("request_extension", actor)
        self.check_status("request_extension", Status.IN_PROGRESS)
        if self.pending_extension is not None:
            self._refuse("request_extension", "an extension request is pending")
        self.check_extensions_left("request_extension", rules.timekeeping)
        requested = self._extended(
            command.requested_deadline, at, "requested_deadline", rules.timekeeping
        )
        self._record(
            self.ExtensionRequested,
            actor,
            at,
            requested_deadline=requested,
            reason=reason,
        )

    def decide_extension(
        self, command: DecideExtension, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """Approve (with a new deadline, by default the one requested) or refuse."""
        note = text(command.note, "note", required=False)
        self.check_permitted("decide_extension", actor)
        self.check_status("decide_extension", Status.IN_PROGRESS)
        pending = self.check_extension_is_pending("decide_extension")
        if not command.approve:
            self._record(self.ExtensionRefused, actor, at, note=note)
            return
        self.check_extensions_left("decide_extension", rules.timekeeping)
        deadline = command.new_deadline or pending["requested_deadline"]
        deadline = self._extended(deadline, at, "new_deadline", rules.timekeeping)
        self._record(
            self.ExtensionApproved,
            actor,
            at,
            new_deadline=deadline,
            note=note,
            provisional=rules.timekeeping.provisional(deadline),
        )

    def request_exclusion(
        self, command: RequestExclusion, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """剔除申请: one at a time; a granted exclusion stands. A merged
        appeal is its target's: nothing to exclude."""
        reason = ExclusionReason.parse(command.reason, "reason")
        evidence = text(command.evidence, "evidence")
        self.check_permitted("request_exclusion", actor)
        if self.status == Status.MERGED.value:
            self._refuse("request_exclusion", "it was merged into another appeal")
        current = getattr(self, "exclusion", None)  # None in older snapshots
        if current is not None and current["status"] in ("requested", "granted"):
            self._refuse(
                "request_exclusion", f"an exclusion is already {current['status']}"
            )
        self._record(
            self.ExclusionRequested,
            actor,
            at,
            reason=reason.value,
            evidence=evidence,
        )

    def decide_exclusion(
        self, command: DecideExclusion, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """剔除审核 of the pending request: granted, or refused."""
        note = text(command.note, "note", required=False)
        self.check_permitted("decide_exclusion", actor)
        current = getattr(self, "exclusion", None)
        if current is None or current["status"] != "requested":
            self._refuse("decide_exclusion", "no exclusion request is pending")
        granted = self.ExclusionGranted if command.approve else self.ExclusionRefused
        self._record(granted, actor, at, note=note)

    def supervise(
        self, command: Supervise, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """督办 an open appeal at escalation level 1 (催办) to 3 (通报)."""
        note = text(command.note, "note")
        level = command.level
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 3:
            raise InvalidField("level", "must be 1, 2 or 3")
        self.check_permitted("supervise", actor)
        self.check_is_open("supervise")
        self._record(
            self.Supervised, actor, at, level=level, note=note, public=command.public
        )

    def resolve(
        self, command: Resolve, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """办结 with an outcome; a paused appeal must be resumed first."""
        result = text(command.result, "result")
        self.check_permitted("resolve", actor)
        self.check_status("resolve", Status.IN_PROGRESS)
        self.check_is_not_paused("resolve", "it is paused waiting for the enterprise")
        self.check_parts_in("resolve")
        outcome = command.outcome.value
        dues = self._dues(rules.timekeeping, at, reply_due=Stage.REPLY)
        self._record(
            self.Resolved,
            actor,
            at,
            outcome=outcome,
            result=result,
            **dues,
            public=command.public,
        )

    def reply(self, command: Reply, actor: Actor, at: datetime, rules: Rules) -> None:
        """反馈 the result to the enterprise; opens the evaluation window."""
        content = text(command.content, "content")
        self.check_permitted("reply", actor)
        self.check_status("reply", Status.RESOLVED)
        channel = command.channel.value
        dues = self._dues(
            rules.timekeeping,
            at,
            callback_due=Stage.CALLBACK,
            evaluation_due=Stage.EVALUATION,
        )
        self._record(self.Replied, actor, at, channel=channel, content=content, **dues)

    def evaluate(
        self, command: Evaluate, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """企业评价 (好差评): by the enterprise, or recorded by the centre from a
        call. A 差评 goes back to the same unit for 核实整改, up to
        ``rules.max_reopens`` times; after that referred to a supervisor."""
        comment = text(command.comment, "comment", required=False)
        if not isinstance(command.resolved, bool):
            raise InvalidField("resolved", "must be true or false")
        satisfaction = grading(command.grade, command.satisfaction)
        self.check_permitted("evaluate", actor)
        self.check_status("evaluate", Status.REPLIED)
        self._evaluate(
            actor,
            at,
            rules,
            resolved=command.resolved,
            grade=command.grade,
            satisfaction=satisfaction,
            comment=comment,
            source=self.evaluation_source(actor),
        )

    def reopen(self, command: Reopen, actor: Actor, at: datetime, rules: Rules) -> None:
        """重办 by a supervisor after resolution, reply or evaluation: a new
        resolve cycle with a fresh deadline."""
        reason = text(command.reason, "reason")
        self.check_permitted("reopen", actor)
        self.check_status("reopen", Status.RESOLVED, Status.REPLIED, Status.EVALUATED)
        self._reopen(actor, at, reason, rules, automatic=False, public=command.public)

    def _reopen(
        self,
        actor: Actor,
        at: datetime,
        reason: str,
        rules: Rules,
        automatic: bool,
        public: bool = False,
        rectification: bool = False,
    ) -> None:
        """To the same unit (for 核实整改 within the ``rectify`` limit after a
        差评); an appeal answered on the spot has none, so it goes back to the
        centre to be dispatched."""
        tk = rules.timekeeping
        if self.unit is None:
            dues = self._dues(
                tk, at, DeadlineTerms(self.kind), dispatch_due=Stage.DISPATCH
            )
            dues["resolve_due"] = None
        elif rectification:
            dues = self._dues(tk, at, resolve_due=Stage.RECTIFY)
        else:
            dues = self._dues(tk, at, resolve_due=Stage.RESOLVE)
        self._record(
            self.Reopened,
            actor,
            at,
            reason=reason,
            automatic=automatic,
            **dues,
            public=public,
            rectification=rectification and self.unit is not None,
        )

    def close(self, command: Close, actor: Actor, at: datetime, rules: Rules) -> None:
        """对账销号 after evaluation (or after the evaluation window lapsed);
        a referred appeal needs a supervisor."""
        note = text(command.note, "note", required=False)
        self.check_permitted("close", actor)
        if self.status == Status.REPLIED and self.evaluation_lapsed:
            self.check_status("close", Status.REPLIED)
        else:
            self.check_status("close", Status.EVALUATED)
        self.check_referral_allows_close(actor)
        self._record(
            self.Closed,
            actor,
            at,
            note=note,
            public=command.public,
            reconciliation=self.reconciliation(),
        )

    def withdraw(
        self, command: Withdraw, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """撤回 from any open state."""
        reason = text(command.reason, "reason")
        self.check_permitted("withdraw", actor)
        self.check_is_open("withdraw")
        self._record(self.Withdrawn, actor, at, reason=reason)

    def merge_into(
        self, command: Merge, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """Merge into another (open) appeal; the application checks the target."""
        reason = text(command.reason, "reason")
        if command.into == self.id:
            raise InvalidField("into", "an appeal cannot be merged into itself")
        self.check_permitted("merge", actor)
        self.check_is_open("merge")
        self._record(self.Merged, actor, at, into=command.into, reason=reason)

    def _record(
        self, event_class: type[events.Event], actor: Actor, at: datetime, **fields: Any
    ) -> None:
        """Triggers the event with its actor, time and chain link."""
        header = {"originator_id": self.id, "originator_version": self.version + 1}
        at, record = aware(at, "at"), actor.as_record()
        state = chained(
            get_topic(event_class), self.chain_head, header, at, record, fields
        )
        self.trigger_event(event_class, **state)
