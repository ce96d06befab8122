"""Closed sets (channels, categories, priorities, ...) with Chinese and English
labels, the actor who issues a command, and free-text limits.

Stored events hold the plain string codes (``"hotline"``), never Python enum
reprs, so the JSON stays readable and stable.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from types import MappingProxyType
from typing import Self, TypeVar, cast

from appeals.domain.errors import InvalidField


class Labelled(StrEnum):
    """A closed set whose members carry a Chinese and an English label."""

    zh: str
    en: str

    def __new__(cls, code: str, zh: str, en: str) -> Self:
        member = str.__new__(cls, code)
        member._value_ = code
        member.zh = zh
        member.en = en
        return member

    @classmethod
    def parse(cls, value: object, field: str) -> Self:
        """The member for ``value``, or :class:`InvalidField` listing the codes."""
        member = member_of(cls, value)
        if member is not None:
            return member
        codes = ", ".join(member.value for member in cls)
        raise InvalidField(field, f"{value!r} is not one of: {codes}")

    @classmethod
    def of(cls, code: str) -> Self:
        """The member for a code read back from a stored event."""
        member = member_of(cls, code)
        if member is not None:
            return member
        return cls.parse(code, cls.__name__.lower())

    def label(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}

    @classmethod
    def labels(cls) -> list[dict[str, str]]:
        return [{"code": m.value, "zh": m.zh, "en": m.en} for m in cls]


_Member = TypeVar("_Member", bound=StrEnum)


@cache
def _by_value(kind: type[StrEnum]) -> Mapping[object, StrEnum]:
    """Each member of ``kind`` by its value: a read-only table built once per
    enum (the sets never change), so a lookup is one dict probe instead of a
    scan of the members."""
    table: dict[object, StrEnum] = {member.value: member for member in kind}
    return MappingProxyType(table)


def member_of(kind: type[_Member], value: object) -> _Member | None:
    """The member of ``kind`` whose value equals ``value``, if any (a value
    that cannot be hashed, a list say, equals no member's)."""
    try:
        found = _by_value(kind).get(value)
    except TypeError:
        return None
    return cast(_Member, found)


class Channel(Labelled):
    """How an appeal reached us (docs/domain.md, channels from the seeds)."""

    HOTLINE = ("hotline", "12345热线", "12345 hotline")
    PORTAL = ("portal", "一网通办/苏服办", "online portal")
    SALON = ("salon", "企业家沙龙/面对面", "enterprise salon or meeting")
    VISIT = ("visit", "干部走访", "cadre visit")
    WECHAT = ("wechat", "微信群", "WeChat group")
    WINDOW = ("window", "办不成事专窗", "'can't get it done' window")
    LETTER = ("letter", "来信", "letter")


class Category(Labelled):
    """What the appeal is about (docs/domain.md categories)."""

    FINANCING = ("financing", "融资", "financing")
    LABOUR = ("labour", "用工", "labour")
    LAND = ("land", "用地/厂房", "land and premises")
    PERMITS = ("permits", "审批/证照", "permits and licences")
    POLICY = ("policy", "政策咨询", "policy consultation")
    TAX = ("tax", "税务", "tax")
    CUSTOMS = ("customs", "通关", "customs")
    UTILITIES = ("utilities", "水电气", "utilities")
    IP = ("ip", "知识产权", "intellectual property")
    TALENT = ("talent", "人才/子女入学", "talent and schooling")
    ENVIRONMENT = ("environment", "环保/绿化整改", "environment and greening")
    LEGAL = ("legal", "法律/合同纠纷", "legal and contracts")
    OTHER = ("other", "其他", "other")


class Priority(Labelled):
    """Drives the time limits (docs/domain.md: urgent and complex limits)."""

    NORMAL = ("normal", "一般", "normal")
    URGENT = ("urgent", "紧急", "urgent")
    COMPLEX = ("complex", "复杂", "complex")


class AppealKind(Labelled):
    """诉求类型 (docs/domain.md "12345 practice"; GB/T 39666-2020 classifies them):
    time limits are keyed on it besides priority and category."""

    CONSULT = ("consult", "咨询", "consultation")
    HELP = ("help", "求助", "request for help")
    COMPLAINT = ("complaint", "投诉", "complaint")
    SUGGESTION = ("suggestion", "建议", "suggestion")
    REPORT = ("report", "举报", "report of wrongdoing")
    PRAISE = ("praise", "表扬", "praise")


class Outcome(Labelled):
    """How handling finished (办结)."""

    RESOLVED = ("resolved", "已解决", "resolved")
    EXPLAINED = ("explained", "已解释说明", "explained")
    PARTIAL = ("partial", "部分解决", "partially resolved")


class ExclusionReason(Labelled):
    """Why an appeal should be left out of assessment (剔除理由)."""

    UNREASONABLE_DEMAND = ("unreasonable_demand", "诉求不合理", "unreasonable demand")
    FINAL_REPLY = ("final_reply", "已作最终答复", "final reply already given")
    OUTSIDE_REMIT = ("outside_remit", "非政府职能范围", "outside government's remit")
    OTHER = ("other", "其他", "other")


class AttachmentPurpose(Labelled):
    """What an attachment is for."""

    SUPPLEMENT = ("supplement", "补充材料", "supplementary materials")
    EVIDENCE = ("evidence", "佐证材料", "evidence for resolution or closing")
    OTHER = ("other", "其他附件", "other")


class Satisfaction(Labelled):
    """The enterprise's evaluation (企业评价); the satisfaction rate counts the
    first two."""

    SATISFIED = ("satisfied", "满意", "satisfied")
    BASIC = ("basically_satisfied", "基本满意", "basically satisfied")
    UNSATISFIED = ("unsatisfied", "不满意", "unsatisfied")


class Grade(Labelled):
    """好差评: the five-grade scale (docs/domain.md, "12345 practice"). The last two
    are 差评 (a bad review): they order rectification (核实整改). Each maps to
    the three-grade :class:`Satisfaction` every rate counts by
    :data:`GRADE_TO_SATISFACTION` (README, "Callbacks, 好差评 and closing"),
    so evaluations recorded before the scale still read."""

    VERY_SATISFIED = ("very_satisfied", "非常满意", "very satisfied")
    SATISFIED = ("satisfied", "满意", "satisfied")
    BASIC = ("basically_satisfied", "基本满意", "basically satisfied")
    UNSATISFIED = ("unsatisfied", "不满意", "unsatisfied")
    VERY_UNSATISFIED = ("very_unsatisfied", "非常不满意", "very unsatisfied")

    @property
    def satisfaction(self) -> Satisfaction:
        """The three-grade verdict this grade counts as."""
        return GRADE_TO_SATISFACTION[self]

    @property
    def is_bad(self) -> bool:
        """差评: 不满意 or 非常不满意."""
        return self in (Grade.UNSATISFIED, Grade.VERY_UNSATISFIED)


GRADE_TO_SATISFACTION = {
    Grade.VERY_SATISFIED: Satisfaction.SATISFIED,
    Grade.SATISFIED: Satisfaction.SATISFIED,
    Grade.BASIC: Satisfaction.BASIC,
    Grade.UNSATISFIED: Satisfaction.UNSATISFIED,
    Grade.VERY_UNSATISFIED: Satisfaction.UNSATISFIED,
}
"""The documented table from the five grades to the three every rate counts."""


class EvaluationSource(Labelled):
    """Where an evaluation came from."""

    ENTERPRISE = ("enterprise", "企业自评", "the enterprise itself")
    CALLBACK = ("callback", "回访", "the centre's callback")
    SAMPLE = ("sample", "抽查", "a quality-check sample")


class CallbackOutcome(Labelled):
    """回访: how one attempt to call the enterprise back went."""

    REACHED = ("reached", "已回访", "reached")
    NO_ANSWER = ("no_answer", "无人接听", "no answer")
    REFUSED = ("refused", "拒绝回访", "refused")
    WRONG_NUMBER = ("wrong_number", "号码错误", "wrong number")


class Status(Labelled):
    """Where an appeal is in its lifecycle (docs/domain.md diagram)."""

    RECEIVED = ("received", "已受理", "received")
    ASSIGNED = ("assigned", "已交办", "assigned")
    IN_PROGRESS = ("in_progress", "办理中", "in progress")
    RESOLVED = ("resolved", "已办结", "resolved")
    REPLIED = ("replied", "已反馈", "replied")
    EVALUATED = ("evaluated", "已评价", "evaluated")
    CLOSED = ("closed", "已销号", "closed")
    WITHDRAWN = ("withdrawn", "已撤回", "withdrawn")
    MERGED = ("merged", "已合并", "merged")


FINAL_STATUSES = frozenset({Status.CLOSED, Status.WITHDRAWN, Status.MERGED})


class Role(Labelled):
    """Who may do what is decided by role (see appeals.domain.permissions)."""

    INTAKE = ("intake", "受理员", "intake operator")
    DISPATCHER = ("dispatcher", "派单员", "dispatcher")
    HANDLER = ("handler", "承办人", "handler")
    SUPERVISOR = ("supervisor", "督办人", "supervisor")
    AUDITOR = ("auditor", "审计员", "auditor")
    ENTERPRISE = ("enterprise", "企业", "enterprise")
    ADMIN = ("admin", "管理员", "administrator")
    SYSTEM = ("system", "系统", "system")


@dataclass(frozen=True)
class Actor:
    """Who issued a command: an authenticated principal, never a body field.

    ``unit`` scopes a handler; ``uscc`` scopes an enterprise.
    """

    id: str
    role: Role
    name: str = ""
    unit: str | None = None
    uscc: str | None = None

    def as_record(self) -> dict[str, str | None]:
        """The form stored in every event."""
        return {
            "id": self.id,
            "role": self.role.value,
            "name": self.name,
            "unit": self.unit,
            "uscc": self.uscc,
        }


SYSTEM_ACTOR = Actor(id="system", role=Role.SYSTEM, name="Appeal Ledger")


# Free-text limits, in Unicode code points (a Chinese character counts once).
TEXT_LIMITS = {
    "title": 200,
    "description": 10_000,
    "enterprise_name": 200,
    "contact": 200,
    "reason": 2_000,
    "note": 5_000,
    "result": 10_000,
    "content": 10_000,
    "comment": 2_000,
    "unit": 100,
    "cadre": 100,
    "external_id": 128,
    "item": 100,
    "answer": 10_000,
    "evidence": 2_000,
    "text": 5_000,
    "address": 500,
    "filename": 255,
}


def _blank(value: str) -> bool:
    """Nothing a reader can see: whitespace and invisible format characters
    (zero-width space U+200B, word joiner U+2060, BOM U+FEFF...) only."""
    return all(
        c.isspace() or c in _FILLERS or unicodedata.category(c) == "Cf" for c in value
    )


_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
"""Letters and symbols that render as nothing (Hangul fillers, blank Braille)."""


def text(value: object, field: str, *, required: bool = True) -> str:
    """Validates free text: stored exactly as given, within its length limit."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidField(field, "must be a string")
    if required and _blank(value):
        raise InvalidField(field, "must not be empty")
    limit = TEXT_LIMITS[field]
    if len(value) > limit:
        raise InvalidField(field, f"is {len(value)} characters, at most {limit}")
    if "\x00" in value:
        raise InvalidField(field, "must not contain NUL characters")
    return value
