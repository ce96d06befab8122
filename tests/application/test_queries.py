"""The view of one appeal, folded from its history (GET /appeals/{id})."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from appeals.application.queries import (
    AnswerViews,
    appeal_at,
    appeal_by_ticket,
    appeal_view,
    view_of,
)
from appeals.application.service import AppealLedger, CommandResult
from appeals.domain import commands as cmd
from appeals.domain.errors import AppealNotFound, InvalidField
from appeals.domain.values import Channel, Outcome, Satisfaction
from appeals.infra.clock import FixedClock
from tests.builders import (
    CADRE,
    DISPATCHER,
    HANDLER,
    INTAKE,
    SUPERVISOR,
    UNIT,
    at,
    given,
    receive,
    when,
)
from tests.domain.lifecycle_fixtures import history_in


def test_the_view_holds_what_people_read_and_decisions_do_not_need() -> None:
    history = history_in("closed")
    view = view_of(history)
    assert (view.status, view.version) == ("closed", 7)
    assert view.title == "贷款贴息政策咨询"
    assert view.contact == "王经理 138****0000"
    assert (view.unit, view.cadre) == (UNIT, CADRE)
    assert view.outcome == "resolved"
    assert view.evaluation == {
        "resolved": True,
        "satisfaction": "satisfied",
        "grade": None,
        "source": "enterprise",
    }
    assert view.received_at == history[0].timestamp
    assert view.updated_at == history[-1].timestamp


def test_a_reopen_clears_the_outcome_and_evaluation_and_counts_the_cycle() -> None:
    history = history_in("evaluated")
    appeal = given(history)
    when(appeal, cmd.Reopen("抽查发现未落实"), SUPERVISOR, at(7))
    view = view_of([*history, *appeal.collect_events()])
    assert (view.status, view.outcome, view.evaluation, view.reopen_count) == (
        "in_progress",
        None,
        None,
        1,
    )
    assert (view.reply_due, view.evaluation_due) == (None, None)


def test_the_view_at_a_version_or_instant_and_by_ticket(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = receive(ledger).appeal_id
    clock.advance(timedelta(hours=1))
    ledger.execute(appeal_id, cmd.Assign(unit=UNIT, cadre=CADRE), DISPATCHER)
    clock.advance(timedelta(hours=1))
    ledger.execute(appeal_id, cmd.Accept(), HANDLER)
    ledger.execute(appeal_id, cmd.Supervise(level=2, note="请加快"), SUPERVISOR)
    done = ledger.execute(
        appeal_id, cmd.Resolve(outcome=Outcome.RESOLVED, result="已办结"), HANDLER
    )
    now, stages = appeal_view(ledger, appeal_id)
    assert (now.status, now.supervision_level, now.outcome) == (
        "resolved",
        2,
        "resolved",
    )
    assert {s["stage"] for s in stages} >= {"accept", "resolve", "reply"}
    first, _ = appeal_view(ledger, appeal_id, version=1)
    assert (first.status, first.unit, first.version) == ("received", None, 1)
    assigned, _ = appeal_view(
        ledger, appeal_id, as_of=now.received_at + timedelta(hours=1)
    )
    assert (assigned.status, assigned.cadre) == ("assigned", CADRE)
    assert appeal_at(ledger, appeal_id, done.version) == now
    assert appeal_by_ticket(ledger, now.ticket) == now
    with pytest.raises(AppealNotFound):
        appeal_view(ledger, appeal_id, version=99)
    with pytest.raises(AppealNotFound):
        appeal_view(ledger, uuid4())


def test_a_deadline_in_an_estimated_year_says_it_is_provisional(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    """The calendar's data ends with 2030; later years are estimated, never
    an error, and a deadline falling in one is marked provisional."""
    official = receive(ledger).appeal_id
    clock.set(clock.now().replace(year=2031, month=3, day=3))
    later = receive(ledger).appeal_id
    ledger.execute(later, cmd.Assign(unit=UNIT), DISPATCHER)
    _, stages = appeal_view(ledger, official)
    assert {s["stage"]: s["provisional"] for s in stages} == {"dispatch": False}
    _, stages = appeal_view(ledger, later)
    assert {s["stage"]: s["provisional"] for s in stages} == {
        "dispatch": True,
        "first_response": True,
        "accept": True,
        "resolve": True,
    }
    assert all(
        e.provisional for e in ledger.history(later) if hasattr(e, "provisional")
    )
    # "now" and as_of far after the calendar's data both answer.
    clock.set(clock.now().replace(year=2045))
    _, stages = appeal_view(ledger, official)
    assert stages[0]["overdue_now"] is True
    as_of = clock.now().replace(year=2060)
    view, stages = appeal_view(ledger, later, as_of=as_of)
    assert view.status == "assigned"
    assert stages[1]["overdue_now"] is True


def test_an_as_of_outside_the_calendars_years_is_refused_naming_the_field(
    ledger: AppealLedger,
) -> None:
    appeal_id = receive(ledger).appeal_id
    extreme = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=14)))
    with pytest.raises(InvalidField) as refused:
        appeal_view(ledger, appeal_id, as_of=extreme)
    assert refused.value.field == "as_of"


# ---- a command's answer (AnswerViews) ------------------------------------------


def lifecycle(ledger: AppealLedger, clock: FixedClock) -> list[CommandResult]:
    """A lifecycle touching most of the view: routing, a pending extension
    (an instant inside an object), supervision, notes, evaluation, a reopen."""
    appeal_id = receive(ledger, external_id="RX-1").appeal_id
    steps: list[tuple[cmd.Command, object]] = [
        (cmd.Assign(unit=UNIT, cadre=CADRE), DISPATCHER),
        (cmd.Accept(), HANDLER),
        (cmd.NoteProgress(note="已联系企业"), HANDLER),
        (
            cmd.RequestExtension(
                requested_deadline=datetime(2026, 10, 19, 8, tzinfo=UTC),
                reason="需要协调",
            ),
            HANDLER,
        ),
        (cmd.Supervise(level=2, note="请加快", public=True), SUPERVISOR),
        (cmd.Resolve(outcome=Outcome.RESOLVED, result="已办结"), HANDLER),
        (cmd.Reply(channel=Channel.HOTLINE, content="已答复"), HANDLER),
        (
            cmd.Evaluate(resolved=True, satisfaction=Satisfaction.SATISFIED),
            INTAKE,
        ),
        (cmd.Reopen("抽查发现未落实", public=True), SUPERVISOR),
    ]
    results = [receive_result(ledger, appeal_id)]
    for command, actor in steps:
        clock.advance(timedelta(hours=1))
        results.append(ledger.execute(appeal_id, command, actor))  # type: ignore[arg-type]
    return results


def receive_result(ledger: AppealLedger, appeal_id: object) -> CommandResult:
    """The receipt's result again (an existing source reference: no events)."""
    found = receive(ledger, external_id="RX-1")
    assert found.appeal_id == appeal_id
    assert not found.created
    return found


