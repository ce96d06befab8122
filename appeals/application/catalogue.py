"""The routing catalogue service (派单目录 / 责任清单): publish, revise, retire
and reinstate items in the ledger's store, import and export the catalogue
file, and answer the directory's question "what does item X route to?".

Like the appeal service it loads, lets the aggregate decide and saves: the
actor comes from the caller, the time from the ledger's clock. Lead and
co-handling units must be registered: ``unit_exists`` answers that (the
composition root gives it the unit registry; by default every code passes).

The file is TOML, one ``[[item]]`` table per item with the command's fields
(appeals.domain.catalogue.Publish). Importing is idempotent: an item equal to
the current version records nothing, a changed one records a ``Revised``, a
new one a ``Published``; each rejected item is reported with the line of its
``[[item]]`` header and the reason, and the others are still imported. Items
absent from the file are left alone (retiring is explicit), and a retired
item in the file is rejected (reinstate it first). Export writes the current
items, so exporting and importing again records nothing.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, Recording

from appeals.application.registry import Registry
from appeals.application.service import AppealLedger
from appeals.domain.catalogue import (
    CatalogueConflict,
    CatalogueItem,
    CatalogueItemNotFound,
    InvalidContent,
    ItemContent,
    Publish,
    Reinstate,
    Retire,
    Revise,
    parse_command,
)
from appeals.domain.directory import CatalogueEntry
from appeals.domain.errors import AppealError
from appeals.domain.identities import catalogue_item_id
from appeals.domain.values import Actor
from appeals.infra.toml_source import TomlFileError, parse_toml, read_text

UnitExists = Callable[[str], bool]


@dataclass(frozen=True)
class ItemResult:
    """What a change did: the item's content version after it, whether
    anything was recorded, and the log position of the last event recorded
    (for read-your-writes on the catalogue view)."""

    code: str
    version: int
    changed: bool
    position: int | None


@dataclass(frozen=True)
class Rejection:
    """An item of a file that was not imported: where and why."""

    index: int
    """Its place among the file's items, from 1."""
    line: int | None
    """The line of its ``[[item]]`` header."""
    code: str | None
    reason: str


@dataclass
class ImportReport:
    """What an import did, item by item (codes in file order)."""

    published: list[str] = field(default_factory=list)
    revised: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    position: int | None = None
    """The log position of the last event recorded (None if none was)."""

    @property
    def ok(self) -> bool:
        return not self.rejected


class CatalogueFileError(TomlFileError):
    """A catalogue file that cannot be read at all (``FILE:LINE: reason``)."""


