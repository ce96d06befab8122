"""The routing catalogue (派单目录 / 群众诉求处置责任清单): for each matter an
enterprise may raise, which unit leads (主办), which units co-handle (协办),
the procedure, its legal basis, its time limits and, where there is one, the
standard answer intake may give on the spot (当场办).

A :class:`CatalogueItem` is a master-data record (appeals.domain.master_data)
loaded by its code. Its content is versioned like the SLA policy: ``Published``
records version 1, each ``Revised`` the full new content as version n+1 (a
revision that changes nothing records nothing), and every version stays in
the record, so :meth:`CatalogueItem.content_at` answers what an appeal routed
by version n was told. ``Retired`` withdraws an item from routing (never a
deletion), ``Reinstated`` brings it back.

The commands are plain values whose fields are the HTTP bodies and the TOML
file's keys; :func:`parse_command` reads one from a mapping, reporting every
bad field at once (:class:`InvalidContent`, a 422).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from appeals.domain.directory import CatalogueEntry
from appeals.domain.errors import AppealError, CommandNotAllowed, InvalidField
from appeals.domain.identities import catalogue_item_id
from appeals.domain.master_data import MasterCreated, MasterEvent, MasterRecord
from appeals.domain.permissions import authorize
from appeals.domain.sla import InvalidLimitError, Limit, Stage
from appeals.domain.values import Actor, AppealKind, Category, Labelled

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
"""An item's code (``FIN-001``), like a unit's or a cadre's."""

LIMIT_STAGES: tuple[Stage, ...] = (
    Stage.ACCEPT,
    Stage.FIRST_RESPONSE,
    Stage.RESOLVE,
    Stage.REPLY,
)
"""The stages an item may set its own limit for (the dispatch stage is the
centre's, the evaluation window the enterprise's)."""

TEXT_LIMITS = {
    "matter_zh": 200,
    "matter_en": 300,
    "procedure": 10_000,
    "legal_basis": 5_000,
    "standard_answer": 10_000,
    "keywords": 50,
    "reason": 2_000,
}
"""Free-text limits in code points (a keyword's is per keyword)."""
MAX_KEYWORDS = 50
MAX_CO_UNITS = 20

CHANGES = {
    "publish": "publish_catalogue_item",
    "revise": "revise_catalogue_item",
    "retire": "retire_catalogue_item",
    "reinstate": "reinstate_catalogue_item",
}
"""Each change and its row in the permissions table."""


# ---- errors -----------------------------------------------------------------


