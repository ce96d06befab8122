"""A cadre's portfolio (挂钩台账): the enterprises the cadre is linked to
today, each with its open and overdue appeals and the cadre's last visit,
from the 挂钩服务, appeal list and overdue views."""

from __future__ import annotations

from typing import Any

from appeals.application.service import AppealLedger
from appeals.infra.clock import SHANGHAI
from appeals.projections import appeal_list, overdue, service_links
from appeals.projections.lifecycle import is_open

APPEALS_PER_ENTERPRISE = 500


def portfolio(ledger: AppealLedger, cadre: str) -> tuple[int, list[dict[str, Any]]]:
    """The view's position and one row per enterprise linked to ``cadre``."""
    now = ledger.clock.now()
    today = now.astimezone(SHANGHAI).date()
    database = ledger.database
    seen, linked = service_links.links_of_cadre(database, cadre, today)
    rows = []
    for link in linked:
        uscc = link["uscc"]
        query = appeal_list.ListQuery(
            equals=(("uscc", uscc),), limit=APPEALS_PER_ENTERPRISE
        )
        _, appeals = appeal_list.read_page(database, query)
        rows.append(
            {
                "uscc": uscc,
                "enterprise": appeals[0]["enterprise_name"] if appeals else None,
                "role": link["role"],
                "target_kind": link["target_kind"],
                "target": link["target"],
                "linked_since": link["start_day"],
                "open_appeals": sum(1 for a in appeals if is_open(a["status"])),
                "overdue_appeals": overdue.count_appeals(database, now, uscc),
                "last_visit": link["last_visit"],
            }
        )
    return seen, rows
