"""Open311 GeoReport v2 (docs/domain.md): the routing catalogue as services, appeals
as service requests. What each field means here is decided in this module;
``appeals.http.open311`` reads parameters and writes JSON or XML.

- A **service** is a catalogue item in force: ``service_code`` is the item's
  code, ``service_name`` its matter, ``group`` its category (in Chinese),
  ``keywords`` its search keywords; ``metadata`` is true for every item,
  since each has a definition (who the enterprise is, a title, a priority).
- A **service request** is an appeal: ``service_request_id`` is its ticket
  (工单号); ``status`` is ``closed`` once closed, withdrawn or merged, else
  ``open``; ``status_notes`` is its latest *public* note
  (appeals.domain.disclosure); ``agency_responsible`` the name of the unit
  holding it (the 12345 centre while it awaits dispatch);
  ``expected_datetime`` the current resolution deadline; ``service_notice``
  says the time limits in words. ``service_code`` is the item it was routed
  by, or the one the filer chose.
- Filing (``POST requests``) is :class:`~appeals.domain.commands.Receive`
  through the portal channel: an enterprise's key files for that enterprise;
  an intake key names the enterprise in ``attribute[uscc]`` and
  ``attribute[enterprise_name]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from appeals.application.queries import AppealView
from appeals.domain.commands import Receive
from appeals.domain.directory import CatalogueEntry, Directory
from appeals.domain.disclosure import (
    HIDDEN_FROM_ENTERPRISE,
    for_enterprise,
    public_text,
)
from appeals.domain.errors import InvalidField
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.summaries import VERBS
from appeals.domain.values import (
    Actor,
    AppealKind,
    Category,
    Channel,
    Priority,
    Role,
    Status,
)
from appeals.domain.working_time import SHANGHAI
from appeals.projections.lifecycle import read_instant, read_or_none

CLOSED = frozenset({Status.CLOSED.value, Status.WITHDRAWN.value, Status.MERGED.value})
MAX_WINDOW = timedelta(days=90)
"""``start_date`` to ``end_date`` at most (the spec's 90 days)."""
MAX_REQUESTS = 1000
DESCRIPTION_LIMIT = 4000
CENTRE_NAME = "12345政务服务便民热线"

PRIORITIES = (Priority.NORMAL, Priority.URGENT)
"""What a filer may ask for; 复杂 (complex) is the centre's judgement."""


def w3c(instant: datetime | None) -> str | None:
    """A W3C date-time with the Shanghai offset (``2026-10-08T09:12:00+08:00``)."""
    if instant is None:
        return None
    return instant.astimezone(SHANGHAI).isoformat(timespec="seconds")


# ---- services -------------------------------------------------------------------


def service(row: Mapping[str, Any]) -> dict[str, Any]:
    """A catalogue view row as an Open311 service."""
    return {
        "service_code": row["code"],
        "service_name": row["matter_zh"],
        "description": row.get("matter_en") or row.get("procedure") or "",
        "metadata": True,
        "type": "batch",
        "keywords": ",".join(row.get("keywords") or ()),
        "group": Category.of(row["category"]).zh,
    }


def definition(entry: CatalogueEntry) -> dict[str, Any]:
    """The service definition: what a filer says besides the description."""
    attributes = [
        _attribute(
            1,
            "uscc",
            "统一社会信用代码 (the enterprise's unified social credit code); "
            "taken from an enterprise's own key, required with an intake key",
        ),
        _attribute(
            2,
            "enterprise_name",
            "企业名称 (the enterprise's registered name); with an intake key",
        ),
        _attribute(3, "title", f"标题 (a title; default: {entry.matter_zh})"),
        {
            **_attribute(4, "priority", "紧急程度 (priority; default normal)"),
            "datatype": "singlevaluelist",
            "values": [{"key": p.value, "name": p.zh} for p in PRIORITIES],
        },
    ]
    return {"service_code": entry.code, "attributes": attributes}


def _attribute(order: int, code: str, description: str) -> dict[str, Any]:
    return {
        "variable": True,
        "code": code,
        "datatype": "string",
        "required": False,
        "datatype_description": None,
        "order": order,
        "description": description,
    }


# ---- filing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Filing:
    """A ``POST requests`` form, read."""

    fields: Mapping[str, str]

    def get(self, name: str) -> str:
        return (self.fields.get(name) or "").strip()

    def attribute(self, code: str) -> str:
        return self.get(f"attribute[{code}]")


def receipt(filing: Filing, entry: CatalogueEntry, actor: Actor) -> Receive:
    """The appeal a 311 filing asks for (raises :class:`InvalidField`)."""
    description = filing.get("description")
    if len(description) > DESCRIPTION_LIMIT:
        raise InvalidField(
            "description", f"is {len(description)} characters, at most 4000"
        )
    media_url = filing.get("media_url")
    if media_url:  # recorded, never fetched
        description = f"{description}\n材料链接 media: {media_url}".strip()
    if actor.role is Role.ENTERPRISE:
        uscc = actor.uscc or ""
        name = filing.attribute("enterprise_name") or actor.name
    else:
        uscc = filing.attribute("uscc")
        name = filing.attribute("enterprise_name")
        missing = [c for c, v in (("uscc", uscc), ("enterprise_name", name)) if not v]
        if missing:
            raise InvalidField(
                f"attribute[{missing[0]}]",
                "is required when filing with an intake key",
            )
    priority = filing.attribute("priority") or Priority.NORMAL.value
    if priority not in {p.value for p in PRIORITIES}:
        raise InvalidField("attribute[priority]", "must be normal or urgent")
    contact = " ".join(
        part
        for part in (
            filing.get("first_name") + filing.get("last_name"),
            filing.get("phone"),
            filing.get("email"),
        )
        if part
    )
    return Receive(
        uscc=uscc,
        enterprise_name=name,
        channel=Channel.PORTAL,
        category=Category.of(entry.category),
        title=filing.attribute("title") or entry.matter_zh,
        priority=Priority.of(priority),
        description=description,
        contact=contact,
        kind=AppealKind.of(entry.kind),
        item=entry.code,
        address=_address(filing),
    )


def _address(filing: Filing) -> str:
    """``address_string``, ``address_id`` and ``lat``/``long`` as one line."""
    parts = [filing.get("address_string")]
    if filing.get("address_id"):
        parts.append(f"address_id {filing.get('address_id')}")
    lat, long = filing.get("lat"), filing.get("long")
    if lat or long:
        try:
            if not (-90 <= float(lat) <= 90 and -180 <= float(long) <= 180):
                raise ValueError
        except ValueError:
            raise InvalidField(
                "lat", "lat and long must be degrees, together"
            ) from None
        parts.append(f"{lat},{long}")
    return "; ".join(p for p in parts if p)


def notice(view: AppealView | RequestFacts) -> str:
    """The ``service_notice``: what happens next and by when, in words."""
    if view.status in CLOSED:
        return f"工单 {view.ticket} 已办结归档 (closed)"
    if view.resolve_due is not None:
        due = view.resolve_due.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        return f"工单 {view.ticket}：承办单位应于 {due} 前办结 (due by {due})"
    if view.dispatch_due is not None:
        due = view.dispatch_due.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        return (
            f"工单 {view.ticket}：12345 中心应于 {due} 前派单 (dispatch due by {due})"
        )
    return f"工单 {view.ticket} 已受理 (received)"


# ---- requests -------------------------------------------------------------------


@dataclass(frozen=True)
class RequestFacts:
    """What a service request shows of an appeal: from its folded view
    (:func:`facts_of_view`) or from the Open311 view's row
    (:func:`facts_of_row`), so both answer alike."""

    id: UUID
    ticket: str
    status: str
    code: str | None
    category: str
    title: str
    description: str
    address: str
    unit: str | None
    received_at: datetime
    updated_at: datetime
    resolve_due: datetime | None
    dispatch_due: datetime | None
    status_notes: str | None


def facts_of_view(view: AppealView) -> RequestFacts:
    return RequestFacts(
        id=view.id,
        ticket=view.ticket,
        status=view.status,
        code=view.item or view.requested_item,
        category=view.category,
        title=view.title,
        description=view.description,
        address=view.address,
        unit=view.unit,
        received_at=view.received_at,
        updated_at=view.updated_at,
        resolve_due=view.resolve_due,
        dispatch_due=view.dispatch_due,
        status_notes=view.notes[-1]["text"] if view.notes else None,
    )


def facts_of_row(row: Mapping[str, Any]) -> RequestFacts:
    """From a row of appeals.projections.open311_requests."""

    return RequestFacts(
        id=UUID(row["appeal_id"]),
        ticket=row["ticket"],
        status=row["status"],
        code=row["item"] or row["requested_item"],
        category=row["category"],
        title=row["title"],
        description=row["description"],
        address=row["address"],
        unit=row["unit"],
        received_at=read_instant(row["received_at"]),
        updated_at=read_instant(row["updated_at"]),
        resolve_due=read_or_none(row["resolve_due"]),
        dispatch_due=read_or_none(row["dispatch_due"]),
        status_notes=row["status_notes"],
    )


def service_request(
    facts: RequestFacts,
    directory: Directory,
    *,
    disclosed: bool,
    history: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """An appeal as an Open311 service request. ``disclosed`` is false for an
    anonymous reader (no description, notes or address); with ``history``
    the ``extensions`` timeline is added (``notes``)."""
    code = facts.code
    entry = directory.catalogue_item(code) if code else None
    unit = directory.unit(facts.unit) if facts.unit else None
    if facts.unit is None or facts.unit == CENTRE_UNIT:
        agency = CENTRE_NAME
    else:
        agency = unit.name_zh if unit is not None else facts.unit
    body: dict[str, Any] = {
        "service_request_id": facts.ticket,
        "status": "closed" if facts.status in CLOSED else "open",
        "status_notes": facts.status_notes if disclosed else None,
        "service_name": entry.matter_zh if entry else Category.of(facts.category).zh,
        "service_code": code,
        "description": (facts.description or facts.title) if disclosed else None,
        "agency_responsible": agency,
        "service_notice": notice(facts),
        "requested_datetime": w3c(facts.received_at),
        "updated_datetime": w3c(facts.updated_at),
        "expected_datetime": w3c(facts.resolve_due),
        "address": (facts.address or None) if disclosed else None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }
    if history is not None:
        body["extended_attributes"] = {"title": facts.title if disclosed else None}
        body["notes"] = timeline(history, disclosed=disclosed)
    return body


def timeline(history: Sequence[Any], *, disclosed: bool) -> list[dict[str, Any]]:
    """``extensions=true``'s ``notes``: the public events, oldest first, each
    ``{datetime, type, description}``; internal text never appears."""
    notes = []
    for event in history:
        topic = get_topic(type(event))
        if topic in HIDDEN_FROM_ENTERPRISE:
            continue
        fields = vars(event)
        if for_enterprise(topic, fields) is None:
            continue
        name = topic.removeprefix("Appeal.")
        verb = VERBS.get(name, (name, name))[0]
        text = public_text(topic, fields) if disclosed else None
        notes.append(
            {
                "datetime": w3c(event.timestamp),
                "type": name,
                "description": f"{verb}：{text}" if text else verb,
            }
        )
    return notes


def window(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """The ``start_date``..``end_date`` window: the last 90 days by default,
    at most 90 days (raises :class:`InvalidField`)."""
    if start is None and end is None:
        return now - MAX_WINDOW, now
    if start is None:
        assert end is not None
        return end - MAX_WINDOW, end
    if end is None:
        return start, min(now, start + MAX_WINDOW)
    if end < start:
        raise InvalidField("end_date", "must not be before start_date")
    if end - start > MAX_WINDOW:
        raise InvalidField("end_date", "may be at most 90 days after start_date")
    return start, end
