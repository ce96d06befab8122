"""The centre's follow-through on an appeal (docs/domain.md, "12345 practice"):
callbacks (回访), 好差评 on the five-grade scale with rectification (核实整改)
after a 差评, quality-check samples (抽查), and reconcile-and-close (对账销号)
with its own time limit.

A callback is due for one of three reasons, its ``purpose``:

- ``reply``: the unit replied (反馈); reached, the enterprise's verdict is an
  ``Evaluated`` recorded with the callback (source ``callback``);
- ``expired``: the resolve deadline passed and the unit has not replied, so
  an ignored appeal still gets a verdict; it is carried by the ``CalledBack``
  itself and judges the unit's latest resolve cycle;
- ``sample``: a supervisor drew an evaluated or closed appeal for a quality
  check; its grade is counted in 抽查满意率, not in the unit's rates.

Each attempt is an event; after the policy's ``callback_attempts`` failures
the round is concluded as 无法回访 (``unreachable``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from appeals.domain import events
from appeals.domain.commands import CallBack, Rules, Sample
from appeals.domain.errors import InvalidField
from appeals.domain.guards import AppealState, aware
from appeals.domain.sla import Stage
from appeals.domain.values import (
    SYSTEM_ACTOR,
    Actor,
    CallbackOutcome,
    EvaluationSource,
    Grade,
    Role,
    Satisfaction,
    Status,
    text,
)

EXPIRED_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED)
"""Where an appeal may be when its resolve deadline passes with no reply."""
SAMPLED_STATUSES = (Status.EVALUATED, Status.CLOSED)
"""What a quality check (抽查) may draw: judged or closed appeals."""


def grading(grade: Grade | None, satisfaction: Satisfaction | None) -> Satisfaction:
    """The three-grade verdict an evaluation counts as: the grade's by the
    table, or the one given; both given must agree."""
    if grade is None:
        if satisfaction is None:
            raise InvalidField(
                "grade",
                "请给出评价等级 give the grade (好差评: very_satisfied, satisfied, "
                "basically_satisfied, unsatisfied, very_unsatisfied)",
            )
        return satisfaction
    if satisfaction is not None and satisfaction is not grade.satisfaction:
        raise InvalidField(
            "satisfaction",
            f"与评价等级不一致 the grade {grade.value} counts as "
            f"{grade.satisfaction.value}, not {satisfaction.value}",
        )
    return grade.satisfaction


class FollowThrough(AppealState):
    """Callbacks, samples, evaluation and closing of
    :class:`appeals.domain.appeal.Appeal`."""

    if TYPE_CHECKING:
        callback_failures: int
        callback_concluded: bool
        sampled: bool
        close_due: datetime | None

        def _reopen(
            self,
            actor: Actor,
            at: datetime,
            reason: str,
            rules: Rules,
            automatic: bool,
            public: bool = False,
            rectification: bool = False,
        ) -> None: ...

    else:
        # Defaults for appeals snapshotted before these were kept.
        callback_failures = 0
        callback_concluded = False
        sampled = False
        close_due = None

    def call_back(
        self, command: CallBack, actor: Actor, at: datetime, rules: Rules
    ) -> None:
        """回访: one attempt, reached (with the verdict) or not."""
        note = text(command.note, "note", required=False)
        reached = command.outcome is CallbackOutcome.REACHED
        self.check_permitted("callback", actor)
        purpose = self._callback_purpose(aware(at, "at"))
        satisfaction = None
        if reached:
            satisfaction = grading(command.grade, None)
            if purpose != "sample" and not isinstance(command.resolved, bool):
                raise InvalidField(
                    "resolved",
                    "回访须记录诉求是否解决 a reached callback records whether "
                    "the matter was resolved (true or false)",
                )
        elif command.grade is not None or command.resolved is not None:
            field = "grade" if command.grade is not None else "resolved"
            raise InvalidField(
                field, "未接通不能记录评价 only a reached callback records a verdict"
            )
        failures = self.callback_failures + (not reached)
        unreachable = not reached and (
            failures >= rules.timekeeping.policy.callback_attempts
        )
        carries = reached and purpose != "reply"  # no Evaluated follows
        self._record(
            events.CalledBack,
            actor,
            at,
            purpose=purpose,
            outcome=command.outcome.value,
            attempt=self.callback_failures + 1,
            unit=self.unit,
            note=note,
            resolved=command.resolved if carries else None,
            grade=command.grade.value if carries and command.grade else None,
            satisfaction=satisfaction.value if carries and satisfaction else None,
            unreachable=unreachable,
        )
        if reached and purpose == "reply":
            assert command.grade is not None
            assert command.resolved is not None
            self._evaluate(
                actor,
                at,
                rules,
                resolved=command.resolved,
                grade=command.grade,
                satisfaction=command.grade.satisfaction,
                comment=note,
                source=EvaluationSource.CALLBACK,
            )

    def _callback_purpose(self, at: datetime) -> str:
        """Why a callback is due now, or refused: none is."""
        if self.callback_concluded:
            self._refuse("callback", "this callback round is already concluded")
        if self.status == Status.REPLIED:
            return "reply"
        if self.sampled and self.status in SAMPLED_STATUSES:
            return "sample"
        if (
            self.status in EXPIRED_STATUSES
            and self.resolve_due is not None
            and not self.paused
            and at > self.resolve_due
        ):
            return "expired"
        self._refuse(
            "callback",
            "no callback is due: it follows the reply, a resolve deadline "
            "passed without one, or a quality-check sample",
        )
        return None

    def sample(self, command: Sample, actor: Actor, at: datetime, rules: Rules) -> None:
        """抽查: drawn for a quality-check callback."""
        reason = text(command.reason, "reason", required=False)
        self.check_permitted("sample", actor)
        self.check_status("sample", *SAMPLED_STATUSES)
        if self.sampled:
            self._refuse("sample", "it is already drawn for a quality check")
        self._record(events.Sampled, actor, at, reason=reason)

    def _evaluate(
        self,
        actor: Actor,
        at: datetime,
        rules: Rules,
        *,
        resolved: bool,
        grade: Grade | None,
        satisfaction: Satisfaction,
        comment: str,
        source: EvaluationSource,
    ) -> None:
        """Records the verdict. A 差评 (unsatisfied) goes back to the same
        unit for 核实整改 within the policy's ``rectify`` limit, up to
        ``rules.max_reopens`` times; after that a supervisor decides. Otherwise
        the close stage (对账销号) starts."""
        bad = satisfaction is Satisfaction.UNSATISFIED
        reopens = bad and self.reopen_count < rules.max_reopens
        close_due = None if reopens else self._due(rules.timekeeping, Stage.CLOSE, at)
        self._record(
            events.Evaluated,
            actor,
            at,
            resolved=resolved,
            satisfaction=satisfaction.value,
            comment=comment,
            grade=None if grade is None else grade.value,
            source=source.value,
            close_due=close_due,
        )
        if reopens:
            label = "差评" if grade is None else grade.zh
            reason = f"企业评价{label}，退回核实整改 (bad evaluation: rectify)"
            self._reopen(
                SYSTEM_ACTOR, at, reason, rules, automatic=True, rectification=True
            )
        elif bad:
            reason = (
                f"已重办{self.reopen_count}次仍不满意，提交督办 "
                f"(unsatisfied after {self.reopen_count} reopens)"
            )
            self._record(events.ReferredToSupervisor, SYSTEM_ACTOR, at, reason=reason)

    @staticmethod
    def evaluation_source(actor: Actor) -> EvaluationSource:
        """The enterprise's own evaluation, or the centre recording it from a call."""
        if actor.role is Role.ENTERPRISE:
            return EvaluationSource.ENTERPRISE
        return EvaluationSource.CALLBACK

    def reconciliation(self) -> str:
        """对账: how the enterprise's side ended before closing."""
        return "confirmed" if self.status == Status.EVALUATED else "lapsed"
