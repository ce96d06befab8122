"""The organisation's registries: units (承办单位 and the 12345 centre),
cadres (干部) and enterprises (企业), as event-sourced master-data records
(appeals.domain.master_data), so their history is auditable like an appeal's.

- A :class:`Unit` has a stable code, Chinese and English names, a kind, a
  parent unit and a locality (GB/T 2260); it is renamed, updated, retired
  and reinstated, never deleted.
- A :class:`Cadre` has a code, a name, roles and postings: each ``Moved``
  closes the current posting and opens the next, so :meth:`Cadre.unit_on`
  answers which unit a cadre served on a past day (past accountability stays
  with the unit of the time).
- An :class:`Enterprise` is registered by its credit code; its registered
  name changes only by an explicit ``Renamed``; its locality is derived from
  the code's characters 3–8 (appeals.domain.divisions) unless overridden.

Each change is a command value (its fields are the HTTP body and the file's
keys; :func:`parse_command` reads one from a mapping) decided by one method
of the aggregate, which checks who may (the permissions table), validates,
and records one event, or nothing when nothing would change. Whether a
referenced unit exists is the application's question
(appeals.application.registry): the domain looks nothing up.
"""

from __future__ import annotations

import re
import typing
import unicodedata
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias, TypeVar
from uuid import UUID

from appeals.domain.directory import CadreEntry, UnitEntry
from appeals.domain.divisions import is_division, locality_of
from appeals.domain.errors import AppealError, CommandNotAllowed, InvalidField
from appeals.domain.identities import cadre_id, enterprise_id, unit_id
from appeals.domain.master_data import MasterCreated, MasterEvent, MasterRecord
from appeals.domain.permissions import authorize
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import Actor, Labelled

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
"""A unit's or a cadre's code (``SZ-TAX``, ``C-0042``)."""

TEXT_LIMITS = {
    "name_zh": 100,
    "name_en": 200,
    "name": 200,
    "park": 100,
    "reason": 2_000,
}
"""Free-text limits in code points (a Chinese character counts once)."""

RECORD_NAMES = {
    "unit": "单位",
    "cadre": "干部",
    "enterprise": "企业",
    "project": "项目",
    "visit": "走访记录",
    "meeting": "会办记录",
    "task_force": "专班",
}
"""Each kind of record, as officials name it."""


# ---- closed sets ----------------------------------------------------------------


class UnitKind(Labelled):
    """What kind of unit: who dispatches, who handles, where."""

    CENTRE = ("centre", "12345热线中心", "12345 hotline centre")
    DEPARTMENT = ("department", "职能部门", "government department")
    DISTRICT = ("district", "区（县级市）", "district or county-level city")
    TOWN = ("town", "镇（街道）", "town or street")
    PARK = ("park", "园区", "development park")
    UTILITY = ("utility", "公用事业单位", "public utility")


class CadreRole(Labelled):
    """What a cadre does (a cadre may have several roles)."""

    HANDLER = ("handler", "承办人", "handler")
    LEADER = ("leader", "分管领导", "leader")
    LIAISON_CADRE = ("liaison_cadre", "挂钩干部", "liaison cadre")
    LIAISON_OFFICER = ("liaison_officer", "联络专员", "liaison officer")
    DEPUTY = ("deputy", "人大代表", "people's congress deputy")


class EnterpriseSize(Labelled):
    MICRO = ("micro", "微型", "micro")
    SMALL = ("small", "小型", "small")
    MEDIUM = ("medium", "中型", "medium")
    LARGE = ("large", "大型", "large")


class ServiceList(Labelled):
    """Kunshan's enterprise service lists (docs/domain.md, seed 004)."""

    KEY_CORE = ("key_core", "重点核心", "key core")
    FAST_GROWING = ("fast_growing", "快速成长", "fast-growing")
    NEW_GROWTH = ("new_growth", "新增长点", "new growth point")
    DECLINING = ("declining", "显著下滑", "sharply declining")


# ---- errors -----------------------------------------------------------------------


