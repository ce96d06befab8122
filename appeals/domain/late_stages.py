"""Time-driven decisions on an appeal: which stage deadline is running, a
late stage's rungs of the escalation ladder, the evaluation window's lapse.

The scheduler (appeals.application.escalation) sends these as commands from
the system actor; the rules here decide whether each is due. The centre's
dispatch stage (接诉转办) is one of them: a late dispatch climbs the ladder
like a unit's late stage, and is the centre's.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from appeals.domain import events, sla
from appeals.domain.commands import (
    AnswerOrder,
    Escalate,
    LapseEvaluation,
    Rules,
    TakeOver,
    Warn,
)
from appeals.domain.errors import InvalidField
from appeals.domain.events import WARNING_LEVEL, escalation_key
from appeals.domain.guards import AppealState, aware
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.sla import RUNG_LABELS, Addressee, Stage
from appeals.domain.timeliness import CENTRE_STAGES
from appeals.domain.values import Actor, Status, text
from appeals.domain.working_time import SHANGHAI

LATE_STAGES: tuple[str, ...] = tuple(
    dict.fromkeys((Stage.DISPATCH.value, *sla.LATE_STAGES))
)
"""The stages that run late and climb the escalation ladder: the centre's
dispatch stage and the units' stages (``appeals.domain.sla.LATE_STAGES``).
The scheduler, the overdue report and the aggregate read this list."""


class LateStages(AppealState):
    """The time-driven decisions of :class:`appeals.domain.appeal.Appeal`,
    and the supervision orders (督办单) its rungs issue."""

    if TYPE_CHECKING:
        open_orders: dict[str, datetime]
        """Unanswered orders: escalation key -> reply deadline."""
        leader: str | None
        """A leader who took the appeal over (领导领办): orders go to them."""
    else:
        open_orders = {}  # replaced, never changed in place
        leader = None

    def open_deadline(self, stage: str) -> datetime | None:
        """The deadline of ``stage`` if it is running now (a paused resolve
        stage is not: its clock is stopped)."""
        if not self.is_open or stage not in LATE_STAGES:
            return None
        if stage == Stage.FIRST_RESPONSE:
            return None if self.responded else self.first_response_due
        if stage == Stage.CLOSE:  # 对账销号: after the evaluation or its lapse
            closing = self.status == Status.EVALUATED or (
                self.status == Status.REPLIED and self.evaluation_lapsed
            )
            return getattr(self, "close_due", None) if closing else None
        running = {
            Stage.DISPATCH: (Status.RECEIVED, self.dispatch_due),
            Stage.ACCEPT: (Status.ASSIGNED, self.accept_due),
            Stage.RESOLVE: (Status.IN_PROGRESS, self.resolve_due),
            Stage.REPLY: (Status.RESOLVED, self.reply_due),
        }[Stage(stage)]
        if self.status != running[0]:
            return None
        if stage == Stage.RESOLVE and self.paused:
            return None
        return running[1]

    def escalate(
        self, command: Escalate, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """Records a rung of the escalation ladder for a late stage, once."""
        stage, level, tk = command.stage, command.level, rules.timekeeping
        self.check_permitted("escalate", actor)
        rung = next((r for r in tk.policy.escalation if r.level == level), None)
        if rung is None:
            raise InvalidField("level", f"the ladder has no rung {level}")
        due = self.open_deadline(stage)
        if due is None:
            self._refuse("escalate", f"its {stage} stage is not running")
        late = tk.working_time(due, aware(at, "at"))
        unanswered = self._unanswered_before(stage, due, level, at)
        if at <= due or (
            late < rung.offset(tk.calendar.day_length) and unanswered is None
        ):
            self._refuse("escalate", f"its {stage} stage is not late enough yet")
        if escalation_key(stage, due, level) in self.escalations:
            self._refuse("escalate", f"rung {level} of {stage} is already recorded")
        kind, unit, leader = self._addressee(stage, level, rules)
        reply_due = tk.due_after(tk.policy.orders.reply, at)
        label_zh, label_en = RUNG_LABELS[level]
        to = leader or unit
        reason = "" if unanswered is None else f"，第{unanswered}级督办单逾期未复"
        self._record(
            events.Escalated,
            actor,
            at,
            stage=stage,
            level=level,
            due=due,
            late_seconds=int(late.total_seconds()),
            note=f"{label_zh}：督办单致 {to}{reason} ({label_en}, order to {to})",
            addressee_kind=kind.value,
            addressee_unit=unit,
            addressee=leader,
            reply_due=reply_due,
        )

    def _unanswered_before(
        self, stage: str, due: datetime, level: int, at: datetime
    ) -> int | None:
        """The level of an earlier rung's order on this deadline left
        unanswered past its reply deadline, if any: the next rung is due."""
        orders: dict[str, datetime] = getattr(self, "open_orders", {})
        for earlier in range(level - 1, -1, -1):
            reply_due = orders.get(escalation_key(stage, due, earlier))
            if reply_due is not None and at > reply_due:
                return earlier
        return None

    def _addressee(
        self, stage: str, level: int, rules: Rules
    ) -> tuple[Addressee, str, str | None]:
        """Whom the rung's order goes to: the kind the policy names for the
        level, the unit, and its registered leader (None if none is)."""
        kind = rules.timekeeping.policy.orders.addressee(level)
        directory = rules.directory
        taken = directory.cadre(self.leader) if self.leader else None
        if taken is not None and kind is not Addressee.UNIT:
            return kind, taken.unit, taken.code  # 领导领办: under the leader's name
        unit = self.unit if stage not in CENTRE_STAGES and self.unit else CENTRE_UNIT
        if kind is Addressee.PARENT_LEADER:
            entry = directory.unit(unit)
            unit = entry.parent if entry is not None and entry.parent else CENTRE_UNIT
        elif kind is Addressee.CENTRE_HEAD:
            unit = CENTRE_UNIT
        if kind is Addressee.UNIT:
            return kind, unit, None
        leaders = directory.leaders(unit)
        return kind, unit, leaders[0].code if leaders else None

    def take_over(
        self, command: TakeOver, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """领导领办 of an open appeal by a registered, active leader."""
        code = text(command.leader, "cadre")
        note = text(command.note, "note", required=False)
        self.check_permitted("take_over", actor)
        self.check_is_open("take_over")
        leader = rules.directory.cadre(code)
        if leader is None or leader.retired or "leader" not in leader.roles:
            raise InvalidField(
                "leader",
                f"'{code}' 不是在任的领导干部 is not a registered, active leader",
            )
        if self.leader == code:
            self._refuse("take_over", f"{code} has already taken it over")
        self._record(
            events.TakenOver, actor, at, leader=code, leader_unit=leader.unit, note=note
        )

    def answer_order(
        self, command: AnswerOrder, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """督办回复: the addressee answers an open supervision order of the
        running stage (the unit's own staff, the centre, a supervisor)."""
        answer = text(command.answer, "answer")
        self.check_permitted("answer_order", actor)
        orders: dict[str, datetime] = getattr(self, "open_orders", {})
        prefix, suffix = f"{command.stage}@", f"#{command.level}"
        found = [k for k in orders if k.startswith(prefix) and k.endswith(suffix)]
        if not found:
            self._refuse(
                "answer_order",
                f"no open supervision order of level {command.level} on its "
                f"{command.stage} stage",
            )
        key = found[-1]
        due = datetime.fromisoformat(key[len(prefix) : -len(suffix)])
        self._record(
            events.OrderAnswered,
            actor,
            at,
            stage=command.stage,
            level=command.level,
            due=due,
            answer=answer,
        )

    def warn(self, command: Warn, actor: Actor, at: datetime, rules: Rules) -> None:
        """预警: the stage is running, its deadline not yet past, and this
        deadline was not warned of before (the scheduler decides when the
        policy's share of its time has passed)."""
        self.check_permitted("warn", actor)
        stage = command.stage
        if stage not in LATE_STAGES:
            raise InvalidField("stage", f"{stage!r} is not a stage that runs late")
        if rules.timekeeping.policy.warning_share is None:
            self._refuse("warn", "the time-limit policy gives no warnings")
        due = self.open_deadline(stage)
        if due is None:
            self._refuse("warn", f"its {stage} stage is not running")
        if aware(at, "at") >= due:
            self._refuse("warn", f"its {stage} deadline has passed: it escalates")
        if escalation_key(stage, due, WARNING_LEVEL) in self.escalations:
            self._refuse("warn", f"its {stage} deadline was already warned of")
        when = due.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        self._record(
            events.Warned,
            actor,
            at,
            stage=stage,
            due=due,
            note=f"预警：{stage} 将于 {when} 到期 (due {when})",
        )

    def lapse_evaluation(
        self, command: LapseEvaluation, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """Records that the evaluation window passed with no evaluation."""
        self.check_permitted("lapse_evaluation", actor)
        if self.status != Status.REPLIED or self.evaluation_lapsed:
            self._refuse("lapse_evaluation", "no evaluation window is open")
        assert self.evaluation_due is not None
        if aware(at, "at") <= self.evaluation_due:
            self._refuse("lapse_evaluation", "the evaluation window is still open")
        due = self.evaluation_due
        close_due = self._due(rules.timekeeping, Stage.CLOSE, due)
        self._record(events.EvaluationLapsed, actor, at, due=due, close_due=close_due)
