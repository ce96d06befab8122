"""The Starlette application: explicit wiring, no work at import time.

Sizing: each request's store work runs in Starlette's threadpool (anyio). The
thread limit is set to the PostgreSQL pool's maximum (pool size + overflow),
so a burst queues for a thread instead of timing out waiting for a connection.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
import psycopg
from eventsourcing.domain import OriginatorIDError, OriginatorVersionError
from eventsourcing.persistence import MapperDeserialisationError, PersistenceError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from appeals.application.audit import checkpoint_chore
from appeals.application.service import AppealLedger
from appeals.bootstrap import (
    events_of,
    open_ledger,
    open_reads,
    scheduled_escalation,
    webhook_deliverer,
)
from appeals.domain.assessment import Scheme
from appeals.domain.errors import AppealError
from appeals.http import appeals, health, metrics
from appeals.http.assessments import assessment_routes
from appeals.http.attachments import attachment_routes
from appeals.http.audit import audit_routes
from appeals.http.catalogue import catalogue_routes
from appeals.http.context import ServiceContext
from appeals.http.dashboard import dashboard_routes
from appeals.http.docs import docs_page, index, openapi_json, swagger_routes
from appeals.http.meetings import meeting_routes
from appeals.http.open311 import open311_routes
from appeals.http.organisation import organisation_routes
from appeals.http.problems import (
    HttpProblem,
    handle_damaged_history,
    handle_database_error,
    handle_domain_error,
    handle_http_problem,
    handle_starlette_http,
    handle_unexpected,
)
from appeals.http.reports import report_routes
from appeals.http.request_id import RequestIdMiddleware
from appeals.http.requests import DEFAULT_BODY_LIMIT
from appeals.http.service_links import service_link_routes
from appeals.http.supervision import supervision_routes
from appeals.http.task_forces import task_force_routes
from appeals.infra.assessment_scheme import load_scheme, scheme_of
from appeals.infra.availability import DatabaseUnavailable
from appeals.infra.blobs import BlobStore, FileBlobStore, open_blob_store
from appeals.infra.database import Database
from appeals.infra.heap import freeze_startup_heap
from appeals.infra.periodic import Periodic
from appeals.infra.settings import Open311Settings, ProjectionSettings, Settings
from appeals.infra.tokens import TokenStore
from appeals.projections.reading import Remembered
from appeals.projections.registry import projections as all_projections
from appeals.projections.runtime.worker import Worker


def create_app(
    ledger_factory: Callable[[], AppealLedger],
    *,
    body_limit: int = DEFAULT_BODY_LIMIT,
    threads: int | None = None,
    projections: ProjectionSettings | None = None,
    assessment_scheme: Scheme | None = None,
    blobs: BlobStore | None = None,
    attachment_limit: int = Settings.attachment_limit,
    open311: Open311Settings | None = None,
    ready_max_lag: int = Settings.ready_max_lag,
    remembered_entries: int = Settings.remembered_entries,
    chores: Sequence[tuple[float, Callable[[AppealLedger], Callable[[], object]]]] = (),
    background: Sequence[
        tuple[str, float, Callable[[AppealLedger], Callable[[], object]]]
    ] = (),
    reads: Callable[[], Database | None] = lambda: None,
) -> Starlette:
    """The app, opening its ledger on startup and closing it on shutdown;
    with ``projections.run_in_server`` it also runs the projection worker.
    The ledger factory creates the storage (bootstrap), or was told it is
    there."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if threads is not None:
            limiter = anyio.to_thread.current_default_thread_limiter()
            limiter.total_tokens = threads
        ledger = ledger_factory()
        replica = reads()  # the read replica, if configured (docs/scaling.md)
        app.state.context = ServiceContext(
            ledger=ledger,
            tokens=TokenStore(ledger.database),
            body_limit=body_limit,
            projection_settings=projections or ProjectionSettings(),
            assessment_scheme=assessment_scheme or load_scheme(),
            blobs=blobs or FileBlobStore(Path(Settings.blob_store)),
            attachment_limit=attachment_limit,
            open311=open311 or Open311Settings(),
            reads=replica,
            remembered=Remembered(remembered_entries),
        )
        views = all_projections(ledger.rules.timekeeping)
        app.state.watch = health.Watch(
            events_of(ledger), tuple(view.name for view in views), ready_max_lag
        )
        worker = None
        if projections is not None and projections.run_in_server:
            worker = Worker(
                events_of(ledger),
                views,
                projections,
                chores=[
                    (60.0, checkpoint_chore(ledger.event_log, ledger.clock)),
                    *((every, chore(ledger)) for every, chore in chores),
                ],
            )
            worker.start()
        periodic = [
            Periodic(name, every, make(ledger)) for name, every, make in background
        ]
        for task in periodic:
            task.start()
        try:
            yield
        finally:
            for task in periodic:
                task.stop()
            if worker is not None:
                worker.stop()
            if replica is not None:
                replica.close()
            metrics.worker_stopped()
            ledger.close()

    app = Starlette(
        routes=all_routes(),
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(metrics.RequestObserver),
        ],
        exception_handlers={
            AppealError: handle_domain_error,
            HttpProblem: handle_http_problem,
            OriginatorVersionError: handle_damaged_history,
            OriginatorIDError: handle_damaged_history,
            MapperDeserialisationError: handle_damaged_history,
            # Database outages: 503 with Retry-After (infra/availability.py).
            DatabaseUnavailable: handle_database_error,
            PersistenceError: handle_database_error,
            psycopg.Error: handle_database_error,
            StarletteHTTPException: handle_starlette_http,
            Exception: handle_unexpected,
        },
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # /appeals/ is a 404, not a 307
    return app


