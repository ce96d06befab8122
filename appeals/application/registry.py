"""The organisation's registries as a service: register and change units,
cadres and enterprises in the ledger's store, and the real
:class:`~appeals.domain.directory.Directory` routing consults.

Like the appeal service, :class:`Registry` loads a record by its code (its
id is a uuid5 of the code, appeals.domain.identities), lets the aggregate
decide (appeals.domain.organisation) and saves: the actor comes from the
caller, the time from the ledger's clock. What the aggregate cannot know is
checked here, against the store: a parent unit or a cadre's unit must be a
registered, active unit, and a unit's parents must not come back to it.
Registering a code twice is a conflict (409), also when two registrations
race (the store refuses the second, ``IntegrityError``).

:class:`LedgerDirectory` answers the directory's questions from the store
(always current), except :meth:`LedgerDirectory.unit_codes`, which lists the
directory view's units: a cheap query for suggesting a code, which may lag
the log by the projection worker's delay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Recording

from appeals.application.service import AppealLedger
from appeals.domain.directory import CadreEntry, CatalogueEntry, UnitEntry
from appeals.domain.errors import InvalidCreditCode, InvalidField
from appeals.domain.master_data import MasterRecord
from appeals.domain.organisation import (
    RECORDS,
    Cadre,
    ChangeCadreRoles,
    Enterprise,
    MoveCadre,
    Record,
    RecordNotFound,
    RegisterCadre,
    RegisterEnterprise,
    RegisterUnit,
    Registration,
    RegistryConflict,
    ReinstateCadre,
    ReinstateUnit,
    RenameCadre,
    RenameEnterprise,
    RenameUnit,
    RetireCadre,
    RetireUnit,
    Unit,
    UpdateEnterprise,
    UpdateUnit,
    record_id,
)
from appeals.domain.organisation import Change as ChangeCommand
from appeals.domain.permissions import authorize
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import Actor
from appeals.projections import directory as view

R = TypeVar("R", bound=MasterRecord)

MAX_DEPTH = 64
"""The deepest chain of parent units looked at for a cycle."""


@dataclass(frozen=True)
class RecordResult:
    """What a registration or change did: the record after it, whether
    anything was recorded, and the log position of its last new event (for
    read-your-writes on the directory view)."""

    record: Record
    changed: bool
    position: int | None
    created: bool = False


class Registry:
    """Units, cadres and enterprises over the ledger's event store."""

    def __init__(self, ledger: AppealLedger) -> None:
        self.ledger = ledger

    # ---- changes ----------------------------------------------------------

    def register(self, command: Registration, actor: Actor) -> RecordResult:
        """Registers a new record; a code already registered is a conflict."""
        kind = command.record
        authorize(command.permission, actor, unit=None, uscc=None)
        record = REGISTER[type(command)](command, actor, self.ledger.clock.now())
        if self._load(RECORDS[kind], record.id) is not None:
            raise already_registered(kind, record.code)
        self._check_references(record, {})
        try:
            recordings = self.ledger.save(record)
        except IntegrityError:  # registered by someone else meanwhile
            raise already_registered(kind, record.code) from None
        return RecordResult(record, True, _position(recordings, record.id), True)

    def change(self, code: str, command: ChangeCommand, actor: Actor) -> RecordResult:
        """Changes the record registered under ``code`` (404 if none); a
        change that changes nothing records nothing (``changed`` false)."""
        decide = CHANGE[type(command)]
        authorize(command.permission, actor, unit=None, uscc=None)  # before a 404
        return self._decide(
            command.record, code, lambda record, at: decide(record, command, actor, at)
        )

    def upsert(self, command: Registration, actor: Actor) -> RecordResult:
        """Registers the record, or brings the registered one to the command's
        values (a file's row) with the named change events; records nothing
        when it already holds them."""
        kind = command.record
        code = registration_code(command)
        if self._load(RECORDS[kind], record_id(kind, code)) is None:
            try:
                return self.register(command, actor)
            except RegistryConflict:
                pass  # registered meanwhile: bring it to the row instead
        reconcile = RECONCILE[type(command)]
        return self._decide(
            kind, code, lambda record, at: reconcile(record, command, actor, at)
        )

    def _decide(
        self, kind: str, code: str, decide: Callable[[Any, datetime], bool]
    ) -> RecordResult:
        """Loads the record, lets it decide, checks what it now refers to,
        saves; decides again on fresh state if another writer saved first."""
        for _attempt in range(3):
            record = self._load(RECORDS[kind], record_id(kind, code))
            if record is None:
                raise RecordNotFound(kind, code)
            before = record.references()
            if not decide(record, self.ledger.clock.now()):
                return RecordResult(record, False, None)
            self._check_references(record, before)
            try:
                recordings = self.ledger.save(record)
            except IntegrityError:
                continue
            return RecordResult(record, True, _position(recordings, record.id))
        raise RegistryConflict(
            "change", kind, code, "busy", "记录正被他人修改 it keeps changing; retry"
        )

    def _check_references(self, record: Record, before: dict[str, str]) -> None:
        """Each unit the record newly names is registered and active; a new
        parent does not make the unit its own ancestor."""
        for field, code in record.references().items():
            if before.get(field) == code:
                continue  # unchanged: a unit retired since does not block edits
            unit = self.unit(code)
            if unit is None:
                raise InvalidField(field, f"单位未登记 {code} is not a registered unit")
            if unit.retired:
                raise InvalidField(field, f"单位已撤销 {code} is a retired unit")
            if field == "parent":
                self._check_no_cycle(record.code, unit)

    def _check_no_cycle(self, code: str, parent: Unit) -> None:
        path = [code, parent.code]
        current: Unit | None = parent
        for _depth in range(MAX_DEPTH):
            if current is None or current.parent is None:
                return
            path.append(current.parent)
            if current.parent == code:
                chain = " → ".join(path)
                raise InvalidField("parent", f"上下级成环 would make a cycle: {chain}")
            current = self.unit(current.parent)

    # ---- reads --------------------------------------------------------------

    def unit(self, code: str) -> Unit | None:
        """The unit registered under ``code``, or None."""
        return self._load(Unit, record_id("unit", code))

    def cadre(self, code: str) -> Cadre | None:
        """The cadre registered under ``code``, or None."""
        return self._load(Cadre, record_id("cadre", code))

    def enterprise(self, uscc: str) -> Enterprise | None:
        """The enterprise registered under this credit code, or None (also
        for a malformed code)."""
        try:
            code = validate_uscc(uscc)
        except InvalidCreditCode:
            return None
        return self._load(Enterprise, record_id("enterprise", code))

    def record(self, kind: str, code: str) -> Record | None:
        """The record of kind ``kind`` (unit, cadre, enterprise) under ``code``."""
        if kind == "enterprise":
            return self.enterprise(code)
        return self._load(RECORDS[kind], record_id(kind, code))

    def unit_exists(self, code: str) -> bool:
        """Whether ``code`` is a registered unit that is not retired (what the
        catalogue asks of a lead or co-handling unit)."""
        unit = self.unit(code)
        return unit is not None and not unit.retired

    def codes(self, kind: str) -> list[str]:
        """Every code of kind ``kind`` ever registered, in code order, read
        from the log (for an export: the store, not a view that may lag)."""
        topic = RECORDS[kind].Registered.TOPIC
        stored = self.ledger.event_log.stream(topics=[topic])
        field = "uscc" if kind == "enterprise" else "code"
        return sorted({str(r.state[field]) for r in stored})

    def records(self, kind: str, *, include_retired: bool = False) -> list[Record]:
        """Every record of kind ``kind`` (retired ones only if asked), by code."""
        found = []
        for code in self.codes(kind):
            record = self.record(kind, code)
            if record is not None and (include_retired or not _retired(record)):
                found.append(record)
        return found

    def _load(self, record_class: type[R], record_id: UUID) -> R | None:
        return self.ledger.find(record_id, record_class)


