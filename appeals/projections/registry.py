"""The projections this application keeps: add a new one here (and nowhere
else) for the worker, ``appeals projections`` and the HTTP app to know it.

Views that measure working time (timeliness, accountability) are built with
the ledger's official calendar and policy, so they are made per ledger.
"""

from __future__ import annotations

from appeals.domain.deadlines import Timekeeping
from appeals.projections import (
    accountability,
    appeal_list,
    assessment,
    callbacks,
    catalogue,
    category_month,
    directory,
    enterprise_ledger,
    meetings,
    open311_requests,
    routing,
    service_links,
    supervision,
    timeliness,
)
from appeals.projections.runtime.model import Projection


def projections(tk: Timekeeping) -> tuple[Projection, ...]:
    """Every projection, those that measure working time using ``tk``."""
    return (
        appeal_list.PROJECTION,
        enterprise_ledger.PROJECTION,
        category_month.PROJECTION,
        directory.PROJECTION,
        timeliness.projection(tk),
        accountability.projection(tk),
        catalogue.PROJECTION,
        routing.projection(tk),
        assessment.projection(tk),
        callbacks.PROJECTION,
        supervision.PROJECTION,
        service_links.PROJECTION,
        meetings.PROJECTION,
        open311_requests.PROJECTION,
    )


class UnknownProjection(LookupError):
    """No projection has that name."""

    def __init__(self, name: str, known: tuple[Projection, ...]) -> None:
        self.name = name
        names = ", ".join(p.name for p in known)
        super().__init__(f"no projection is called {name!r}; known: {names}")


def find(name: str, tk: Timekeeping) -> Projection:
    known = projections(tk)
    for projection in known:
        if projection.name == name:
            return projection
    raise UnknownProjection(name, known)
