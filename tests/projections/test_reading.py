"""The readers' helper: live tables, a view's position read with its rows,
keyset pages and waiting for a position, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from appeals.application.service import AppealLedger
from appeals.infra.clock import FixedClock
from appeals.infra.database import Sql
from appeals.projections import appeal_list, reading
from appeals.projections.runtime.storage import LIVE, Copy
from tests.support.reports import appeal, project


def test_a_live_table_is_the_live_copys(ledger: AppealLedger) -> None:
    copy = Copy(ledger.database, appeal_list.PROJECTION, LIVE)
    assert reading.live_table(ledger.database, appeal_list.APPEALS) == copy.qualified(
        appeal_list.APPEALS
    )


def test_rows_come_with_the_position_they_reflect(
    ledger: AppealLedger, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = [str(appeal(ledger, clock)) for _ in range(5)]
    head = project(ledger)
    name = appeal_list.PROJECTION.name
    assert reading.position(ledger.database, name) == head
    table = reading.live_table(ledger.database, appeal_list.APPEALS)

    def page(sql: Sql, after: Any, limit: int) -> list[dict[str, Any]]:
        query = appeal_list.ListQuery(newest_first=False, after=after, limit=limit)
        return appeal_list.select_page(sql, table, query)

    monkeypatch.setattr(reading, "PAGE_ROWS", 2)
    pages = list(reading.keyset_pages(ledger.database, page))
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [row["appeal_id"] for p in pages for row in p] == made
    seen, count = reading.read(
        ledger.database, name, lambda sql: len(page(sql, None, 9))
    )
    assert (seen, count) == (head, 5)


@pytest.mark.asyncio
async def test_waiting_for_a_position_gives_up_at_its_timeout(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    appeal(ledger, clock)
    head = project(ledger)
    name = appeal_list.PROJECTION.name
    assert await reading.reach(ledger.database, name, head, 0.0) == head
    assert await reading.reach(ledger.database, name, head + 1, 0.0) == head