class LedgerDirectory:
    """The directory routing consults (appeals.domain.directory.Directory):
    units and cadres from the registries in the store (as current as the
    store: the cached record brought up to date, read in place rather than
    copied, since only its entry value leaves), catalogue items from the
    callable it is given (the catalogue service's ``entry``)."""

    def __init__(
        self,
        ledger: AppealLedger,
        catalogue_item: Callable[[str], CatalogueEntry | None] = lambda code: None,
    ) -> None:
        self.ledger = ledger
        self.registry = Registry(ledger)
        self._catalogue_item = catalogue_item

    def unit(self, code: str) -> UnitEntry | None:
        unit = self.ledger.find(record_id("unit", code), Unit, copy=False)
        return None if unit is None else unit.entry()

    def cadre(self, code: str) -> CadreEntry | None:
        cadre = self.ledger.find(record_id("cadre", code), Cadre, copy=False)
        return None if cadre is None else cadre.entry()

    def catalogue_item(self, code: str) -> CatalogueEntry | None:
        return self._catalogue_item(code)

    def unit_codes(self) -> Iterable[str]:
        """Every unit code in the directory view (retired ones included): a
        cheap indexed read, for suggesting a code; it may lag the log by the
        projection worker's delay."""
        _, codes = view.read_unit_codes(self.ledger.database)
        return codes

    def leaders(self, unit: str) -> Sequence[CadreEntry]:
        """The unit's active leaders, found through the directory view (it
        may lag the log by the worker's delay), read from the registry."""
        query = view.CadreQuery(unit=unit, role="leader", limit=20)
        _, rows = view.read_cadres(self.ledger.database, query)
        entries = (self.cadre(row["code"]) for row in rows)
        found = [e for e in entries if e and e.unit == unit and not e.retired]
        return sorted(found, key=lambda e: e.code)


