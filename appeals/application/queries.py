"""Reads of one appeal: its view, folded from its history (``GET /appeals/{id}``).

The write-side aggregate holds only what decisions need; what a person reads
about an appeal (its title, description, contact, outcome, evaluation, ...)
comes from its events, folded here into an :class:`AppealView`, now, at a
version, or as of a past instant, with its timeliness as it stood then.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from appeals.application.service import AppealLedger, CommandResult
from appeals.domain import events as ev
from appeals.domain.disclosure import public_text
from appeals.domain.errors import AppealNotFound
from appeals.domain.guards import check_supported
from appeals.domain.timeliness import timeliness
from appeals.domain.values import Status


@dataclass
class AppealView:
    """One appeal as people read it, folded from its events."""

    id: UUID
    ticket: str
    version: int
    status: str
    uscc: str
    enterprise_name: str
    channel: str
    category: str
    priority: str
    title: str
    description: str
    contact: str
    external_id: str | None
    received_at: datetime
    updated_at: datetime
    first_response_due: datetime | None
    unit: str | None = None
    cadre: str | None = None
    paused: bool = False
    pending_extension: dict[str, Any] | None = None
    outcome: str | None = None
    evaluation: dict[str, Any] | None = None
    reopen_count: int = 0
    return_count: int = 0
    supervision_level: int = 0
    needs_supervisor: bool = False
    merged_into: UUID | None = None
    accept_due: datetime | None = None
    resolve_due: datetime | None = None
    reply_due: datetime | None = None
    evaluation_due: datetime | None = None
    dispatch_due: datetime | None = None
    kind: str | None = None
    item: str | None = None
    item_version: int | None = None
    co_units: tuple[str, ...] = ()
    answered_on_the_spot: bool = False
    exclusion: dict[str, Any] | None = None
    urge_count: int = 0
    requested_item: str | None = None
    """The catalogue item the filer chose (Open311 ``service_code``)."""
    address: str = ""
    notes: list[dict[str, Any]] = field(default_factory=list)
    """Public text in order (appeals.domain.disclosure): what the enterprise
    reads as the appeal's progress; the last is Open311's ``status_notes``."""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    close_due: datetime | None = None
    leader: str | None = None
    """领导领办: the leader who took the appeal over."""
    co_handling: list[dict[str, Any]] = field(default_factory=list)
    """Each co-unit's part (协办): accepted, reported, waived."""
    callback_due: datetime | None = None
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    """回访 attempts, in order (purpose, outcome, grade, 无法回访)."""
    reconciliation: str | None = None


def view_of(history: Sequence[ev.Event]) -> AppealView:
    """The view after these events (the first must be the receipt)."""
    received = history[0]
    if not isinstance(received, ev.Received):
        raise AppealNotFound(received.originator_id)
    view = AppealView(
        id=received.originator_id,
        ticket=received.ticket,
        version=received.originator_version,
        status=Status.RECEIVED.value,
        uscc=received.uscc,
        enterprise_name=received.enterprise_name,
        channel=received.channel,
        category=received.category,
        priority=received.priority,
        title=received.title,
        description=received.description,
        contact=received.contact,
        external_id=received.external_id,
        received_at=received.timestamp,
        updated_at=received.timestamp,
        first_response_due=received.first_response_due,
        dispatch_due=received.dispatch_due,
        kind=received.kind,
        requested_item=received.item,
        address=received.address,
    )
    fold(view, history[1:])
    return view


def fold(view: AppealView, events: Iterable[ev.Event]) -> None:
    """Folds the events that follow the view's version into it."""
    for event in events:
        evolve(view, event)
        note = public_text(get_topic(type(event)), vars(event))
        if note is not None:
            view.notes.append(
                {
                    "at": event.timestamp,
                    "type": get_topic(type(event)),
                    "text": note,
                    "by": event.actor.get("role"),
                }
            )
        view.version = event.originator_version
        view.updated_at = event.timestamp


