"""The projections this application keeps: add a new one here (and nowhere
else) for the worker, ``appeals projections`` and the HTTP app to know it."""

from __future__ import annotations

from appeals.projections import appeal_list, category_month, enterprise_ledger
from appeals.projections.model import Projection

PROJECTIONS: tuple[Projection, ...] = (
    appeal_list.PROJECTION,
    enterprise_ledger.PROJECTION,
    category_month.PROJECTION,
)


class UnknownProjection(LookupError):
    """No projection has that name."""

    def __init__(self, name: str) -> None:
        self.name = name
        known = ", ".join(p.name for p in PROJECTIONS)
        super().__init__(f"no projection is called {name!r}; known: {known}")


def find(name: str) -> Projection:
    for projection in PROJECTIONS:
        if projection.name == name:
            return projection
    raise UnknownProjection(name)
