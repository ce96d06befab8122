"""The Appeal aggregate: given events, when a command, then events or an error."""

from __future__ import annotations

from copy import deepcopy
from datetime import datetime
from uuid import uuid4

import pytest

from appeals.application.queries import view_of
from appeals.domain import events as ev
from appeals.domain.appeal import Appeal
from appeals.domain.commands import (
    Accept,
    Assign,
    Close,
    DecideExtension,
    Evaluate,
    Merge,
    NoteProgress,
    Pause,
    Receive,
    Reopen,
    Reply,
    RequestExtension,
    Resolve,
    Resume,
    Return,
    Rules,
    Supervise,
)
from appeals.domain.errors import CommandNotAllowed, InvalidCreditCode, InvalidField
from appeals.domain.values import (
    TEXT_LIMITS,
    Category,
    Channel,
    Outcome,
    Priority,
    Satisfaction,
)
from tests.builders import RULES, given, when
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    ENTERPRISE,
    HANDLER,
    INTAKE,
    SUPERVISOR,
    T0,
    TK,
    USCC,
    appeal_in,
    at,
    history_in,
    received,
)


def event_types(appeal: Appeal) -> list[type[object]]:
    return [type(e) for e in appeal.collect_events()]


def test_receipt_records_who_when_and_what_exactly_as_given() -> None:
    title = "厂房🏭用电增容 — 「急」\u200b"
    appeal = Appeal.receive(
        Receive(
            uscc=USCC.lower(),
            enterprise_name="昆山某某精密机械有限公司",
            channel=Channel.VISIT,
            category=Category.UTILITIES,
            priority=Priority.URGENT,
            title=title,
            description="",
        ),
        appeal_id=uuid4(),
        ticket="20261008-000042",
        actor=INTAKE,
        at=T0,
        rules=RULES,
    )
    (event,) = appeal.collect_events()
    assert type(event) is ev.Received
    assert event.timestamp == T0
    assert event.actor == {  # type: ignore[attr-defined]
        "id": "op-1",
        "role": "intake",
        "name": "王受理",
        "unit": None,
        "uscc": None,
    }
    assert event.title == title  # type: ignore[attr-defined]
    assert event.uscc == USCC  # type: ignore[attr-defined]
    assert appeal.status == "received"
    assert appeal.ticket == "20261008-000042"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91330100716105852", "must be 18 characters"),
        ("91330100716105852G", "check character is 'G' but should be 'F'"),
        ("9133010071610585IF", "character 'I' at position 17 is not allowed"),
    ],
)
def test_a_bad_credit_code_is_refused_with_the_reason(code: str, reason: str) -> None:
    with pytest.raises(InvalidCreditCode) as refused:
        Appeal.receive(
            Receive(
                uscc=code,
                enterprise_name="x",
                channel=Channel.HOTLINE,
                category=Category.OTHER,
                priority=Priority.NORMAL,
                title="x",
                description="",
            ),
            appeal_id=uuid4(),
            ticket="20261008-000001",
            actor=INTAKE,
            at=T0,
            rules=RULES,
        )
    assert refused.value.field == "uscc"
    assert reason in refused.value.reason


def test_free_text_over_its_limit_is_refused() -> None:
    appeal = appeal_in("in_progress")
    with pytest.raises(InvalidField) as refused:
        when(appeal, NoteProgress("长" * (TEXT_LIMITS["note"] + 1)), HANDLER, at(3))
    assert refused.value.field == "note"
    assert appeal.collect_events() == []


def test_an_instant_without_a_time_zone_is_refused() -> None:
    appeal = appeal_in("assigned")
    with pytest.raises(InvalidField) as refused:
        when(appeal, Accept(), HANDLER, datetime(2026, 10, 8, 10, 0))
    assert refused.value.field == "at"


def test_the_normal_path_from_receipt_to_close() -> None:
    history = history_in("closed")
    appeal = given(history)
    assert appeal.version == 7
    assert view_of(history).outcome == "resolved"
    assert view_of(history).evaluation == {
        "resolved": True,
        "satisfaction": "satisfied",
        "grade": None,
        "source": "enterprise",
    }
    assert view_of(history).reconciliation == "confirmed"