class InvalidContent(InvalidField):
    """One or more fields of a catalogue command are malformed: every one is
    listed (``errors``), so a form or an import line is fixed in one go."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        assert errors
        self.errors = errors
        super().__init__(errors[0]["field"], errors[0]["reason"])
        Exception.__init__(
            self, "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        )

    def details(self) -> dict[str, Any]:
        return {"errors": list(self.errors)}


class CatalogueConflict(CommandNotAllowed):
    """The item's state does not allow the change (409): the code is already
    published, or the item is retired (or not)."""

    type_slug = "catalogue-conflict"

    def __init__(self, command: str, code: str, status: str, reason: str) -> None:
        self.command = command
        self.code = code
        self.status = status
        self.reason = reason
        Exception.__init__(self, f"{reason} (cannot {command} {code}: it is {status})")

    def details(self) -> dict[str, Any]:
        return {"command": self.command, "code": self.code, "item_status": self.status}


class CatalogueItemNotFound(AppealError):
    """No catalogue item has this code (or this version)."""

    type_slug = "catalogue-item-not-found"

    def __init__(self, code: str, version: int | None = None) -> None:
        self.code = code
        self.version = version
        where = code if version is None else f"{code} version {version}"
        super().__init__(f"派单目录没有此事项 no catalogue item {where}")

    def details(self) -> dict[str, Any]:
        found: dict[str, Any] = {"code": self.code}
        if self.version is not None:
            found["version"] = self.version
        return found


# ---- content and commands -----------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ItemContent:
    """What one version of an item says (every field but the code)."""

    matter_zh: str
    kind: AppealKind
    category: Category
    lead_unit: str
    procedure: str
    matter_en: str = ""
    legal_basis: str = ""
    co_units: tuple[str, ...] = ()
    limits: Mapping[str, str] = field(default_factory=dict)
    """Stage name -> limit text (``{"resolve": "10d"}``), overriding the policy."""
    standard_answer: str | None = None
    keywords: tuple[str, ...] = ()
    """Extra search words (synonyms intake may type), besides the matter."""

    def content(self) -> ItemContent:
        """Just the content (a command's, without its code)."""
        return ItemContent(**{f.name: getattr(self, f.name) for f in CONTENT_FIELDS})

    def as_record(self) -> dict[str, Any]:
        """The content as stored in an event: plain JSON values."""
        return {
            "matter_zh": self.matter_zh,
            "matter_en": self.matter_en,
            "kind": self.kind.value,
            "category": self.category.value,
            "lead_unit": self.lead_unit,
            "co_units": list(self.co_units),
            "procedure": self.procedure,
            "legal_basis": self.legal_basis,
            "limits": dict(self.limits),
            "standard_answer": self.standard_answer,
            "keywords": list(self.keywords),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ItemContent:
        """The content of a stored event (or a view's row of one version)."""
        return cls(
            matter_zh=record["matter_zh"],
            matter_en=record["matter_en"],
            kind=AppealKind.of(record["kind"]),
            category=Category.of(record["category"]),
            lead_unit=record["lead_unit"],
            co_units=tuple(record["co_units"]),
            procedure=record["procedure"],
            legal_basis=record["legal_basis"],
            limits=dict(record["limits"]),
            standard_answer=record["standard_answer"],
            keywords=tuple(record["keywords"]),
        )

    def units(self) -> tuple[str, ...]:
        """The lead unit, then the co-handling units."""
        return (self.lead_unit, *self.co_units)


CONTENT_FIELDS = fields(ItemContent)


@dataclass(frozen=True, kw_only=True)
class Publish(ItemContent):
    """Publish a new item (``POST /catalogue``): its code and first version."""

    name: ClassVar[str] = "publish"
    summary: ClassVar[str] = "Publish a catalogue item (派单目录事项), version 1"
    code: str


@dataclass(frozen=True, kw_only=True)
class Revise(ItemContent):
    """Revise an item (``POST /catalogue/{code}/revise``): the full new content."""

    name: ClassVar[str] = "revise"
    summary: ClassVar[str] = (
        "Revise a catalogue item: the full new content becomes the next version"
    )


@dataclass(frozen=True)
class Retire:
    """Withdraw an item from routing (``POST /catalogue/{code}/retire``)."""

    name: ClassVar[str] = "retire"
    summary: ClassVar[str] = "Retire a catalogue item (停用): no longer routed by"
    reason: str


@dataclass(frozen=True)
class Reinstate:
    """Route by a retired item again (``POST /catalogue/{code}/reinstate``)."""

    name: ClassVar[str] = "reinstate"
    summary: ClassVar[str] = "Reinstate a retired catalogue item (恢复)"
    reason: str = ""


C = TypeVar("C", Publish, Revise, Retire, Reinstate)


# ---- validation -------------------------------------------------------------


def _blank(value: str) -> bool:
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in value)


def _text_problem(value: str, name: str, *, required: bool) -> str | None:
    if required and _blank(value):
        return "不能为空 must not be empty"
    limit = TEXT_LIMITS[name]
    if len(value) > limit:
        return f"超长 is {len(value)} characters, at most {limit}"
    if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in value):
        return "含控制字符 must not contain control characters"
    return None


