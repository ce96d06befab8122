"""The composition root: settings in, storage created once, a ready ledger,
event source and set of views out. The only module that knows every floor.

Every table is created here, by :func:`create_storage`, and nowhere else:
the event store's (events, snapshots), ours beside it (ticket counters,
calendars, recorded times, tokens, audit checkpoints) and every view's live
tables with their tracking rows. ``appeals serve`` calls it once before its
workers start and tells them so by argument (``storage_ready``); several
processes running the DDL at once collide in PostgreSQL's catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar

from appeals.application.catalogue import Catalogue
from appeals.application.escalation import (
    Action,
    DueCycles,
    OverdueOrders,
    RunResult,
    ScheduledPass,
    WarnableCycles,
    run_once,
)
from appeals.application.registry import LedgerDirectory
from appeals.application.service import AppealLedger
from appeals.application.webhooks import Deliverer, DeliveryPolicy, PassResult
from appeals.infra import contiguity
from appeals.infra.calendar_store import CalendarStore
from appeals.infra.checkpoints import CheckpointStore
from appeals.infra.clock import Clock
from appeals.infra.database import Database, open_replica
from appeals.infra.event_source import EventSource, open_event_source
from appeals.infra.lease import lease
from appeals.infra.settings import DatabaseConfig, Settings
from appeals.infra.store import eventsourcing_env, prepare_database
from appeals.infra.tickets import TicketCounter
from appeals.infra.timekeeping import load_timekeeping, office_hours, sla_policy
from appeals.infra.tokens import TokenStore
from appeals.infra.webhooks import WebhookStore
from appeals.projections import supervision, timeliness
from appeals.projections.due_cycles import due_cycles, warnable_cycles
from appeals.projections.registry import projections
from appeals.projections.runtime.model import Projection
from appeals.projections.runtime.runner import Runner
from appeals.projections.runtime.runner import prepare as prepare_views
from appeals.projections.supervision import overdue_orders


def create_storage(settings: Settings) -> None:
    """Creates every table that is missing (idempotent), on a connection of
    its own; raises ConfigurationError if the database cannot be used."""
    prepare_database(settings.database)
    with open_event_source(settings, create_tables=True) as source:
        database = source.database
        TicketCounter(database).create_table()
        CalendarStore(database).create_table()
        source.log.recorded.install()
        contiguity.install(database, source.events_table)
        TokenStore(database).create_table()
        CheckpointStore(database).create_table()
        WebhookStore(database).create_tables()
        prepare_views(source, projections(load_timekeeping(settings, database)))


def open_ledger(
    settings: Settings, *, clock: Clock | None = None, storage_ready: bool = False
) -> AppealLedger:
    """Opens the ledger, first creating the storage unless ``storage_ready``
    (or APPEALS_CREATE_TABLES=0 says another process does)."""
    hours, policy = office_hours(settings), sla_policy(settings)
    if settings.create_tables and not storage_ready:
        create_storage(settings)
    else:
        prepare_database(settings.database)
    ledger = AppealLedger(
        {**eventsourcing_env(settings), "CREATE_TABLE": "n"},
        clock=clock,
        max_reopens=settings.max_reopens,
        snapshot_interval=settings.snapshot_interval,
        policy=policy,
        office_hours=hours,
    )
    # Assignments are checked against the registries and the catalogue kept
    # in the same store (an unknown, retired or misspelled unit is refused).
    ledger.route_by(LedgerDirectory(ledger, Catalogue(ledger).entry))
    return ledger


def open_ledger_from_env(
    env: Mapping[str, str], *, clock: Clock | None = None
) -> AppealLedger:
    return open_ledger(Settings.from_env(env), clock=clock)


def open_reads(settings: Settings) -> Database | None:
    """The read replica reports and lists read from (APPEALS_READ_DATABASE_URL,
    docs/scaling.md), with a pool like the primary's; None: they read the
    primary."""
    if settings.read_database is None:
        return None
    return open_replica(
        settings.read_database,
        pool_size=settings.pg_pool_size,
        max_overflow=settings.pg_max_overflow,
        wait=settings.db_wait,
    )


def events_of(ledger: AppealLedger) -> EventSource:
    """The ledger's log as the projection runtime reads it (same pool)."""
    return EventSource.of(ledger.recorder, ledger.mapper)


Cycle = TypeVar("Cycle")


def _fresh(
    ledger: AppealLedger,
    view: Projection,
    read: Callable[[Database, Projection, datetime], list[Cycle]],
) -> Callable[[datetime], list[Cycle]]:
    """A reader of ``view`` that first brings the view up to the log's head,
    as the worker would: a scheduler run on its own (``appeals escalate
    run``, the demo) never plans from a stale view."""
    source = events_of(ledger)

    def reader(now: datetime) -> list[Cycle]:
        Runner(source, view).catch_up()
        return read(source.database, view, now)

    return reader


def due_cycles_of(ledger: AppealLedger) -> DueCycles:
    """The escalation scheduler's reader of cycles past their deadline."""
    tk = ledger.rules.timekeeping
    top = tk.policy.top_rung
    view = timeliness.projection(tk)
    return _fresh(
        ledger, view, lambda database, view, now: due_cycles(database, view, now, top)
    )


def warnable_cycles_of(ledger: AppealLedger) -> WarnableCycles:
    """The scheduler's reader of cycles a warning (预警) may be due for."""
    view = timeliness.projection(ledger.rules.timekeeping)
    return _fresh(ledger, view, warnable_cycles)


def overdue_orders_of(ledger: AppealLedger) -> OverdueOrders:
    """The scheduler's reader of supervision orders left unanswered past
    their reply deadline (the supervision view)."""
    return _fresh(
        ledger,
        supervision.PROJECTION,
        lambda database, _view, now: overdue_orders(database, now),
    )


SCHEDULER_LEASE = "escalation-scheduler"
WEBHOOK_LEASE = "webhooks"


def webhook_deliverer(
    ledger: AppealLedger, settings: Settings
) -> tuple[Deliverer, Callable[[], PassResult | None]]:
    """The outbox's deliverer over the ledger's log, and one pass of it under
    the ``webhooks`` lease (None when another process holds it)."""
    policy = DeliveryPolicy(
        timeout=settings.webhook_timeout,
        max_attempts=settings.webhook_attempts,
        concurrency=settings.webhook_concurrency,
    )
    deliverer = Deliverer(
        ledger.event_log, WebhookStore(ledger.database), ledger.clock, policy
    )

    def run() -> PassResult | None:
        with lease(settings.database, WEBHOOK_LEASE) as held:
            return deliverer.run_pass() if held else None

    return deliverer, run


def scheduled_escalation(ledger: AppealLedger, db: DatabaseConfig) -> ScheduledPass:
    """One pass of the escalation scheduler under the lease (appeals.infra.lease):
    ``None`` when another process holds it, else what the pass did. Used by
    ``appeals escalate run`` and as a chore of the worker inside ``appeals
    serve``; every action is recorded by the system actor."""
    due = due_cycles_of(ledger)
    warnable = warnable_cycles_of(ledger)
    orders = overdue_orders_of(ledger)

    def run(
        dry_run: bool = False, on_action: Callable[[Action, bool], None] | None = None
    ) -> RunResult | None:
        with lease(db, SCHEDULER_LEASE) as held:
            if not held:
                return None
            return run_once(
                ledger,
                due,
                dry_run=dry_run,
                on_action=on_action,
                warnable=warnable,
                orders=orders,
            )

    return run
