"""Configuration, read once from environment variables (documented in the
README). Every error names the variable and says what is wrong in one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///var/appeals.sqlite3"


class ConfigurationError(Exception):
    """A setting is missing, malformed or points at something unusable."""


@dataclass(frozen=True)
class DatabaseConfig:
    """Where events and our own tables live."""

    engine: Literal["sqlite", "postgres"]
    url: str
    sqlite_path: str = ""
    pg_host: str = ""
    pg_port: int = 5432
    pg_user: str = ""
    pg_password: str = ""
    pg_dbname: str = ""
    pg_schema: str = "public"

    def redacted(self) -> str:
        """The URL without its password, for messages and logs."""
        if self.engine == "sqlite":
            return self.url
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()


@dataclass(frozen=True)
class ProjectionSettings:
    """How the projection worker runs and how long readers may wait for it
    (docs/projections.md)."""

    batch_size: int = 1000
    poll_interval: float = 0.2
    retry_interval: float = 30.0
    max_wait: float = 5.0
    run_in_server: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str], engine: str) -> ProjectionSettings:
        """``engine`` decides the default of APPEALS_RUN_PROJECTIONS: on for
        SQLite (one process serves and projects), off for PostgreSQL (run
        ``appeals projections run`` as its own service)."""
        default = cls(run_in_server=engine == "sqlite")
        return cls(
            batch_size=_int(
                env, "APPEALS_PROJECTION_BATCH_SIZE", default.batch_size, 1, 100_000
            ),
            poll_interval=_milliseconds(
                env, "APPEALS_PROJECTION_POLL_MS", default.poll_interval, 10, 60_000
            ),
            retry_interval=float(
                _int(
                    env,
                    "APPEALS_PROJECTION_RETRY_SECONDS",
                    round(default.retry_interval),
                    1,
                    86_400,
                )
            ),
            max_wait=_milliseconds(
                env, "APPEALS_PROJECTION_WAIT_MS", default.max_wait, 0, 30_000
            ),
            run_in_server=_flag(env, RUN_PROJECTIONS, default.run_in_server),
        )


RUN_PROJECTIONS = "APPEALS_RUN_PROJECTIONS"


@dataclass(frozen=True)
class Open311Settings:
    """The Open311 GeoReport v2 endpoint (``/open311/v2``)."""

    jurisdiction: str = "appeal-ledger"
    """This endpoint's ``jurisdiction_id``; a request naming another is a 404."""
    public_reads: bool = False
    """Whether ``GET requests`` answers without an ``api_key`` (anonymised:
    no description, notes or address). Off: enterprises' appeals are not
    public unless the city decides so."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Open311Settings:
        default = cls()
        return cls(
            jurisdiction=env.get("APPEALS_OPEN311_JURISDICTION", "").strip()
            or default.jurisdiction,
            public_reads=_flag(
                env, "APPEALS_OPEN311_PUBLIC_READS", default.public_reads
            ),
        )


@dataclass(frozen=True)
class ServerSettings:
    """Limits of ``appeals serve`` against hostile or broken clients
    (README, "Limits and timeouts"). Each worker process has its own."""

    max_connections: int = 500
    """Open connections per worker; one more is answered 503 and closed at
    once. Keep it below the file limit (``ulimit -n``)."""
    request_timeout: float = 10.0
    """Seconds a client has to send a whole request (headers and body) after
    connecting or starting one; a connection idle or half-sent longer is
    closed."""
    keep_alive: int = 5
    """Seconds an idle keep-alive connection stays open after a response."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServerSettings:
        default = cls()
        return cls(
            max_connections=_int(
                env, "APPEALS_MAX_CONNECTIONS", default.max_connections, 1, 1_000_000
            ),
            request_timeout=_milliseconds(
                env,
                "APPEALS_REQUEST_TIMEOUT_MS",
                default.request_timeout,
                100,
                600_000,
            ),
            keep_alive=_int(
                env, "APPEALS_KEEP_ALIVE_SECONDS", default.keep_alive, 1, 3600
            ),
        )


