"""What the enterprise reads of its own appeal: public and internal text.

Every note, reason, reply and result recorded on an appeal is either
**public** (the enterprise reads it: in its view of the appeal, its history,
its exports and Open311's ``status_notes``) or **internal** (officials only).
Where a command lets the writer choose, its ``public`` field says so and the
event records the choice; otherwise the topic decides. The table below is the
default per event (``docs/events.md`` prints it), and the one place the rule
lives: the HTTP reads ask :func:`for_enterprise` and :func:`is_public`.

Exclusion requests and decisions (剔除) concern the assessment of units, not
the enterprise: they are left out of the enterprise's history altogether, as
are attachments not marked public.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "Appeal.AnsweredOnTheSpot": ("answer",),
    "Appeal.Returned": ("reason",),
    "Appeal.ProgressNoted": ("note",),
    "Appeal.Paused": ("reason",),
    "Appeal.Resumed": ("note",),
    "Appeal.ExtensionRequested": ("reason",),
    "Appeal.ExtensionApproved": ("note",),
    "Appeal.ExtensionRefused": ("note",),
    "Appeal.Supervised": ("note",),
    "Appeal.Resolved": ("result",),
    "Appeal.Replied": ("content",),
    "Appeal.Evaluated": ("comment",),
    "Appeal.Reopened": ("reason",),
    "Appeal.Escalated": ("note",),
    "Appeal.Warned": ("note",),
    "Appeal.ReferredToSupervisor": ("reason",),
    "Appeal.Closed": ("note",),
    "Appeal.Withdrawn": ("reason",),
    "Appeal.Merged": ("reason",),
    "Appeal.Commented": ("text",),
    "Appeal.MaterialsSupplied": ("note",),
    "Appeal.Urged": ("note",),
    "Appeal.CalledBack": ("note",),
    "Appeal.PartReported": ("report",),
    "Appeal.PartWaived": ("reason",),
    "Appeal.TakenOver": ("note",),
    "Appeal.Sampled": ("reason",),
}
"""The free text each appeal event carries."""

DEFAULT_PUBLIC: dict[str, bool] = {
    # the enterprise must read these: answers, what to supply, results
    "Appeal.AnsweredOnTheSpot": True,
    "Appeal.ProgressNoted": True,  # 办事进程可视化: progress is shown by default
    "Appeal.Paused": True,
    "Appeal.Resumed": True,
    "Appeal.Resolved": True,
    "Appeal.Replied": True,
    # its own words
    "Appeal.Evaluated": True,
    "Appeal.Withdrawn": True,
    "Appeal.Commented": True,
    "Appeal.MaterialsSupplied": True,
    "Appeal.Urged": True,
    "Appeal.Merged": True,
    # between the centre, the units and their supervisors
    "Appeal.Returned": False,
    "Appeal.ExtensionRequested": False,
    "Appeal.ExtensionApproved": False,
    "Appeal.ExtensionRefused": False,
    "Appeal.Supervised": False,
    "Appeal.Reopened": False,
    "Appeal.Escalated": False,
    "Appeal.Warned": False,
    "Appeal.ReferredToSupervisor": False,
    "Appeal.Closed": False,
    # the centre's own record of a call and of a quality check
    "Appeal.CalledBack": False,
    # between the units: a co-unit's report to the lead, a waiver
    "Appeal.PartReported": False,
    "Appeal.PartWaived": False,
    "Appeal.TakenOver": False,
    "Appeal.Sampled": False,
}
"""Whether an event's text is public when it does not record a choice."""

CHOOSABLE = frozenset(
    {
        "Appeal.ProgressNoted",
        "Appeal.Resumed",
        "Appeal.Supervised",
        "Appeal.Resolved",
        "Appeal.Reopened",
        "Appeal.Closed",
        "Appeal.Commented",
        "Appeal.AttachmentAdded",
        "Appeal.PartReported",
    }
)
"""Events whose command has a ``public`` field (the writer chooses)."""

HIDDEN_FROM_ENTERPRISE = frozenset(
    {
        "Appeal.ExclusionRequested",
        "Appeal.ExclusionGranted",
        "Appeal.ExclusionRefused",
    }
)
"""Events the enterprise's history leaves out altogether."""


def is_public(topic: str, fields: Mapping[str, Any]) -> bool:
    """Whether the enterprise reads this event's text (or attachment)."""
    recorded = fields.get("public")
    if isinstance(recorded, bool):
        return recorded
    return DEFAULT_PUBLIC.get(topic, True)


def for_enterprise(topic: str, fields: Mapping[str, Any]) -> dict[str, Any] | None:
    """The event's fields as the enterprise reads them: internal text is
    withheld (``None``, with ``"withheld": true``); ``None`` when the event is
    not shown to the enterprise at all."""
    if topic in HIDDEN_FROM_ENTERPRISE:
        return None
    public = is_public(topic, fields)
    if topic == "Appeal.AttachmentAdded" and not public:
        return None
    shown = dict(fields)
    if not public:
        withheld = [name for name in TEXT_FIELDS.get(topic, ()) if name in shown]
        for name in withheld:
            shown[name] = None
        if withheld:
            shown["withheld"] = True
    return shown


def public_text(topic: str, fields: Mapping[str, Any]) -> str | None:
    """The event's text if the enterprise reads it and there is any."""
    names = TEXT_FIELDS.get(topic, ())
    if not names or not is_public(topic, fields):
        return None
    for name in names:
        value = fields.get(name)
        if isinstance(value, str) and value.strip():
            return value
    return None


def disclosure_table() -> list[tuple[str, str, str, bool]]:
    """``(topic, text fields, default, choosable)`` rows for the docs."""
    rows = []
    for topic in sorted({*TEXT_FIELDS, *HIDDEN_FROM_ENTERPRISE, *CHOOSABLE}):
        fields = ", ".join(f"`{f}`" for f in TEXT_FIELDS.get(topic, ()))
        if topic in HIDDEN_FROM_ENTERPRISE:
            default = "hidden"
        elif topic == "Appeal.AttachmentAdded":
            default = "the enterprise's public, officials' internal"
        else:
            default = "public" if DEFAULT_PUBLIC.get(topic, True) else "internal"
        rows.append((topic, fields, default, topic in CHOOSABLE))
    return rows