def all_routes() -> list[BaseRoute]:
    """Every route, the specific before the general."""
    return [
        Route("/", index),
        Route("/healthz", health.healthz),
        Route("/readyz", health.readyz),
        Route("/metrics", metrics.metrics),
        Route("/openapi.json", openapi_json),
        Route("/docs", docs_page),
        *swagger_routes(),
        Route("/appeals", appeals.appeals_collection, methods=["GET", "POST"]),
        *report_routes(),
        Route("/appeals/by-ticket/{ticket}", appeals.get_appeal_by_ticket),
        Route("/appeals/{appeal_id}", appeals.get_appeal),
        *attachment_routes(),
        Route("/appeals/{appeal_id}/{command}", appeals.run_command, methods=["POST"]),
        *organisation_routes(),
        *audit_routes(),
        *catalogue_routes(),
        *assessment_routes(),
        *supervision_routes(),
        *service_link_routes(),
        *meeting_routes(),
        *task_force_routes(),
        *open311_routes(),
        *dashboard_routes(),
    ]


def create_app_from_env(*, storage_ready: bool = False) -> Starlette:
    """Factory for uvicorn: configured by the environment; creates the
    storage on startup unless ``storage_ready``."""
    settings = Settings.from_env(os.environ)
    return create_app(
        lambda: open_ledger(settings, storage_ready=storage_ready),
        body_limit=settings.body_limit,
        threads=settings.pg_pool_size + settings.pg_max_overflow,
        projections=settings.projections,
        assessment_scheme=scheme_of(settings),
        blobs=open_blob_store(settings.blob_store, settings.s3_endpoint_url),
        attachment_limit=settings.attachment_limit,
        open311=settings.open311,
        ready_max_lag=settings.ready_max_lag,
        remembered_entries=settings.remembered_entries,
        chores=[(settings.scheduler_interval, escalation_chore(settings))]
        if settings.scheduler_in_server
        else [],
        background=[
            ("webhooks", 2.0, lambda ledger: webhook_deliverer(ledger, settings)[1])
        ]
        if settings.webhooks_in_server
        else [],
        reads=lambda: open_reads(settings),
    )


def escalation_chore(
    settings: Settings,
) -> Callable[[AppealLedger], Callable[[], object]]:
    """The escalation scheduler as a chore of the in-server worker: one pass
    under the lease every APPEALS_SCHEDULER_INTERVAL_SECONDS."""

    def chore(ledger: AppealLedger) -> Callable[[], object]:
        scheduled = scheduled_escalation(ledger, settings.database)
        return lambda: scheduled()

    return chore


def create_serving_app() -> Starlette:
    """Factory for the workers of ``appeals serve``, which created every table
    once before starting them; the heap made at start is then frozen
    (appeals.infra.heap)."""
    app = create_app_from_env(storage_ready=True)
    freeze_startup_heap()
    return app