LogFormat = Literal["auto", "json", "text"]


@dataclass(frozen=True)
class Settings:
    """All settings; see the README's configuration table. The defaults are
    the fields' own, written once here."""

    database: DatabaseConfig = field(
        default_factory=lambda: parse_database_url(DEFAULT_DATABASE_URL)
    )
    read_database: DatabaseConfig | None = None
    """A streaming replica of ``database`` that reports and lists read from
    (APPEALS_READ_DATABASE_URL; docs/scaling.md); None: they read the primary."""
    max_reopens: int = 2
    snapshot_interval: int = 50
    pg_pool_size: int = 10
    pg_max_overflow: int = 10
    db_wait: int = 2
    """Seconds a request waits for a PostgreSQL connection before 503."""
    body_limit: int = 64 * 1024
    aggregate_cache: int = 10_000
    transcoder: str = "orjson"
    """How stored events are written and read: ``orjson`` (appeals.infra.
    transcoder) or ``library`` (eventsourcing's JSONTranscoder; the same bytes)."""
    create_tables: bool = True
    group_commit: bool = True
    sla_policy_file: str | None = None
    assessment_scheme_file: str | None = None
    office_hours: tuple[str, ...] = ("09:00-12:00", "13:30-17:30")
    projections: ProjectionSettings = field(default_factory=ProjectionSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    blob_store: str = "var/blobs"
    """Where attachments' bytes live: a directory or ``s3://bucket/prefix``."""
    s3_endpoint_url: str | None = None
    """An S3-compatible store other than AWS (MinIO, Ceph, ...)."""
    attachment_limit: int = 20 * 1024 * 1024
    """The largest attachment accepted, in bytes."""
    open311: Open311Settings = field(default_factory=Open311Settings)
    scheduler_in_server: bool = True
    """Run the escalation scheduler as a chore of the in-server projection
    worker (on by default with SQLite, like the worker)."""
    scheduler_interval: float = 60.0
    webhooks_in_server: bool = True
    """Deliver webhooks from a thread of ``appeals serve`` (on by default with
    SQLite; on PostgreSQL run ``appeals webhooks run``)."""
    webhook_timeout: float = 10.0
    webhook_attempts: int = 8
    webhook_concurrency: int = 8
    """Appeals whose events go to a subscriber at once (each appeal's in order)."""
    log_format: LogFormat = "auto"
    """APPEALS_LOG_FORMAT: JSON lines or text; auto is text on a terminal,
    JSON elsewhere (docs/observability.md)."""
    ready_max_lag: int = 1000
    """APPEALS_READY_MAX_LAG: events a view may be behind the log before
    ``/readyz`` says degraded (still 200)."""
    remembered_entries: int = 2048
    """APPEALS_REMEMBERED_ENTRIES: parts of reports (a day of the timeliness
    report, a month of a trend, a day of an assessment preview) each
    service process keeps counted and uses again while unchanged
    (``appeals.projections.reading.Remembered``). At the ten-million city's
    density a supervisor's set is 166 entries (23 MB) and each unit's 90-day
    report 90 more (0.8-2.6 MB): the default holds a supervisor's set and
    some twenty units' (docs/benchmarks.md); 0 keeps none."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        if env.get("APPEALS_RATE_WEIGHTS", "").strip():
            raise ConfigurationError(
                "APPEALS_RATE_WEIGHTS is no longer read: scores and their weights "
                "are the assessment scheme's (APPEALS_ASSESSMENT_SCHEME, "
                "docs/assessment.md); unset it"
            )
        url = env.get("APPEALS_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        database = parse_database_url(url)
        default = cls(database=database)
        return cls(
            database=database,
            read_database=_read_database(env, database),
            max_reopens=_int(env, "APPEALS_MAX_REOPENS", default.max_reopens, 0),
            snapshot_interval=_int(
                env, "APPEALS_SNAPSHOT_INTERVAL", default.snapshot_interval, 1
            ),
            pg_pool_size=_int(env, "APPEALS_PG_POOL_SIZE", default.pg_pool_size, 1),
            pg_max_overflow=_int(
                env, "APPEALS_PG_MAX_OVERFLOW", default.pg_max_overflow, 0
            ),
            db_wait=_int(env, "APPEALS_DB_WAIT_SECONDS", default.db_wait, 1, 60),
            body_limit=_int(env, "APPEALS_BODY_LIMIT", default.body_limit, 1024),
            aggregate_cache=_int(
                env, "APPEALS_AGGREGATE_CACHE", default.aggregate_cache, 0
            ),
            transcoder=_transcoder(env.get("APPEALS_TRANSCODER", default.transcoder)),
            # 0 where another process (a deployment's migration step) creates
            # the tables; `appeals serve` tells its own workers by argument.
            create_tables=_flag(env, "APPEALS_CREATE_TABLES", default.create_tables),
            group_commit=_flag(env, "APPEALS_GROUP_COMMIT", default.group_commit),
            sla_policy_file=env.get("APPEALS_SLA_POLICY", "").strip() or None,
            assessment_scheme_file=env.get("APPEALS_ASSESSMENT_SCHEME", "").strip()
            or None,
            office_hours=_office_hours(
                env.get("APPEALS_OFFICE_HOURS", ""), default.office_hours
            ),
            projections=ProjectionSettings.from_env(env, database.engine),
            server=ServerSettings.from_env(env),
            blob_store=env.get("APPEALS_BLOB_STORE", "").strip() or default.blob_store,
            s3_endpoint_url=env.get("APPEALS_S3_ENDPOINT_URL", "").strip() or None,
            attachment_limit=_int(
                env,
                "APPEALS_ATTACHMENT_LIMIT",
                default.attachment_limit,
                1024,
                1024 * 1024 * 1024,
            ),
            open311=Open311Settings.from_env(env),
            scheduler_in_server=_scheduler_in_server(env, database.engine),
            scheduler_interval=float(
                _int(env, "APPEALS_SCHEDULER_INTERVAL_SECONDS", 60, 1, 86_400)
            ),
            webhooks_in_server=_flag(
                env,
                "APPEALS_RUN_WEBHOOKS",
                ProjectionSettings.from_env(env, database.engine).run_in_server,
            ),
            webhook_timeout=float(
                _int(env, "APPEALS_WEBHOOK_TIMEOUT_SECONDS", 10, 1, 300)
            ),
            webhook_attempts=_int(env, "APPEALS_WEBHOOK_MAX_ATTEMPTS", 8, 1, 100),
            webhook_concurrency=_int(env, "APPEALS_WEBHOOK_CONCURRENCY", 8, 1, 64),
            log_format=_log_format(env),
            ready_max_lag=_int(
                env, "APPEALS_READY_MAX_LAG", default.ready_max_lag, 0, 10**12
            ),
            remembered_entries=_int(
                env,
                "APPEALS_REMEMBERED_ENTRIES",
                default.remembered_entries,
                0,
                100_000,
            ),
        )


def _read_database(
    env: Mapping[str, str], primary: DatabaseConfig
) -> DatabaseConfig | None:
    """APPEALS_READ_DATABASE_URL: a PostgreSQL replica of the primary, in the
    primary's schema unless the URL names one."""
    url = env.get("APPEALS_READ_DATABASE_URL", "").strip()
    if not url:
        return None
    replica = parse_database_url(url, "APPEALS_READ_DATABASE_URL")
    if primary.engine != "postgres" or replica.engine != "postgres":
        raise ConfigurationError(
            "APPEALS_READ_DATABASE_URL names a PostgreSQL replica of a PostgreSQL "
            "APPEALS_DATABASE_URL; unset it for SQLite"
        )
    if "schema" not in parse_qs(urlsplit(url).query):
        replica = replace(replica, pg_schema=primary.pg_schema)
    return replica


def _scheduler_in_server(env: Mapping[str, str], engine: str) -> bool:
    """APPEALS_RUN_SCHEDULER: defaults to whether the projection worker runs
    in the server, and needs it (the scheduler is one of its chores)."""
    projections = ProjectionSettings.from_env(env, engine).run_in_server
    wanted = _flag(env, "APPEALS_RUN_SCHEDULER", projections)
    if wanted and not projections:
        raise ConfigurationError(
            "APPEALS_RUN_SCHEDULER=1 needs APPEALS_RUN_PROJECTIONS=1 (the scheduler "
            "runs in the projection worker); or run `appeals escalate run`"
        )
    return wanted


LOG_FORMATS: dict[str, LogFormat] = {"auto": "auto", "json": "json", "text": "text"}


def _log_format(env: Mapping[str, str]) -> LogFormat:
    raw = env.get("APPEALS_LOG_FORMAT", "").strip().lower() or "auto"
    found = LOG_FORMATS.get(raw)
    if found is None:
        raise ConfigurationError(
            f"APPEALS_LOG_FORMAT={raw!r} must be json, text or auto"
        )
    return found


def _office_hours(raw: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """``09:00-12:00,13:30-17:30`` (the default) or ``whole-day``."""
    raw = raw.strip()
    if not raw:
        return default
    if raw == "whole-day":
        return ("00:00-24:00",)
    return tuple(span.strip() for span in raw.split(",") if span.strip())


def _int(
    env: Mapping[str, str],
    name: str,
    default: int,
    minimum: int,
    maximum: int | None = None,
) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a whole number") from None
    if maximum is not None and not minimum <= value <= maximum:
        raise ConfigurationError(f"{name}={value} must be {minimum} to {maximum}")
    if value < minimum:
        raise ConfigurationError(f"{name}={value} must be at least {minimum}")
    return value


def _milliseconds(
    env: Mapping[str, str], name: str, default: float, minimum: int, maximum: int
) -> float:
    """A setting written in milliseconds, as seconds."""
    return _int(env, name, round(default * 1000), minimum, maximum) / 1000


def _transcoder(raw: str) -> str:
    chosen = raw.strip() or "orjson"
    if chosen not in ("orjson", "library"):
        raise ConfigurationError(
            f"APPEALS_TRANSCODER={raw!r}: must be orjson or library"
        )
    return chosen


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    """``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off``."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name}={raw!r} must be 1 or 0")


def parse_database_url(
    url: str, variable: str = "APPEALS_DATABASE_URL"
) -> DatabaseConfig:
    """``sqlite:///relative/path``, ``sqlite:////absolute/path`` or
    ``postgresql://user:password@host:port/dbname?schema=name``; errors name
    ``variable``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if parts.netloc or not path:
            raise ConfigurationError(
                f"{variable}={url!r}: a SQLite URL is sqlite:///relative/path"
                " or sqlite:////absolute/path"
            )
        return DatabaseConfig(engine="sqlite", url=url, sqlite_path=path)
    if parts.scheme in ("postgresql", "postgres"):
        query = parse_qs(parts.query)
        try:
            port = parts.port or 5432
        except ValueError:
            raise ConfigurationError(
                f"{variable}: the port in {url!r} is not a number"
            ) from None
        host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname:
            raise ConfigurationError(
                f"{variable}: name the database, as in "
                "postgresql://user:password@host:5432/appeals"
            )
        schema = query.get("schema", ["public"])[0]
        if not schema.replace("_", "").isalnum():
            raise ConfigurationError(
                f"{variable}: schema {schema!r} must be letters, digits, _"
            )
        return DatabaseConfig(
            engine="postgres",
            url=url,
            pg_host=host,
            pg_port=port,
            pg_user=unquote(parts.username or "postgres"),
            pg_password=unquote(parts.password or ""),
            pg_dbname=dbname,
            pg_schema=schema,
        )
    raise ConfigurationError(
        f"{variable}={url!r}: the scheme must be sqlite or postgresql"
    )
