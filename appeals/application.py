"""The application service: one verb-named method per command.

Each method loads the appeal, checks the expected version (optimistic
concurrency), lets the aggregate decide, and saves the new events in one
transaction. Time comes from the injected clock, the actor from the caller
(the authenticated principal), never from a request body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Recording

from appeals.domain.appeal import DEFAULT_MAX_REOPENS, Appeal
from appeals.domain.errors import AppealNotFound, CommandNotAllowed, VersionConflict
from appeals.domain.indexes import AppealIndex, source_index_id, ticket_index_id
from appeals.domain.ticket import format_ticket, parse_ticket
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import (
    Actor,
    Category,
    Channel,
    Outcome,
    Priority,
    Satisfaction,
    text,
)
from appeals.infra.clock import SHANGHAI, Clock, SystemClock
from appeals.infra.database import Database
from appeals.infra.tickets import TicketCounter


@dataclass(frozen=True)
class CommandResult:
    """What a command changed: the appeal's new version and the log position
    of its last event (for read-your-writes on projections)."""

    appeal_id: UUID
    version: int
    position: int | None
    created: bool = True


class AppealLedger(Application[UUID]):
    """The event-sourced application holding every appeal."""

    name = "appeals"
    snapshotting_intervals = {Appeal: 50}  # noqa: RUF012 (the library's API)

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        clock: Clock | None = None,
        max_reopens: int = DEFAULT_MAX_REOPENS,
        snapshot_interval: int = 50,
    ) -> None:
        super().__init__(env)
        self.clock: Clock = clock or SystemClock()
        self.max_reopens = max_reopens
        # The library reads this class variable through the instance; setting it
        # per instance makes the interval configurable without a subclass.
        self.snapshotting_intervals = {Appeal: snapshot_interval}  # type: ignore[misc]
        datastore = getattr(self.recorder, "datastore")  # noqa: B009
        self.database = Database(datastore)
        self.tickets = TicketCounter(self.database)
        self.tickets.create_table()

    # ---- receipt ----------------------------------------------------------

    def receive(
        self,
        actor: Actor,
        *,
        uscc: str,
        enterprise_name: str,
        channel: Channel,
        category: Category,
        priority: Priority,
        title: str,
        description: str = "",
        contact: str = "",
        external_id: str | None = None,
    ) -> CommandResult:
        """受理. With a source reference (channel + ``external_id``), receiving
        the same reference again returns the existing appeal (``created`` is
        false) and records nothing, also under concurrent retries."""
        uscc = validate_uscc(uscc)
        if external_id is not None:
            external_id = text(external_id, "external_id")
            existing = self._appeal_by_source(channel, external_id)
            if existing is not None:
                return existing
        for _attempt in range(3):
            at = self.clock.now()
            appeal_id = uuid4()
            ticket = format_ticket(
                at.astimezone(SHANGHAI).date(),
                self.tickets.next(at.astimezone(SHANGHAI).date()),
            )
            appeal = Appeal.receive(
                appeal_id=appeal_id,
                ticket=ticket,
                actor=actor,
                at=at,
                uscc=uscc,
                enterprise_name=enterprise_name,
                channel=channel,
                category=category,
                priority=priority,
                title=title,
                description=description,
                contact=contact,
                external_id=external_id,
            )
            claims = [AppealIndex.claim(ticket_index_id(ticket), ticket, appeal_id, at)]
            if external_id is not None:
                key = f"{channel.value}:{external_id}"
                index_id = source_index_id(channel.value, external_id)
                claims.append(AppealIndex.claim(index_id, key, appeal_id, at))
            try:
                recordings = self.save(appeal, *claims)
            except IntegrityError:
                if external_id is not None:
                    existing = self._appeal_by_source(channel, external_id)
                    if existing is not None:
                        return existing
                continue  # the ticket number was taken: draw another
            return CommandResult(appeal_id, appeal.version, _position(recordings))
        raise RuntimeError("could not allocate a unique ticket number")

    def _appeal_by_source(
        self, channel: Channel, external_id: str
    ) -> CommandResult | None:
        index = self._index(source_index_id(channel.value, external_id))
        if index is None:
            return None
        appeal = self.get(index.appeal_id)
        return CommandResult(appeal.id, appeal.version, None, created=False)

    # ---- lifecycle commands -----------------------------------------------

    def assign(
        self,
        appeal_id: UUID,
        actor: Actor,
        *,
        unit: str,
        cadre: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._execute(
            appeal_id,
            expected_version,
            lambda a, at: a.assign(actor, at, unit, cadre),
        )

    def accept(
        self, appeal_id: UUID, actor: Actor, *, expected_version: int | None = None
    ) -> CommandResult:
        return self._execute(
            appeal_id, expected_version, lambda a, at: a.accept(actor, at)
        )

    def return_appeal(
        self,
        appeal_id: UUID,
        actor: Actor,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._execute(
            appeal_id, expected_version, lambda a, at: a.return_(actor, at, reason)
        )

    def note_progress(
        self,
        appeal_id: UUID,
        actor: Actor,
        *,
        note: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._execute(
            appeal_id, expected_version, lambda a, at: a.note_progress(actor, at, note)
        )

    def pause(
        self,
        appeal_id: UUID,
        actor: Actor,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._execute(
            appeal_id, expected_version, lambda a, at: a.pause(actor, at, reason)
        )

    def resume(
        self,
        appeal_id: UUID,
        actor: Actor,
        *,
        note: str = "",
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._execute(
            appeal_id, expected_version, lambda a, at: a.resume(actor, at, note)
        )

    def request_extension(
        self,
        appeal_id: UUID,
        actor: Actor,
        *,
        requested_deadline: datetime,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._execute(
            appeal_id,
            expected_version,
            lambda a, at: a.request_extension(actor, at, requested_deadline, reason),
        )

    def decide_extension(
        self,
        appeal_id: UUID,
        actor: Actor,
        *,
        approve: bool,
        new_deadline: datetime | None = None,
        note: str = "",
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._execute(
            appeal_id,
            expected_version,
            lambda a, at: a.decide_extension(actor, at, approve, new_deadline, note),
        )

    def supervise(
        self,
        appeal_id: UUID,
        actor: Actor,
        *,
        level: int,
        note: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._execute(
            appeal_id,
            expected_version,
            lambda a, at: a.supervise(actor, at, level, note),
        )

    def resolve(
        self,
        appeal_id: UUID,
        actor: Actor,
        *,
        outcome: Outcome,
        result: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._execute(
            appeal_id,
            expected_version,
            lambda a, at: a.resolve(actor, at, outcome, result),
        )

    def reply(
        self,
        appeal_id: UUID,
        actor: Actor,
        *,
        channel: Channel,
        content: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._execute(
            appeal_id,
            expected_version,
            lambda a, at: a.reply(actor, at, channel, content),
        )

    def evaluate(
        self,
        appeal_id: UUID,
        actor: Actor,
        *,
        resolved: bool,
        satisfaction: Satisfaction,
        comment: str = "",
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._execute(
            appeal_id,
            expected_version,
            lambda a, at: a.evaluate(
                actor, at, resolved, satisfaction, comment, self.max_reopens
            ),
        )

    def reopen(
        self,
        appeal_id: UUID,
        actor: Actor,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._execute(
            appeal_id, expected_version, lambda a, at: a.reopen(actor, at, reason)
        )

    def close_appeal(
        self,
        appeal_id: UUID,
        actor: Actor,
        *,
        note: str = "",
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._execute(
            appeal_id, expected_version, lambda a, at: a.close(actor, at, note)
        )

    def withdraw(
        self,
        appeal_id: UUID,
        actor: Actor,
        *,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._execute(
            appeal_id, expected_version, lambda a, at: a.withdraw(actor, at, reason)
        )

    def merge(
        self,
        appeal_id: UUID,
        actor: Actor,
        *,
        into: UUID,
        reason: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Merge into another appeal, which must exist and be open."""
        target = self.get(into)
        if not target.is_open:
            raise CommandNotAllowed(
                "merge", target.status, f"the target appeal {target.ticket} is closed"
            )
        return self._execute(
            appeal_id,
            expected_version,
            lambda a, at: a.merge_into(actor, at, into, reason),
        )

    # ---- reads --------------------------------------------------------------

    def get(self, appeal_id: UUID, version: int | None = None) -> Appeal:
        """The appeal now, or as it was at ``version``."""
        try:
            appeal: object = self.repository.get(appeal_id, version=version)
        except AggregateNotFoundError:
            raise AppealNotFound(appeal_id) from None
        if not isinstance(appeal, Appeal):
            raise AppealNotFound(appeal_id)
        if version is not None and appeal.version != version:
            raise AppealNotFound(f"{appeal_id} at version {version}")
        return appeal

    def get_by_ticket(self, ticket: str) -> Appeal:
        ticket = parse_ticket(ticket)
        index = self._index(ticket_index_id(ticket))
        if index is None:
            raise AppealNotFound(ticket)
        return self.get(index.appeal_id)

    def _index(self, index_id: UUID) -> AppealIndex | None:
        try:
            index: object = self.repository.get(index_id)
        except AggregateNotFoundError:
            return None
        return index if isinstance(index, AppealIndex) else None

    # ---- the one way a command runs ----------------------------------------

    def _execute(
        self,
        appeal_id: UUID,
        expected_version: int | None,
        decide: Callable[[Appeal, datetime], Any],
    ) -> CommandResult:
        appeal = self.get(appeal_id)
        loaded_version = appeal.version
        if expected_version is not None and expected_version != loaded_version:
            raise VersionConflict(appeal_id, expected_version, loaded_version)
        decide(appeal, self.clock.now())
        try:
            recordings = self.save(appeal)
        except IntegrityError:
            current = self.get(appeal_id).version
            raise VersionConflict(appeal_id, loaded_version, current) from None
        return CommandResult(appeal_id, appeal.version, _position(recordings))


def _position(recordings: list[Recording[UUID]]) -> int | None:
    positions = [r.notification.id for r in recordings if r.notification.id]
    return max(positions) if positions else None
