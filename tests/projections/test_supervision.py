"""Supervision orders (督办单) and the monthly 通报 on SQLite and PostgreSQL:
each rung an order to a registered leader with a reply deadline, answered or
escalated further by the scheduler, settled when the stage stops being late,
and the 通报 list drawn from the last rung's orders, published frozen."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import pytest

from appeals.application.escalation import run_once
from appeals.application.notices import Notices
from appeals.application.registry import REGISTER
from appeals.application.service import AppealLedger
from appeals.bootstrap import due_cycles_of, overdue_orders_of
from appeals.domain import commands as cmd
from appeals.domain.assessment import Period
from appeals.domain.errors import InvalidField
from appeals.domain.organisation import CadreRole, RegisterCadre
from appeals.domain.values import Outcome
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.projections import supervision
from tests.builders import LEADER
from tests.domain.lifecycle_fixtures import HANDLER, SUPERVISOR, UNIT
from tests.support.organisation import REGISTRAR
from tests.support.reports import assigned, at, project


def with_leader(ledger: AppealLedger) -> None:
    leader = RegisterCadre(
        code=LEADER,
        name="赵六",
        unit=UNIT,
        since=date(2024, 1, 2),
        roles=(CadreRole.LEADER,),
    )
    ledger.save(REGISTER[RegisterCadre](leader, REGISTRAR, ledger.clock.now()))
    project(ledger)  # the directory view finds leaders


def late(ledger: AppealLedger, clock: FixedClock) -> UUID:
    """Assigned Mon 14 Sep, accepted, never resolved: due Sun 20 Sep 17:30."""
    appeal_id = assigned(ledger, clock, 14)
    ledger.execute(appeal_id, cmd.Accept(), HANDLER)
    ledger.execute(appeal_id, cmd.NoteProgress(note="已联系企业"), HANDLER)
    return appeal_id


def orders(ledger: AppealLedger, **kwargs: object) -> list[dict[str, object]]:
    project(ledger)
    return supervision.orders(ledger.database, **kwargs)[1]  # type: ignore[arg-type]


def test_each_rung_is_an_order_answered_or_escalated_and_settled(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    with_leader(ledger)
    appeal_id = late(ledger, clock)
    at(clock, 9, 21, 9)
    assert ledger.escalate(appeal_id, "resolve", 0) is not None
    ledger.execute(appeal_id, cmd.AnswerOrder("resolve", 0, "已安排专人"), HANDLER)
    at(clock, 9, 22, 10)
    assert ledger.escalate(appeal_id, "resolve", 1) is not None
    [reminder, first] = orders(ledger)
    assert (reminder["addressee_kind"], reminder["answer_by"]) == ("unit", UNIT)
    assert reminder["answered_at"] is not None
    assert (first["addressee_kind"], first["addressee"]) == ("unit_leader", LEADER)
    assert first["reply_due"] == "2026-09-23T17:30:00+08:00"
    assert first["answered_at"] is None
    # Nobody answers level 1 by the close of 23 Sep: the scheduler records
    # level 2 the next morning, long before 3 working days late.
    due, overdue = due_cycles_of(ledger), overdue_orders_of(ledger)
    at(clock, 9, 24, 9, 30)
    result = run_once(ledger, due, orders=overdue)
    assert result.recorded == 1
    levels = [o["level"] for o in orders(ledger)]
    assert levels == [0, 1, 2]
    # Resolved: every order of that deadline is settled; none is listed open.
    ledger.execute(appeal_id, cmd.Resolve(Outcome.RESOLVED, "已办结"), HANDLER)
    assert orders(ledger) == []
    settled = orders(ledger, settled=True)
    assert {o["settled_at"] for o in settled} == {clock.now().isoformat()}
    # A handler of another unit sees none of them
    assert orders(ledger, equals=[("unit", "SZ-SWJ")]) == []


def test_the_last_rung_puts_the_appeal_on_the_notice_until_it_is_done(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal_id = late(ledger, clock)
    at(clock, 9, 21, 9)
    for level in range(4):  # every order left unanswered: each next at once
        assert ledger.escalate(appeal_id, "resolve", level) is not None
        clock.set(clock.now().replace(day=clock.now().day + 2))
    project(ledger)
    notices = Notices(ledger)
    september = notices.compute(Period.parse("2026-09"))
    [row] = september["appeals"]
    assert (row["ticket"], row["unit"], row["still_late"]) == (
        ledger.get(appeal_id).ticket,
        UNIT,
        True,
    )
    assert september["units"] == [
        {"unit": UNIT, "unit_name": "苏州市人力资源和社会保障局", "appeals": 1}
    ]
    at(clock, 10, 12, 10)
    ledger.execute(appeal_id, cmd.Resolve(Outcome.RESOLVED, "已办结"), HANDLER)
    project(ledger)
    october = notices.compute(Period.parse("2026-10"))
    assert [r["still_late"] for r in october["appeals"]] == [False]  # done in Oct
    at(clock, 12, 1, 10)
    assert notices.compute(Period.parse("2026-11"))["appeals"] == []
    # Published frozen; a second publication needs a reason
    first = notices.publish(Period.parse("2026-09"), SUPERVISOR)
    assert (first["revision"], len(first["appeals"])) == (1, 1)
    with pytest.raises(InvalidField) as refused:
        notices.publish(Period.parse("2026-09"), SUPERVISOR)
    assert refused.value.field == "reason"
    second = notices.publish(Period.parse("2026-09"), SUPERVISOR, "复核")
    assert second["revision"] == 2
    assert notices.published(Period.parse("2026-09"), 1)["digest"] == first["digest"]
    with pytest.raises(InvalidField):
        notices.publish(Period.parse("2026-12"), SUPERVISOR)  # not ended yet


def test_an_escalation_before_orders_existed_reads_without_an_addressee() -> None:
    row = supervision._order(
        ("a", "resolve", "2026-09-20T09:30:00.000000Z", 1, "T", "U", "tax", UNIT)
        + (None,) * 3
        + ("2026-09-21T01:00:00.000000Z", None, None, None, None)
    )
    assert row["addressee"] is None
    assert row["issued_at"] == datetime(2026, 9, 21, 9, tzinfo=SHANGHAI).isoformat()