def evolve(view: AppealView, event: ev.Event) -> None:
    """What one event changes in the view."""
    match event:
        case ev.Assigned():
            view.status = Status.ASSIGNED.value
            view.unit, view.cadre = event.unit, event.cadre
            view.accept_due, view.resolve_due = event.accept_due, event.resolve_due
            if event.first_response_due is not None:  # counted from assignment
                view.first_response_due = event.first_response_due
            view.item, view.item_version = event.item, event.item_version
            view.co_units = tuple(event.co_units)
            view.co_handling = [
                {"unit": u, "accepted": False, "reported": False, "waived": False}
                for u in event.co_units
            ]
            view.kind = event.kind or view.kind
        case ev.AnsweredOnTheSpot():  # 当场办: straight to evaluation
            view.status = Status.REPLIED.value
            view.evaluation_due = event.evaluation_due
            view.item, view.item_version = event.item, event.item_version
            view.answered_on_the_spot = True
        case ev.Accepted():
            view.status = Status.IN_PROGRESS.value
        case ev.Returned():
            view.status = Status.RECEIVED.value
            view.unit = view.cadre = None
            view.paused, view.pending_extension = False, None
            view.accept_due = view.resolve_due = None
            view.item = view.item_version = None
            view.co_units, view.co_handling = (), []
            view.dispatch_due = event.dispatch_due or view.dispatch_due
            view.return_count += 1
        case ev.Paused():
            view.paused = True
        case ev.Resumed():
            view.paused, view.resolve_due = False, event.resolve_due
        case ev.ExtensionRequested():
            view.pending_extension = {
                "requested_deadline": event.requested_deadline,
                "reason": event.reason,
            }
        case ev.ExclusionRequested():
            view.exclusion = {
                "status": "requested",
                "reason": event.reason,
                "evidence": event.evidence,
                "note": None,
            }
        case ev.ExclusionGranted() | ev.ExclusionRefused():
            granted = isinstance(event, ev.ExclusionGranted)
            view.exclusion = {
                **(view.exclusion or {}),
                "status": "granted" if granted else "refused",
                "note": event.note,
            }
        case ev.ExtensionApproved():
            view.pending_extension, view.resolve_due = None, event.new_deadline
        case ev.ExtensionRefused():
            view.pending_extension = None
        case ev.Supervised() | ev.Escalated():
            view.supervision_level = max(view.supervision_level, event.level)
        case ev.Resolved():
            view.status = Status.RESOLVED.value
            view.outcome, view.reply_due = event.outcome, event.reply_due
        case ev.Replied():
            view.status = Status.REPLIED.value
            view.evaluation_due = event.evaluation_due
            view.callback_due = event.callback_due
        case ev.Evaluated():
            view.status = Status.EVALUATED.value
            view.evaluation = {
                "resolved": event.resolved,
                "satisfaction": event.satisfaction,
                "grade": event.grade,
                "source": event.source,
            }
            view.close_due = event.close_due
        case ev.EvaluationLapsed():
            view.close_due = event.close_due
        case ev.CalledBack():
            view.callbacks.append(
                {
                    "at": event.timestamp,
                    "purpose": event.purpose,
                    "outcome": event.outcome,
                    "attempt": event.attempt,
                    "grade": event.grade,
                    "unreachable": event.unreachable,
                }
            )
        case ev.Reopened():
            back_to_dispatch = event.dispatch_due is not None  # answered on the spot
            view.status = (
                Status.RECEIVED if back_to_dispatch else Status.IN_PROGRESS
            ).value
            view.resolve_due = event.resolve_due
            view.reply_due = view.evaluation_due = view.close_due = None
            if back_to_dispatch:
                view.dispatch_due = event.dispatch_due
            view.reopen_count += 1
            view.needs_supervisor = view.paused = False
            view.outcome = view.evaluation = None
        case ev.ReferredToSupervisor():
            view.needs_supervisor = True
        case ev.Closed():
            view.status = Status.CLOSED.value
            view.needs_supervisor = False
            view.close_due = None
            view.reconciliation = event.reconciliation
        case ev.Withdrawn():
            view.status = Status.WITHDRAWN.value
        case ev.Merged():
            view.status = Status.MERGED.value
            view.merged_into = event.into
        case ev.PartAccepted() | ev.PartReported() | ev.PartWaived():
            done = {
                ev.PartAccepted: {"accepted": True},
                ev.PartReported: {"accepted": True, "reported": True},
                ev.PartWaived: {"waived": True},
            }[type(event)]
            view.co_handling = [
                {**part, **done} if part["unit"] == event.unit else part
                for part in view.co_handling
            ]
        case ev.TakenOver():
            view.leader = event.leader
        case ev.Urged():
            view.urge_count += 1
        case ev.AttachmentAdded():
            view.attachments.append(
                {
                    "sha256": event.sha256,
                    "size": event.size,
                    "media_type": event.media_type,
                    "name": event.name,
                    "purpose": event.purpose,
                    "public": event.public,
                    "added_at": event.timestamp,
                    "added_by": event.actor.get("role"),
                }
            )


