"""Starting and stopping the processes a measurement needs: the service
under uvicorn (``appeals serve``), the plain baseline app under uvicorn, the
projection worker (``appeals projections run``) and the bench's own children.

Every child gets its own session (process group) and a log file; stopping
sends SIGTERM to that child, waits, then SIGKILLs its group: only processes
this harness started are ever signalled.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from appeals.infra.lease import holders
from appeals.infra.settings import parse_database_url
from appeals.infra.store import connect
from appeals.projections.runtime.tracking import TABLE
from appeals.projections.runtime.worker import lease_group
from bench.cpu import CpuMeter

PYTHON = sys.executable
BIN = Path(PYTHON).parent
STOP_TIMEOUT = 20.0
READY_TIMEOUT = 60.0
START_ATTEMPTS = 3


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """Our environment minus PG* variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(extra)
    return env


def start(
    argv: Sequence[str], env: Mapping[str, str], log_file: Path
) -> subprocess.Popen[bytes]:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        return subprocess.Popen(
            list(argv),
            env=child_env(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM, then SIGKILL of the child's own process group."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)


def wait_healthy(port: int, process: subprocess.Popen[bytes], log_file: Path) -> None:
    """Until ``GET /healthz`` answers 200 (or the process dies, or a minute)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited; see {log_file}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not become healthy; see {log_file}")


@dataclass
class StartLog:
    """How many server starts were tried, and why the failed ones failed."""

    attempts: int = 0
    failures: list[str] = field(default_factory=list)


@contextmanager
def service(
    kind: str,
    database_url: str,
    workers: int,
    log_file: Path,
    starts: StartLog | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[tuple[int, int]]:
    """Serves ``appeals`` (the real service, with ``env`` added to its
    environment) or ``baseline`` on a free port; yields the port and the
    server's pid (its session id).

    A multi-worker start can fail: every worker runs the store's DDL at start,
    and PostgreSQL may refuse one of two concurrent ``CREATE OR REPLACE
    FUNCTION`` ("tuple concurrently updated"), which makes uvicorn stop them
    all. Such a start is retried (up to START_ATTEMPTS) and noted in
    ``starts``, so the report can say how often it happened."""
    log = starts or StartLog()
    for attempt in range(1, START_ATTEMPTS + 1):
        log.attempts += 1
        offset = log_file.stat().st_size if log_file.exists() else 0
        port, process = _start_service(kind, database_url, workers, log_file, env)
        problem = _settled(port, process, log_file, offset, workers)
        if problem is None:
            break
        stop(process)
        log.failures.append(f"{kind}: {problem}")
        if attempt == START_ATTEMPTS:
            raise RuntimeError(f"{kind} did not start: {problem}; see {log_file}")
    try:
        yield port, process.pid
    finally:
        stop(process)


def _settled(
    port: int,
    process: subprocess.Popen[bytes],
    log_file: Path,
    offset: int,
    workers: int,
) -> str | None:
    """None once the server answers and every worker has logged the end of
    its start-up, else what went wrong."""
    deadline = time.monotonic() + READY_TIMEOUT
    try:
        wait_healthy(port, process, log_file)
        while time.monotonic() < deadline:
            text = _log_since(log_file, offset)
            if "startup failed" in text or process.poll() is not None:
                raise RuntimeError("a worker failed to start")
            if text.count("Application startup complete") >= workers:
                return None
            time.sleep(0.1)
        raise RuntimeError("the workers did not all start")
    except RuntimeError as error:
        lines = _log_since(log_file, offset).strip().splitlines()
        reasons = [line for line in lines if "Error" in line or "error" in line]
        return (reasons[-1] if reasons else str(error))[:300]


def _log_since(log_file: Path, offset: int) -> str:
    with log_file.open("rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


def _start_service(
    kind: str,
    database_url: str,
    workers: int,
    log_file: Path,
    extra: Mapping[str, str] | None = None,
) -> tuple[int, subprocess.Popen[bytes]]:
    port = free_port()
    if kind == "appeals":
        argv = [str(BIN / "appeals"), "serve", "--host", "127.0.0.1"]
        argv += ["--port", str(port), "--workers", str(workers)]
        env = {"APPEALS_DATABASE_URL": database_url, **(extra or {})}
    elif kind == "baseline":
        argv = [PYTHON, "-m", "uvicorn", "bench.baseline_app:create_app_from_env"]
        argv += ["--factory", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--workers", str(workers), "--loop", "uvloop", "--http", "httptools"]
        env = {"BENCH_BASELINE_DATABASE_URL": database_url}
    else:
        raise ValueError(kind)
    return port, start(argv, env, log_file)


@contextmanager
def projection_worker(
    database_url: str, log_file: Path, ready_timeout: float = READY_TIMEOUT
) -> Iterator[tuple[int, float]]:
    """``appeals projections run`` against ``database_url``, once it says it
    is ready (its views prepared, warmed up and caught up with the log,
    within ``ready_timeout`` seconds); yields its pid and how many seconds
    that took from its start."""
    argv = [str(BIN / "appeals"), "projections", "run"]
    offset = log_file.stat().st_size if log_file.exists() else 0
    began = time.monotonic()
    process = start(argv, {"APPEALS_DATABASE_URL": database_url}, log_file)
    try:
        _wait_for(
            lambda: WORKER_READY in _log_since(log_file, offset),
            process,
            f"the projection worker never got ready; see {log_file}",
            ready_timeout,
        )
        yield process.pid, time.monotonic() - began
    finally:
        stop(process)


def wait_for_leases(database_url: str, workers: int, timeout: float) -> None:
    """Waits until ``workers`` projection workers have divided the live
    views among them by their leases (PostgreSQL; docs/scaling.md): every
    view held, by as many distinct workers."""
    db = parse_database_url(database_url)
    group = lease_group(db.pg_schema)
    deadline = time.monotonic() + timeout
    with connect(db, autocommit=True) as connection:
        views = [
            str(name)
            for (name,) in connection.execute(
                f'SELECT projection FROM "{db.pg_schema}".{TABLE} '
                "WHERE target = 'live'"
            ).fetchall()
        ]
        while True:
            held = holders(connection, group, views)
            # "appeals-projections HOST:PID (pid BACKEND)": one per worker
            who = {label.split(" (pid")[0] for label in held.values()}
            if len(held) == len(views) and len(who) >= workers:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{workers} projection workers did not divide the "
                    f"{len(views)} views within {timeout:.0f} s: {held}"
                )
            time.sleep(0.2)


def wait_for_file(path: Path, process: subprocess.Popen[bytes], log_file: Path) -> str:
    """The text ``process`` writes to ``path`` once it is up (a port)."""
    _wait_for(
        lambda: path.exists() and bool(path.read_text().strip()),
        process,
        f"{path.name} never appeared; see {log_file}",
    )
    return path.read_text().strip()


def _wait_for(
    done: Callable[[], bool],
    process: subprocess.Popen[bytes],
    failure: str,
    timeout: float = READY_TIMEOUT,
) -> None:
    """Polls ``done`` while ``process`` runs, for up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(failure)
        time.sleep(0.05)


def run_appeals(args: Sequence[str], env: Mapping[str, str], log_file: Path) -> str:
    """``appeals ARGS`` to completion (a set-up step); fails loudly. Returns
    what it printed, which goes to the log as well (its messages too)."""
    with log_file.open("ab") as log:
        done = subprocess.run(
            [str(BIN / "appeals"), *args],
            env=child_env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            check=False,
            timeout=READY_TIMEOUT,
        )
        log.write(done.stdout)
    done.check_returncode()
    return done.stdout.decode()


WORKER_READY = "projections: ready"
"""What the worker logs once its views are warmed up and caught up
(appeals.projections.runtime.worker.Worker)."""


def wait_quietly(seconds: float) -> None:
    """Lets the system settle (the projections catch up) before stopping."""
    time.sleep(seconds)


@dataclass(frozen=True)
class ChildUsage:
    """What a finished child used (from wait4: its own, not the harness's)."""

    peak_rss_kib: int
    cpu_seconds: float
    wall_seconds: float


def relay_log(log_file: Path, progress: Callable[[str], None]) -> Callable[[], None]:
    """A ``watch`` for :func:`run_child`: passes the child's newest log line
    on to ``progress`` whenever it has changed (a long child's own progress
    lines, shown in the run's)."""
    last = ""

    def watch() -> None:
        nonlocal last
        try:
            with log_file.open("rb") as log:
                log.seek(max(0, log_file.stat().st_size - RELAYED_TAIL))
                tail = log.read().decode(errors="replace")
        except OSError:
            return
        lines = tail.strip().splitlines()
        if lines and lines[-1] != last:
            last = lines[-1]
            progress(last)

    return watch


RELAYED_TAIL = 4096
"""How much of a log's end :func:`relay_log` reads for its newest line."""
WATCH_SECONDS = 10.0
"""How often :func:`run_child` calls its ``watch``."""


def run_child(
    module: str,
    args: Sequence[str],
    log_file: Path,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float,
    watch: Callable[[], None] | None = None,
) -> ChildUsage:
    """Runs ``python -m module args`` to completion, calling ``watch`` (if
    given) every WATCH_SECONDS while it runs."""
    began = time.monotonic()
    process = start([PYTHON, "-m", module, *args], env or {}, log_file)
    deadline = time.monotonic() + timeout
    watched = began
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid == process.pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            break
        now = time.monotonic()
        if now > deadline:
            stop(process)
            raise TimeoutError(f"{module} ran over {timeout:.0f}s; see {log_file}")
        if watch is not None and now - watched >= WATCH_SECONDS:
            watched = now
            watch()
        time.sleep(0.05)
    if process.returncode != 0:
        tail = log_file.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{module} failed ({process.returncode}):\n{tail}")
    return ChildUsage(
        peak_rss_kib=int(usage.ru_maxrss),
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        wall_seconds=time.monotonic() - began,
    )


def measured_child(
    module: str,
    args: Sequence[str],
    log_file: Path,
    meter: CpuMeter,
    *,
    timeout: float,
) -> None:
    """Runs a load child (bench.loadgen, bench.raw_ingest) that announces its
    measured window on stdout; reads the CPU meter at the window's edges."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            [PYTHON, "-m", module, *args],
            env=child_env({}),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
        )
    meter.sessions["generator"] = process.pid
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode().split()
        if len(line) == 3 and line[0] == "window":
            start_at, end_at = float(line[1]), float(line[2])
            time.sleep(max(0.0, start_at - time.monotonic()))
            meter.start()
            time.sleep(max(0.0, end_at - time.monotonic()))
            meter.stop()
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"{module} ran over {timeout:.0f}s; see {log_file}"
        ) from None
    finally:
        stop(process)
    if process.returncode != 0:
        tail = log_file.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{module} failed ({process.returncode}):\n{tail}")