class InvalidRecord(InvalidField):
    """Fields of a registry command are malformed: every one is listed
    (``errors``), so a form or a file's row is fixed in one go (422)."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        assert errors
        self.errors = errors
        super().__init__(errors[0]["field"], errors[0]["reason"])
        Exception.__init__(
            self, "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        )

    def details(self) -> dict[str, Any]:
        return {"errors": list(self.errors)}


class RegistryConflict(CommandNotAllowed):
    """The record's state does not allow the change (409): the code is
    already registered, or the record is retired (or is not)."""

    type_slug = "registry-conflict"

    def __init__(
        self, command: str, record: str, code: str, status: str, reason: str
    ) -> None:
        self.command = command
        self.record = record
        self.code = code
        self.status = status
        self.reason = reason
        Exception.__init__(self, f"{reason} (cannot {command} {record} {code})")

    def details(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "record": self.record,
            "code": self.code,
            "record_status": self.status,
        }


class RecordNotFound(AppealError):
    """No unit, cadre or enterprise is registered under this code (404)."""

    type_slug = "record-not-found"

    def __init__(self, record: str, code: str) -> None:
        self.record = record
        self.code = code
        super().__init__(f"未登记的{RECORD_NAMES[record]} no {record} {code}")

    def details(self) -> dict[str, Any]:
        return {"record": self.record, "code": self.code}


# ---- command values ---------------------------------------------------------------


@dataclass(frozen=True)
class RegisterUnit:
    """``POST /units``; a row of units.csv."""

    record: ClassVar[str] = "unit"
    verb: ClassVar[str] = "register"
    permission: ClassVar[str] = "register_unit"
    summary: ClassVar[str] = "Register a unit (登记单位)"
    code: str
    name_zh: str
    kind: UnitKind
    name_en: str = ""
    parent: str | None = None
    locality: str | None = None


@dataclass(frozen=True)
class RenameUnit:
    """New Chinese and/or English names (an absent one stays)."""

    record: ClassVar[str] = "unit"
    verb: ClassVar[str] = "rename"
    permission: ClassVar[str] = "rename_unit"
    summary: ClassVar[str] = "Rename a unit (更名): past reports keep its code"
    name_zh: str | None = None
    name_en: str | None = None


@dataclass(frozen=True)
class UpdateUnit:
    """The unit's kind, parent and locality as they are now (an absent
    parent or locality means none)."""

    record: ClassVar[str] = "unit"
    verb: ClassVar[str] = "update"
    permission: ClassVar[str] = "update_unit"
    summary: ClassVar[str] = "Change a unit's kind, parent or locality"
    kind: UnitKind
    parent: str | None = None
    locality: str | None = None


@dataclass(frozen=True)
class RetireUnit:
    record: ClassVar[str] = "unit"
    verb: ClassVar[str] = "retire"
    permission: ClassVar[str] = "retire_unit"
    summary: ClassVar[str] = "Retire a unit (撤销): nothing is routed to it any more"
    reason: str


@dataclass(frozen=True)
class ReinstateUnit:
    record: ClassVar[str] = "unit"
    verb: ClassVar[str] = "reinstate"
    permission: ClassVar[str] = "reinstate_unit"
    summary: ClassVar[str] = "Reinstate a retired unit (恢复)"
    reason: str = ""


@dataclass(frozen=True)
class RegisterCadre:
    """``POST /cadres``; a row of cadres.csv (``since``: the posting's start)."""

    record: ClassVar[str] = "cadre"
    verb: ClassVar[str] = "register"
    permission: ClassVar[str] = "register_cadre"
    summary: ClassVar[str] = "Register a cadre (登记干部) in a unit"
    code: str
    name: str
    unit: str
    since: date
    roles: tuple[CadreRole, ...] = ()


@dataclass(frozen=True)
class RenameCadre:
    record: ClassVar[str] = "cadre"
    verb: ClassVar[str] = "rename"
    permission: ClassVar[str] = "rename_cadre"
    summary: ClassVar[str] = "Correct a cadre's name"
    name: str


@dataclass(frozen=True)
class MoveCadre:
    """The cadre serves ``unit`` from ``on``: the current posting ends then."""

    record: ClassVar[str] = "cadre"
    verb: ClassVar[str] = "move"
    permission: ClassVar[str] = "move_cadre"
    summary: ClassVar[str] = (
        "Move a cadre to another unit from a date (调动): earlier appeals stay "
        "with the unit of the time"
    )
    unit: str
    on: date


@dataclass(frozen=True)
class ChangeCadreRoles:
    record: ClassVar[str] = "cadre"
    verb: ClassVar[str] = "change-roles"
    permission: ClassVar[str] = "change_cadre_roles"
    summary: ClassVar[str] = "Set a cadre's roles"
    roles: tuple[CadreRole, ...]


@dataclass(frozen=True)
class RetireCadre:
    record: ClassVar[str] = "cadre"
    verb: ClassVar[str] = "retire"
    permission: ClassVar[str] = "retire_cadre"
    summary: ClassVar[str] = "Retire a cadre (离任): no longer assigned appeals"
    reason: str


@dataclass(frozen=True)
class ReinstateCadre:
    record: ClassVar[str] = "cadre"
    verb: ClassVar[str] = "reinstate"
    permission: ClassVar[str] = "reinstate_cadre"
    summary: ClassVar[str] = "Reinstate a retired cadre"
    reason: str = ""


@dataclass(frozen=True)
class RegisterEnterprise:
    """``POST /enterprises``; a row of enterprises.csv (an absent locality is
    derived from the credit code)."""

    record: ClassVar[str] = "enterprise"
    verb: ClassVar[str] = "register"
    permission: ClassVar[str] = "register_enterprise"
    summary: ClassVar[str] = "Register an enterprise by its credit code (登记企业)"
    uscc: str
    name: str
    locality: str | None = None
    park: str = ""
    size: EnterpriseSize | None = None
    foreign_invested: bool = False
    service_list: ServiceList | None = None


@dataclass(frozen=True)
class RenameEnterprise:
    """The registered name changes only by this command (never by intake)."""

    record: ClassVar[str] = "enterprise"
    verb: ClassVar[str] = "rename"
    permission: ClassVar[str] = "rename_enterprise"
    summary: ClassVar[str] = "Change an enterprise's registered name (名称变更)"
    name: str


@dataclass(frozen=True)
class UpdateEnterprise:
    """Every field but the name, as it is now (an absent locality is the
    one derived from the credit code)."""

    record: ClassVar[str] = "enterprise"
    verb: ClassVar[str] = "update"
    permission: ClassVar[str] = "update_enterprise"
    summary: ClassVar[str] = (
        "Change an enterprise's locality, park, size, foreign investment or "
        "service list"
    )
    locality: str | None = None
    park: str = ""
    size: EnterpriseSize | None = None
    foreign_invested: bool = False
    service_list: ServiceList | None = None


Registration: TypeAlias = RegisterUnit | RegisterCadre | RegisterEnterprise
Change: TypeAlias = (
    RenameUnit
    | UpdateUnit
    | RetireUnit
    | ReinstateUnit
    | RenameCadre
    | MoveCadre
    | ChangeCadreRoles
    | RetireCadre
    | ReinstateCadre
    | RenameEnterprise
    | UpdateEnterprise
)
Command: TypeAlias = Registration | Change

REGISTRATIONS: dict[str, type[Registration]] = {
    "unit": RegisterUnit,
    "cadre": RegisterCadre,
    "enterprise": RegisterEnterprise,
}
"""Each record kind's registration command."""

CHANGES: dict[str, tuple[type[Change], ...]] = {
    "unit": (RenameUnit, UpdateUnit, RetireUnit, ReinstateUnit),
    "cadre": (RenameCadre, MoveCadre, ChangeCadreRoles, RetireCadre, ReinstateCadre),
    "enterprise": (RenameEnterprise, UpdateEnterprise),
}
"""Each record kind's change commands (``POST /units/{code}/{verb}``...)."""

C = TypeVar("C")


# ---- reading a command from a mapping ---------------------------------------


def parse_command(command_class: type[C], data: Mapping[str, Any]) -> C:
    """A command from a decoded JSON body, a TOML table or a CSV row (lists
    already split), or :class:`InvalidRecord` listing every unknown, missing
    or mistyped field. An empty text for an optional field is absent."""
    errors: list[dict[str, str]] = []
    values: dict[str, Any] = {}
    hints = typing.get_type_hints(command_class)
    known = {f.name: f for f in fields(command_class)}  # type: ignore[arg-type]
    for name in data:
        if name not in known:
            errors.append({"field": str(name), "reason": "未知字段 is not a field"})
    for name, spec in known.items():
        required = spec.default is MISSING and spec.default_factory is MISSING
        if name not in data:
            if required:
                errors.append({"field": name, "reason": "必填 is required"})
            continue
        try:
            values[name] = _convert(hints[name], data[name])
        except ValueError as error:
            errors.append({"field": name, "reason": str(error)})
    if errors:
        raise InvalidRecord(errors)
    return command_class(**values)


def _convert(annotation: Any, value: Any) -> Any:
    """One value to a field's type; ValueError says why it cannot be."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    optional = typing.get_origin(annotation) is not tuple and len(args) < len(
        typing.get_args(annotation)
    )
    inner = args[0] if optional else annotation
    if optional and (value is None or value == ""):
        return None
    if value is None:
        raise ValueError("不能为空 must not be null")
    if typing.get_origin(inner) is tuple:
        (member,) = {a for a in typing.get_args(inner) if a is not Ellipsis}
        if not isinstance(value, list | tuple):
            raise ValueError("须为列表 must be a list")
        return tuple(_convert(member, item) for item in value)
    if isinstance(inner, type) and issubclass(inner, Labelled):
        for choice in inner:
            if choice.value == value:
                return choice
        codes = ", ".join(m.value for m in inner)
        raise ValueError(f"取值无效 {value!r} is not one of: {codes}")
    if inner is bool:
        if not isinstance(value, bool):
            raise ValueError("须为 true 或 false must be true or false")
        return value
    if inner is date:
        return _day(value)
    if inner is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("须为整数 must be a whole number")
        return value
    if not isinstance(value, str):
        raise ValueError("须为字符串 must be a string")
    if "\x00" in value:
        raise ValueError("含NUL字符 must not contain NUL characters")
    return value


def _day(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) == len("2026-01-31") and value.isascii():
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("须为日期 must be a day like 2026-01-31")


# ---- validation ---------------------------------------------------------------------


def _invisible(c: str) -> bool:
    return c.isspace() or unicodedata.category(c) == "Cf"


def checked_text(value: str, field: str, *, required: bool, name: bool) -> str:
    """Free text within its limit (:data:`TEXT_LIMITS`); a name (``name``)
    also without leading or trailing blanks, so "市税务局 " is no second unit."""
    if required and all(_invisible(c) for c in value):
        raise InvalidField(field, "不能为空 must not be empty")
    limit = TEXT_LIMITS[field]
    if len(value) > limit:
        raise InvalidField(field, f"超长 is {len(value)} characters, at most {limit}")
    if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in value):
        raise InvalidField(field, "含控制字符 must not contain control characters")
    if name and value and (_invisible(value[0]) or _invisible(value[-1])):
        raise InvalidField(
            field, "首尾不能有空白 must not start or end with blanks or spaces"
        )
    return value


def checked_code(value: str, field: str) -> str:
    """A unit's or cadre's code (``SZ-TAX``): ASCII letters, digits, ``.``,
    ``_`` and ``-``, 1 to 32 of them, starting with a letter or digit."""
    if CODE.fullmatch(value) is None:
        raise InvalidField(
            field,
            "编码格式不符 must be 1-32 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        )
    return value


def checked_locality(value: str | None, field: str = "locality") -> str | None:
    """A GB/T 2260 code (six digits, a known province), or None."""
    if value is None:
        return None
    if not is_division(value):
        raise InvalidField(
            field,
            f"行政区划代码无效 {value!r} is not a GB/T 2260 code "
            "(six digits in a known province, like 320583)",
        )
    return value


def checked_roles(roles: tuple[CadreRole, ...]) -> list[str]:
    """The roles as stored (in the order given), each at most once."""
    values = [role.value for role in roles]
    if len(set(values)) != len(values):
        raise InvalidField("roles", "角色重复 a role is listed twice")
    return values


# ---- units ----------------------------------------------------------------------


class Unit(MasterRecord, created_event_name="Registered"):
    """A unit: a department, district, town, park, public utility, or the
    12345 centre itself."""

    TOPIC = "Unit"

    class Event(MasterEvent):
        TOPIC = "Unit.Event"

    class Created(Event, MasterCreated):
        TOPIC = "Unit.Created"

    class Registered(Created):
        """登记."""

        TOPIC = "Unit.Registered"
        code: str
        name_zh: str
        name_en: str
        kind: str
        parent: str | None
        locality: str | None

        def apply(self, unit: Unit) -> None:
            unit.code = self.code
            unit.name_zh, unit.name_en = self.name_zh, self.name_en
            unit.kind, unit.parent, unit.locality = (
                self.kind,
                self.parent,
                self.locality,
            )
            unit.retired, unit.retired_reason = False, None

    class Renamed(Event):
        """更名: both names as they are now."""

        TOPIC = "Unit.Renamed"
        code: str
        name_zh: str
        name_en: str

        def apply(self, unit: Unit) -> None:
            unit.name_zh, unit.name_en = self.name_zh, self.name_en

    class Updated(Event):
        """Kind, parent and locality as they are now."""

        TOPIC = "Unit.Updated"
        code: str
        kind: str
        parent: str | None
        locality: str | None

        def apply(self, unit: Unit) -> None:
            unit.kind, unit.parent, unit.locality = (
                self.kind,
                self.parent,
                self.locality,
            )

    class Retired(Event):
        """撤销: nothing is routed to it any more; its history stays."""

        TOPIC = "Unit.Retired"
        code: str
        reason: str

        def apply(self, unit: Unit) -> None:
            unit.retired, unit.retired_reason = True, self.reason

    class Reinstated(Event):
        TOPIC = "Unit.Reinstated"
        code: str
        reason: str

        def apply(self, unit: Unit) -> None:
            unit.retired, unit.retired_reason = False, None

    if TYPE_CHECKING:  # set by the events (an annotation would make it an init arg)
        code: str
        name_zh: str
        name_en: str
        kind: str
        parent: str | None
        locality: str | None
        retired: bool
        retired_reason: str | None

    @classmethod
    def register(cls, command: RegisterUnit, actor: Actor, at: datetime) -> Unit:
        authorize(command.permission, actor, unit=None, uscc=None)
        code = checked_code(command.code, "code")
        return cls._register(
            cls.Registered,
            id=unit_id(code),
            actor=actor,
            at=at,
            code=code,
            name_zh=checked_text(command.name_zh, "name_zh", required=True, name=True),
            name_en=checked_text(command.name_en, "name_en", required=False, name=True),
            kind=command.kind.value,
            parent=_parent(command.parent, code),
            locality=checked_locality(command.locality),
        )

    def rename(self, command: RenameUnit, actor: Actor, at: datetime) -> bool:
        authorize(command.permission, actor, unit=None, uscc=None)
        if command.name_zh is None and command.name_en is None:
            raise InvalidField("name_zh", "请给出新名称 give name_zh, name_en or both")
        name_zh, name_en = self.name_zh, self.name_en
        if command.name_zh is not None:
            name_zh = checked_text(command.name_zh, "name_zh", required=True, name=True)
        if command.name_en is not None:
            name_en = checked_text(
                command.name_en, "name_en", required=False, name=True
            )
        if (name_zh, name_en) == (self.name_zh, self.name_en):
            return False
        self.check_is_active(command.verb)
        self._record(
            self.Renamed, actor, at, code=self.code, name_zh=name_zh, name_en=name_en
        )
        return True

    def update(self, command: UpdateUnit, actor: Actor, at: datetime) -> bool:
        authorize(command.permission, actor, unit=None, uscc=None)
        placement = (
            command.kind.value,
            _parent(command.parent, self.code),
            checked_locality(command.locality),
        )
        if placement == (self.kind, self.parent, self.locality):
            return False
        self.check_is_active(command.verb)
        kind, parent, locality = placement
        self._record(
            self.Updated,
            actor,
            at,
            code=self.code,
            kind=kind,
            parent=parent,
            locality=locality,
        )
        return True

    def retire(self, command: RetireUnit, actor: Actor, at: datetime) -> bool:
        authorize(command.permission, actor, unit=None, uscc=None)
        self.check_is_active(command.verb)
        reason = checked_text(command.reason, "reason", required=True, name=False)
        self._record(self.Retired, actor, at, code=self.code, reason=reason)
        return True

    def reinstate(self, command: ReinstateUnit, actor: Actor, at: datetime) -> bool:
        authorize(command.permission, actor, unit=None, uscc=None)
        if not self.retired:
            raise RegistryConflict(
                command.verb,
                "unit",
                self.code,
                "active",
                "单位未撤销 it is not retired",
            )
        reason = checked_text(command.reason, "reason", required=False, name=False)
        self._record(self.Reinstated, actor, at, code=self.code, reason=reason)
        return True

    def reconcile(self, command: RegisterUnit, actor: Actor, at: datetime) -> bool:
        """Brings the unit to a file's row: renamed and updated as needed;
        False (nothing recorded) when it already is the row."""
        _check_same(command.code, self.code)
        renamed = self.rename(RenameUnit(command.name_zh, command.name_en), actor, at)
        placement = UpdateUnit(command.kind, command.parent, command.locality)
        return self.update(placement, actor, at) or renamed

    def check_is_active(self, verb: str) -> None:
        """A retired unit is reinstated before it is changed."""
        if self.retired:
            raise RegistryConflict(
                verb,
                "unit",
                self.code,
                "retired",
                "单位已撤销，请先恢复 the unit is retired: reinstate it first",
            )

    def references(self) -> dict[str, str]:
        """The other units this one names (field -> code)."""
        return {} if self.parent is None else {"parent": self.parent}

    def entry(self) -> UnitEntry:
        """The unit as routing sees it (appeals.domain.directory)."""
        return UnitEntry(
            code=self.code,
            name_zh=self.name_zh,
            name_en=self.name_en,
            kind=self.kind,
            retired=self.retired,
            parent=self.parent,
        )


def _parent(parent: str | None, code: str) -> str | None:
    if parent is None:
        return None
    checked_code(parent, "parent")
    if parent == code:
        raise InvalidField(
            "parent", "上级单位不能是自身 a unit cannot be its own parent"
        )
    return parent


def _check_same(given: str, code: str) -> None:
    if given != code:
        raise InvalidField("code", f"is {given!r}, not this record's {code!r}")


# ---- cadres -----------------------------------------------------------------------


@dataclass(frozen=True)
class Posting:
    """A cadre's service in one unit, from ``since`` until the day before
    ``until`` (None: still serving there)."""

    unit: str
    since: date
    until: date | None = None

    def covers(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day < self.until)


class Cadre(MasterRecord, created_event_name="Registered"):
    """A cadre (干部): handler, leader, 挂钩干部, 联络专员 or deputy, posted
    to one unit at a time."""

    TOPIC = "Cadre"

    class Event(MasterEvent):
        TOPIC = "Cadre.Event"

    class Created(Event, MasterCreated):
        TOPIC = "Cadre.Created"

    class Registered(Created):
        """登记: with the first posting (``since`` is an ISO day)."""

        TOPIC = "Cadre.Registered"
        code: str
        name: str
        unit: str
        roles: list[str]
        since: str

        def apply(self, cadre: Cadre) -> None:
            cadre.code, cadre.name = self.code, self.name
            cadre.roles = tuple(self.roles)
            cadre.postings = [Posting(self.unit, date.fromisoformat(self.since))]
            cadre.retired, cadre.retired_reason = False, None

    class Renamed(Event):
        TOPIC = "Cadre.Renamed"
        code: str
        name: str

        def apply(self, cadre: Cadre) -> None:
            cadre.name = self.name

    class Moved(Event):
        """调动: the posting in ``previous_unit`` ends on ``on`` (an ISO day),
        the one in ``unit`` starts."""

        TOPIC = "Cadre.Moved"
        code: str
        unit: str
        on: str
        previous_unit: str

        def apply(self, cadre: Cadre) -> None:
            day = date.fromisoformat(self.on)
            current = cadre.postings[-1]
            cadre.postings = [
                *cadre.postings[:-1],
                Posting(current.unit, current.since, day),
                Posting(self.unit, day),
            ]

    class RolesChanged(Event):
        TOPIC = "Cadre.RolesChanged"
        code: str
        roles: list[str]

        def apply(self, cadre: Cadre) -> None:
            cadre.roles = tuple(self.roles)

    class Retired(Event):
        """离任: no longer assigned appeals; past postings stay."""

        TOPIC = "Cadre.Retired"
        code: str
        reason: str

        def apply(self, cadre: Cadre) -> None:
            cadre.retired, cadre.retired_reason = True, self.reason

    class Reinstated(Event):
        TOPIC = "Cadre.Reinstated"
        code: str
        reason: str

        def apply(self, cadre: Cadre) -> None:
            cadre.retired, cadre.retired_reason = False, None

    if TYPE_CHECKING:  # set by the events (an annotation would make it an init arg)
        code: str
        name: str
        roles: tuple[str, ...]
        postings: list[Posting]
        retired: bool
        retired_reason: str | None

    @classmethod
    def register(cls, command: RegisterCadre, actor: Actor, at: datetime) -> Cadre:
        authorize(command.permission, actor, unit=None, uscc=None)
        code = checked_code(command.code, "code")
        return cls._register(
            cls.Registered,
            id=cadre_id(code),
            actor=actor,
            at=at,
            code=code,
            name=checked_text(command.name, "name", required=True, name=True),
            unit=checked_code(command.unit, "unit"),
            roles=checked_roles(command.roles),
            since=command.since.isoformat(),
        )

    @property
    def unit(self) -> str:
        """The unit the cadre serves in now (or last served in)."""
        return self.postings[-1].unit

    @property
    def since(self) -> date:
        """When the current posting started."""
        return self.postings[-1].since

    def unit_on(self, day: date) -> str | None:
        """The unit the cadre served in on ``day``; None before the first
        posting."""
        for posting in self.postings:
            if posting.covers(day):
                return posting.unit
        return None

    def rename(self, command: RenameCadre, actor: Actor, at: datetime) -> bool:
        authorize(command.permission, actor, unit=None, uscc=None)
        name = checked_text(command.name, "name", required=True, name=True)
        if name == self.name:
            return False
        self.check_is_active(command.verb)
        self._record(self.Renamed, actor, at, code=self.code, name=name)
        return True

    def move(self, command: MoveCadre, actor: Actor, at: datetime) -> bool:
        authorize(command.permission, actor, unit=None, uscc=None)
        unit = checked_code(command.unit, "unit")
        if unit == self.unit:
            return False
        self.check_is_active(command.verb)
        if command.on <= self.since:
            raise InvalidField(
                "on",
                "调动日期须晚于现任职起始日 must be after the current posting's "
                f"start, {self.since.isoformat()}",
            )
        self._record(
            self.Moved,
            actor,
            at,
            code=self.code,
            unit=unit,
            on=command.on.isoformat(),
            previous_unit=self.unit,
        )
        return True

    def change_roles(
        self, command: ChangeCadreRoles, actor: Actor, at: datetime
    ) -> bool:
        authorize(command.permission, actor, unit=None, uscc=None)
        roles = checked_roles(command.roles)
        if tuple(roles) == self.roles:
            return False
        self.check_is_active(command.verb)
        self._record(self.RolesChanged, actor, at, code=self.code, roles=roles)
        return True

    def retire(self, command: RetireCadre, actor: Actor, at: datetime) -> bool:
        authorize(command.permission, actor, unit=None, uscc=None)
        self.check_is_active(command.verb)
        reason = checked_text(command.reason, "reason", required=True, name=False)
        self._record(self.Retired, actor, at, code=self.code, reason=reason)
        return True

    def reinstate(self, command: ReinstateCadre, actor: Actor, at: datetime) -> bool:
        authorize(command.permission, actor, unit=None, uscc=None)
        if not self.retired:
            raise RegistryConflict(
                command.verb, "cadre", self.code, "active", "干部未离任 not retired"
            )
        reason = checked_text(command.reason, "reason", required=False, name=False)
        self._record(self.Reinstated, actor, at, code=self.code, reason=reason)
        return True

    def reconcile(self, command: RegisterCadre, actor: Actor, at: datetime) -> bool:
        """Brings the cadre to a file's row: renamed, roles set and moved (to
        the row's unit from its ``since``) as needed; False when it already is
        the row. A row naming the current unit with another start day is
        refused: postings are re-dated by a move, not by a file."""
        _check_same(command.code, self.code)
        renamed = self.rename(RenameCadre(command.name), actor, at)
        roles = self.change_roles(ChangeCadreRoles(command.roles), actor, at)
        if command.unit == self.unit and command.since != self.since:
            raise InvalidField(
                "since",
                f"与现任职起始日 {self.since.isoformat()} 不符 differs from the "
                "current posting's start (a move to another unit starts a posting)",
            )
        moved = self.move(MoveCadre(command.unit, command.since), actor, at)
        return renamed or roles or moved

    def check_is_active(self, verb: str) -> None:
        if self.retired:
            raise RegistryConflict(
                verb,
                "cadre",
                self.code,
                "retired",
                "干部已离任，请先恢复 the cadre is retired: reinstate first",
            )

    def references(self) -> dict[str, str]:
        return {"unit": self.unit}

    def entry(self) -> CadreEntry:
        """The cadre as routing sees it (appeals.domain.directory)."""
        return CadreEntry(
            code=self.code,
            name=self.name,
            unit=self.unit,
            roles=self.roles,
            retired=self.retired,
        )


# ---- enterprises ------------------------------------------------------------------


class Enterprise(MasterRecord, created_event_name="Registered"):
    """An enterprise, by its Unified Social Credit Code."""

    TOPIC = "Enterprise"

    class Event(MasterEvent):
        TOPIC = "Enterprise.Event"

    class Created(Event, MasterCreated):
        TOPIC = "Enterprise.Created"

    class Registered(Created):
        """登记. ``locality`` is the one in force: the override, or the one
        derived from the credit code (``locality_overridden`` false)."""

        TOPIC = "Enterprise.Registered"
        uscc: str
        name: str
        locality: str
        locality_overridden: bool
        park: str
        size: str | None
        foreign_invested: bool
        service_list: str | None

        def apply(self, enterprise: Enterprise) -> None:
            enterprise.uscc, enterprise.name = self.uscc, self.name
            _set_details(enterprise, self)

    class Renamed(Event):
        """名称变更: the registered name (only by this event)."""

        TOPIC = "Enterprise.Renamed"
        uscc: str
        name: str
        previous_name: str

        def apply(self, enterprise: Enterprise) -> None:
            enterprise.name = self.name

    class Updated(Event):
        """Every field but the name, as it is now."""

        TOPIC = "Enterprise.Updated"
        uscc: str
        locality: str
        locality_overridden: bool
        park: str
        size: str | None
        foreign_invested: bool
        service_list: str | None

        def apply(self, enterprise: Enterprise) -> None:
            _set_details(enterprise, self)

    if TYPE_CHECKING:  # set by the events (an annotation would make it an init arg)
        uscc: str
        name: str
        locality: str
        locality_overridden: bool
        park: str
        size: str | None
        foreign_invested: bool
        service_list: str | None

    @classmethod
    def register(
        cls, command: RegisterEnterprise, actor: Actor, at: datetime
    ) -> Enterprise:
        authorize(command.permission, actor, unit=None, uscc=None)
        name = checked_text(command.name, "name", required=True, name=True)
        return cls._registered(command, name, actor, at)

    @classmethod
    def first_seen(cls, uscc: str, name: str, actor: Actor, at: datetime) -> Enterprise:
        """登记 at its first appeal's receipt: an enterprise not yet registered
        is registered in the same transaction as the appeal, by the actor who
        received it, with the name given then (``enterprise_name``, which the
        receipt validated; surrounding blanks dropped, as the registry keeps
        names); later receipts never change it, only :meth:`rename` does. The
        receipt is its authority: no registry permission is asked of intake."""
        registration = RegisterEnterprise(uscc=uscc, name=name)
        return cls._registered(registration, name.strip(), actor, at)

    @classmethod
    def _registered(
        cls, command: RegisterEnterprise, name: str, actor: Actor, at: datetime
    ) -> Enterprise:
        uscc = validate_uscc(command.uscc)
        return cls._register(
            cls.Registered,
            id=enterprise_id(uscc),
            actor=actor,
            at=at,
            uscc=uscc,
            name=name,
            **_details(uscc, command),
        )

    @property
    def code(self) -> str:
        """The enterprise's code in the registry: its credit code."""
        return self.uscc

    def rename(self, command: RenameEnterprise, actor: Actor, at: datetime) -> bool:
        authorize(command.permission, actor, unit=None, uscc=None)
        name = checked_text(command.name, "name", required=True, name=True)
        if name == self.name:
            return False
        self._record(
            self.Renamed, actor, at, uscc=self.uscc, name=name, previous_name=self.name
        )
        return True

    def update(self, command: UpdateEnterprise, actor: Actor, at: datetime) -> bool:
        authorize(command.permission, actor, unit=None, uscc=None)
        details = _details(self.uscc, command)
        if all(getattr(self, name) == value for name, value in details.items()):
            return False
        self._record(self.Updated, actor, at, uscc=self.uscc, **details)
        return True

    def reconcile(
        self, command: RegisterEnterprise, actor: Actor, at: datetime
    ) -> bool:
        """Brings the enterprise to a file's row: renamed and updated as
        needed; False when it already is the row."""
        _check_same(validate_uscc(command.uscc), self.uscc)
        renamed = self.rename(RenameEnterprise(command.name), actor, at)
        details = UpdateEnterprise(
            locality=command.locality,
            park=command.park,
            size=command.size,
            foreign_invested=command.foreign_invested,
            service_list=command.service_list,
        )
        return self.update(details, actor, at) or renamed

    def references(self) -> dict[str, str]:
        return {}

    @property
    def derived_locality(self) -> str:
        """The division in the credit code (characters 3–8)."""
        return locality_of(self.uscc)


def _details(
    uscc: str, command: RegisterEnterprise | UpdateEnterprise
) -> dict[str, Any]:
    """The fields besides the name as stored: the locality in force (an
    override equal to the derived one is no override)."""
    derived = locality_of(uscc)
    given = checked_locality(command.locality)
    return {
        "locality": derived if given is None else given,
        "locality_overridden": given is not None and given != derived,
        "park": checked_text(command.park, "park", required=False, name=True),
        "size": None if command.size is None else command.size.value,
        "foreign_invested": command.foreign_invested,
        "service_list": None
        if command.service_list is None
        else command.service_list.value,
    }


def _set_details(
    enterprise: Enterprise, event: Enterprise.Registered | Enterprise.Updated
) -> None:
    enterprise.locality = event.locality
    enterprise.locality_overridden = event.locality_overridden
    enterprise.park = event.park
    enterprise.size = event.size
    enterprise.foreign_invested = event.foreign_invested
    enterprise.service_list = event.service_list


Record: TypeAlias = Unit | Cadre | Enterprise

RECORDS: dict[str, type[Record]] = {
    "unit": Unit,
    "cadre": Cadre,
    "enterprise": Enterprise,
}
"""Each kind of record and its aggregate."""


def record_id(record: str, code: str) -> UUID:
    """The id of the record of kind ``record`` registered under ``code``."""
    if record == "unit":
        return unit_id(code)
    if record == "cadre":
        return cadre_id(code)
    return enterprise_id(code)
