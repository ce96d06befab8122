"""Query parameters the reports share: filters, days, months and periods,
parsed into values or answered with a 422 problem."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from starlette.requests import Request

from appeals.domain.values import Category
from appeals.http import parameters
from appeals.http.context import ledger_of
from appeals.http.parameters import invalid
from appeals.http.problems import HttpProblem
from appeals.infra.clock import SHANGHAI
from appeals.projections.lifecycle import stored_instant


def equal_filters(request: Request, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """``(name, value)`` of each of ``names`` given (a category is checked,
    other text filters hold no control characters)."""
    params = request.query_params
    return [
        (name, Category.parse(value, name) if name == "category" else value)
        for name in names
        if (value := parameters.text_filter(params.get(name), name))
    ]


def choice(request: Request, name: str, default: str, allowed: tuple[str, ...]) -> str:
    """``?name=`` if one of ``allowed`` (``default`` if absent), else a 422."""
    value = request.query_params.get(name, default)
    if value not in allowed:
        if len(allowed) == 2:
            reason = f"must be {allowed[0]} or {allowed[1]}"
        else:
            reason = f"must be {', '.join(allowed[:-1])} or {allowed[-1]}"
        raise invalid([{"field": name, "reason": reason}])
    return value


def day_range(request: Request, default_days: int = 90) -> tuple[date, date]:
    """``from``/``to`` as ISO days (both inclusive); default the last 90 days."""
    params = request.query_params
    last = parameters.day(params.get("to"), "to")
    first = parameters.day(params.get("from"), "from")
    today = ledger_of(request).clock.now().date()
    last = last or today
    first = first or last - timedelta(days=default_days - 1)
    if first > last:
        raise invalid([{"field": "from", "reason": "must not be after to"}])
    return first, last


def day_bound(raw: str | None, field: str, days_after: int) -> str | None:
    """A day in Asia/Shanghai (``received_to`` includes the whole day) or an
    instant with its offset (included either way), as a stored instant."""
    if not raw:
        return None
    instant: datetime | None
    if len(raw) == len("2026-10-08"):
        day = parameters.day(raw, field)
        assert day is not None
        instant = datetime.combine(
            day + timedelta(days=days_after), datetime.min.time(), SHANGHAI
        )
    else:
        try:
            instant = parameters.instant(raw, field)
        except HttpProblem:
            reason = "must be a date (2026-10-08) or a time with its offset"
            raise invalid([{"field": field, "reason": reason}]) from None
        assert instant is not None
        instant += timedelta(microseconds=days_after)
    return stored_instant(instant)


def month(raw: str | None, field: str) -> str | None:
    """``YYYY-MM`` or None; a 422 if malformed."""
    return parameters.month(raw, field)
