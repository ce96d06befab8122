"""The trend arithmetic (appeals.domain.trends) on facts made by hand: a first
response that ended unanswered counts to its end, not to now; a month with
nothing received received none; rates without a locality are not grouped by
one; no unit's code can stand in for the city's row."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from appeals.domain.assessment import CycleFact, Period
from appeals.domain.errors import InvalidField
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.trends import (
    CITY_KEY,
    Receipt,
    change,
    hotspots,
    trend,
)
from appeals.infra.clock import SHANGHAI

SEPTEMBER, OCTOBER = Period(2026, 9), Period(2026, 10)


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def hours(start: datetime, end: datetime) -> timedelta:
    """Calendar time stands in for working time here."""
    return end - start


def first_response(unit: str, **changes: object) -> CycleFact:
    fields: dict[str, object] = {
        "appeal_id": "a",
        "stage": "first_response",
        "cycle": 1,
        "unit": unit,
        "cadre": None,
        "category": "tax",
        "locality": "320505",
        "started_at": at(9, 1),
        "due": at(9, 2),
        "completed_at": None,
        "ended_by": None,
        "ended_at": None,
        **changes,
    }
    return CycleFact(**fields)  # type: ignore[arg-type]


def test_a_first_response_ended_unanswered_counts_to_its_end_not_to_now() -> None:
    returned = first_response("SZ-TAX", ended_by="returned", ended_at=at(9, 3))
    answered = first_response("SZ-TAX", completed_at=at(9, 1, 21))
    figures = [
        trend(
            "first_response_hours", "city", [SEPTEMBER], [returned, answered],
            [], [], as_of, SHANGHAI, hours,
        )[CITY_KEY]["2026-09"]
        for as_of in (at(10, 1), at(12, 31))
    ]  # fmt: skip
    assert figures[0] == figures[1]  # the past does not drift with time
    assert figures[0].value == (12 + 48) / 2  # median of 12 h and 48 h
    assert figures[0].denominator == 2


def test_a_month_with_nothing_received_received_none() -> None:
    receipts = [Receipt(at(9, d), "tax", "SZ-TAX", "320505") for d in range(1, 6)]
    series = trend(
        "received", "unit", [SEPTEMBER, OCTOBER], [], [], receipts,
        at(11, 1), SHANGHAI, hours,
    )  # fmt: skip
    for key in (CITY_KEY, ("SZ-TAX",)):
        assert [series[key][m].value for m in ("2026-09", "2026-10")] == [5, 0]
    assert change(5, 0) == (-5, -1.0)


def test_rates_without_a_locality_are_not_grouped_by_one() -> None:
    for measure in ("return_rate", "reopen_rate"):
        with pytest.raises(InvalidField) as refused:
            trend(measure, "locality", [SEPTEMBER], [], [], [], at(10, 1),
                  SHANGHAI, hours)  # fmt: skip
        assert refused.value.field == "group_by"


def test_no_unit_code_stands_in_for_the_city() -> None:
    facts = [
        first_response("city", completed_at=at(9, 1, 10)),  # a unit coded "city"
        first_response("SZ-TAX"),  # never answered: late
    ]
    series = trend("response_rate", "unit", [SEPTEMBER], facts, [], [],
                   at(10, 1), SHANGHAI, hours)  # fmt: skip
    assert series[CITY_KEY]["2026-09"].value == 0.5  # both units, summed
    assert series[("city",)]["2026-09"].value == 1.0  # the unit's own row


def resolve(unit: str, category: str, **changes: object) -> CycleFact:
    return first_response(unit, stage="resolve", category=category, **changes)


def test_hotspots_count_due_resolve_stages_late_or_met_never_the_centres() -> None:
    as_of = at(10, 1)
    stages = [
        resolve("SZ-TAX", "tax"),  # due, never completed: late
        resolve("SZ-TAX", "tax", completed_at=at(9, 1, 12)),  # met
        resolve("SZ-TAX", "tax", completed_at=at(9, 5)),  # completed late
        resolve("SZ-TAX", "tax", due=at(10, 5)),  # not yet due
        resolve("SZ-TAX", "tax", ended_by="withdrawn", ended_at=at(9, 1, 12)),
        resolve(CENTRE_UNIT, "tax"),  # the centre's own: not a unit's
        resolve("SZ-HR", "labour"),
    ]
    counted = [(fact.standing(as_of), 2) for fact in stages]  # each twice
    received = {("tax", "320505"): 3, ("permits", "320506"): 9}
    spots = hotspots(received, counted)
    assert [(s.category, s.locality, s.received, s.due, s.late) for s in spots] == [
        ("permits", "320506", 9, 0, 0),  # the busiest first
        ("tax", "320505", 3, 6, 4),
        ("labour", "320505", 0, 2, 2),
    ]
    assert spots[0].late_rate is None
    assert spots[1].late_rate == pytest.approx(4 / 6)