def registration_code(command: Registration) -> str:
    """The code a registration command registers (a credit code normalised)."""
    if isinstance(command, RegisterEnterprise):
        return validate_uscc(command.uscc)
    return command.code


def already_registered(kind: str, code: str) -> RegistryConflict:
    return RegistryConflict(
        "register",
        kind,
        code,
        "registered",
        "编码已登记 the code is already registered",
    )


def _retired(record: Record) -> bool:
    return bool(getattr(record, "retired", False))


def _position(recordings: list[Recording[UUID]], originator: UUID) -> int | None:
    positions = [
        r.notification.id
        for r in recordings
        if r.notification.id and r.notification.originator_id == originator
    ]
    return max(positions) if positions else None


Decide = Callable[[Any, Any, Actor, datetime], bool]

REGISTER: dict[type[Registration], Callable[[Any, Actor, datetime], Record]] = {
    RegisterUnit: Unit.register,
    RegisterCadre: Cadre.register,
    RegisterEnterprise: Enterprise.register,
}
"""Each registration and the aggregate's class method that decides it."""

RECONCILE: dict[type[Registration], Decide] = {
    RegisterUnit: Unit.reconcile,
    RegisterCadre: Cadre.reconcile,
    RegisterEnterprise: Enterprise.reconcile,
}
"""Each registration and the method bringing a registered record to it."""

CHANGE: dict[type[ChangeCommand], Decide] = {
    RenameUnit: Unit.rename,
    UpdateUnit: Unit.update,
    RetireUnit: Unit.retire,
    ReinstateUnit: Unit.reinstate,
    RenameCadre: Cadre.rename,
    MoveCadre: Cadre.move,
    ChangeCadreRoles: Cadre.change_roles,
    RetireCadre: Cadre.retire,
    ReinstateCadre: Cadre.reinstate,
    RenameEnterprise: Enterprise.rename,
    UpdateEnterprise: Enterprise.update,
}
"""Each change and the aggregate method that decides it."""
