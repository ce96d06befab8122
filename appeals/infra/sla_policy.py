"""Load a time-limit policy (``SlaPolicy``) from a TOML file.

Keys (``default_sla.toml`` beside this module documents each one and equals
``DEFAULT_POLICY``)::

    version = "suzhou-2024-1"           # required: cited by every recorded deadline
    [counting]
    days = "next_day"                   # or "office_hours": how whole days count
    [limits.<stage>]                    # stage: dispatch, accept, resolve, ...
    <priority> = "5d"                   # priority: normal, urgent, complex
    [categories.<category>.<stage>]     # category: financing, labour, land, ...
    <priority> = "1d"
    [kinds.<kind>.<stage>]              # 诉求类型: consult, help, complaint, ...
    <priority> = "13d"
    [extensions]                        # 延期: how far a resolve deadline may move
    max_count = 3                       # approved extensions per appeal
    max_length = "3d"                   # working time each one may add

The stage ``evaluation`` was once written ``evaluation_window``; files that
still say so are read the same.

A limit is a positive whole number of working days, hours or minutes: ``"5d"``,
``"2h"``, ``"90m"``, or a decimal fraction of a working day (``"0.5d"``). Whole
days are counted by ``[counting] days`` (``Counting``: ``"next_day"``, 次日起, the
default, or ``"office_hours"``); hours, minutes and fractions of a day always
count office hours. Anything the file leaves out keeps its value from
``DEFAULT_POLICY``; a file can change or add limits, not remove them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

from appeals.domain.sla import (
    DEFAULT_POLICY,
    Addressee,
    Counting,
    ExtensionRules,
    InvalidLimitError,
    Limit,
    OrderRules,
    Rung,
    SlaPolicy,
    Stage,
)
from appeals.domain.values import AppealKind, Category, Priority
from appeals.infra.toml_source import TomlFileError, line_of, parse_toml, read_text

DEFAULT_POLICY_FILE = Path(__file__).with_name("default_sla.toml")

_Key = TypeVar("_Key", Stage, Priority, Category, AppealKind)

_TOP_KEYS = (
    "version",
    "counting",
    "limits",
    "categories",
    "kinds",
    "escalation",
    "extensions",
    "warning",
    "callback",
    "orders",
)
_EXTENSION_KEYS = ("max_count", "max_length")
_COUNTING_KEYS = ("days",)
_STAGE_ALIASES: dict[str, str] = {"evaluation_window": Stage.EVALUATION.value}
"""Stage names files may still use: the old name of a renamed stage."""


class PolicyFileError(TomlFileError):
    """A policy file that cannot be used, with where (file, line) and why."""


def load_policy(path: str | os.PathLike[str] = DEFAULT_POLICY_FILE) -> SlaPolicy:
    """Read a policy file; without a path, the shipped ``default_sla.toml``."""
    return parse_policy(read_text(path, PolicyFileError), os.fspath(path))


def parse_policy(text: str, path: str = "<string>") -> SlaPolicy:
    """Parse and validate a policy from TOML text; errors name ``path`` and a line."""
    document = parse_toml(text, path, PolicyFileError)
    return _Reader(text, path).policy(document)


class _Reader:
    """Walks a parsed policy document, refusing it at the first problem."""

    def __init__(self, text: str, path: str) -> None:
        self.text, self.path = text, path

    def refuse(self, keys: tuple[str, ...], reason: str) -> PolicyFileError:
        where = ".".join(keys)
        return PolicyFileError(
            self.path, line_of(self.text, keys), f"{where}: {reason}"
        )

    def policy(self, document: dict[str, Any]) -> SlaPolicy:
        if unknown := sorted(set(document) - set(_TOP_KEYS)):
            raise self.refuse(
                (unknown[0],), f"unknown key; expected {', '.join(_TOP_KEYS)}"
            )
        version = document.get("version")
        if not isinstance(version, str) or not version.strip():
            # Deadlines cite the policy version: two different policies must never share
            # one, so a file cannot inherit the default's.
            raise self.refuse(("version",), "required: a non-empty string")
        limits = dict(DEFAULT_POLICY.limits)
        limits.update(self.limits(self.table(document, ("limits",)), ("limits",)))
        category_limits = dict(DEFAULT_POLICY.category_limits)
        for name, stages in self.table(document, ("categories",)).items():
            place = ("categories", name)
            category = self.member(Category, place, "category")
            for (stage, priority), limit in self.limits(stages, place).items():
                category_limits[(category, stage, priority)] = limit
        kind_limits = dict(DEFAULT_POLICY.kind_limits)
        for name, stages in self.table(document, ("kinds",)).items():
            place = ("kinds", name)
            kind = self.member(AppealKind, place, "kind")
            for (stage, priority), limit in self.limits(stages, place).items():
                kind_limits[(kind, stage, priority)] = limit
        ladder = self.ladder(self.table(document, ("escalation",)))
        extensions = self.extensions(self.table(document, ("extensions",)))
        return SlaPolicy(
            version.strip(),
            limits,
            category_limits,
            ladder,
            extensions,
            kind_limits=kind_limits,
            day_counting=self.counting(self.table(document, ("counting",))),
            warning_share=self.warning(self.table(document, ("warning",))),
            callback_attempts=self.callback(self.table(document, ("callback",))),
            orders=self.orders(self.table(document, ("orders",))),
        )

    def orders(self, table: dict[str, Any]) -> OrderRules:
        """``[orders]``: ``reply`` (a limit) and ``level_0`` .. ``level_3``
        (unit, unit_leader, parent_leader or centre_head)."""
        default = DEFAULT_POLICY.orders
        levels = {"level_0": 0, "level_1": 1, "level_2": 2, "level_3": 3}
        addressees = dict(default.addressees)
        reply = default.reply
        for name, value in table.items():
            place = ("orders", name)
            if name == "reply":
                try:
                    reply = Limit.parse(str(value))
                except InvalidLimitError as error:
                    raise self.refuse(place, str(error)) from None
            elif name in levels:
                known = [a.value for a in Addressee]
                if value not in known:
                    raise self.refuse(place, f"one of {', '.join(known)}")
                addressees[levels[name]] = Addressee(value)
            else:
                expected = ", ".join(["reply", *levels])
                raise self.refuse(place, f"unknown key; expected {expected}")
        return OrderRules(reply, addressees)

    def callback(self, table: dict[str, Any]) -> int:
        """``[callback]``: ``max_attempts`` failed calls before 无法回访."""
        if unknown := sorted(set(table) - {"max_attempts"}):
            raise self.refuse(
                ("callback", unknown[0]), "unknown key; expected max_attempts"
            )
        value = table.get("max_attempts", DEFAULT_POLICY.callback_attempts)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.refuse(("callback", "max_attempts"), "a whole number >= 1")
        return value

    def warning(self, table: dict[str, Any]) -> float | None:
        """``[warning]``: ``share`` of a stage's time after which it is warned
        of (预警), between 0 and 1 exclusive, or ``"off"``."""
        if unknown := sorted(set(table) - {"share"}):
            raise self.refuse(("warning", unknown[0]), "unknown key; expected share")
        value = table.get("share", DEFAULT_POLICY.warning_share)
        if value == "off" or value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.refuse(("warning", "share"), 'a number like 0.8, or "off"')
        if not 0 < value < 1:
            raise self.refuse(("warning", "share"), "must be between 0 and 1")
        return float(value)

    def counting(self, table: dict[str, Any]) -> Counting:
        """``[counting]``: ``days`` names the convention whole days count by."""
        if unknown := sorted(set(table) - set(_COUNTING_KEYS)):
            place = ("counting", unknown[0])
            reason = "unknown key; expected days (hours and minutes count office hours)"
            raise self.refuse(place, reason)
        if "days" not in table:
            return DEFAULT_POLICY.day_counting
        value = table["days"]
        for convention in Counting:
            if convention.value == value:
                return convention
        known = ", ".join(f'"{c.value}"' for c in Counting)
        raise self.refuse(
            ("counting", "days"), f"unknown convention {value!r}; known: {known}"
        )

    def extensions(self, table: dict[str, Any]) -> ExtensionRules:
        """``[extensions]``: ``max_count`` (a whole number >= 0) and
        ``max_length`` (a limit like ``"3d"``)."""
        default = DEFAULT_POLICY.extensions
        if unknown := sorted(set(table) - set(_EXTENSION_KEYS)):
            place = ("extensions", unknown[0])
            raise self.refuse(
                place, f"unknown key; expected {', '.join(_EXTENSION_KEYS)}"
            )
        count = table.get("max_count", default.max_count)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise self.refuse(("extensions", "max_count"), "a whole number >= 0")
        length = table.get("max_length", str(default.max_length))
        try:
            if not isinstance(length, str):
                raise InvalidLimitError(
                    f'write it as text with a unit, like "{length}d"'
                )
            return ExtensionRules(count, Limit.parse(length))
        except InvalidLimitError as error:
            raise self.refuse(("extensions", "max_length"), str(error)) from None

    def ladder(self, table: dict[str, Any]) -> tuple[Rung, ...]:
        """``[escalation]``: ``reminder``, ``level_1`` .. ``level_3`` each
        ``"at-deadline"``, a lateness like ``"1d"``, or ``"off"``."""
        rungs = {rung.level: rung for rung in DEFAULT_POLICY.escalation}
        names = {"reminder": 0, "level_1": 1, "level_2": 2, "level_3": 3}
        for name, value in table.items():
            place = ("escalation", name)
            if name not in names:
                raise self.refuse(place, f"unknown rung; known: {', '.join(names)}")
            if value == "off":
                rungs.pop(names[name], None)
            elif value == "at-deadline":
                rungs[names[name]] = Rung(names[name])
            else:
                try:
                    rungs[names[name]] = Rung(names[name], Limit.parse(str(value)))
                except InvalidLimitError as error:
                    raise self.refuse(place, str(error)) from None
        return tuple(rungs[level] for level in sorted(rungs))

    def limits(
        self, stages: Any, keys: tuple[str, ...]
    ) -> dict[tuple[Stage, Priority], Limit]:
        """The ``<stage>.<priority> = "5d"`` entries of the table ``stages``."""
        if not isinstance(stages, dict):
            raise self.refuse(keys, "expected a table of stages")
        found: dict[tuple[Stage, Priority], Limit] = {}
        for stage_name in stages:
            named = (*keys, _STAGE_ALIASES.get(str(stage_name), str(stage_name)))
            stage = self.member(Stage, named, "stage")
            for priority_name, text in self.table(stages, (*keys, stage_name)).items():
                place = (*keys, stage_name, priority_name)
                priority = self.member(Priority, place, "priority")
                if not isinstance(text, str):
                    reason = f'write the limit as text with a unit, like "{text}d"'
                    raise self.refuse(place, reason)
                try:
                    found[(stage, priority)] = Limit.parse(text)
                except InvalidLimitError as error:
                    raise self.refuse(place, str(error)) from None
        return found

    def table(self, parent: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
        """The sub-table ``keys[-1]`` of ``parent``; empty if the file leaves it out."""
        value = parent.get(keys[-1], {})
        if not isinstance(value, dict):
            raise self.refuse(keys, "expected a table")
        return value

    def member(self, kind: type[_Key], keys: tuple[str, ...], what: str) -> _Key:
        for member in kind:
            if member.value == keys[-1]:
                return member
        known = ", ".join(member.value for member in kind)
        raise self.refuse(keys, f"unknown {what}; known: {known}")
