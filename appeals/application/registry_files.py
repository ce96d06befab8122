"""Registry files: units, cadres and enterprises imported from and exported
to CSV or TOML (chosen by the file's extension).

- CSV: UTF-8 with a header row (a byte-order mark is accepted), lists
  separated by ``;``, ``true``/``false`` for yes/no, an empty cell for
  nothing. The columns are :data:`FILE_KEYS`.
- TOML: one ``[[unit]]``, ``[[cadre]]`` or ``[[enterprise]]`` table per
  record, with the same keys (lists as arrays, ``since`` a date).

Importing is idempotent (:func:`import_rows`): a row equal to the current
record records nothing, a changed row records the named change events
(rename, move, update...), a new one registers the record. Each rejected row
is reported with its line number and reason, and the other rows are still
imported. Rows naming a parent unit further down the file are imported after
it. Exporting writes the records in force (retired ones are left out, as
absent rows are left alone by an import), so exporting and importing again
records nothing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from appeals.application.registry import Registry, registration_code
from appeals.domain.errors import AppealError
from appeals.domain.organisation import (
    REGISTRATIONS,
    Cadre,
    Enterprise,
    InvalidRecord,
    Record,
    Unit,
    parse_command,
)
from appeals.domain.values import Actor
from appeals.infra.toml_source import TomlFileError, parse_toml, read_text

FILE_KEYS: dict[str, tuple[str, ...]] = {
    "unit": ("code", "name_zh", "name_en", "kind", "parent", "locality"),
    "cadre": ("code", "name", "unit", "roles", "since"),
    "enterprise": (
        "uscc",
        "name",
        "locality",
        "park",
        "size",
        "foreign_invested",
        "service_list",
    ),
}
"""Each kind of record's keys: CSV columns and TOML keys, in this order."""

KINDS = {"units": "unit", "cadres": "cadre", "enterprises": "enterprise"}
"""The command line's (plural) names of the kinds of record."""

LIST_KEYS = frozenset({"roles"})
BOOLEAN_KEYS = frozenset({"foreign_invested"})
LIST_SEPARATOR = ";"


class RegistryFileError(TomlFileError):
    """A file that cannot be read at all (``FILE:LINE: reason``)."""


@dataclass(frozen=True)
class Row:
    """One record of a file: where it starts and its values."""

    line: int | None
    data: dict[str, Any]


@dataclass(frozen=True)
class Rejection:
    """A row that was not imported: where and why."""

    line: int | None
    code: str | None
    reason: str


@dataclass
class ImportReport:
    """What an import did, row by row (codes in the order imported)."""

    registered: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    position: int | None = None
    """The log position of the last event recorded (None if none was)."""

    @property
    def ok(self) -> bool:
        return not self.rejected


# ---- reading --------------------------------------------------------------------


def read_rows(path: str | os.PathLike[str], kind: str) -> list[Row]:
    """The rows of a ``.csv`` or ``.toml`` file of records of ``kind``."""
    name = os.fspath(path)
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".toml"):
        raise RegistryFileError(name, None, "must be a .csv or .toml file")
    text = read_text(name, RegistryFileError)
    if suffix == ".csv":
        return csv_rows(text, name, kind)
    return toml_rows(text, name, kind)


def csv_rows(text: str, name: str, kind: str) -> list[Row]:
    """The rows of a CSV text: cells as the commands read them (lists split,
    yes/no as booleans, an empty cell for an optional key left out)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = next(reader, None)
    if header is None:
        raise RegistryFileError(name, None, "is empty: the header row is missing")
    keys = FILE_KEYS[kind]
    unknown = [column for column in header if column not in keys]
    missing = [key for key in keys if key not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise RegistryFileError(
            name,
            1,
            f"表头应为 the header must be {','.join(keys)} "
            f"(unknown: {', '.join(unknown) or '-'}; "
            f"missing: {', '.join(missing) or '-'})",
        )
    rows = []
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        if len(cells) != len(header):
            rows.append(
                Row(start, {"_error": f"has {len(cells)} cells, not {len(header)}"})
            )
            continue
        rows.append(Row(start, _from_cells(dict(zip(header, cells, strict=True)))))
    return rows


def _from_cells(cells: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, cell in cells.items():
        if key in LIST_KEYS:
            data[key] = [part.strip() for part in cell.split(LIST_SEPARATOR)]
            data[key] = [part for part in data[key] if part]
        elif key in BOOLEAN_KEYS:
            data[key] = {"true": True, "false": False, "": False}.get(cell, cell)
        else:
            data[key] = cell
    return data


_TABLE_HEADER = r"\s*\[\[\s*{}\s*\]\]\s*(#.*)?$"


def toml_rows(text: str, name: str, kind: str) -> list[Row]:
    """The ``[[kind]]`` tables of a TOML text, each with its header's line."""
    document = parse_toml(text, name, RegistryFileError)
    unknown = sorted(set(document) - {kind})
    if unknown:
        raise RegistryFileError(
            name,
            None,
            f"未知的表 unknown table(s) {', '.join(unknown)}; this file holds "
            f"[[{kind}]] tables",
        )
    tables = document.get(kind, [])
    if not isinstance(tables, list):
        raise RegistryFileError(name, None, f"records must be [[{kind}]] tables")
    header = re.compile(_TABLE_HEADER.format(re.escape(kind)))
    lines = [n for n, line in enumerate(text.splitlines(), 1) if header.match(line)]
    rows = []
    for index, table in enumerate(tables):
        line = lines[index] if index < len(lines) else None
        if not isinstance(table, dict):
            rows.append(Row(line, {"_error": f"须为表 [[{kind}]] must be a table"}))
            continue
        rows.append(Row(line, dict(table)))
    return rows


