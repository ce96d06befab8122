"""Whose an appeal is, read from its stored history: the unit it is
assigned to now and the enterprise that raised it, the two things the
permissions table scopes reads by (appeals.domain.permissions).

Read from events as stored (topic and state), not from the aggregate, so a
damaged history can still be scoped, inspected and verified.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

RECEIVED, ASSIGNED, RETURNED = "Appeal.Received", "Appeal.Assigned", "Appeal.Returned"


@dataclass(frozen=True)
class AppealScope:
    """The unit an appeal is assigned to (None: none) and its credit code."""

    unit: str | None
    uscc: str | None
    co_units: tuple[str, ...] = ()
    """The co-handling units (协办) of the current assignment."""


def appeal_scope(history: Iterable[tuple[str, Mapping[str, Any]]]) -> AppealScope:
    """The scope after ``history``, (topic, state) pairs in order from the
    receipt: an assignment sets the unit and its co-units, a return clears
    them."""
    unit: str | None = None
    uscc: str | None = None
    co_units: tuple[str, ...] = ()
    for topic, state in history:
        if topic == RECEIVED:
            uscc = state.get("uscc")
        elif topic == ASSIGNED:
            unit = state.get("unit")
            co_units = tuple(state.get("co_units") or ())
        elif topic == RETURNED:
            unit, co_units = None, ()
    return AppealScope(unit=unit, uscc=uscc, co_units=co_units)
