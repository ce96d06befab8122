"""The enterprise ledger (问题台账), folded purely (events in, rows out), and
its reader round-tripped through SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from appeals.application.registry import Registry
from appeals.application.service import AppealLedger
from appeals.domain import commands as cmd
from appeals.domain.organisation import RenameEnterprise
from appeals.domain.values import Satisfaction
from appeals.infra.clock import FixedClock
from appeals.projections import enterprise_ledger
from appeals.projections.reading import live_table
from appeals.projections.runtime.model import fold
from appeals.projections.runtime.storage import transaction
from tests.builders import receive
from tests.domain.lifecycle_fixtures import ENTERPRISE, OTHER_USCC, T0, USCC
from tests.support.registry import ADMIN
from tests.support.reports import appeal, closed_after_evaluation, project
from tests.support.stories import FULL_PATH, Story


def ledger_of(*stories: Story) -> dict[str, Any]:
    events = [event for story in stories for event in story.events()]
    events.sort(key=lambda event: event.timestamp)
    view = fold(enterprise_ledger.PROJECTION, events)
    return {
        "enterprises": {
            r["uscc"]: r for r in view.rows("ledger_enterprises") if r["part"] == 0
        },
        "appeals": {r["appeal_id"]: r for r in view.rows("ledger_appeals")},
    }


def test_an_enterprise_counts_its_appeals_and_those_still_open() -> None:
    done = Story().through(*FULL_PATH)
    open_one = Story(at=T0 + timedelta(days=1)).through("assigned")
    withdrawn = Story(at=T0 + timedelta(days=2))
    withdrawn.then(ENTERPRISE, cmd.Withdraw("已自行解决"))
    other = Story(uscc=OTHER_USCC, name="别家公司")
    ledger = ledger_of(done, open_one, withdrawn, other)
    mine = ledger["enterprises"][USCC]
    assert (mine["appeals"], mine["open_appeals"]) == (3, 1)
    assert mine["last_activity"] == "2026-10-11T02:12:00.000000Z"
    assert ledger["enterprises"][OTHER_USCC]["appeals"] == 1
    line = ledger["appeals"][str(open_one.id)]
    assert (line["status"], line["unit"]) == ("assigned", "SZ-RSJ")


def test_every_evaluation_counts_even_after_a_reopen() -> None:
    story = Story().through("assigned", "in_progress", "resolved", "replied")
    story.then(ENTERPRISE, cmd.Evaluate(False, Satisfaction.UNSATISFIED, "未解决"))
    story.through("resolved", "replied")
    story.then(ENTERPRISE, cmd.Evaluate(True, Satisfaction.BASIC))
    ledger = ledger_of(story)
    mine = ledger["enterprises"][USCC]
    assert (mine["satisfied"], mine["basically_satisfied"], mine["unsatisfied"]) == (
        0,
        1,
        1,
    )
    assert ledger["appeals"][str(story.id)]["satisfaction"] == "basically_satisfied"


def test_each_line_keeps_the_name_its_appeal_was_given() -> None:
    first = Story(name="昆山旧名有限公司")
    renamed = Story(name="昆山新名有限公司", at=T0 + timedelta(days=3))
    lines = ledger_of(first, renamed)["appeals"]
    assert lines[str(first.id)]["enterprise_name"] == "昆山旧名有限公司"
    assert lines[str(renamed.id)]["enterprise_name"] == "昆山新名有限公司"


def test_an_unregistered_enterprise_goes_by_the_name_on_its_newest_appeal(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    """Appeals from before the registry: no registered name, so the reader
    takes the newest appeal's (by receipt, as the ledger lists them)."""
    appeal(ledger, clock, enterprise_name="昆山旧名有限公司")
    appeal(ledger, clock, enterprise_name="昆山新名有限公司")
    project(ledger)
    names = live_table(ledger.database, enterprise_ledger.REGISTERED)
    with transaction(ledger.database, write=True) as sql:
        sql.execute(f"DELETE FROM {names} WHERE uscc = ?", (USCC,))
    _, found, _ = enterprise_ledger.read_ledger(
        ledger.database, USCC, None, 10, clock.now()
    )
    assert found["name"] == "昆山新名有限公司"


def test_the_reader_summarises_pages_and_exports_from_the_store(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    done = appeal(ledger, clock)
    closed_after_evaluation(ledger, done, Satisfaction.BASIC)
    still_open = appeal(ledger, clock)
    appeal(ledger, clock, uscc=OTHER_USCC)
    head = project(ledger)
    seen, summary, rows = enterprise_ledger.read_ledger(
        ledger.database, USCC, None, 1, clock.now()
    )
    assert seen == head
    assert (summary["appeals"], summary["open_appeals"]) == (2, 1)
    assert summary["overdue_appeals"] == 0
    assert summary["satisfaction"]["evaluations"] == 1
    assert [r["appeal_id"] for r in rows] == [str(still_open), str(done)]
    after = (rows[0]["received_at"], rows[0]["appeal_id"])
    _, _, rest = enterprise_ledger.read_ledger(
        ledger.database, USCC, after, 1, clock.now()
    )
    assert [r["appeal_id"] for r in rest] == [str(done)]
    seen, every = enterprise_ledger.export(ledger.database, USCC)
    assert (seen, len(list(every))) == (head, 2)
    _, nobody, none = enterprise_ledger.read_ledger(
        ledger.database, "X", None, 5, clock.now()
    )
    assert (nobody["appeals"], nobody["name"], none) == (0, None, [])


def test_the_ledger_shows_the_registered_name_never_one_typed_at_intake(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    def name_now() -> str:
        project(ledger)
        _, found, _ = enterprise_ledger.read_ledger(
            ledger.database, USCC, None, 10, clock.now()
        )
        return str(found["name"])

    receive(ledger)  # its first appeal registers it, as typed at intake
    assert name_now() == "张家港某某纺织有限公司"
    registry = Registry(ledger)
    registry.change(USCC, RenameEnterprise(name="杭州某某科技有限公司"), ADMIN)
    assert name_now() == "杭州某某科技有限公司"
    receive(ledger)  # intake types the old name again: the ledger keeps the registered
    assert name_now() == "杭州某某科技有限公司"
    registry.change(USCC, RenameEnterprise(name="杭州某某智能科技有限公司"), ADMIN)
    assert name_now() == "杭州某某智能科技有限公司"