def test_a_return_sends_the_appeal_back_for_dispatch_without_a_unit() -> None:
    history = history_in("assigned")
    appeal = given(history)
    when(appeal, Return("不属于本单位职责，建议转市场监管局"), HANDLER, at(2))
    returned = appeal.collect_events()
    assert [type(e) for e in returned] == [ev.Returned]
    return_count = view_of([*history, *returned]).return_count
    assert (appeal.status, appeal.unit, return_count) == ("received", None, 1)
    when(appeal, Assign("SZ-SCJGJ", None), DISPATCHER, at(3))
    assert appeal.unit == "SZ-SCJGJ"


def test_pause_and_resume_while_waiting_for_the_enterprise() -> None:
    appeal = appeal_in("in_progress")
    when(appeal, Pause("请补充近三年财务报表"), HANDLER, at(3))
    with pytest.raises(CommandNotAllowed, match="already paused"):
        when(appeal, Pause("again"), HANDLER, at(4))
    with pytest.raises(CommandNotAllowed, match="paused waiting"):
        when(appeal, Resolve(Outcome.RESOLVED, "done"), HANDLER, at(4))
    when(appeal, Resume("材料已补齐"), HANDLER, at(5))
    with pytest.raises(CommandNotAllowed, match="not paused"):
        when(appeal, Resume(""), HANDLER, at(6))
    assert event_types(appeal) == [ev.Paused, ev.Resumed]
    assert appeal.paused is False


def test_an_extension_is_requested_then_approved_with_the_requested_date() -> None:
    # Resolve due Thu 15 Oct 17:30 (from the next day: make-up Sat 10, 12, 13,
    # 14, 15); at(170) is Fri 16 Oct 11:12, within 3 working days of it.
    appeal = appeal_in("in_progress")
    when(appeal, RequestExtension(at(170), "涉及跨部门协调"), HANDLER, at(3))
    with pytest.raises(CommandNotAllowed, match="pending"):
        when(appeal, RequestExtension(at(190), "again"), HANDLER, at(4))
    when(appeal, DecideExtension(approve=True, note="同意"), SUPERVISOR, at(5))
    events = appeal.collect_events()
    assert [type(e) for e in events] == [ev.ExtensionRequested, ev.ExtensionApproved]
    assert events[1].new_deadline == at(170)  # type: ignore[attr-defined]
    assert appeal.pending_extension is None


def test_an_extension_can_be_refused_and_then_requested_again() -> None:
    appeal = appeal_in("in_progress")
    when(appeal, RequestExtension(at(170), "理由"), HANDLER, at(3))
    when(appeal, DecideExtension(approve=False, note="理由不充分"), DISPATCHER, at(4))
    when(appeal, RequestExtension(at(190), "补充理由"), HANDLER, at(5))
    assert event_types(appeal) == [
        ev.ExtensionRequested,
        ev.ExtensionRefused,
        ev.ExtensionRequested,
    ]


def test_an_extension_deadline_in_the_past_is_refused() -> None:
    appeal = appeal_in("in_progress")
    with pytest.raises(InvalidField) as refused:
        when(appeal, RequestExtension(at(2), "理由"), HANDLER, at(3))
    assert refused.value.field == "requested_deadline"


def test_an_extension_must_move_the_deadline_later() -> None:
    appeal = appeal_in("in_progress")
    assert appeal.resolve_due is not None
    with pytest.raises(InvalidField, match="later than the deadline"):
        when(appeal, RequestExtension(appeal.resolve_due, "理由"), HANDLER, at(3))


@pytest.mark.parametrize("level", [0, 4, True, "2"])
def test_supervision_levels_are_one_to_three(level: object) -> None:
    appeal = appeal_in("in_progress")
    with pytest.raises(InvalidField, match="level"):
        when(appeal, Supervise(level, "催办"), SUPERVISOR, at(3))  # type: ignore[arg-type]


def test_supervision_keeps_the_highest_level_reached() -> None:
    history = history_in("in_progress")
    appeal = given(history)
    when(appeal, Supervise(2, "督办"), SUPERVISOR, at(3))
    when(appeal, Supervise(1, "再催"), SUPERVISOR, at(4))
    assert view_of([*history, *appeal.collect_events()]).supervision_level == 2


