"""What an appeal's decisions need to know of the organisation: a read-only
directory of registered units, cadres and routing catalogue items.

The aggregate asks it (through ``Rules.directory``) whether a unit is
registered and active, whether a cadre serves that unit, and what a catalogue
item routes to; the application supplies one that reads the registries
(appeals.application.registry), tests an :class:`InMemoryDirectory`. The
domain never looks anything up itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, cast

T = TypeVar("T")


@dataclass(frozen=True)
class UnitEntry:
    """A registered unit as routing sees it."""

    code: str
    name_zh: str
    name_en: str = ""
    kind: str = "department"
    retired: bool = False
    parent: str | None = None
    """The unit above it (a district's department, a town's district)."""


@dataclass(frozen=True)
class CadreEntry:
    """A registered cadre and the unit they serve in now."""

    code: str
    name: str
    unit: str
    roles: tuple[str, ...] = ()
    retired: bool = False


@dataclass(frozen=True)
class CatalogueEntry:
    """The current version of a routing catalogue item (派单目录 / 责任清单)."""

    code: str
    version: int
    matter_zh: str
    kind: str
    category: str
    lead_unit: str
    co_units: tuple[str, ...] = ()
    limits: Mapping[str, str] = field(default_factory=dict)
    """Stage name -> limit text ("5d", "4h"), overriding the SLA policy."""
    standard_answer: str | None = None
    retired: bool = False


class Directory(Protocol):
    """Looks up registered master data by code; None if never registered."""

    def unit(self, code: str) -> UnitEntry | None: ...

    def cadre(self, code: str) -> CadreEntry | None: ...

    def catalogue_item(self, code: str) -> CatalogueEntry | None: ...

    def unit_codes(self) -> Iterable[str]:
        """Every registered unit's code (to suggest one for a misspelling)."""
        ...

    def leaders(self, unit: str) -> Sequence[CadreEntry]:
        """The active cadres of ``unit`` with the leader role, by code
        (whom a supervision order is addressed to)."""
        ...


class InMemoryDirectory:
    """A directory held in memory: tests, and the empty default."""

    def __init__(
        self,
        units: Iterable[UnitEntry] = (),
        cadres: Iterable[CadreEntry] = (),
        items: Iterable[CatalogueEntry] = (),
    ) -> None:
        self.units = {u.code: u for u in units}
        self.cadres = {c.code: c for c in cadres}
        self.items = {i.code: i for i in items}

    def unit(self, code: str) -> UnitEntry | None:
        return self.units.get(code)

    def cadre(self, code: str) -> CadreEntry | None:
        return self.cadres.get(code)

    def catalogue_item(self, code: str) -> CatalogueEntry | None:
        return self.items.get(code)

    def unit_codes(self) -> Iterable[str]:
        return self.units.keys()

    def leaders(self, unit: str) -> Sequence[CadreEntry]:
        found = (
            c
            for c in self.cadres.values()
            if c.unit == unit and "leader" in c.roles and not c.retired
        )
        return sorted(found, key=lambda c: c.code)


EMPTY_DIRECTORY = InMemoryDirectory()


class RememberingDirectory:
    """Another directory's answers, each looked up once and kept for at most
    ``seconds`` (by ``monotonic``): for reads that show many appeals' unit
    and item names (a list of a thousand requests names a few dozen), so a
    rename or a new registration shows within ``seconds``. Never for
    decisions: commands ask the directory itself."""

    def __init__(
        self,
        directory: Directory,
        seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = directory
        self.seconds = seconds
        self.monotonic = monotonic
        self._since = monotonic()
        self._answers: dict[tuple[str, str], object] = {}

    def _remembered(self, kind: str, code: str, look_up: Callable[[str], T]) -> T:
        # Shared by the requests' threads: one dict per call, so another
        # thread starting afresh meanwhile cannot empty it under this one.
        now = self.monotonic()
        if now - self._since > self.seconds:
            self._answers, self._since = {}, now
        answers = self._answers
        key = (kind, code)
        if key in answers:
            return cast(T, answers[key])
        found = look_up(code)
        answers[key] = found
        return found

    def unit(self, code: str) -> UnitEntry | None:
        return self._remembered("unit", code, self.directory.unit)

    def cadre(self, code: str) -> CadreEntry | None:
        return self._remembered("cadre", code, self.directory.cadre)

    def catalogue_item(self, code: str) -> CatalogueEntry | None:
        return self._remembered("item", code, self.directory.catalogue_item)

    def unit_codes(self) -> Iterable[str]:
        return self.directory.unit_codes()

    def leaders(self, unit: str) -> Sequence[CadreEntry]:
        return self.directory.leaders(unit)
