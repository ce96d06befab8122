"""Prometheus metrics at ``/metrics`` and the access line of every request
(docs/observability.md).

:class:`RequestObserver` (ASGI middleware, inside the request id's) times
each request and, when it is answered, counts it by method, route template
and status, counts a write as a command by type and outcome, samples the
database pool, and writes one access line to the ``appeals.access`` logger
(request id, method, route, status, duration, the actor's role, outcome;
never a token, a body or a query string).

``/metrics`` answers the text exposition format, unauthenticated like
``/healthz`` (keep it off the public proxy; docs/observability.md): the
counters above, and figures read from the database at scrape time (so any
API process tells the same): each view's lag behind the log, each webhook
subscriber's, and the escalation scheduler's pending actions. With
``appeals serve --workers N`` the counters live in
``PROMETHEUS_MULTIPROC_DIR`` (set by ``appeals serve``) and a scrape of any
worker adds up every worker's.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import anyio.to_thread
from eventsourcing.postgres import PostgresDatastore
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from appeals.application.escalation import plan, plan_orders
from appeals.application.service import AppealLedger
from appeals.application.webhooks import status as webhook_status
from appeals.domain.commands import COMMANDS
from appeals.http.context import ledger_of
from appeals.http.health import ViewLag, Watch, view_lags, watch_of
from appeals.http.request_id import facts_of, request_id_of
from appeals.infra.database import Database
from appeals.infra.webhooks import WebhookStore
from appeals.projections import timeliness
from appeals.projections.due_cycles import due_cycles
from appeals.projections.supervision import overdue_orders

ACCESS = logging.getLogger("appeals.access")
LOG = logging.getLogger("appeals.metrics")

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
"""Routes whose successful answers are logged at DEBUG (a load balancer and
a scraper ask every few seconds)."""
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UNMATCHED = "unmatched"
"""The route label of a request no route matched (its raw path is never a
label: any client could make up new ones)."""

REQUESTS = Counter(
    "appeals_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "appeals_http_request_duration_seconds",
    "Time from a request's arrival to its answer, by method, route template and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
COMMANDS_RUN = Counter(
    "appeals_commands",
    "Writes by command (an appeal command's name, receive, or the method and "
    "route of another write) and outcome (ok, replayed, existing or the "
    "problem type)",
    ["command", "outcome"],
)
POOL_IN_USE = Gauge(
    "appeals_db_pool_connections_in_use",
    "Database connections lent out by this process's pool (summed over the "
    "live workers)",
    multiprocess_mode="livesum",
)
POOL_OPEN = Gauge(
    "appeals_db_pool_connections_open",
    "Database connections the pool holds open, lent out or idle",
    multiprocess_mode="livesum",
)
POOL_MAX = Gauge(
    "appeals_db_pool_connections_max",
    "The most connections the pool may open (size + overflow)",
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "appeals_db_pool_requests_waiting",
    "Requests waiting for a connection (PostgreSQL)",
    multiprocess_mode="livesum",
)


# ---- the access line and the counters ---------------------------------------


def route_of(scope: Scope) -> str:
    """The template of the route that matched (``/appeals/{appeal_id}``)."""
    route = scope.get("route")
    if isinstance(route, Mount):
        return route.path + "/{path}"
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


def command_of(method: str, route: str, scope: Scope) -> str | None:
    """The command a write is: an appeal command's name, ``receive``, or
    ``POST /units/{code}/rename`` for any other write; None for a read or a
    request no route took."""
    if method not in WRITES or route == UNMATCHED:
        return None
    if route == "/appeals":
        return "receive"
    if route == "/appeals/{appeal_id}/{command}":
        name = scope.get("path_params", {}).get("command")
        return name if name in COMMANDS else "unknown"
    return f"{method} {route}"


def outcome_of(status: int, problem: str | None, replayed: bool) -> str:
    """``ok``, ``replayed`` (an idempotent retry answered again), the
    problem's type (``command-not-allowed``, ``version-conflict``...), or
    ``refused``/``error`` for an answer without one."""
    if status < 400:
        return "replayed" if replayed else "ok"
    if problem:
        return problem
    return "error" if status >= 500 else "refused"


class RequestObserver:
    """Pure ASGI middleware: the metrics and the access line of each request
    (a request that raised is counted as the 500 it is answered with)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answer = {"status": 500, "replayed": False}

        async def observe(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["replayed"] = any(
                    k.lower() == b"idempotent-replayed"
                    for k, _ in message.get("headers", ())
                )
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            observed(
                scope,
                int(answer["status"]),
                bool(answer["replayed"]),
                time.perf_counter() - started,
            )


def observed(scope: Scope, status: int, replayed: bool, seconds: float) -> None:
    method: str = scope["method"]
    route = route_of(scope)
    facts = facts_of(scope)
    outcome = outcome_of(status, facts.problem, replayed)
    labels = (method, route, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)
    command = command_of(method, route, scope)
    if command == "receive" and outcome == "ok" and status == 200:
        outcome = "existing"  # its source reference was received before
    if command is not None:
        COMMANDS_RUN.labels(command, outcome).inc()
    watch: Watch | None = getattr(scope["app"].state, "watch", None)
    if watch is not None:  # None before the lifespan started
        sample_pool(watch.source.database)
    level = logging.INFO
    if status >= 500:
        level = logging.WARNING
    elif route in PROBES and status < 400:
        level = logging.DEBUG
    if not ACCESS.isEnabledFor(level):
        return  # nothing built for a line no handler writes (probes, at INFO)
    role = facts.role or "anonymous"
    duration_ms = round(seconds * 1000, 1)
    request_id = request_id_of(scope)
    ACCESS.log(
        level,
        "%s %s %d %.1fms role=%s outcome=%s request_id=%s",
        method,
        route,
        status,
        duration_ms,
        role,
        outcome,
        request_id,
        extra={
            "request_id": request_id,
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
            "role": role,
            "outcome": outcome,
            **({"command": command} if command is not None else {}),
        },
    )


def sample_pool(database: Database) -> None:
    """This process's pool, into the pool gauges."""
    datastore = database.datastore
    if isinstance(datastore, PostgresDatastore):
        stats = datastore.pool.get_stats()
        opened = stats.get("pool_size", 0)
        POOL_OPEN.set(opened)
        POOL_IN_USE.set(max(0, opened - stats.get("pool_available", 0)))
        POOL_MAX.set(stats.get("pool_max", 0))
        POOL_WAITING.set(stats.get("requests_waiting", 0))
        return
    pool = datastore.pool
    in_use = pool.num_in_use
    POOL_IN_USE.set(in_use)
    POOL_OPEN.set(in_use + pool.num_in_pool)
    POOL_MAX.set(pool.pool_size + pool.max_overflow)
    POOL_WAITING.set(0)


# ---- figures read from the database at scrape time ---------------------------


@dataclass(frozen=True)
class SubscriberLag:
    subscriber: str
    lag: int
    dead_letters: int


@dataclass(frozen=True)
class Figures:
    """What a scrape reads from the database; a part that could not be read
    is None (and left out)."""

    head: int | None = None
    views: list[ViewLag] = field(default_factory=list)
    view_seconds: dict[str, float] = field(default_factory=dict)
    webhooks: list[SubscriberLag] | None = None
    scheduler_pending: int | None = None
    scheduler_waited: float | None = None


def read_figures(watch: Watch, ledger: AppealLedger) -> Figures:
    head: int | None = None
    views: list[ViewLag] = []
    seconds: dict[str, float] = {}
    webhooks: list[SubscriberLag] | None = None
    pending: int | None = None
    waited: float | None = None
    try:
        head, views = view_lags(watch)
        seconds = view_seconds(watch, head, views)
    except Exception:
        LOG.warning("metrics: the views' positions could not be read", exc_info=True)
    if head is not None:
        try:
            webhooks = [
                SubscriberLag(row["id"], row["behind"], len(row["dead_letters"]))
                for row in webhook_status(WebhookStore(ledger.database), head)
            ]
        except Exception:
            LOG.warning("metrics: the webhook outbox could not be read", exc_info=True)
    try:
        pending, waited = scheduler_figures(ledger)
    except Exception:
        LOG.warning("metrics: the scheduler's work could not be read", exc_info=True)
    return Figures(head, views, seconds, webhooks, pending, waited)


def view_seconds(watch: Watch, head: int, views: list[ViewLag]) -> dict[str, float]:
    """Per view: seconds between when the head event and the view's last
    event (the first, for a view at 0) were recorded; 0 for a view at the
    head."""
    found = {view.name: 0.0 for view in views if not view.lag}
    behind = {view.name: max(view.position, 1) for view in views if view.lag}
    if not behind:
        return found
    stamped = watch.source.log.recorded.at_positions(sorted({head, *behind.values()}))
    if head in stamped:
        for name, position in behind.items():
            if position in stamped:
                gap = stamped[head] - stamped[position]
                found[name] = max(0.0, gap.total_seconds())
    return found


def scheduler_figures(ledger: AppealLedger) -> tuple[int, float]:
    """The escalation scheduler's pending work, planned from the views as
    they are: the actions due now that no pass has recorded (escalation
    rungs, lapsed evaluation windows, supervision orders' next rungs), and
    the working seconds the oldest rung or lapse has waited. In office hours
    only: the scheduler records nothing outside them."""
    now = ledger.clock.now()
    tk = ledger.rules.timekeeping
    database = ledger.database
    view = timeliness.projection(tk)
    actions = plan(due_cycles(database, view, now, tk.policy.top_rung), now, tk)
    orders = plan_orders(overdue_orders(database, now), now, tk)
    offsets = {
        rung.level: rung.offset(tk.calendar.day_length) for rung in tk.policy.escalation
    }
    waited = 0.0
    for action in actions:
        late = tk.working_time(action.due, now)
        if action.kind == "escalate" and action.level is not None:
            late -= offsets.get(action.level, late * 0)
        waited = max(waited, late.total_seconds())
    return len(actions) + len(orders), waited


class FiguresCollector(Collector):
    """The scrape-time figures as gauges."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        f = self.figures
        if f.head is not None:
            yield _gauge(
                "appeals_log_head_position",
                "The log's last position",
                [],
                [((), f.head)],
            )
            yield _gauge(
                "appeals_projection_lag_events",
                "Positions each view's live copy is behind the log's head",
                ["view"],
                [((v.name,), v.lag) for v in f.views],
            )
            yield _gauge(
                "appeals_projection_position",
                "The position each view's live copy has reached",
                ["view"],
                [((v.name,), v.position) for v in f.views],
            )
            yield _gauge(
                "appeals_projection_lag_seconds",
                "Seconds between the recording of the head event and of the last "
                "event each view took",
                ["view"],
                [((name,), s) for name, s in sorted(f.view_seconds.items())],
            )
            yield _gauge(
                "appeals_projection_failed",
                "1 for a view stopped at an event it could not apply",
                ["view"],
                [((v.name,), int(v.error_position is not None)) for v in f.views],
            )
        if f.webhooks is not None:
            yield _gauge(
                "appeals_webhook_lag_events",
                "Positions each webhook subscriber's cursor is behind the log's head",
                ["subscriber"],
                [((w.subscriber,), w.lag) for w in f.webhooks],
            )
            yield _gauge(
                "appeals_webhook_dead_letters",
                "Deliveries given up on, per subscriber",
                ["subscriber"],
                [((w.subscriber,), w.dead_letters) for w in f.webhooks],
            )
        if f.scheduler_pending is not None:
            yield _gauge(
                "appeals_scheduler_pending_actions",
                "Escalation actions due now that no scheduler pass has recorded",
                [],
                [((), f.scheduler_pending)],
            )
        if f.scheduler_waited is not None:
            yield _gauge(
                "appeals_scheduler_lag_seconds",
                "Working seconds the oldest pending escalation rung or lapse has "
                "waited since it fell due",
                [],
                [((), f.scheduler_waited)],
            )


def _gauge(
    name: str,
    documentation: str,
    labels: list[str],
    samples: Iterable[tuple[tuple[str, ...], float]],
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for values, value in samples:
        family.add_metric(list(values), value)
    return family


# ---- the endpoint -----------------------------------------------------------


def exposition(watch: Watch, ledger: AppealLedger) -> bytes:
    """Every metric in the text format: this process's counters (or every
    worker's, in multi-process mode), then the database's figures."""
    sample_pool(ledger.database)
    if os.environ.get(MULTIPROCESS_DIR):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
        text = generate_latest(counted)
    else:
        text = generate_latest(REGISTRY)
    figures = CollectorRegistry(auto_describe=False)
    figures.register(FiguresCollector(read_figures(watch, ledger)))
    return text + generate_latest(figures)


async def metrics(request: Request) -> Response:
    """``GET /metrics``: the Prometheus text exposition format."""
    body = await anyio.to_thread.run_sync(
        exposition, watch_of(request), ledger_of(request)
    )
    # Version 0.0.4 of the text format: what every Prometheus reads.
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)


def worker_stopped() -> None:
    """Drops this process's live gauges from the multi-process sums (a
    worker that stops cleanly; one that crashes keeps its last values until
    the server restarts)."""
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