def appeal_view(
    ledger: AppealLedger,
    appeal_id: UUID,
    *,
    version: int | None = None,
    as_of: datetime | None = None,
) -> tuple[AppealView, list[dict[str, Any]]]:
    """The appeal now, at ``version`` or as of a past instant (business
    time), with its timeliness as it stood then: one read of its events."""
    if as_of is not None:
        check_supported(as_of, "as_of", ledger.rules.timekeeping)
    history = ledger.history(appeal_id)
    if as_of is not None:
        history = [e for e in history if e.timestamp <= as_of]
        if not history:
            raise AppealNotFound(f"{appeal_id} as of {as_of.isoformat()}")
    elif version is not None:
        if version > len(history):
            raise AppealNotFound(f"{appeal_id} at version {version}")
        history = history[:version]
    now = as_of or ledger.clock.now()
    return view_of(history), timeliness(history, now, ledger.rules.timekeeping)


def appeal_at(ledger: AppealLedger, appeal_id: UUID, version: int) -> AppealView:
    """The appeal as a command left it (``version``), from its history."""
    return view_of(ledger.history(appeal_id, version))


class AnswerViews:
    """A command's answer (the appeal as the command left it) without reading
    and folding the appeal's whole history again: the view this process last
    answered for the appeal, with the command's own saved events folded on.

    Only exact: the held view is used when its version is the one the
    command's first event follows, and the events are consecutive; in every
    other case (nothing held, another process wrote in between, a replayed
    request, an existing receipt) the answer is folded from the history read
    from the store, as :func:`appeal_at` does. A view at a version is the fold
    of the appeal's events up to it, which the store never changes (an event
    saved is never rewritten; an event deleted behind the service's back
    makes the next command's first event follow a version below the held
    view's, which is then not used). Bounded: the least recently answered
    appeals are dropped first (a view is a few KB: 2,000 hold some 6-10 MB
    per process, enough for the commands that follow one another on an
    appeal). Callers get copies; the held views are never handed out."""

    def __init__(self, size: int = 2_000) -> None:
        self.size = size
        self._views: OrderedDict[UUID, AppealView] = OrderedDict()
        self._lock = threading.Lock()

    def answer(self, ledger: AppealLedger, result: CommandResult) -> AppealView:
        """The appeal as the command of ``result`` left it."""
        view = self._folded(result)
        if view is None or view.version != result.version:
            view = appeal_at(ledger, result.appeal_id, result.version)
        self._hold(view)
        return _copy(view)

    def _folded(self, result: CommandResult) -> AppealView | None:
        events: tuple[ev.Event, ...] = result.events
        if not events:
            return None
        first = events[0]
        if isinstance(first, ev.Received):
            return view_of(events)
        with self._lock:
            held = self._views.get(result.appeal_id)
        expected = first.originator_version - 1
        if held is None or held.version != expected:
            return None
        if any(e.originator_version != expected + n for n, e in enumerate(events, 1)):
            return None
        view = _copy(held)
        fold(view, events)
        return view

    def _hold(self, view: AppealView) -> None:
        """Keeps ``view`` (never handed out) unless a later version is held."""
        with self._lock:
            held = self._views.get(view.id)
            if held is not None and held.version > view.version:
                return
            self._views[view.id] = view
            self._views.move_to_end(view.id)
            while len(self._views) > self.size:
                self._views.popitem(last=False)


def _copy(view: AppealView) -> AppealView:
    """A copy whose lists and dictionaries the original does not share (a fold
    appends to the lists; a reader may change what it was given)."""
    found = copy(view)
    found.notes = [dict(n) for n in view.notes]
    found.attachments = [dict(a) for a in view.attachments]
    found.co_handling = [dict(p) for p in view.co_handling]
    found.callbacks = [dict(c) for c in view.callbacks]
    for name in ("pending_extension", "evaluation", "exclusion"):
        value = getattr(view, name)
        if value is not None:
            setattr(found, name, dict(value))
    return found


def appeal_by_ticket(ledger: AppealLedger, ticket: str) -> AppealView:
    """The appeal now, found by its ticket number (工单号)."""
    return view_of(ledger.history(ledger.appeal_id_of_ticket(ticket)))
