"""The Open311 requests view: each row answers exactly as the appeal's folded
view does (over every history the domain can record), and its reader filters
and orders through SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from appeals.application import open311
from appeals.application.queries import view_of
from appeals.application.service import AppealLedger
from appeals.domain import commands as cmd
from appeals.domain.events import Event
from appeals.domain.values import Priority
from appeals.infra.clock import FixedClock
from appeals.projections import open311_requests
from appeals.projections.lifecycle import stored_instant
from appeals.projections.runtime.model import fold
from tests.builders import DIRECTORY, ITEM
from tests.domain.lifecycle_fixtures import DISPATCHER, HANDLER, UNIT
from tests.projections.test_totality import every_history, history
from tests.support.reports import appeal, project
from tests.support.stories import FULL_PATH, Story

OTHER_USCC = "91110000802100433B"


def answers(events: list[Event]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request as the view's row answers it and as the folded view does,
    for a reader who sees everything."""
    rows = fold(open311_requests.PROJECTION, events).rows("open311_requests")
    assert len(rows) == 1
    from_row = open311.facts_of_row(rows[0])
    from_view = open311.facts_of_view(view_of(events))
    return (
        open311.service_request(from_row, DIRECTORY, disclosed=True),
        open311.service_request(from_view, DIRECTORY, disclosed=True),
    )


def test_a_closed_appeal_answers_as_its_folded_view() -> None:
    row, view = answers(Story().through(*FULL_PATH).events())
    assert row == view
    assert row["status"] == "closed"
    assert row["status_notes"] is not None


def test_a_returned_appeal_goes_back_to_the_centre_and_its_filed_code() -> None:
    story = Story().through("assigned").then(HANDLER, cmd.Return("不属于本单位职责"))
    row, view = answers(story.events())
    assert row == view
    assert row["agency_responsible"] == open311.CENTRE_NAME
    assert row["expected_datetime"] is None


@every_history
def test_every_history_answers_as_its_folded_view(
    start: datetime, priority: Priority, plan: list[tuple[int, timedelta, int]]
) -> None:
    row, view = answers(history(start, priority, plan))
    assert row == view


def window(clock: FixedClock) -> tuple[str, str]:
    """The last 90 days, as Open311 lists by default."""
    now = clock.now()
    return stored_instant(now - timedelta(days=90)), stored_instant(now)


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["appeal_id"] for row in rows]


def test_the_reader_filters_by_window_status_code_and_scope(
    routed: AppealLedger, clock: FixedClock
) -> None:
    ledger = routed
    first = str(appeal(ledger, clock))
    other = str(appeal(ledger, clock, uscc=OTHER_USCC))
    routed = appeal(ledger, clock)
    ledger.execute(routed, cmd.Assign(item=ITEM), DISPATCHER)
    clock.advance(timedelta(minutes=1))
    head = project(ledger)
    start, end = window(clock)

    def read(**given: Any) -> list[str]:
        query = open311_requests.RequestQuery(start, end, limit=10, **given)
        seen, rows = open311_requests.read_requests(ledger.database, query)
        assert seen == head
        return ids(rows)

    assert read() == [str(routed), other, first]  # newest first
    assert read(statuses=("assigned",)) == [str(routed)]
    assert read(equals=(("unit", UNIT),)) == [str(routed)]
    assert read(equals=(("uscc", OTHER_USCC),)) == [other]
    assert read(codes=(ITEM,)) == [str(routed)]
    assert read(codes=("no-such-code",)) == []
    query = open311_requests.RequestQuery(start, end, limit=2)
    assert ids(open311_requests.read_requests(ledger.database, query)[1]) == [
        str(routed),
        other,
    ]
    later = stored_instant(clock.now() + timedelta(days=1))
    query = open311_requests.RequestQuery(end, later, limit=10)
    assert open311_requests.read_requests(ledger.database, query)[1] == []
