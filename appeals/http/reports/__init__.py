"""Report endpoints, one module per report, named as the view that answers
it (appeals/projections/<name>.py): each parses the query, calls the view's
reader and renders JSON or CSV (appeals.http.tabular). Who may read a report,
and which rows, is the permissions table's ``READS`` row of the same name.
"""

from __future__ import annotations

from starlette.routing import Route

from appeals.http.reports import (
    accountability,
    callbacks,
    category_month,
    enterprise_ledger,
    overdue,
    routing,
    timeliness,
    trends,
)


def report_routes() -> list[Route]:
    """Every report but the appeal list, which shares ``/appeals`` with
    receiving (appeals.http.appeals.appeals_collection)."""
    return [
        Route(
            "/enterprises/{uscc}/ledger",
            enterprise_ledger.enterprise_ledger_report,
            methods=["GET"],
        ),
        Route(
            "/reports/category-month",
            category_month.category_month_report,
            methods=["GET"],
        ),
        Route("/reports/overdue", overdue.overdue_report, methods=["GET"]),
        Route("/reports/timeliness", timeliness.timeliness_report, methods=["GET"]),
        Route(
            "/reports/accountability",
            accountability.accountability_report,
            methods=["GET"],
        ),
        Route("/reports/routing", routing.routing_report, methods=["GET"]),
        Route("/reports/trend", trends.trend_report, methods=["GET"]),
        Route("/reports/hotspots", trends.hotspot_report, methods=["GET"]),
        Route("/reports/callbacks", callbacks.callback_report, methods=["GET"]),
        Route("/callbacks/queue", callbacks.callback_queue, methods=["GET"]),
    ]