# ---- importing ---------------------------------------------------------------------


def import_rows(
    registry: Registry,
    kind: str,
    rows: Sequence[Row],
    actor: Actor,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Registers or brings up to date each row's record (see the module's
    docstring); ``progress`` is told how many rows are done after each."""
    report = ImportReport()
    seen: set[str] = set()
    command_class = REGISTRATIONS[kind]
    for done, row in enumerate(_parents_first(kind, rows), start=1):
        code = _code_of(row.data, kind)
        try:
            if "_error" in row.data:
                raise InvalidRecord([{"field": kind, "reason": row.data["_error"]}])
            command = parse_command(command_class, row.data)
            code = registration_code(command)
            if code in seen:
                raise InvalidRecord(
                    [
                        {
                            "field": _code_key(kind),
                            "reason": "文件中编码重复 listed twice",
                        }
                    ]
                )
            seen.add(code)
            result = registry.upsert(command, actor)
        except AppealError as error:
            report.rejected.append(Rejection(row.line, code, str(error)))
        else:
            if result.created:
                report.registered.append(code)
            elif result.changed:
                report.changed.append(code)
            else:
                report.unchanged.append(code)
            report.position = result.position or report.position
        if progress is not None:
            progress(done)
    report.rejected.sort(key=lambda r: (r.line is None, r.line or 0))
    return report


def import_file(
    registry: Registry,
    kind: str,
    path: str | os.PathLike[str],
    actor: Actor,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Imports a CSV or TOML file of records of ``kind``; raises
    :class:`RegistryFileError` if it cannot be read at all. ``progress`` is
    told (rows done, rows in the file)."""
    rows = read_rows(path, kind)
    if progress is None:
        return import_rows(registry, kind, rows, actor)
    total = len(rows)
    progress(0, total)
    return import_rows(registry, kind, rows, actor, lambda done: progress(done, total))


def _code_key(kind: str) -> str:
    return "uscc" if kind == "enterprise" else "code"


def _code_of(data: dict[str, Any], kind: str) -> str | None:
    code = data.get(_code_key(kind))
    return code if isinstance(code, str) and code else None


def _parents_first(kind: str, rows: Sequence[Row]) -> list[Row]:
    """The rows in file order, except that a unit comes after the unit of
    the same file it names as its parent."""
    if kind != "unit":
        return list(rows)
    in_file = {_code_of(row.data, kind) for row in rows} - {None}
    done: set[str | None] = set()
    ordered: list[Row] = []
    waiting = list(rows)
    while waiting:
        later = []
        for row in waiting:
            code, parent = _code_of(row.data, kind), row.data.get("parent")
            if parent in in_file and parent not in done and parent != code:
                later.append(row)
            else:
                ordered.append(row)
                done.add(code)
        if len(later) == len(waiting):  # a cycle: let the checks refuse it
            ordered.extend(later)
            break
        waiting = later
    return ordered


# ---- exporting ---------------------------------------------------------------------


def record_row(record: Record) -> dict[str, Any]:
    """A record as a file's row: lists, booleans and days as such, None for
    nothing (an empty CSV cell, a TOML key left out). An enterprise's
    locality is written only if it overrides the one in its credit code."""
    if isinstance(record, Unit):
        return {
            "code": record.code,
            "name_zh": record.name_zh,
            "name_en": record.name_en,
            "kind": record.kind,
            "parent": record.parent,
            "locality": record.locality,
        }
    if isinstance(record, Cadre):
        return {
            "code": record.code,
            "name": record.name,
            "unit": record.unit,
            "roles": list(record.roles),
            "since": record.since,
        }
    assert isinstance(record, Enterprise)
    return {
        "uscc": record.uscc,
        "name": record.name,
        "locality": record.locality if record.locality_overridden else None,
        "park": record.park,
        "size": record.size,
        "foreign_invested": record.foreign_invested,
        "service_list": record.service_list,
    }


def export_file(registry: Registry, kind: str, path: str | os.PathLike[str]) -> int:
    """Writes the records of ``kind`` in force to ``path`` (``.csv`` or
    ``.toml``); returns how many."""
    name = os.fspath(path)
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".toml"):
        raise RegistryFileError(name, None, "must be a .csv or .toml file")
    rows = [record_row(record) for record in registry.records(kind)]
    text = to_csv(kind, rows) if suffix == ".csv" else to_toml(kind, rows)
    Path(name).write_text(text, encoding="utf-8", newline="")
    return len(rows)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(kind: str, rows: Iterable[dict[str, Any]]) -> str:
    """The CSV file of ``rows`` (a header row, then one line per record)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    keys = FILE_KEYS[kind]
    writer.writerow(keys)
    for row in rows:
        writer.writerow([_cell(row[key]) for key in keys])
    return buffer.getvalue()


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()  # a TOML local date
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    # A JSON string is a valid TOML basic string (the same escapes).
    return json.dumps(str(value), ensure_ascii=False)


def to_toml(kind: str, rows: Iterable[dict[str, Any]]) -> str:
    """The TOML file of ``rows``: one ``[[kind]]`` table each (a key whose
    value is None is left out)."""
    parts = [f"# {kind} records (appeals registry import {kind}s FILE)\n"]
    for row in rows:
        lines = [f"[[{kind}]]"]
        lines += [
            f"{key} = {_toml_value(row[key])}"
            for key in FILE_KEYS[kind]
            if row[key] is not None
        ]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)
