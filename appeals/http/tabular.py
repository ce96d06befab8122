"""How a report answers: JSON, CSV or XLSX, chosen by the client, paged by
keyset.

CSV is UTF-8 with a byte-order mark (Excel otherwise guesses a legacy code
page and garbles Chinese) and CRLF line ends; a CSV export holds every
matching row, streamed one page at a time so memory stays bounded. XLSX has
typed cells. Both have Chinese headers (English with ``?lang=en``), rates as
percentages and times in Shanghai minutes (appeals.http.columns). JSON pages
carry an opaque ``next`` cursor: the last row's sort key, so page N costs
what page 1 costs and rows arriving meanwhile never shift a page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from appeals.http.columns import Column, column, csv_cell, xlsx_cell
from appeals.http.freshness import COMPLETE_HEADER, POSITION_HEADER, log_head
from appeals.http.parameters import cursor, invalid, make_cursor, whole_number
from appeals.http.problems import HttpProblem
from appeals.http.responses import OrjsonResponse
from appeals.projections.reading import SortKey

PAGE_SIZE, MAX_PAGE_SIZE, CSV_PAGE_SIZE = 50, 500, 1000


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"json": "application/json", "csv": "text/csv", "xlsx": XLSX}
XLSX_ROWS = 1_048_575
"""Rows a worksheet holds under its header (Excel's limit)."""


def table_format(request: Request) -> str | None:
    """``?format=csv|xlsx|json`` wins (a link a spreadsheet can open);
    otherwise the Accept header's preference, JSON on a tie, 406 if it
    accepts none. ``None`` means JSON, else the table format."""
    chosen = request.query_params.get("format")
    if chosen is not None:
        if chosen not in MEDIA:
            raise invalid([{"field": "format", "reason": "must be json, csv or xlsx"}])
        return None if chosen == "json" else chosen
    quality = dict.fromkeys(MEDIA, 0.0)
    for media_range in request.headers.get("accept", "*/*").split(","):
        media, *options = (part.strip().lower() for part in media_range.split(";"))
        q = next((option[2:] for option in options if option.startswith("q=")), "1")
        for name, target in MEDIA.items():
            if media in (target, target.split("/")[0] + "/*", "*/*"):
                quality[name] = max(quality[name], _quality(q))
    if not any(quality.values()):
        raise HttpProblem(
            406,
            "not-acceptable",
            "Not acceptable",
            "reports are available as application/json, text/csv or " + XLSX,
        )
    best = max(quality, key=lambda name: (quality[name], name == "json"))
    return None if best == "json" else best


def wants_table(request: Request) -> bool:
    """Whether the client asked for a table (CSV or XLSX) rather than JSON."""
    return table_format(request) is not None


def header_language(request: Request) -> str:
    """``?lang=zh|en``: the headers' language in CSV and XLSX (Chinese first)."""
    lang = request.query_params.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise invalid([{"field": "lang", "reason": "must be zh or en"}])
    return lang


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


async def report_table(
    request: Request,
    filename: str,
    header: Sequence[str | Column],
    rows: Iterator[Sequence[Any]],
    position: int,
) -> Response:
    """A report as CSV or XLSX, its position and completeness in the headers."""
    complete = position >= await log_head(request)
    return table_response(request, filename, header, rows, position, complete)


def table_response(
    request: Request,
    filename: str,
    header: Sequence[str | Column],
    rows: Iterator[Sequence[Any]],
    position: int,
    complete: bool,
) -> Response:
    """``rows`` as the table the request asked for (``filename`` names the
    CSV; an XLSX takes its stem), headers in ``?lang=`` (docs/reports.md,
    "Exports"). Each column is a key of appeals.http.columns or a Column."""
    lang = header_language(request)
    columns = [c if isinstance(c, Column) else column(c) for c in header]
    headers = {POSITION_HEADER: str(position), COMPLETE_HEADER: _flag(complete)}
    if table_format(request) == "xlsx":
        stem = filename.rsplit(".", 1)[0]
        headers["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'

        def workbook() -> Iterator[bytes]:
            # A generator: Starlette runs it in the threadpool, so building a
            # large workbook never holds up the event loop.
            yield xlsx_bytes(stem, columns, rows, lang)

        return StreamingResponse(workbook(), media_type=XLSX, headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return StreamingResponse(
        csv_chunks(columns, rows, lang),
        media_type="text/csv; charset=utf-8",
        headers=headers,
    )


def csv_chunks(
    columns: Sequence[Column], rows: Iterator[Sequence[Any]], lang: str
) -> Iterator[bytes]:
    """The CSV, a page at a time (Starlette iterates it in the threadpool)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([c.header(lang, percent=True) for c in columns])
    kinds = [c.kind for c in columns]
    for count, row in enumerate(rows, start=1):
        writer.writerow(
            [neutralised(csv_cell(k, v)) for k, v in zip(kinds, row, strict=False)]
        )
        if count % CSV_PAGE_SIZE == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_bytes(
    title: str, columns: Sequence[Column], rows: Iterator[Sequence[Any]], lang: str
) -> bytes:
    """One worksheet with a bold header row and typed cells (openpyxl's
    write-only mode streams the rows to a temporary file)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "report")
    bold = Font(bold=True)
    heading = []
    for c in columns:
        cell = WriteOnlyCell(sheet, value=c.header(lang, percent=False))
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    kinds = [c.kind for c in columns]
    for count, row in enumerate(rows, start=1):
        if count > XLSX_ROWS:
            sheet.append(
                ["已截断，完整数据请导出CSV truncated: export CSV for every row"]
            )
            break
        cells = []
        for kind, value in zip(kinds, row, strict=False):
            typed, number_format = xlsx_cell(kind, value)
            cell = WriteOnlyCell(sheet, value=typed)
            if isinstance(typed, str):
                cell.data_type = "s"  # text, never a formula (OWASP), as written
            if number_format is not None:
                cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def report_items(
    request: Request,
    body: dict[str, Any],
    position: int,
    filename: str,
    columns: Sequence[str | Column],
) -> Response:
    """A report whose rows are ``body["items"]``: JSON, or those rows as CSV or
    XLSX with ``columns`` (keys of the items; a list is joined with 、)."""
    if not wants_table(request):
        return await report_json(request, body, position)
    keys = [c.key if isinstance(c, Column) else c for c in columns]
    rows = (
        ["、".join(map(str, v)) if isinstance(v, list) else v
         for v in (item.get(k) for k in keys)]
        for item in body["items"]
    )  # fmt: skip
    return await report_table(request, filename, columns, rows, position)


def page_size(request: Request) -> int:
    """``?limit=``: rows per JSON page, 1 to MAX_PAGE_SIZE (PAGE_SIZE if absent)."""
    raw = request.query_params.get("limit")
    found = whole_number(raw, "limit", minimum=1, maximum=MAX_PAGE_SIZE)
    return PAGE_SIZE if found is None else found


def list_page(items: list[dict[str, Any]], next_: str | None) -> dict[str, Any]:
    """The one shape of every paged list: its ``items`` and ``next``, the
    cursor of the following page (``?cursor=``), null on the last."""
    return {"items": items, "next": next_}


def page_cursor(params: Mapping[str, str], older: str) -> tuple[str, str | None]:
    """Which parameter holds where a page starts, and its value: ``cursor``
    (a previous page's ``next``), else ``older``, the name it had before."""
    field = "cursor" if params.get("cursor") else older
    return field, params.get(field)


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