def code_problem(code: str) -> str | None:
    """Why ``code`` is not a catalogue item code, or None."""
    if CODE.fullmatch(code) is None:
        return (
            "编码格式不符 must be 1-32 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return None


def content_problems(values: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every problem of the content fields in ``values`` (each field checked
    if present; the co-units against the lead unit when both are)."""
    errors: list[dict[str, str]] = []

    def refuse(name: str, reason: str) -> None:
        errors.append({"field": name, "reason": reason})

    for name, required in (
        ("matter_zh", True),
        ("matter_en", False),
        ("procedure", True),
        ("legal_basis", False),
    ):
        if name in values:
            problem = _text_problem(values[name], name, required=required)
            if problem:
                refuse(name, problem)
    if values.get("standard_answer") is not None:
        problem = _text_problem(
            values["standard_answer"], "standard_answer", required=True
        )
        if problem:
            refuse("standard_answer", problem)
    lead = values.get("lead_unit")
    if lead is not None and (problem := code_problem(lead)):
        refuse("lead_unit", f"主办单位{problem}")
    co_units = values.get("co_units", ())
    if len(co_units) > MAX_CO_UNITS:
        refuse("co_units", f"协办单位过多 at most {MAX_CO_UNITS} co-handling units")
    seen: set[str] = set()
    for unit in co_units:
        if problem := code_problem(unit):
            refuse("co_units", f"协办单位 {unit!r} {problem}")
        elif unit == lead:
            refuse("co_units", f"协办单位不能是主办单位 {unit} is the lead unit")
        elif unit in seen:
            refuse("co_units", f"协办单位重复 {unit} is listed twice")
        seen.add(unit)
    stages = [stage.value for stage in LIMIT_STAGES]
    for stage_name, limit in values.get("limits", {}).items():
        if stage_name not in stages:
            known = ", ".join(stages)
            refuse("limits", f"未知环节 {stage_name!r} is not one of: {known}")
            continue
        try:
            Limit.parse(limit)
        except InvalidLimitError as error:
            refuse("limits", f"{stage_name} 时限无效 {error}")
    keywords = values.get("keywords", ())
    if len(keywords) > MAX_KEYWORDS:
        refuse("keywords", f"关键词过多 at most {MAX_KEYWORDS} keywords")
    words: set[str] = set()
    for word in keywords:
        if problem := _text_problem(word, "keywords", required=True):
            refuse("keywords", f"{word!r} {problem}")
        elif word in words:
            refuse("keywords", f"关键词重复 {word!r} is listed twice")
        words.add(word)
    return errors


def checked(content: ItemContent) -> ItemContent:
    """Just the content, its limits normalised ("10 d" -> "10d", in stage
    order), or :class:`InvalidContent` listing every bad field."""
    values = {f.name: getattr(content, f.name) for f in CONTENT_FIELDS}
    errors = content_problems(values)
    if errors:
        raise InvalidContent(errors)
    limits = content.limits
    values["limits"] = {
        stage.value: str(Limit.parse(limits[stage.value]))
        for stage in LIMIT_STAGES
        if stage.value in limits
    }
    return ItemContent(**values)


def parse_command(command_class: type[C], data: Mapping[str, Any]) -> C:
    """A command from a decoded JSON body or a TOML ``[[item]]`` table, or
    :class:`InvalidContent` listing every unknown, missing, mistyped or
    malformed field at once."""
    errors: list[dict[str, str]] = []
    values: dict[str, Any] = {}
    known = {f.name: f for f in fields(command_class)}
    for name in data:
        if name not in known:
            errors.append({"field": str(name), "reason": "未知字段 is not a field"})
    for name, spec in known.items():
        if name not in data:
            if spec.default is MISSING and spec.default_factory is MISSING:
                errors.append({"field": name, "reason": "必填 is required"})
            continue
        try:
            values[name] = _convert(name, data[name])
        except ValueError as error:
            errors.append({"field": name, "reason": str(error)})
    if isinstance(values.get("code"), str) and (
        problem := code_problem(values["code"])
    ):
        errors.append({"field": "code", "reason": problem})
    errors += content_problems(values)
    if errors:
        raise InvalidContent(errors)
    return command_class(**values)


_LABELLED: dict[str, type[Labelled]] = {"kind": AppealKind, "category": Category}


def _convert(name: str, value: Any) -> Any:
    """One value to its field's type; ValueError says why it cannot be."""
    if name in _LABELLED:
        for member in _LABELLED[name]:
            if member.value == value:
                return member
        codes = ", ".join(m.value for m in _LABELLED[name])
        raise ValueError(f"取值无效 {value!r} is not one of: {codes}")
    if name in ("co_units", "keywords"):
        if not isinstance(value, list | tuple) or not all(
            isinstance(v, str) for v in value
        ):
            raise ValueError("须为字符串列表 must be a list of strings")
        return tuple(value)
    if name == "limits":
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ValueError(
                '须为环节到时限的映射 must map stages to limits, like {resolve = "10d"}'
            )
        return dict(value)
    if name == "standard_answer" and value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("须为字符串 must be a string")
    if "\x00" in value:
        raise ValueError("含NUL字符 must not contain NUL characters")
    return value


# ---- the aggregate ------------------------------------------------------------


class CatalogueItem(MasterRecord, created_event_name="Published"):
    """One matter of the routing catalogue, every version of its content kept."""

    TOPIC = "CatalogueItem"

    class Event(MasterEvent):
        TOPIC = "CatalogueItem.Event"

    class Created(Event, MasterCreated):
        TOPIC = "CatalogueItem.Created"

    class Published(Created):
        """发布: the item's first version."""

        TOPIC = "CatalogueItem.Published"
        code: str
        version: int
        matter_zh: str
        matter_en: str
        kind: str
        category: str
        lead_unit: str
        co_units: list[str]
        procedure: str
        legal_basis: str
        limits: dict[str, str]
        standard_answer: str | None
        keywords: list[str]

        def apply(self, item: CatalogueItem) -> None:
            item.code = self.code
            item.contents = [ItemContent.from_record(self.__dict__)]
            item.retired = False
            item.retired_reason = None

    class Revised(Event):
        """修订: the full new content, as the next version."""

        TOPIC = "CatalogueItem.Revised"
        code: str
        version: int
        matter_zh: str
        matter_en: str
        kind: str
        category: str
        lead_unit: str
        co_units: list[str]
        procedure: str
        legal_basis: str
        limits: dict[str, str]
        standard_answer: str | None
        keywords: list[str]

        def apply(self, item: CatalogueItem) -> None:
            item.contents = [*item.contents, ItemContent.from_record(self.__dict__)]

    class Retired(Event):
        """停用: no longer routed by (its versions stay readable)."""

        TOPIC = "CatalogueItem.Retired"
        code: str
        reason: str

        def apply(self, item: CatalogueItem) -> None:
            item.retired = True
            item.retired_reason = self.reason

    class Reinstated(Event):
        """恢复: routed by again, at its latest version."""

        TOPIC = "CatalogueItem.Reinstated"
        code: str
        reason: str

        def apply(self, item: CatalogueItem) -> None:
            item.retired = False
            item.retired_reason = None

    if TYPE_CHECKING:  # set by the events (an annotation would make it an init arg)
        code: str
        contents: list[ItemContent]
        retired: bool
        retired_reason: str | None

    # ---- decisions --------------------------------------------------------

    @classmethod
    def publish(cls, command: Publish, actor: Actor, at: datetime) -> CatalogueItem:
        """Version 1 of a new item (the caller checks the code is free: the
        store refuses a second registration of one code anyway)."""
        authorize(CHANGES["publish"], actor, unit=None, uscc=None)
        errors: list[dict[str, str]] = []
        if problem := code_problem(command.code):
            errors.append({"field": "code", "reason": problem})
        try:
            content = checked(command)
        except InvalidContent as invalid:
            errors.extend(invalid.errors)
        if errors:
            raise InvalidContent(errors)
        return cls._register(
            cls.Published,
            id=catalogue_item_id(command.code),
            actor=actor,
            at=at,
            code=command.code,
            version=1,
            **content.as_record(),
        )

    def revise(self, command: Revise, actor: Actor, at: datetime) -> bool:
        """Records the next version; False (nothing recorded) when the new
        content equals the current one."""
        authorize(CHANGES["revise"], actor, unit=None, uscc=None)
        self.check_is_active("revise")
        content = checked(command)
        if content == self.content:
            return False
        self._record(
            self.Revised,
            actor,
            at,
            code=self.code,
            version=self.content_version + 1,
            **content.as_record(),
        )
        return True

    def retire(self, command: Retire, actor: Actor, at: datetime) -> None:
        authorize(CHANGES["retire"], actor, unit=None, uscc=None)
        self.check_is_active("retire")
        reason = _reason(command.reason, required=True)
        self._record(self.Retired, actor, at, code=self.code, reason=reason)

    def reinstate(self, command: Reinstate, actor: Actor, at: datetime) -> None:
        authorize(CHANGES["reinstate"], actor, unit=None, uscc=None)
        if not self.retired:
            raise CatalogueConflict(
                "reinstate", self.code, "active", "事项未停用 the item is not retired"
            )
        reason = _reason(command.reason, required=False)
        self._record(self.Reinstated, actor, at, code=self.code, reason=reason)

    def check_is_active(self, command: str) -> None:
        """A retired item is reinstated before it is revised or retired again."""
        if self.retired:
            raise CatalogueConflict(
                command,
                self.code,
                "retired",
                "事项已停用，请先恢复 the item is retired: reinstate it first",
            )

    # ---- reads ------------------------------------------------------------

    @property
    def content_version(self) -> int:
        """The number of the current content version (1 when published)."""
        return len(self.contents)

    @property
    def content(self) -> ItemContent:
        """The current version's content."""
        return self.contents[-1]

    def content_at(self, version: int) -> ItemContent | None:
        """What version ``version`` said (None if there is no such version)."""
        if 1 <= version <= len(self.contents):
            return self.contents[version - 1]
        return None

    def entry(self) -> CatalogueEntry:
        """The current version as the directory answers it for routing."""
        content = self.content
        return CatalogueEntry(
            code=self.code,
            version=self.content_version,
            matter_zh=content.matter_zh,
            kind=content.kind.value,
            category=content.category.value,
            lead_unit=content.lead_unit,
            co_units=content.co_units,
            limits=dict(content.limits),
            standard_answer=content.standard_answer,
            retired=self.retired,
        )


def _reason(value: object, *, required: bool) -> str:
    if not isinstance(value, str):
        raise InvalidContent([{"field": "reason", "reason": "须为字符串 a string"}])
    if problem := _text_problem(value, "reason", required=required):
        raise InvalidContent([{"field": "reason", "reason": problem}])
    return value
