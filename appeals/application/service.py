"""The application service: executes command values through one table.

``execute`` loads the appeal, checks the expected version (optimistic
concurrency), lets the aggregate decide, and saves the new events in one
transaction. Time comes from the injected clock, the actor from the caller
(the authenticated principal), never from a request body.

A command decides on this process's cached copy of the appeal as it is, with
no query for newer events (appeals.infra.store says why reads differ). A
copy that another process's write made stale cannot do harm: its events
claim versions already taken, so the store refuses the save (its uniqueness
on appeal id and version), and the command is decided once more on the
appeal loaded afresh; only then is it refused. A refusal decided on a cached
copy (not allowed in this state, not this actor's, an ``If-Match`` version
that is not the cached one) is likewise decided again on the fresh appeal
before it is answered. After a save the cache holds the appeal as saved; a
save that failed evicts it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from copy import deepcopy
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
)
from eventsourcing.persistence import IntegrityError, Recording, Transcoder

from appeals.application.claims import (
    IdempotentRequest,
    carried_out,
    claimed,
    receipt_claims,
    request_records,
)
from appeals.domain import commands as cmd
from appeals.domain.appeal import Appeal
from appeals.domain.chain import BrokenLink, first_broken_link
from appeals.domain.commands import DEFAULT_MAX_REOPENS
from appeals.domain.deadlines import Timekeeping
from appeals.domain.directory import EMPTY_DIRECTORY, Directory
from appeals.domain.errors import (
    AppealError,
    AppealNotFound,
    CommandNotAllowed,
    InvalidField,
    VersionConflict,
)
from appeals.domain.identities import enterprise_id
from appeals.domain.indexes import (
    source_index_id,
    ticket_index_id,
)
from appeals.domain.organisation import Enterprise
from appeals.domain.permissions import authorize, check_read
from appeals.domain.sla import DEFAULT_POLICY, SlaPolicy
from appeals.domain.ticket import format_ticket, parse_ticket
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import (
    SYSTEM_ACTOR,
    Actor,
    Channel,
    text,
)
from appeals.domain.working_time import DEFAULT_OFFICE_HOURS, OfficeHours
from appeals.infra.calendar_data import build_calendar
from appeals.infra.calendar_store import CalendarStore
from appeals.infra.clock import SHANGHAI, Clock, SystemClock
from appeals.infra.database import Database
from appeals.infra.event_log import EventLog
from appeals.infra.tickets import TicketCounter
from appeals.infra.transcoder import chosen_transcoder


@dataclass(frozen=True)
class CommandResult:
    """What a command changed: the appeal's new version and the log position
    of its last event (for read-your-writes on projections)."""

    appeal_id: UUID
    version: int
    position: int | None
    created: bool = True
    replayed: bool = False
    events: tuple[Any, ...] = field(default=(), compare=False, repr=False)
    """The appeal's events this command saved, in order (none for a replayed
    request or an existing receipt): what its answer folds onto the view
    before it (appeals.application.queries.AnswerViews)."""


R = TypeVar("R")


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
        policy: SlaPolicy = DEFAULT_POLICY,
        office_hours: OfficeHours = DEFAULT_OFFICE_HOURS,
        directory: Directory | None = None,
    ) -> None:
        """Opens the store; every table it uses was created beforehand, once,
        by ``bootstrap.create_storage``. ``directory``: the registered units,
        cadres and catalogue items routing checks; ``bootstrap.open_ledger``
        gives the registries in this store (:meth:`route_by`), and a ledger
        given none knows no unit, so every assignment is refused."""
        super().__init__(env)
        self.clock: Clock = clock or SystemClock()
        self.policy = policy
        self.office_hours = office_hours
        # The library reads this class variable through the instance; setting it
        # per instance makes the interval configurable without a subclass.
        self.snapshotting_intervals = {Appeal: snapshot_interval}  # type: ignore[misc]
        datastore = getattr(self.recorder, "datastore")  # noqa: B009
        self.database = Database(datastore)
        self.tickets = TicketCounter(self.database)
        self.calendars = CalendarStore(self.database)
        events_table: str = getattr(self.recorder, "events_table_name")  # noqa: B009
        self.event_log = EventLog(self.database, events_table, self.mapper.transcoder)
        self.rules = cmd.Rules(
            self.build_timekeeping(), max_reopens, directory or EMPTY_DIRECTORY
        )
        # Credit codes of enterprises known to be registered: a registration
        # is never undone, so a receipt need not look it up again.
        self._registered: set[str] = set()

    def construct_transcoder(self) -> Transcoder:
        """orjson, writing the library's bytes (appeals.infra.transcoder),
        unless the environment's ``TRANSCODER`` says ``library``."""
        return chosen_transcoder(self.env.get("TRANSCODER"), self.factory)

    def route_by(self, directory: Directory) -> None:
        """Routes by ``directory`` from now on: assignments are checked
        against its units, cadres and catalogue items."""
        self.rules = replace(self.rules, directory=directory)

    def build_timekeeping(self) -> Timekeeping:
        """The package calendar with the operator's loaded schedules on top."""
        calendar = build_calendar(self.office_hours, self.calendars.load())
        return Timekeeping(calendar, self.policy)

    def reload_calendar(self) -> None:
        """Picks up schedules loaded since start-up (``appeals calendar load``)."""
        self.rules = replace(self.rules, timekeeping=self.build_timekeeping())

    # ---- receipt ----------------------------------------------------------

    def receive_appeal(
        self,
        command: cmd.Receive,
        actor: Actor,
        request: IdempotentRequest | None = None,
        *,
        visit: tuple[UUID, str] | None = None,
        with_records: Callable[[Appeal, datetime], Sequence[Any]] | None = None,
    ) -> CommandResult:
        """受理. With a source reference (channel + ``external_id``), receiving
        the same reference again returns the existing appeal (``created`` is
        false) and records nothing, also under concurrent retries. A problem
        found on a visit names it (``visit``: its id and its cadre's unit);
        ``with_records`` gives the records saved in the same transaction
        (drawn afresh on each attempt)."""
        replay = self._replay(request)
        if replay is not None:
            return replay
        uscc = validate_uscc(command.uscc)  # refused before anything is looked up
        # Who may receive is checked before the duplicate lookup too: a role
        # that may not receive never learns of an existing appeal this way.
        if visit is None:
            authorize("receive", actor, unit=None, uscc=uscc)
        else:
            authorize("file_from_visit", actor, unit=visit[1], uscc=uscc)
        external_id = command.external_id
        if external_id is not None:
            external_id = text(external_id, "external_id")
            existing = self._appeal_by_source(command.channel, external_id, actor, uscc)
            if existing is not None:
                return existing
        for _attempt in range(3):
            at = self.clock.now()
            day = at.astimezone(SHANGHAI).date()
            ticket = format_ticket(day, self.tickets.next(day))
            appeal = Appeal.receive(
                command,
                appeal_id=uuid4(),
                ticket=ticket,
                actor=actor,
                at=at,
                rules=self.rules,
                visit=visit,
            )
            claims = receipt_claims(command, appeal, external_id, at)
            records = request_records(request, appeal, at, created=True)
            registered = self._first_seen(command, actor, at)
            extra = [] if with_records is None else with_records(appeal, at)
            try:
                recordings = self.save(appeal, *claims, *records, *registered, *extra)
            except IntegrityError:
                replay = self._replay(request)
                if replay is not None:
                    return replay
                if external_id is not None:
                    existing = self._appeal_by_source(
                        command.channel, external_id, actor, uscc
                    )
                    if existing is not None:
                        return existing
                continue  # the ticket number was taken: draw another
            self._remember(appeal)  # its first command finds it in memory
            self._note_registered(command.uscc)
            return CommandResult(
                appeal.id,
                appeal.version,
                _position(recordings, appeal.id),
                events=_saved(recordings, appeal.id),
            )
        raise RuntimeError("could not allocate a unique ticket number")

    def _first_seen(
        self, command: cmd.Receive, actor: Actor, at: datetime
    ) -> list[Enterprise]:
        """The enterprise's registration, if this is its first appeal (saved
        with the appeal; a receipt racing another for the same new enterprise
        fails to save, and its retry finds the enterprise registered)."""
        uscc = validate_uscc(command.uscc)
        if uscc in self._registered:
            return []
        if enterprise_id(uscc) in self.repository:
            self._note_registered(uscc)
            return []
        return [Enterprise.first_seen(uscc, command.enterprise_name, actor, at)]

    def _note_registered(self, uscc: str) -> None:
        if len(self._registered) >= 100_000:  # bounded, as the cache is
            self._registered.clear()
        self._registered.add(validate_uscc(uscc))

    def _appeal_by_source(
        self, channel: Channel, external_id: str, actor: Actor, uscc: str
    ) -> CommandResult | None:
        """The appeal received before under this source reference, if it is
        this enterprise's and the actor may read it; a reference already used
        for another enterprise's appeal is refused without naming it."""
        appeal_id = claimed(
            self.repository, source_index_id(channel.value, external_id)
        )
        if appeal_id is None:
            return None
        appeal = self.get(appeal_id)
        if appeal.uscc != uscc:
            raise InvalidField(
                "external_id",
                "来源编号已用于另一企业的诉求 this source reference was used for "
                "another enterprise's appeal",
            )
        check_read(
            actor, unit=appeal.unit, uscc=appeal.uscc, co_units=tuple(appeal.co_parts)
        )
        return CommandResult(appeal.id, appeal.version, None, created=False)

    # ---- commands on an existing appeal ------------------------------------

    def execute(
        self,
        appeal_id: UUID,
        command: cmd.Command,
        actor: Actor,
        *,
        expected_version: int | None = None,
        request: IdempotentRequest | None = None,
    ) -> CommandResult:
        """Lets the appeal decide ``command`` and saves its new events (with
        the request record) at once: decided on the cached appeal, and once
        more on the appeal loaded afresh if the store refuses the save or the
        cached copy refuses the command (module docstring)."""
        replay = self._replay(request)
        if replay is not None:
            return replay
        fresh = False
        while True:
            appeal, cached = self._for_command(appeal_id, fresh=fresh)
            at = self.clock.now()
            try:
                self._decide_on(appeal, command, actor, at, expected_version)
            except AppealError:
                if cached:  # perhaps only stale: decide on the stored appeal
                    fresh = True
                    continue
                # A retry racing its first attempt: the attempt committed
                # after our key lookup, so the appeal already moved on. Its
                # answer, not a refusal of a command that took effect.
                replay = self._replay(request)
                if replay is not None:
                    return replay
                raise
            loaded_version = appeal.version - len(appeal.pending_events)
            records = request_records(request, appeal, at, created=False)
            try:
                recordings = self._save_decided(appeal, *records)
            except IntegrityError:
                replay = self._replay(request)
                if replay is not None:
                    return replay
                if not fresh:  # another writer came first: once more, fresh
                    fresh = True
                    continue
                current = self.get(appeal_id).version
                raise VersionConflict(appeal_id, loaded_version, current) from None
            return CommandResult(
                appeal_id,
                appeal.version,
                _position(recordings, appeal_id),
                created=False,
                events=_saved(recordings, appeal_id),
            )

    def _decide_on(
        self,
        appeal: Appeal,
        command: cmd.Command,
        actor: Actor,
        at: datetime,
        expected_version: int | None,
    ) -> None:
        """Adds to ``appeal`` the new events ``command`` decided, unsaved."""
        # Authorised before the version check: a 412 would tell anyone the
        # appeal's current version.
        appeal.check_permitted(command.name.replace("-", "_"), actor)
        if expected_version is not None and expected_version != appeal.version:
            raise VersionConflict(appeal.id, expected_version, appeal.version)
        decide(appeal, command, actor, at, self.rules)
        if isinstance(command, cmd.Merge):
            # Only after the actor was authorised: no peeking at other appeals.
            self._check_merge_target(command.into)

    # ---- the cached appeal a command decides on --------------------------------

    def _for_command(self, appeal_id: UUID, *, fresh: bool) -> tuple[Appeal, bool]:
        """A private copy of the appeal to decide a command on, and whether it
        is the cached copy (which may be stale). Unless ``fresh``, the cached
        copy as it is, no query for newer events; else, or if it is not
        cached, the appeal loaded from the store (and cached)."""
        cache = self.repository.cache
        if cache is not None:
            if fresh:
                self._forget(appeal_id)
            else:
                try:
                    found: object = cache.get(appeal_id)
                except KeyError:
                    pass
                else:
                    if isinstance(found, Appeal):
                        return deepcopy(found), True
        return self.get(appeal_id), False

    def _save_decided(self, appeal: Appeal, *others: Any) -> list[Recording[UUID]]:
        """Saves the decided appeal (with ``others``); the cache then holds it
        as saved. A save that fails leaves no copy of it in the cache."""
        try:
            recordings = self.save(appeal, *others)
        except BaseException:
            self._forget(appeal.id)
            raise
        self._remember(appeal)
        return recordings

    def _remember(self, appeal: Appeal) -> None:
        """Caches ``appeal`` as just saved (the library caches saved
        aggregates itself only without fast-forward, appeals.infra.store),
        unless the cache already holds a later version."""
        cache = self.repository.cache
        if cache is None:
            return
        try:
            held: object = cache.get(appeal.id)
        except KeyError:
            held = None
        if not isinstance(held, Appeal) or held.version <= appeal.version:
            cache.put(appeal.id, appeal)

    def _forget(self, appeal_id: UUID) -> None:
        """Evicts the appeal from the cache (its next load reads the store)."""
        cache = self.repository.cache
        if cache is not None:
            with suppress(KeyError):
                cache.get(appeal_id, evict=True)

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshots as the library takes them, after the events committed.
        One already stored at that version holds the same state: its
        uniqueness error must not read as a refused save (a command would
        be decided again on the appeal it already changed)."""
        with suppress(IntegrityError):
            super()._take_snapshots(processing_event)

    def _check_merge_target(self, into: UUID) -> None:
        target = self.get(into)
        if not target.is_open:
            raise CommandNotAllowed(
                "merge", target.status, f"the target appeal {target.ticket} is closed"
            )

    # ---- time-driven commands (the system actor) ------------------------------

    def escalate(self, appeal_id: UUID, stage: str, level: int) -> CommandResult | None:
        """Records a due rung of the escalation ladder; None if it is not due
        or was already recorded (by another scheduler, say)."""
        return self._system(appeal_id, cmd.Escalate(stage, level))

    def warn(self, appeal_id: UUID, stage: str) -> CommandResult | None:
        """Records a warning (预警) before a deadline; None if not applicable."""
        return self._system(appeal_id, cmd.Warn(stage))

    def lapse_evaluation(self, appeal_id: UUID) -> CommandResult | None:
        """Records that the evaluation window passed; None if not applicable."""
        return self._system(appeal_id, cmd.LapseEvaluation())

    def _system(self, appeal_id: UUID, command: cmd.Command) -> CommandResult | None:
        fresh = False
        for _attempt in range(3):
            appeal, cached = self._for_command(appeal_id, fresh=fresh)
            try:
                decide(appeal, command, SYSTEM_ACTOR, self.clock.now(), self.rules)
            except CommandNotAllowed:
                if cached:  # perhaps only stale: decide on the stored appeal
                    fresh = True
                    continue
                return None
            try:
                recordings = self._save_decided(appeal)
            except IntegrityError:
                fresh = True  # someone else wrote first: decide again, fresh
                continue
            return CommandResult(
                appeal_id,
                appeal.version,
                _position(recordings, appeal_id),
                False,
                events=_saved(recordings, appeal_id),
            )
        return None

    # ---- idempotency ---------------------------------------------------------

    def _replay(self, request: IdempotentRequest | None) -> CommandResult | None:
        """The original result of a request already carried out with this key."""
        record = carried_out(self.repository, request)
        if record is None:
            return None
        return CommandResult(
            record.appeal_id,
            record.result_version,
            self.position_of(record.appeal_id, record.result_version),
            created=record.created,
            replayed=True,
        )

    # ---- reads --------------------------------------------------------------

    def find(self, record_id: UUID, kind: type[R], *, copy: bool = True) -> R | None:
        """A record of ``kind`` (a unit, a meeting, a month's publication...)
        by its id, or None if there is none of that kind. ``copy=False``: the
        aggregate cache's own copy when it holds one (brought up to date all
        the same), for a caller that only reads it and keeps nothing of it."""
        try:
            found: object = self.repository.get(record_id, deepcopy_from_cache=copy)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None

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

    def history(self, appeal_id: UUID, version: int | None = None) -> list[Any]:
        """The appeal's events in order (up to ``version``)."""
        events = list(self.events.get(appeal_id, lte=version))
        if not events or not isinstance(events[0], Appeal.Received):
            raise AppealNotFound(appeal_id)
        return events

    def verify_appeal(self, appeal_id: UUID) -> BrokenLink | None:
        """Checks the appeal's stored events against their hash chain, reading
        them as stored (before any upcasting)."""
        stored = self.event_log.history(appeal_id)
        if not stored or stored[0].topic != Appeal.Received.TOPIC:
            raise AppealNotFound(appeal_id)
        return first_broken_link((r.topic, r.chain_state()) for r in stored)

    def get_by_ticket(self, ticket: str) -> Appeal:
        return self.get(self.appeal_id_of_ticket(ticket))

    def appeal_id_of_ticket(self, ticket: str) -> UUID:
        """The id of the appeal with this ticket number (工单号)."""
        ticket = parse_ticket(ticket)
        appeal_id = claimed(self.repository, ticket_index_id(ticket))
        if appeal_id is None:
            raise AppealNotFound(ticket)
        return appeal_id

    def position_of(self, appeal_id: UUID, version: int) -> int | None:
        """The log position of one stored event (None if not stored)."""
        return self.event_log.position_of(appeal_id, version)