class Catalogue:
    """The routing catalogue over the ledger's event store."""

    def __init__(
        self, ledger: AppealLedger, unit_exists: UnitExists = lambda code: True
    ) -> None:
        self.ledger = ledger
        self.unit_exists = unit_exists

    # ---- changes ------------------------------------------------------------

    def publish(self, command: Publish, actor: Actor) -> ItemResult:
        """Version 1 of a new item; a code already published is a conflict."""
        item = CatalogueItem.publish(command, actor, self.ledger.clock.now())
        self.check_units(command)
        if self.item(command.code) is not None:
            raise _already_published(command.code)
        try:
            recordings = self.ledger.save(item)
        except IntegrityError:  # published by someone else meanwhile
            raise _already_published(command.code) from None
        return ItemResult(item.code, 1, True, _position(recordings))

    def revise(self, code: str, command: Revise, actor: Actor) -> ItemResult:
        """The full new content as the next version (nothing if unchanged)."""

        def revise(item: CatalogueItem, at: Any) -> bool:
            changed = item.revise(command, actor, at)
            if changed:
                self.check_units(command)
            return changed

        return self._change(code, revise)

    def retire(self, code: str, command: Retire, actor: Actor) -> ItemResult:
        def retire(item: CatalogueItem, at: Any) -> bool:
            item.retire(command, actor, at)
            return True

        return self._change(code, retire)

    def reinstate(self, code: str, command: Reinstate, actor: Actor) -> ItemResult:
        def reinstate(item: CatalogueItem, at: Any) -> bool:
            item.reinstate(command, actor, at)
            return True

        return self._change(code, reinstate)

    def _change(
        self, code: str, decide: Callable[[CatalogueItem, Any], bool]
    ) -> ItemResult:
        """Loads the item, lets it decide, saves; decides again on fresh state
        if another writer saved first."""
        for _attempt in range(3):
            item = self.item(code)
            if item is None:
                raise CatalogueItemNotFound(code)
            if not decide(item, self.ledger.clock.now()):
                return ItemResult(code, item.content_version, False, None)
            try:
                recordings = self.ledger.save(item)
            except IntegrityError:
                continue
            return ItemResult(code, item.content_version, True, _position(recordings))
        raise CatalogueConflict(
            "change", code, "busy", "事项正被他人修改 the item keeps changing; retry"
        )

    def check_units(self, content: ItemContent) -> None:
        """Every unit an item names must be registered (``unit_exists``)."""
        errors = []
        if not self.unit_exists(content.lead_unit):
            errors.append(
                {
                    "field": "lead_unit",
                    "reason": f"主办单位未登记 {content.lead_unit} is not a "
                    "registered unit",
                }
            )
        errors.extend(
            {
                "field": "co_units",
                "reason": f"协办单位未登记 {unit} is not a registered unit",
            }
            for unit in content.co_units
            if not self.unit_exists(unit)
        )
        if errors:
            raise InvalidContent(errors)

    # ---- reads --------------------------------------------------------------

    def item(self, code: str) -> CatalogueItem | None:
        """The item with this code, or None if it was never published."""
        try:
            found: object = self.ledger.repository.get(catalogue_item_id(code))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, CatalogueItem) else None

    def entry(self, code: str) -> CatalogueEntry | None:
        """The item's current version as routing sees it (the directory's
        ``catalogue_item``), retired items included with ``retired`` set."""
        item = self.item(code)
        return None if item is None else item.entry()

    # ---- the file -----------------------------------------------------------

    def import_file(self, path: str | os.PathLike[str], actor: Actor) -> ImportReport:
        """Imports a TOML catalogue file (see the module's docstring); raises
        :class:`CatalogueFileError` if the file cannot be read or parsed."""
        name = os.fspath(path)
        text = read_text(name, CatalogueFileError)
        document = parse_toml(text, name, CatalogueFileError)
        unknown = sorted(set(document) - {"item"})
        if unknown:
            raise CatalogueFileError(
                name,
                None,
                f"未知的表 unknown table(s) {', '.join(unknown)}; "
                "a catalogue file holds [[item]] tables",
            )
        items = document.get("item", [])
        if not isinstance(items, list):
            raise CatalogueFileError(name, None, "items must be [[item]] tables")
        lines = item_lines(text)
        report = ImportReport()
        seen: set[str] = set()
        for index, data in enumerate(items, start=1):
            line = lines[index - 1] if index <= len(lines) else None
            code = data.get("code") if isinstance(data, dict) else None
            code = code if isinstance(code, str) else None
            try:
                if code is not None and code in seen:
                    raise _duplicate(code)
                outcome, position = self._import_one(data, actor)
            except AppealError as error:
                report.rejected.append(Rejection(index, line, code, str(error)))
                continue
            finally:
                if code is not None:
                    seen.add(code)
            assert code is not None
            if outcome == "published":
                report.published.append(code)
            elif outcome == "revised":
                report.revised.append(code)
            else:
                report.unchanged.append(code)
            report.position = position or report.position
        return report

    def _import_one(self, data: Any, actor: Actor) -> tuple[str, int | None]:
        if not isinstance(data, dict):
            raise InvalidContent([{"field": "item", "reason": "须为表 a table"}])
        command = parse_command(Publish, data)
        current = self.item(command.code)
        if current is None:
            return "published", self.publish(command, actor).position
        if current.retired:
            raise CatalogueConflict(
                "import",
                command.code,
                "retired",
                "事项已停用，请先恢复 the item is retired: reinstate it first",
            )
        revision = Revise(**{name: getattr(command, name) for name in _CONTENT_NAMES})
        result = self.revise(command.code, revision, actor)
        return ("revised" if result.changed else "unchanged"), result.position

    def current_items(self) -> list[CatalogueItem]:
        """Every item not retired, by code (read from the store)."""
        items = []
        for code in self.codes():
            item = self.item(code)
            if item is not None and not item.retired:
                items.append(item)
        return items

    def codes(self) -> list[str]:
        """Every published code, from the store's log, in code order."""
        published = self.ledger.event_log.stream(topics=[CatalogueItem.Published.TOPIC])
        return sorted({str(r.state["code"]) for r in published})

    def export(self, path: str | os.PathLike[str]) -> int:
        """Writes the current items to ``path`` (TOML, or CSV if the name ends
        in ``.csv``); returns how many."""
        items = self.current_items()
        target = Path(path)
        if target.suffix.lower() == ".csv":
            write_csv(target, items)
        else:
            target.write_text(to_toml(items), encoding="utf-8")
        return len(items)


