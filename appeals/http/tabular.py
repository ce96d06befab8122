"""How a report answers: JSON or CSV, chosen by the client, paged by keyset.

CSV is UTF-8 with a byte-order mark (Excel otherwise guesses a legacy code
page and garbles Chinese) and CRLF line ends; a CSV export holds every
matching row, streamed one page at a time so memory stays bounded. JSON pages
carry an opaque ``next_cursor``: the last row's sort key, so page N costs
what page 1 costs and rows arriving meanwhile never shift a page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from appeals.http.freshness import COMPLETE_HEADER, POSITION_HEADER, log_head
from appeals.http.parameters import cursor, invalid, make_cursor, whole_number
from appeals.http.problems import HttpProblem
from appeals.http.responses import OrjsonResponse
from appeals.projections.reading import SortKey

PAGE_SIZE, MAX_PAGE_SIZE, CSV_PAGE_SIZE = 50, 500, 1000


def wants_csv(request: Request) -> bool:
    """``?format=csv|json`` wins (a link Excel can open); otherwise the Accept
    header's preference, JSON on a tie, 406 if it accepts neither."""
    chosen = request.query_params.get("format")
    if chosen is not None:
        if chosen not in ("csv", "json"):
            raise invalid([{"field": "format", "reason": "must be csv or json"}])
        return chosen == "csv"
    quality = {"text/csv": 0.0, "application/json": 0.0}
    for media_range in request.headers.get("accept", "*/*").split(","):
        media, *options = (part.strip().lower() for part in media_range.split(";"))
        q = next((option[2:] for option in options if option.startswith("q=")), "1")
        for target in quality:
            if media in (target, target.split("/")[0] + "/*", "*/*"):
                quality[target] = max(quality[target], _quality(q))
    if not any(quality.values()):
        raise HttpProblem(
            406,
            "not-acceptable",
            "Not acceptable",
            "reports are available as application/json or text/csv",
        )
    return quality["text/csv"] > quality["application/json"]


def _quality(raw: str) -> float:
    try:
        return min(max(float(raw), 0.0), 1.0)
    except ValueError:
        return 0.0


async def report_json(
    request: Request, body: dict[str, Any], position: int
) -> Response:
    """A report as JSON, stating the log position it reflects and whether
    that is the log's head (``complete``: false while its view catches up)."""
    complete = position >= await log_head(request)
    return json_response(body, position, complete)


def json_response(body: dict[str, Any], position: int, complete: bool) -> Response:
    body["position"], body["complete"] = position, complete
    headers = {POSITION_HEADER: str(position), COMPLETE_HEADER: _flag(complete)}
    return OrjsonResponse(body, headers=headers)


def _flag(value: bool) -> str:
    return "true" if value else "false"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may read as the start of a formula (OWASP, CSV injection)."""


def neutralised(cell: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, made inert with a
    leading apostrophe (OWASP's advice); numbers and other cells unchanged."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


async def report_csv(
    request: Request,
    filename: str,
    header: Sequence[str],
    rows: Iterator[Sequence[Any]],
    position: int,
) -> Response:
    """A report as CSV, its position and completeness in the headers."""
    complete = position >= await log_head(request)
    return csv_response(filename, header, rows, position, complete)


def csv_response(
    filename: str,
    header: Sequence[str],
    rows: Iterator[Sequence[Any]],
    position: int,
    complete: bool,
) -> Response:
    """Streams ``rows`` as CSV (Starlette iterates it in the threadpool)."""

    def chunks() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(header)
        for count, row in enumerate(rows, start=1):
            writer.writerow([neutralised(cell) for cell in row])
            if count % CSV_PAGE_SIZE == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()

    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            POSITION_HEADER: str(position),
            COMPLETE_HEADER: _flag(complete),
        },
    )


def page_size(request: Request) -> int:
    """``?limit=``: rows per JSON page, 1 to MAX_PAGE_SIZE (PAGE_SIZE if absent)."""
    raw = request.query_params.get("limit")
    found = whole_number(raw, "limit", minimum=1, maximum=MAX_PAGE_SIZE)
    return PAGE_SIZE if found is None else found


def next_cursor(rows: list[dict[str, Any]], limit: int, kind: str) -> str | None:
    """The cursor after the page (``rows`` holds one row more than ``limit``
    when there is a next page); ``kind`` names the list it belongs to."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return make_cursor(last["received_at"], last["appeal_id"], kind)


def read_cursor(raw: str | None, kind: str) -> SortKey | None:
    """The sort key in a cursor made for ``kind``, or a 422 problem."""
    return cursor(raw, kind)