def _position(recordings: list[Recording[UUID]], appeal_id: UUID) -> int | None:
    """The log position of the appeal's last new event."""
    positions = [
        r.notification.id
        for r in recordings
        if r.notification.id and r.notification.originator_id == appeal_id
    ]
    return max(positions) if positions else None


def _saved(recordings: list[Recording[UUID]], appeal_id: UUID) -> tuple[Any, ...]:
    """The appeal's events among ``recordings``, in version order."""
    return tuple(
        r.domain_event for r in recordings if r.domain_event.originator_id == appeal_id
    )


Handler = Callable[[Appeal, Any, Actor, datetime, cmd.Rules], None]


def decide(
    appeal: Appeal, command: cmd.Command, actor: Actor, at: datetime, rules: cmd.Rules
) -> None:
    """Lets the aggregate decide ``command`` (its method from the table below):
    on success the appeal holds the new events, else it raises an AppealError."""
    COMMAND_HANDLERS[type(command)](appeal, command, actor, at, rules)


COMMAND_HANDLERS: dict[type[cmd.Command], Handler] = {
    cmd.Assign: Appeal.assign,
    cmd.Accept: Appeal.accept,
    cmd.Return: Appeal.return_,
    cmd.NoteProgress: Appeal.note_progress,
    cmd.Pause: Appeal.pause,
    cmd.Resume: Appeal.resume,
    cmd.RequestExtension: Appeal.request_extension,
    cmd.DecideExtension: Appeal.decide_extension,
    cmd.RequestExclusion: Appeal.request_exclusion,
    cmd.DecideExclusion: Appeal.decide_exclusion,
    cmd.Supervise: Appeal.supervise,
    cmd.Resolve: Appeal.resolve,
    cmd.Reply: Appeal.reply,
    cmd.Evaluate: Appeal.evaluate,
    cmd.Reopen: Appeal.reopen,
    cmd.Close: Appeal.close,
    cmd.Withdraw: Appeal.withdraw,
    cmd.Merge: Appeal.merge_into,
    cmd.Escalate: Appeal.escalate,
    cmd.LapseEvaluation: Appeal.lapse_evaluation,
    cmd.Warn: Appeal.warn,
    cmd.AnswerOnTheSpot: Appeal.answer_on_the_spot,
    cmd.Comment: Appeal.comment,
    cmd.SupplyMaterials: Appeal.supply_materials,
    cmd.Urge: Appeal.urge,
    cmd.AddAttachment: Appeal.add_attachment,
    cmd.CallBack: Appeal.call_back,
    cmd.Sample: Appeal.sample,
    cmd.AnswerOrder: Appeal.answer_order,
    cmd.AcceptPart: Appeal.accept_part,
    cmd.ReportPart: Appeal.report_part,
    cmd.WaivePart: Appeal.waive_part,
    cmd.TakeOver: Appeal.take_over,
}
"""Each command and the aggregate method that decides it."""
