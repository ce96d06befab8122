"""The demo planner: its data set, loaded through the application on SQLite and
PostgreSQL, covers every path and status and meets the scheduler's offsets."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from itertools import pairwise
from uuid import UUID

from appeals.application.service import AppealLedger
from appeals.bootstrap import due_cycles_of, events_of
from appeals.demo.planner import PATHS, generate_demo, plan_demo
from appeals.domain.appeal import Appeal
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import Status
from appeals.infra.clock import FixedClock

APPEALS = 150


def notifications(ledger: AppealLedger) -> list[tuple[str, UUID, datetime]]:
    """(topic, appeal id, event time) of every appeal event, in log order."""
    found: list[tuple[str, UUID, datetime]] = []
    start = 1
    while True:
        page = ledger.recorder.select_notifications(start=start, limit=500)
        if not page:
            return found
        for notification in page:
            if notification.topic.startswith("Appeal."):
                event = ledger.mapper.to_domain_event(notification)
                assert isinstance(event, Appeal.Event)
                found.append((notification.topic, event.originator_id, event.timestamp))
        start = page[-1].id + 1


def routing(ledger: AppealLedger) -> Counter[str]:
    """How the demo's assignments were routed: by a catalogue item or by unit
    alone, and how many went to a unit that then returned them."""
    counts: Counter[str] = Counter()
    for topic, appeal_id, _ in notifications(ledger):
        if topic != "Appeal.Received":
            continue
        history = ledger.history(appeal_id)
        for before, event in pairwise(history):
            if isinstance(event, Appeal.Assigned):
                counts["by item" if event.item else "by unit alone"] += 1
            if isinstance(event, Appeal.Returned):
                counts["misrouted"] += 1
                assert not isinstance(before, Appeal.Received)
    return counts


def test_the_demo_covers_every_path_and_status_in_order(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    done: list[int] = []
    summary = generate_demo(ledger, clock, appeals=APPEALS, progress=done.append)

    assert done == list(range(1, APPEALS + 1))
    assert summary.appeals == APPEALS
    assert set(summary.by_path) == set(PATHS)  # every path, none truncated
    assert set(summary.by_status) == {status.value for status in Status}
    assert summary.paused >= 1
    assert sum(summary.by_status.values()) == APPEALS
    assert clock.now() == summary.as_of
    events = notifications(ledger)
    received = [
        appeal_id for topic, appeal_id, _ in events if topic == "Appeal.Received"
    ]
    assert len(received) == len(set(received)) == APPEALS
    for appeal_id in received:
        uscc = ledger.get(appeal_id).uscc
        assert validate_uscc(uscc) == uscc
    times: dict[UUID, list[datetime]] = defaultdict(list)
    for _, appeal_id, at in events:
        times[appeal_id].append(at)
    for appeal_id, history in times.items():
        assert history == sorted(history), appeal_id
        assert summary.first_receipt <= history[0]
        assert history[-1] < summary.as_of
    topics = Counter(topic for topic, _, _ in events)
    for topic in (
        "Returned",
        "Paused",
        "ExtensionApproved",
        "ExtensionRefused",
        "Supervised",
        "ReferredToSupervisor",
        "Merged",
        "Withdrawn",
        "AnsweredOnTheSpot",
    ):
        assert topics[f"Appeal.{topic}"] >= 1, topic
    assert summary.organisation.units == 78  # registered before any appeal
    routed = routing(ledger)
    assert routed["by item"] > routed["by unit alone"] > 0  # catalogue coverage
    assert routed["misrouted"] >= 1  # returned by a unit it was not for
    assert ledger.get(summary.sample_appeal_ids["reopened"]).reopen_count == 1
    referred = ledger.get(summary.sample_appeal_ids["referred"])
    assert referred.status == "closed"
    assert referred.reopen_count == ledger.rules.max_reopens


def test_the_same_seed_plans_the_same_data() -> None:
    def plans(seed: int) -> list[object]:
        builder = plan_demo(appeals=60, seed=seed, start=date(2026, 3, 1))
        return [(p.path, p.steps) for p in builder.plans]

    assert plans(5) == plans(5)
    assert plans(5) != plans(6)


def test_the_demo_with_the_scheduler_escalates_at_the_right_offsets(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    from appeals.application.escalation import run_once
    from appeals.domain.appeal import Appeal
    from appeals.projections import accountability
    from appeals.projections.runtime.runner import Runner
    from appeals.projections.runtime.storage import LIVE, Copy, transaction

    generate_demo(
        ledger,
        clock,
        appeals=120,
        start=date(2026, 8, 3),
        months=2,
        on_morning=lambda: run_once(ledger, due_cycles_of(ledger)),
    )
    tk = ledger.rules.timekeeping
    offsets = {r.level: r.offset(tk.calendar.day_length) for r in tk.policy.escalation}
    escalations = [
        ledger.mapper.to_domain_event(n)
        for n in ledger.recorder.select_notifications(start=1, limit=1_000_000)
        if n.topic == "Appeal.Escalated"
    ]
    assert escalations
    for event in escalations:
        assert isinstance(event, Appeal.Escalated)
        late = tk.working_time(event.due, event.timestamp)
        assert int(late.total_seconds()) == event.late_seconds
        assert late >= offsets[event.level]
        assert tk.calendar.is_working_time(event.timestamp)

    again = run_once(ledger, due_cycles_of(ledger))
    assert again.recorded == 0

    view = accountability.projection(tk)
    runner = Runner(events_of(ledger), view)
    runner.prepare()
    runner.catch_up()
    table = Copy(ledger.database, view, LIVE).qualified(accountability.DAILY)
    with transaction(ledger.database, write=False) as sql:
        (counted,) = sql.execute(f"SELECT SUM(escalated) FROM {table}").one() or (0,)
    assert counted == len(escalations)