# ---- file formats ---------------------------------------------------------------

_CONTENT_NAMES = (
    "matter_zh",
    "matter_en",
    "kind",
    "category",
    "lead_unit",
    "co_units",
    "procedure",
    "legal_basis",
    "limits",
    "standard_answer",
    "keywords",
)
FILE_KEYS = ("code", *_CONTENT_NAMES)
"""The keys of an ``[[item]]`` table, in the order export writes them."""

_ITEM_HEADER = re.compile(r"\s*\[\[\s*item\s*\]\]\s*(#.*)?$")


def item_lines(text: str) -> list[int]:
    """The line of each ``[[item]]`` header, in order."""
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if _ITEM_HEADER.match(line)
    ]


def _toml_string(value: str) -> str:
    # A JSON string is a valid TOML basic string (the same escapes).
    return json.dumps(value, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_string(v) for v in value) + "]"
    pairs = ", ".join(f"{k} = {_toml_string(v)}" for k, v in value.items())
    return "{ " + pairs + " }" if pairs else "{}"


def item_record(item: CatalogueItem) -> dict[str, Any]:
    """The item's current version as a file's ``[[item]]`` table."""
    return {"code": item.code, **item.content.as_record()}


def to_toml(items: Iterable[CatalogueItem]) -> str:
    """The catalogue file for ``items``."""
    parts = [
        "# 派单目录 / routing catalogue: one [[item]] per matter "
        "(appeals catalogue import)\n"
    ]
    for item in items:
        record = item_record(item)
        lines = ["[[item]]"]
        for key in FILE_KEYS:
            value = record[key]
            if value is None:  # no standard answer: the key is left out
                continue
            lines.append(f"{key} = {_toml_value(value)}")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def write_csv(path: Path, items: Sequence[CatalogueItem]) -> None:
    """The current items as CSV (UTF-8 with a BOM for spreadsheets; lists
    joined by ``;``, limits as ``stage=limit``)."""
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(FILE_KEYS)
        for item in items:
            record = item_record(item)
            writer.writerow(
                [
                    ";".join(value)
                    if isinstance(value, list)
                    else ";".join(f"{k}={v}" for k, v in value.items())
                    if isinstance(value, dict)
                    else ("" if value is None else value)
                    for value in (record[key] for key in FILE_KEYS)
                ]
            )


def _already_published(code: str) -> CatalogueConflict:
    return CatalogueConflict(
        "publish", code, "published", "事项编码已存在 the code is already published"
    )


def _duplicate(code: str) -> CatalogueConflict:
    return CatalogueConflict(
        "import", code, "listed", "文件中编码重复 the code is listed twice in the file"
    )


def _position(recordings: list[Recording[Any]]) -> int | None:
    positions = [r.notification.id for r in recordings if r.notification.id]
    return max(positions) if positions else None


def checked_catalogue(ledger: AppealLedger) -> Catalogue:
    """The catalogue service whose lead and co-handling units must be
    registered units in service (appeals.application.registry)."""
    return Catalogue(ledger, unit_exists=Registry(ledger).unit_exists)
