"""The one strict parser for every number, instant, day, month, text filter
and cursor a client puts in a query, a path or a header.

Each parser takes the raw text (``None`` when absent) and the field's name,
and answers a value or a 422 ``invalid-field`` problem naming the field and
the reason: never a Python exception that would become a 500. The rules:

- numbers are ASCII digits only (``str.isdigit`` accepts ``²``), at most 19
  of them, and within a bounded range: positions and versions below 2^63
  (what PostgreSQL's ``bigint`` holds), page sizes within the report's limit;
- instants carry an offset; instants, days and months fall within the years
  :data:`FIRST_YEAR` to :data:`LAST_YEAR` (a sane range around the official
  calendar's, which stored instants and working-day arithmetic can hold);
- text filters are at most :data:`MAX_FILTER_LENGTH` characters and hold no
  control characters (a NUL is refused by PostgreSQL itself);
- a cursor is one made by :func:`make_cursor` for the same list.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from datetime import date, datetime
from uuid import UUID

import orjson

from appeals.http.problems import HttpProblem

MAX_POSITION = 2**63 - 1
"""The largest log position, version or event number (a signed 64-bit int)."""
FIRST_YEAR, LAST_YEAR = 2000, 2099
"""The years an instant, day or month in a request may fall in."""
MAX_FILTER_LENGTH = 200
MAX_CURSOR_LENGTH = 512
_DIGITS = re.compile(r"[0-9]{1,19}")
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def invalid(errors: list[dict[str, str]]) -> HttpProblem:
    """A 422 problem listing each bad field and why."""
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return HttpProblem(422, "invalid-field", "Invalid input", detail, errors=errors)


def refuse(field: str, reason: str) -> HttpProblem:
    return invalid([{"field": field, "reason": reason}])


def whole_number(
    raw: str | None, field: str, *, minimum: int = 0, maximum: int = MAX_POSITION
) -> int | None:
    """ASCII digits making a number from ``minimum`` to ``maximum``, or None."""
    if raw is None:
        return None
    if not _DIGITS.fullmatch(raw) or not minimum <= int(raw) <= maximum:
        raise refuse(field, f"must be a whole number from {minimum} to {maximum}")
    return int(raw)


def _in_years(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


def instant(raw: str | None, field: str) -> datetime | None:
    """An ISO 8601 date-time with its offset, within the supported years."""
    if raw is None:
        return None
    reason = "must be an ISO 8601 instant with an offset, like 2026-11-23T17:30+08:00"
    if not raw.isascii() or len(raw) > 40:
        raise refuse(field, reason)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise refuse(field, reason) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise refuse(field, reason)
    if not _in_years(value.year):
        raise refuse(field, f"must fall in the years {FIRST_YEAR} to {LAST_YEAR}")
    return value


def day(raw: str | None, field: str) -> date | None:
    """A day ``YYYY-MM-DD`` within the supported years, or None."""
    if raw is None:
        return None
    reason = "must be a day like 2026-11-30"
    if not raw.isascii() or len(raw) != len("2026-11-30"):
        raise refuse(field, reason)
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise refuse(field, reason) from None
    if not _in_years(value.year):
        raise refuse(field, f"must fall in the years {FIRST_YEAR} to {LAST_YEAR}")
    return value


def month(raw: str | None, field: str) -> str | None:
    """``YYYY-MM`` within the supported years, or None (also when empty)."""
    if not raw:
        return None
    found = _MONTH.fullmatch(raw)
    if found is None or not _in_years(int(found.group(1))):
        reason = f"must be a month like 2026-10, in {FIRST_YEAR} to {LAST_YEAR}"
        raise refuse(field, reason)
    return raw


def text_filter(raw: str | None, field: str) -> str | None:
    """A text to match exactly (a unit, a cadre, an event type...): at most
    :data:`MAX_FILTER_LENGTH` characters, no control characters; None when
    absent or empty."""
    if not raw:
        return None
    if len(raw) > MAX_FILTER_LENGTH:
        raise refuse(field, f"must be at most {MAX_FILTER_LENGTH} characters")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in raw):
        raise refuse(field, "must not contain control characters")
    return raw


def etag(raw: str | None, field: str = "If-Match") -> int | None:
    """``"3"`` (or ``W/"3"``, or ``3``), the ETag of a read, as version 3."""
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not _DIGITS.fullmatch(value) or not 1 <= int(value) <= MAX_POSITION:
        raise refuse(field, 'must be an ETag like "3" from a read')
    return int(value)


def make_cursor(received_at: str, appeal_id: str, kind: str) -> str:
    """The opaque cursor after the row ``(received_at, appeal_id)`` of ``kind``."""
    raw = orjson.dumps([received_at, appeal_id, kind])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor(raw: str | None, kind: str, field: str = "cursor") -> tuple[str, str] | None:
    """The sort key ``(stored instant, appeal id)`` in a cursor made for ``kind``."""
    if not raw:
        return None
    reason = "is not a cursor from this list (pass next as given)"
    if len(raw) > MAX_CURSOR_LENGTH or not raw.isascii():
        raise refuse(field, reason)
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, binascii.Error, orjson.JSONDecodeError):
        raise refuse(field, reason) from None
    if (
        not isinstance(decoded, list)
        or len(decoded) != 3
        or not all(isinstance(part, str) for part in decoded)
        or decoded[2] != kind
    ):
        raise refuse(field, reason)
    received_at, appeal_id, _ = decoded
    try:
        UUID(appeal_id)
        moment = datetime.fromisoformat(received_at.removesuffix("Z"))
    except ValueError:
        raise refuse(field, reason) from None
    if not received_at.isascii() or not _in_years(moment.year):
        raise refuse(field, reason)
    return received_at, str(UUID(appeal_id))
