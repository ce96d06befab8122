"""Telling the enterprise at its appeal's milestones: the seam.

The milestones are decided here, from the events alone: received (with its
ticket), dispatched (to which unit, due when), reply ready (the public
result), evaluation requested (by when). :func:`notices` turns an appeal's
events into :class:`Notice` values, in Chinese first, with public text only
(appeals.domain.disclosure).

Delivery is not here yet. The callbacks issue (17) brings the notification
outbox: a follower of the event log that records each notice once, in the
same transaction as its position, and delivers it with retries (SMS, the
portal, a webhook). It plugs in by calling :func:`notices` on the events it
follows and handing each notice to a :class:`Notifier`; nothing in the
command path sends anything, so a slow or failing channel can never hold up
or lose a command.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.utils import get_topic

from appeals.domain import events as ev
from appeals.domain.directory import Directory
from appeals.domain.disclosure import public_text
from appeals.domain.working_time import SHANGHAI


class Milestone(Enum):
    RECEIVED = "received"
    DISPATCHED = "dispatched"
    REPLY_READY = "reply_ready"
    EVALUATION_REQUESTED = "evaluation_requested"


@dataclass(frozen=True)
class Notice:
    """One message for the enterprise ``uscc`` about its appeal."""

    appeal: UUID
    version: int
    uscc: str
    ticket: str
    milestone: Milestone
    at: datetime
    text: str


class Notifier(Protocol):
    """Where notices go (the outbox of issue 17 will be one)."""

    def notify(self, notice: Notice) -> None: ...


def _when(instant: datetime | None) -> str:
    if instant is None:
        return ""
    return instant.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def notices(history: Iterable[Any], directory: Directory) -> Iterator[Notice]:
    """The notices an appeal's events (from its receipt on) call for."""
    uscc = ticket = ""
    for event in history:
        text: str | None = None
        milestone: Milestone | None = None
        if isinstance(event, ev.Received):
            uscc, ticket = event.uscc, event.ticket
            milestone = Milestone.RECEIVED
            text = f"您的诉求“{event.title}”已受理，工单号 {ticket}。"
        elif isinstance(event, ev.Assigned):
            unit = directory.unit(event.unit)
            name = unit.name_zh if unit is not None else event.unit
            milestone = Milestone.DISPATCHED
            text = (
                f"工单 {ticket} 已交由{name}办理，"
                f"应于 {_when(event.resolve_due)} 前办结。"
            )
        elif isinstance(event, ev.Resolved):
            result = public_text(get_topic(type(event)), vars(event))
            milestone = Milestone.REPLY_READY
            text = f"工单 {ticket} 已办结" + (f"：{result}" if result else "。")
        elif isinstance(event, ev.Replied | ev.AnsweredOnTheSpot):
            milestone = Milestone.EVALUATION_REQUESTED
            text = (
                f"工单 {ticket} 已答复，请于 {_when(event.evaluation_due)} "
                "前对办理结果进行评价。"
            )
        if milestone is not None and text is not None:
            yield Notice(
                appeal=event.originator_id,
                version=event.originator_version,
                uscc=uscc,
                ticket=ticket,
                milestone=milestone,
                at=event.timestamp,
                text=text,
            )
