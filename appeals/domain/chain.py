"""Tamper evidence: each event of an appeal or of a master-data record (unit,
cadre, enterprise, catalogue item) carries a hash chained to the previous one.

``chain = sha256(previous chain + canonical encoding of the event)``, where the
canonical encoding is sorted-key JSON of everything stored about the event
(topic, appeal id, version, time, actor, fields) except the chain itself. Any
edit, deletion or reordering of stored events breaks a link that
``first_broken_link`` finds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

GENESIS = ""

CHAINED_PREFIXES = (
    "Appeal.",
    "Unit.",
    "Cadre.",
    "Enterprise.",
    "CatalogueItem.",
    "Assessment.",
    "Notice.",
    "Project.",
    "Link.",
    "Visit.",
    "Meeting.",
    "TaskForce.",
)
"""The topic prefixes of every chained record: appeals, the master data
(appeals.domain.master_data), published assessments and 通报, and the 挂钩服务
records (projects, links, visits); index and request records are not
chained."""


def chained_topic(topic: str) -> bool:
    """Whether events of this topic carry a link in their record's chain."""
    return topic.startswith(CHAINED_PREFIXES)


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__} canonically")


def canonical(topic: str, state: Mapping[str, Any]) -> bytes:
    """The bytes the chain hashes: the topic and the event's state."""
    content = {k: v for k, v in state.items() if k != "chain"}
    return json.dumps(
        {"topic": topic, "event": content},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=_plain,
    ).encode()


def link(previous: str, topic: str, state: Mapping[str, Any]) -> str:
    return hashlib.sha256(previous.encode() + canonical(topic, state)).hexdigest()


def chained(
    topic: str,
    previous: str,
    header: dict[str, Any],
    at: datetime,
    actor: dict[str, str | None],
    fields: dict[str, Any],
) -> dict[str, Any]:
    """A new event's fields (its time, actor and own fields) with its link
    after ``previous``. The link hashes exactly the state the event will store;
    ``header`` (its originator id, version, topic) is hashed, not returned."""
    state: dict[str, Any] = {**header, "timestamp": at, "actor": actor, **fields}
    state["chain"] = link(previous, topic, state)
    for name in header:
        del state[name]
    return state


@dataclass(frozen=True)
class BrokenLink:
    """Where a chain stops matching: the version whose hash is wrong or missing."""

    version: int
    reason: str


def first_broken_link(
    events: Iterable[tuple[str, Mapping[str, Any]]],
) -> BrokenLink | None:
    """Checks a record's events in order (each as ``(topic, state)`` with its
    ``originator_version`` and ``chain``); None if every link holds."""
    previous = GENESIS
    expected_version = 1
    for topic, state in events:
        reason = link_problem(expected_version, previous, topic, state)
        if reason is not None:
            return BrokenLink(expected_version, reason)
        previous = str(state.get("chain"))
        expected_version += 1
    return None


def link_problem(
    expected_version: int, previous: str, topic: str, state: Mapping[str, Any]
) -> str | None:
    """Why an event (``state`` with its ``originator_version`` and ``chain``)
    does not continue a chain whose head is ``previous``; None if it does."""
    version = state.get("originator_version")
    if version != expected_version:
        return f"version {expected_version} is missing (found {version})"
    if state.get("chain") != link(previous, topic, state):
        return "the hash does not match the content"
    return None
