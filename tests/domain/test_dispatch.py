"""The 12345 centre's dispatch stage (接诉转办), the first-response clock
that starts at assignment, and 当场办 (answered at intake), given / when /
then on the aggregate, with the appeal's own timeliness fold.

T0 is Friday 9 Oct 2026 09:12 (office hours 09:00-12:00, 13:30-17:30; the
centre's limit is 210 working minutes): dispatch is due at 14:12."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from appeals.domain import events as ev
from appeals.domain.appeal import Appeal
from appeals.domain.commands import (
    Accept,
    AnswerOnTheSpot,
    Assign,
    Close,
    Escalate,
    Evaluate,
    NoteProgress,
    Return,
)
from appeals.domain.errors import CommandNotAllowed, InvalidField, NotPermitted
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.sla import Stage
from appeals.domain.timeliness import timeliness
from appeals.domain.values import SYSTEM_ACTOR, Satisfaction
from tests.builders import (
    DIRECTORY,
    ITEM,
    ITEM_WITHOUT_ANSWER,
    RETIRED_ITEM,
    TAX_UNIT,
    given,
    when,
)
from tests.domain.lifecycle_fixtures import (
    DISPATCHER,
    ENTERPRISE,
    HANDLER,
    INTAKE,
    T0,
    TK,
    UNIT,
    at,
    history_in,
    received,
    t,
)

COMMON = {"originator_id", "originator_version", "timestamp", "actor", "chain"}
DISPATCH_DUE = t(10, 9, 14, 12)
ITEM_TERMS: dict[str, Any] = {"kind": "consult", "limits": {"resolve": "3d"}}


def recorded(appeal: Appeal) -> list[tuple[type[object], dict[str, Any]]]:
    """The new events by value: each class and its own fields."""
    return [
        (type(e), {k: v for k, v in vars(e).items() if k not in COMMON})
        for e in appeal.collect_events()
    ]


def due(stage: Stage, start: datetime, **terms: Any) -> datetime:
    return TK.due(stage, start, "normal", "financing", **terms)


def cycles(events: list[Any], now: datetime) -> list[tuple[Any, ...]]:
    """(stage, unit, started, completed, ended_by) of every stage cycle."""
    return [
        (s["stage"], s["unit"], s["started_at"], s["completed_at"], s["ended_by"])
        for s in timeliness(events, now, TK)
    ]


def iso(value: datetime) -> str:
    return value.isoformat()


def test_receipt_starts_the_centres_dispatch_clock_not_a_units() -> None:
    appeal = received(collect=False)
    ((kind, fields),) = recorded(appeal)
    assert kind is ev.Received
    assert fields["dispatch_due"] == DISPATCH_DUE
    assert fields["first_response_due"] is None
    assert fields["counting"] == TK.counting(Stage.DISPATCH, "normal", "financing")
    assert appeal.open_deadline("dispatch") == DISPATCH_DUE
    assert appeal.open_deadline("first_response") is None


def test_the_first_response_is_counted_from_assignment() -> None:
    events = history_in("received")
    appeal = given(events)
    when(appeal, Assign(UNIT), DISPATCHER, at(6))  # 15:12, an hour late
    (assigned,) = appeal.collect_events()
    assert assigned.first_response_due == due(Stage.FIRST_RESPONSE, at(6))  # type: ignore[attr-defined]
    assert appeal.open_deadline("first_response") == due(Stage.FIRST_RESPONSE, at(6))
    assert appeal.open_deadline("dispatch") is None
    report = {s["stage"]: s for s in timeliness([*events, assigned], at(7), TK)}
    dispatch = report["dispatch"]
    assert (dispatch["unit"], dispatch["on_time"]) == (CENTRE_UNIT, False)
    assert dispatch["overdue_seconds"] == 3600  # the centre's hour, not the unit's
    response = report["first_response"]
    assert (response["unit"], response["started_at"]) == (UNIT, iso(at(6)))
    assert response["due"] == iso(due(Stage.FIRST_RESPONSE, at(6)))
    assert response["overdue_now"] is False


def _assigned(events: list[Any], when_: datetime, unit: str = UNIT) -> list[Any]:
    appeal = given(events)
    when(appeal, Assign(unit), DISPATCHER, when_)
    return list(appeal.collect_events())


def test_after_a_return_the_centre_dispatches_and_the_new_unit_starts_afresh() -> None:
    appeal = received(collect=False)
    when(appeal, Assign(UNIT), DISPATCHER, at(1))
    when(appeal, Return("非本单位职责"), HANDLER, at(3))
    events = list(appeal.collect_events())
    returned = events[-1]
    assert type(returned) is ev.Returned
    # Back at the centre at 12:12 (lunch): its half day runs 13:30-17:00.
    assert returned.dispatch_due == t(10, 9, 17, 0)
    assert given(events).open_deadline("dispatch") == t(10, 9, 17, 0)
    assert given(events).open_deadline("first_response") is None
    events += _assigned(events, at(6), TAX_UNIT)
    assert events[-1].first_response_due == due(Stage.FIRST_RESPONSE, at(6))
    assert cycles(events, at(7)) == [
        ("dispatch", CENTRE_UNIT, iso(T0), iso(at(1)), None),
        ("accept", UNIT, iso(at(1)), None, "returned"),
        ("resolve", UNIT, iso(at(1)), None, "returned"),
        ("first_response", UNIT, iso(at(1)), None, "returned"),
        ("dispatch", CENTRE_UNIT, iso(at(3)), iso(at(6)), None),  # 12:12-15:12
        ("accept", TAX_UNIT, iso(at(6)), None, None),
        ("resolve", TAX_UNIT, iso(at(6)), None, None),
        ("first_response", TAX_UNIT, iso(at(6)), None, None),
    ]


def test_a_reassignment_after_a_first_response_starts_no_new_response_clock() -> None:
    appeal = received(collect=False)
    when(appeal, Assign(UNIT), DISPATCHER, at(1))
    when(appeal, Accept(), HANDLER, at(2))
    when(appeal, NoteProgress("已联系企业"), HANDLER, at(2))
    when(appeal, Return("非本单位职责"), HANDLER, at(3))
    when(appeal, Assign(TAX_UNIT), DISPATCHER, at(4))
    assert appeal.collect_events()[-1].first_response_due is None  # type: ignore[attr-defined]
    assert appeal.open_deadline("first_response") is None


def test_a_late_dispatch_climbs_the_ladder_as_the_centres() -> None:
    appeal = given(history_in("received"))
    with pytest.raises(CommandNotAllowed, match="not late enough"):
        when(appeal, Escalate("dispatch", 0), SYSTEM_ACTOR, t(10, 9, 14, 0))
    when(appeal, Escalate("dispatch", 0), SYSTEM_ACTOR, t(10, 9, 15, 0))
    assert recorded(appeal) == [
        (
            ev.Escalated,
            {
                "stage": "dispatch",
                "level": 0,
                "due": DISPATCH_DUE,
                "late_seconds": 48 * 60,
                "note": "催办：督办单致 12345 (reminder, order to 12345)",
                # the centre's own stage: the order goes to the centre, to be
                # answered by the close of the next working day (the make-up
                # Saturday 10 Oct)
                "addressee_kind": "unit",
                "addressee_unit": CENTRE_UNIT,
                "addressee": None,
                "reply_due": t(10, 10, 17, 30),
            },
        )
    ]
    when(appeal, Assign(UNIT), DISPATCHER, t(10, 9, 15, 5))
    with pytest.raises(CommandNotAllowed, match="dispatch stage is not running"):
        when(appeal, Escalate("dispatch", 1), SYSTEM_ACTOR, t(10, 12, 15, 0))


def test_answered_on_the_spot_goes_straight_to_evaluation_and_closes() -> None:
    appeal = given(history_in("received"))
    when(appeal, AnswerOnTheSpot(ITEM), INTAKE, at(1))
    standard = DIRECTORY.items[ITEM].standard_answer
    assert recorded(appeal) == [
        (
            ev.AnsweredOnTheSpot,
            {
                "item": ITEM,
                "item_version": 2,
                "answer": standard,
                "evaluation_due": due(Stage.EVALUATION, at(1), **ITEM_TERMS),
                "counting": TK.counting(
                    Stage.EVALUATION, "normal", "financing", **ITEM_TERMS
                ),
                "sla_version": "domain-defaults-3",
                "provisional": False,
                "callback_due": due(Stage.CALLBACK, at(1), **ITEM_TERMS),
            },
        )
    ]
    assert (appeal.status, appeal.responded) == ("replied", True)
    assert appeal.open_deadline("dispatch") is None
    when(appeal, Evaluate(True, Satisfaction.SATISFIED), ENTERPRISE, at(2))
    when(appeal, Close("对账完成"), DISPATCHER, at(3))
    assert appeal.status == "closed"


def test_the_spots_timeliness_ends_dispatch_and_opens_the_evaluation_window() -> None:
    appeal = received(collect=False)
    when(appeal, AnswerOnTheSpot(ITEM, "已电话答复：免申即享。"), INTAKE, at(6))
    events = list(appeal.collect_events())
    assert events[-1].answer == "已电话答复：免申即享。"
    assert cycles(events, at(7)) == [
        ("dispatch", CENTRE_UNIT, iso(T0), iso(at(6)), None),
        ("evaluation", CENTRE_UNIT, iso(at(6)), None, None),
    ]
    (dispatch,) = [s for s in timeliness(events, at(7), TK) if s["stage"] == "dispatch"]
    assert dispatch["on_time"] is False  # answered, but an hour after the limit


def test_an_item_without_a_standard_answer_needs_one() -> None:
    appeal = given(history_in("received"))
    with pytest.raises(InvalidField) as refused:
        when(appeal, AnswerOnTheSpot(ITEM_WITHOUT_ANSWER, " "), INTAKE, at(1))
    assert refused.value.field == "item"
    assert "没有标准答复" in refused.value.reason
    assert appeal.collect_events() == []
    when(appeal, AnswerOnTheSpot(ITEM_WITHOUT_ANSWER, "已告知办理流程"), INTAKE, at(1))
    ((_, fields),) = recorded(appeal)
    assert (fields["item"], fields["answer"]) == (ITEM_WITHOUT_ANSWER, "已告知办理流程")


@pytest.mark.parametrize(
    ("status", "item", "actor", "error"),
    [
        ("received", RETIRED_ITEM, INTAKE, InvalidField),
        ("received", "HR-999", INTAKE, InvalidField),
        ("assigned", ITEM, INTAKE, CommandNotAllowed),
        ("replied", ITEM, INTAKE, CommandNotAllowed),
        ("received", ITEM, DISPATCHER, NotPermitted),
        ("received", ITEM, HANDLER, NotPermitted),
    ],
)
def test_answer_on_the_spot_is_refused_unless_intake_holds_a_received_appeal(
    status: str, item: str, actor: Any, error: type[Exception]
) -> None:
    appeal = given(history_in(status))
    with pytest.raises(error):
        when(appeal, AnswerOnTheSpot(item), actor, at(9))
    assert appeal.collect_events() == []


def test_an_unsatisfied_evaluation_of_an_answer_goes_back_to_the_centre() -> None:
    appeal = given(history_in("received"))
    when(appeal, AnswerOnTheSpot(ITEM), INTAKE, at(1))
    when(appeal, Evaluate(False, Satisfaction.UNSATISFIED), ENTERPRISE, at(2))
    *_, reopened = appeal.collect_events()
    assert type(reopened) is ev.Reopened
    assert reopened.resolve_due is None
    assert reopened.dispatch_due == due(Stage.DISPATCH, at(2))
    assert (appeal.status, appeal.reopen_count) == ("received", 1)
    when(appeal, Assign(item=ITEM), DISPATCHER, at(3))
    assert (appeal.status, appeal.unit) == ("assigned", UNIT)


# ---- events stored before the dispatch stage --------------------------------

NEW_FIELDS = {
    ev.Received: ("kind", "dispatch_due", "counting"),
    ev.Assigned: (
        "item",
        "item_version",
        "co_units",
        "kind",
        "limits",
        "counting",
        "first_response_due",
    ),
    ev.Returned: ("dispatch_due", "counting", "sla_version", "provisional"),
}


def old_shaped(events: list[Any]) -> list[Any]:
    """The events as they were stored before the dispatch stage: without the
    new fields, and the first-response deadline counted from receipt; decoded
    the way the library decodes a stored event."""
    old = []
    for event in events:
        state = {
            k: v
            for k, v in vars(event).items()
            if k not in NEW_FIELDS.get(type(event), ())
        }
        if type(event) is ev.Received:
            state["first_response_due"] = due(Stage.FIRST_RESPONSE, event.timestamp)
        decoded = object.__new__(type(event))
        object.__setattr__(decoded, "__dict__", state)
        old.append(decoded)
    return old


def test_old_shaped_events_still_fold_with_their_receipt_based_response_clock() -> None:
    appeal = received(collect=False)
    when(appeal, Assign(UNIT), DISPATCHER, at(1))
    when(appeal, Return("非本单位职责"), HANDLER, at(3))
    old = old_shaped(list(appeal.collect_events()))
    assert not hasattr(old[0], "dispatch_due") or "dispatch_due" not in vars(old[0])
    restored = given(old)
    receipt_based = due(Stage.FIRST_RESPONSE, T0)
    assert restored.first_response_due == receipt_based
    assert (restored.dispatch_due, restored.kind) == (None, None)
    assert restored.open_deadline("dispatch") is None
    assert restored.open_deadline("first_response") == receipt_based
    # Assigned today, it keeps the deadline it was given at receipt.
    when(restored, Assign(TAX_UNIT), DISPATCHER, at(4))
    (assigned,) = restored.collect_events()
    assert assigned.first_response_due is None  # type: ignore[attr-defined]
    assert restored.first_response_due == receipt_based
    history = [*old, assigned]
    assert cycles(history, at(5)) == [
        ("first_response", None, iso(T0), None, None),
        ("accept", UNIT, iso(at(1)), None, "returned"),
        ("resolve", UNIT, iso(at(1)), None, "returned"),
        ("accept", TAX_UNIT, iso(at(4)), None, None),
        ("resolve", TAX_UNIT, iso(at(4)), None, None),
    ]
    assert old[1].co_units == ()
    assert old[1].counting == "office_hours"
    assert old[2].dispatch_due is None


def test_an_appeal_snapshotted_before_the_dispatch_stage_reads_the_defaults() -> None:
    restored = given(old_shaped(list(received(collect=False).collect_events())))
    for name in ("dispatch_due", "responds_from_assignment", "kind", "limits", "item"):
        del restored.__dict__[name]  # a snapshot taken before they were kept
    when(restored, Assign(UNIT), DISPATCHER, at(1))
    (assigned,) = restored.collect_events()
    assert assigned.first_response_due is None  # type: ignore[attr-defined]
    assert restored.open_deadline("dispatch") is None