def test_unsatisfied_evaluation_reopens_to_the_same_unit_automatically() -> None:
    appeal = appeal_in("replied")
    when(appeal, Evaluate(False, Satisfaction.UNSATISFIED, "没解决"), ENTERPRISE, at(5))
    events = appeal.collect_events()
    assert [type(e) for e in events] == [ev.Evaluated, ev.Reopened]
    assert events[1].actor["role"] == "system"  # type: ignore[attr-defined]
    assert events[1].automatic is True  # type: ignore[attr-defined]
    assert (appeal.status, appeal.unit, appeal.reopen_count) == (
        "in_progress",
        "SZ-RSJ",
        1,
    )


def test_past_the_reopen_limit_an_unsatisfied_appeal_goes_to_a_supervisor() -> None:
    appeal = appeal_in("replied")
    for cycle in range(2):
        when(
            appeal,
            Evaluate(False, Satisfaction.UNSATISFIED, ""),
            ENTERPRISE,
            at(5 + cycle),
        )
        when(appeal, Resolve(Outcome.PARTIAL, "部分解决"), HANDLER, at(5.5 + cycle))
        when(appeal, Reply(Channel.HOTLINE, "再次告知"), HANDLER, at(5.7 + cycle))
    appeal.collect_events()
    when(
        appeal,
        Evaluate(False, Satisfaction.UNSATISFIED, ""),
        ENTERPRISE,
        at(9),
        Rules(TK, max_reopens=2),
    )
    assert event_types(appeal) == [ev.Evaluated, ev.ReferredToSupervisor]
    assert appeal.needs_supervisor
    assert appeal.status == "evaluated"
    with pytest.raises(CommandNotAllowed, match="referred to a supervisor"):
        when(appeal, Close(), DISPATCHER, at(10))
    when(appeal, Close("督办确认"), SUPERVISOR, at(10))
    assert appeal.status == "closed"


def test_a_configured_limit_of_zero_reopens_refers_at_once() -> None:
    appeal = appeal_in("replied")
    when(
        appeal,
        Evaluate(True, Satisfaction.UNSATISFIED, ""),
        ENTERPRISE,
        at(5),
        Rules(TK, max_reopens=0),
    )
    assert event_types(appeal) == [ev.Evaluated, ev.ReferredToSupervisor]


def test_a_supervisor_reopens_and_the_cycle_starts_again() -> None:
    history = history_in("evaluated")
    appeal = given(history)
    when(appeal, Reopen("抽查发现未落实"), SUPERVISOR, at(7))
    assert appeal.status == "in_progress"
    view = view_of([*history, *appeal.collect_events()])
    assert view.evaluation is None
    assert view.outcome is None


def test_an_appeal_cannot_be_merged_into_itself() -> None:
    appeal = received()
    with pytest.raises(InvalidField, match="itself"):
        when(appeal, Merge(appeal.id, "重复"), DISPATCHER, at(1))


def test_merged_appeal_points_at_its_target() -> None:
    appeal = received(collect=False)
    target = uuid4()
    when(appeal, Merge(target, "重复"), DISPATCHER, at(1))
    merged_into = view_of(appeal.collect_events()).merged_into
    assert (appeal.status, merged_into) == ("merged", target)


def test_a_copy_of_an_appeal_is_equal_and_independent() -> None:
    """The store hands commands a deep copy of its cached appeal: a command
    on the copy must leave the cached one exactly as it was."""
    original = appeal_in("in_progress")
    when(original, RequestExtension(at(170), "涉及跨部门协调"), HANDLER, at(3))
    original.collect_events()
    copied = deepcopy(original)
    assert copied == original
    assert copied is not original
    assert copied.pending_extension is not original.pending_extension
    assert copied.escalations is not original.escalations
    copied.pending_extension["reason"] = "改"  # type: ignore[index]
    copied.escalations.append("x")
    assert original.pending_extension == {
        "requested_deadline": at(170),
        "reason": "涉及跨部门协调",
    }
    assert original.escalations == []
    progressed = appeal_in("in_progress")
    before = deepcopy(progressed)
    working = deepcopy(progressed)
    when(working, Pause("请补充材料"), HANDLER, at(3))
    assert working.version == progressed.version + 1
    assert progressed == before  # untouched by the command on its copy
    assert event_types(working) == [ev.Paused]
    assert progressed.collect_events() == []