def test_every_answer_is_the_view_folded_from_the_history(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    answers = AnswerViews()
    appeal_id = receive(ledger).appeal_id
    first = ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
    assert answers.answer(ledger, first) == appeal_at(ledger, appeal_id, 2)
    for result in lifecycle(ledger, clock):
        answered = answers.answer(ledger, result)
        assert answered == appeal_at(ledger, result.appeal_id, result.version)
        assert answered.version == result.version


def test_an_answer_folds_the_commands_events_without_reading_the_history(
    ledger: AppealLedger, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cut: after the receipt, no command's answer reads the appeal's
    events from the store again."""
    answers = AnswerViews()
    expected = {}
    results = []
    received = receive(ledger)
    results.append(received)
    appeal_id = received.appeal_id
    for command, actor in (
        (cmd.Assign(unit=UNIT, cadre=CADRE), DISPATCHER),
        (cmd.Accept(), HANDLER),
        (cmd.NoteProgress(note="已联系企业"), HANDLER),
        (cmd.Resolve(outcome=Outcome.RESOLVED, result="已办结"), HANDLER),
    ):
        clock.advance(timedelta(hours=1))
        results.append(ledger.execute(appeal_id, command, actor))  # type: ignore[arg-type]
    for result in results:
        expected[result.version] = appeal_at(ledger, appeal_id, result.version)
    reads: list[object] = []
    history = ledger.history
    monkeypatch.setattr(
        ledger, "history", lambda *a, **k: reads.append(a) or history(*a, **k)
    )
    for result in results:
        assert answers.answer(ledger, result) == expected[result.version]
    assert reads == []


def test_an_answer_after_another_writer_is_read_from_the_history(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    """A held view the command's events do not follow (another process wrote
    in between: here, a command whose answer this memo never saw) is not
    used; nor is anything for a result without events."""
    answers = AnswerViews()
    appeal_id = receive(ledger).appeal_id
    answers.answer(ledger, ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER))
    ledger.execute(appeal_id, cmd.Accept(), HANDLER)  # elsewhere
    noted = ledger.execute(appeal_id, cmd.NoteProgress(note="已联系企业"), HANDLER)
    answered = answers.answer(ledger, noted)
    assert (answered.status, answered.version) == ("in_progress", 4)
    assert answered == appeal_at(ledger, appeal_id, 4)
    bare = CommandResult(appeal_id, 4, None, created=False, replayed=True)
    assert answers.answer(ledger, bare) == answered


def test_answers_are_copies_and_the_memo_is_bounded(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    answers = AnswerViews(size=1)
    appeal_id = receive(ledger).appeal_id
    assigned = ledger.execute(appeal_id, cmd.Assign(unit=UNIT), DISPATCHER)
    given_out = answers.answer(ledger, assigned)
    given_out.notes.append({"text": "changed by a reader"})
    given_out.status = "closed"
    accepted = ledger.execute(appeal_id, cmd.Accept(), HANDLER)
    assert answers.answer(ledger, accepted) == appeal_at(ledger, appeal_id, 3)
    other = receive(ledger, title="另一诉求")
    answers.answer(ledger, other)  # pushes the first appeal out
    assert list(answers._views) == [other.appeal_id]
