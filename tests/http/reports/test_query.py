"""The query parameters the reports share: days, instants, months, choices."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from appeals.http.problems import HttpProblem
from appeals.http.reports.query import choice, day_bound, equal_filters, month


def request(query: str) -> Request:
    return Request({"type": "http", "query_string": query.encode(), "headers": []})


def test_a_day_bound_is_a_shanghai_day_or_an_instant_with_its_offset() -> None:
    assert day_bound(None, "received_from", 0) is None
    assert day_bound("2026-10-08", "received_from", 0) == "2026-10-07T16:00:00.000000Z"
    assert day_bound("2026-10-08", "received_to", 1) == "2026-10-08T16:00:00.000000Z"
    instant = day_bound("2026-10-08T09:00:00+08:00", "received_to", 1)
    assert instant == "2026-10-08T01:00:00.000001Z"
    for bad in ("2026-13-01", "2026-10-08T09:00:00"):
        with pytest.raises(HttpProblem):
            day_bound(bad, "received_from", 0)


def test_a_month_is_year_and_month() -> None:
    assert month("2026-10", "from") == "2026-10"
    assert month("", "from") is None
    with pytest.raises(HttpProblem):
        month("October", "from")


def test_a_choice_is_one_of_its_values() -> None:
    assert choice(request(""), "order", "newest", ("newest", "oldest")) == "newest"
    assert choice(request("order=oldest"), "order", "newest", ("newest", "oldest"))
    with pytest.raises(HttpProblem) as refused:
        choice(request("period=year"), "period", "all", ("day", "week", "month", "all"))
    assert refused.value.detail == "period: must be day, week, month or all"


def test_filters_name_only_what_was_given() -> None:
    given = equal_filters(
        request("unit=X&cadre=&category=tax"), ("unit", "cadre", "category")
    )
    assert given == [("unit", "X"), ("category", "tax")]
