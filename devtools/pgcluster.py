"""A real PostgreSQL server for the test suite and the benchmark runner.

Never a mock: either the server named by ``APPEALS_TEST_DATABASE_URL`` or a
throwaway cluster made with ``initdb`` in a temporary directory, started with
``pg_ctl`` on a free loopback port and removed again afterwards.

PostgreSQL refuses to run as root, so when this process is root the cluster is
made and run as the unprivileged ``postgres`` system user (via ``runuser`` or
``setpriv``) in a directory that user owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow

__all__ = [
    "ENV_VAR",
    "PostgresServer",
    "PostgresUnavailable",
    "postgres_for_tests",
    "replica_of",
    "server_from_url",
    "stopped",
    "throwaway_cluster",
]

ENV_VAR = "APPEALS_TEST_DATABASE_URL"

_SYSTEM_BIN_GLOB = "/usr/lib/postgresql/*/bin"
_READY_TIMEOUT = 30.0
_STOP_TIMEOUT = 30
_START_ATTEMPTS = 3
_LOG_TAIL_LINES = 15
# Unix socket paths are limited to ~107 bytes; leave room for "/.s.PGSQL.65535".
_MAX_SOCKET_DIR_LEN = 90


class PostgresUnavailable(RuntimeError):
    """No usable PostgreSQL server; the message says what is missing."""


@dataclass(frozen=True)
class PostgresServer:
    """Where to reach a running PostgreSQL server."""

    host: str  # a host name, or a unix-socket directory when it starts with "/"
    port: int
    user: str
    password: str
    dbname: str  # an existing database to connect to
    # set for a throwaway cluster; not part of which server this is
    data_dir: Path | None = field(default=None, compare=False)

    @property
    def is_unix_socket(self) -> bool:
        return self.host.startswith("/")

    def url(self, dbname: str | None = None) -> str:
        """A ``postgresql://`` URL for this server (and ``dbname`` if given)."""
        return self._url(dbname, quote(self.password, safe=""))

    def redacted_url(self, dbname: str | None = None) -> str:
        """Like :meth:`url`, with the password (if any) replaced by ``***``."""
        return self._url(dbname, "***" if self.password else "")

    def _url(self, dbname: str | None, encoded_password: str) -> str:
        userinfo = quote(self.user, safe="")
        if encoded_password:
            userinfo += ":" + encoded_password
        db = quote(dbname if dbname is not None else self.dbname, safe="")
        if self.is_unix_socket:
            host_q = quote(self.host, safe="")
            return f"postgresql://{userinfo}@:{self.port}/{db}?host={host_q}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"postgresql://{userinfo}@{host}:{self.port}/{db}"

    def connect(
        self, dbname: str | None = None, *, connect_timeout: int = 10
    ) -> psycopg.Connection[TupleRow]:
        """Open an autocommit connection; the caller closes it."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=dbname if dbname is not None else self.dbname,
            connect_timeout=connect_timeout,
            autocommit=True,
        )


def server_from_url(url: str) -> PostgresServer:
    """Parse a ``postgresql://`` (or ``postgres://``) URL.

    Parsing is libpq's own, so percent-encoding, ``[::1]`` and query
    parameters such as ``?host=/run/postgresql`` mean what they mean to libpq.
    Missing parts default to user ``postgres``, host ``127.0.0.1``, port
    ``5432`` and database ``postgres``. Raises ``ValueError``.
    """
    if not url.startswith(("postgresql://", "postgres://")):
        raise ValueError(
            f"not a postgresql:// URL: {_redact(url)!r} "
            "(expected postgresql://user:password@host:port/dbname)"
        )
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise ValueError(f"invalid PostgreSQL URL {_redact(url)!r}: {exc}") from exc
    host = str(params.get("host") or "127.0.0.1")
    port_text = str(params.get("port") or "5432")
    if "," in host or "," in port_text:
        raise ValueError(f"multi-host URLs are not supported: {_redact(url)!r}")
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(
            f"invalid port {port_text!r} in PostgreSQL URL {_redact(url)!r}"
        ) from None
    if not 0 < port < 65536:
        raise ValueError(f"port {port} out of range in {_redact(url)!r}")
    return PostgresServer(
        host=host,
        port=port,
        user=str(params.get("user") or "postgres"),
        password=str(params.get("password") or ""),
        dbname=str(params.get("dbname") or "postgres"),
    )


def _redact(url: str) -> str:
    """Hide the password in a URL, in the netloc and in a ``password=`` param."""
    url = re.sub(r"(://[^:/@?#]*:)[^/?#]*@", r"\1***@", url)
    return re.sub(r"([?&]password=)[^&#]*", r"\1***", url)


# --------------------------------------------------------------------------
# Locating the PostgreSQL programs


@dataclass(frozen=True)
class _Binaries:
    initdb: Path
    pg_ctl: Path
    version: str  # e.g. "15.20"

    @property
    def major(self) -> str:
        return self.version.split(".")[0]


def _version_key(directory: Path) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin
    try:
        return tuple(int(part) for part in directory.parent.name.split("."))
    except ValueError:
        return (-1,)


def _find_binaries() -> _Binaries:
    initdb: Path | None = None
    pg_ctl: Path | None = None
    on_path = shutil.which("initdb")
    if on_path is not None:
        initdb = Path(on_path)
        # Prefer the pg_ctl beside initdb (or beside its symlink target) so that
        # both come from the same PostgreSQL version.
        for directory in (initdb.parent, initdb.resolve().parent):
            if os.access(directory / "pg_ctl", os.X_OK):
                pg_ctl = directory / "pg_ctl"
                break
        else:
            found = shutil.which("pg_ctl")
            pg_ctl = Path(found) if found else None
    if initdb is None or pg_ctl is None:
        candidates = sorted(
            (
                d
                for d in Path("/").glob(_SYSTEM_BIN_GLOB.lstrip("/"))
                if os.access(d / "initdb", os.X_OK) and os.access(d / "pg_ctl", os.X_OK)
            ),
            key=_version_key,
        )
        if candidates:
            initdb, pg_ctl = candidates[-1] / "initdb", candidates[-1] / "pg_ctl"
    if initdb is None or pg_ctl is None:
        missing = "initdb" if initdb is None else "pg_ctl"
        raise PostgresUnavailable(
            f"{missing} not found on PATH or in {_SYSTEM_BIN_GLOB}; install "
            "postgresql (Debian: apt-get install postgresql) or set "
            f"{ENV_VAR} to a server the tests may use"
        )
    try:
        out = subprocess.run(
            [str(initdb), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
            stdin=subprocess.DEVNULL,
            env=_clean_env(),
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise PostgresUnavailable(
            f"{initdb} does not work ({exc}); install postgresql "
            f"(Debian: apt-get install postgresql) or set {ENV_VAR}"
        ) from exc
    match = re.search(r"(\d+(?:\.\d+)*)", out)
    return _Binaries(initdb, pg_ctl, match.group(1) if match else "?")


# --------------------------------------------------------------------------
# Running as the right user


@dataclass(frozen=True)
class _RunAs:
    """How to run a PostgreSQL program: as ourselves, or as ``postgres``."""

    prefix: tuple[str, ...]
    uid: int | None  # owner to give the cluster directory (None: ourselves)
    gid: int | None

    def argv(self, args: Sequence[str | Path]) -> list[str]:
        return [*self.prefix, *(str(a) for a in args)]


def _run_as() -> _RunAs:
    if os.geteuid() != 0:
        return _RunAs((), None, None)
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable(
            "running as root, and PostgreSQL refuses to run as root, but there "
            "is no 'postgres' system user to run it as; create one (Debian: "
            f"adduser --system --group postgres) or set {ENV_VAR}"
        ) from None
    runuser = shutil.which("runuser") or (
        "/usr/sbin/runuser" if os.access("/usr/sbin/runuser", os.X_OK) else None
    )
    if runuser:
        return _RunAs((runuser, "-u", "postgres", "--"), entry.pw_uid, entry.pw_gid)
    setpriv = shutil.which("setpriv")
    if setpriv:
        prefix = (
            setpriv,
            f"--reuid={entry.pw_uid}",
            f"--regid={entry.pw_gid}",
            "--init-groups",
            "--",
        )
        return _RunAs(prefix, entry.pw_uid, entry.pw_gid)
    raise PostgresUnavailable(
        "running as root, and PostgreSQL refuses to run as root, but neither "
        "runuser nor setpriv (util-linux) is available to switch to the "
        f"'postgres' user; install util-linux or set {ENV_VAR}"
    )


def _clean_env() -> dict[str, str]:
    """Our environment without PG* variables and with C locale messages."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env


def _run(
    run_as: _RunAs, args: Sequence[str | Path], *, cwd: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        run_as.argv(args),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        env=_clean_env(),
    )


def _reachable_by(uid: int, path: Path) -> bool:
    """Whether user ``uid`` can traverse every ancestor of ``path`` (roughly)."""
    for directory in [path, *path.parents]:
        try:
            st = directory.stat()
        except OSError:
            return False
        if st.st_uid == uid:
            if not st.st_mode & 0o100:
                return False
        elif not st.st_mode & 0o011:  # group or others may traverse
            return False
    return True


def _make_base_dir(run_as: _RunAs) -> Path:
    parent = Path(tempfile.gettempdir())
    if len(str(parent)) > _MAX_SOCKET_DIR_LEN - 30 or (
        run_as.uid is not None and not _reachable_by(run_as.uid, parent)
    ):
        parent = Path("/tmp")
    base = Path(tempfile.mkdtemp(prefix="appeals-pg-", dir=parent))
    if run_as.uid is not None and run_as.gid is not None:
        os.chown(base, run_as.uid, run_as.gid)
    return base


# --------------------------------------------------------------------------
# The throwaway cluster


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _log_tail(log_file: Path, start: int = 0) -> str:
    try:
        with log_file.open("rb") as fh:
            fh.seek(start)
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return "(no server log)"
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return "(server log is empty)"
    return "\n".join(lines[-_LOG_TAIL_LINES:])


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        first = (data_dir / "postmaster.pid").read_text().splitlines()[0]
        return int(first.strip())
    except (OSError, IndexError, ValueError):
        return None


def _pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        pass
    else:
        # state is the field after "(comm)"; a zombie is as good as gone.
        return stat.rsplit(")", 1)[-1].split()[0] != "Z"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_postmaster(pid: int) -> None:
    """SIGKILL the postmaster and its children (pg_ctl makes it a group leader)."""
    with contextlib.suppress(OSError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def _wait_until_ready(server: PostgresServer, log_file: Path, deadline: float) -> None:
    last_error = "no attempt made"
    while True:
        remaining = deadline - time.monotonic()
        try:
            with server.connect(connect_timeout=max(1, min(5, int(remaining)))) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.Error as exc:
            last_error = (
                str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            )
        if time.monotonic() >= deadline:
            raise PostgresUnavailable(
                f"the throwaway PostgreSQL cluster on {server.host}:{server.port} "
                f"did not accept connections within {_READY_TIMEOUT:.0f} s "
                f"(last error: {last_error}); server log tail:\n" + _log_tail(log_file)
            )
        time.sleep(0.1)


def _server_options(port: int, socket_dir: Path, durable: bool = False) -> str:
    fast = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
    settings = {
        **({} if durable else fast),
        "listen_addresses": "127.0.0.1",
        "port": str(port),
        "unix_socket_directories": str(socket_dir),
        "max_connections": "200",
        "shared_buffers": "128MB",
    }
    # pg_ctl hands -o to /bin/sh, hence the quoting.
    return " ".join(f"-c {shlex.quote(f'{k}={v}')}" for k, v in settings.items())


def _stop(
    run_as: _RunAs, pg_ctl: Path, data_dir: Path, base: Path, log: Callable[[str], None]
) -> None:
    pid = _postmaster_pid(data_dir)
    if pid is None:
        return
    try:
        result = _run(
            run_as,
            [
                pg_ctl,
                "stop",
                "-D",
                data_dir,
                "-m",
                "fast",
                "-w",
                "-t",
                str(_STOP_TIMEOUT),
            ],
            cwd=base,
            timeout=_STOP_TIMEOUT + 15,
        )
        stopped = result.returncode == 0
        detail = (result.stderr or result.stdout).strip()
    except (OSError, subprocess.SubprocessError) as exc:
        stopped, detail = False, str(exc)
    if not stopped or _pid_alive(pid):
        log(f"pg_ctl stop failed ({detail or 'no output'}); killing postmaster {pid}")
        _kill_postmaster(pid)


@contextmanager
def throwaway_cluster(
    *, log: Callable[[str], None] = print, durable: bool = False
) -> Iterator[PostgresServer]:
    """Run a fresh, fast, disposable PostgreSQL cluster for the ``with`` body.

    The cluster is made with ``initdb`` in a temporary directory, started with
    ``pg_ctl`` on a free port on 127.0.0.1 (plus a unix socket in that
    directory), and yielded once it accepts connections as user ``postgres``
    (trust authentication, empty password) to database ``postgres``. On the
    way out -- also on errors and KeyboardInterrupt -- it is stopped (pg_ctl
    stop -m fast, else the postmaster is killed) and the directory deleted.
    Durability is switched off for tests; ``durable=True`` keeps PostgreSQL's
    defaults (fsync, synchronous commit, full page writes), for benchmarks.
    """
    binaries = _find_binaries()
    run_as = _run_as()
    base = _make_base_dir(run_as)
    data_dir = base / "data"
    log_file = base / "server.log"
    server: PostgresServer | None = None
    try:
        init = _run(
            run_as,
            [
                binaries.initdb,
                "-D",
                data_dir,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                *(() if durable else ("--no-sync",)),
            ],
            cwd=base,
            timeout=180,
        )
        if init.returncode != 0:
            output = (init.stderr or init.stdout).strip()
            raise PostgresUnavailable(
                f"initdb ({binaries.initdb}) failed with exit code {init.returncode}"
                + (f" as user postgres: {output}" if run_as.prefix else f": {output}")
            )
        server = _start(binaries, run_as, base, data_dir, log_file, log, durable)
        yield server
    finally:
        _remove(
            run_as,
            binaries,
            data_dir,
            base,
            log,
            server,
            "throwaway PostgreSQL cluster",
        )


def _remove(
    run_as: _RunAs,
    binaries: _Binaries,
    data_dir: Path,
    base: Path,
    log: Callable[[str], None],
    server: PostgresServer | None,
    what: str,
) -> None:
    """Stops a cluster started here and removes its files."""
    try:
        _stop(run_as, binaries.pg_ctl, data_dir, base, log)
    finally:
        shutil.rmtree(base, ignore_errors=True)
        if server is not None:
            log(f"stopped the {what} on port {server.port}")


def _start(
    binaries: _Binaries,
    run_as: _RunAs,
    base: Path,
    data_dir: Path,
    log_file: Path,
    log: Callable[[str], None],
    durable: bool,
) -> PostgresServer:
    for attempt in range(1, _START_ATTEMPTS + 1):
        port = _free_port()
        log(
            f"starting a throwaway PostgreSQL {binaries.major} cluster on "
            f"127.0.0.1:{port} (set {ENV_VAR} to use your own server)"
        )
        log_offset = log_file.stat().st_size if log_file.exists() else 0
        deadline = time.monotonic() + _READY_TIMEOUT
        try:
            result = _run(
                run_as,
                [
                    binaries.pg_ctl,
                    "start",
                    "-D",
                    data_dir,
                    "-l",
                    log_file,
                    "-w",
                    "-t",
                    str(int(_READY_TIMEOUT)),
                    "-o",
                    _server_options(port, base, durable),
                ],
                cwd=base,
                timeout=_READY_TIMEOUT + 15,
            )
            output = (result.stderr or result.stdout).strip()
            ok, detail = result.returncode == 0, " ".join(output.split())
        except subprocess.TimeoutExpired:
            ok, detail = False, "pg_ctl start timed out"
        if ok:
            server = PostgresServer(
                "127.0.0.1", port, "postgres", "", "postgres", data_dir
            )
            _wait_until_ready(server, log_file, deadline)
            return server
        tail = _log_tail(log_file, log_offset)
        # The port may have been taken between _free_port() and the bind.
        if "already in use" in tail and attempt < _START_ATTEMPTS:
            _stop(run_as, binaries.pg_ctl, data_dir, base, log)
            continue
        raise PostgresUnavailable(
            f"pg_ctl could not start the throwaway PostgreSQL cluster on "
            f"127.0.0.1:{port} ({detail.strip() or 'no output'}); server log tail:\n"
            + tail
        )
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def stopped(
    server: PostgresServer, *, log: Callable[[str], None] = print
) -> Iterator[None]:
    """A throwaway cluster stopped (``pg_ctl stop -m fast``) for the ``with``
    body and started again on the same port afterwards: a database outage."""
    if server.data_dir is None:
        raise PostgresUnavailable("only a throwaway cluster can be stopped")
    binaries, run_as = _find_binaries(), _run_as()
    data_dir = server.data_dir
    base = data_dir.parent
    _stop(run_as, binaries.pg_ctl, data_dir, base, log)
    try:
        yield
    finally:
        result = _run(
            run_as,
            [
                binaries.pg_ctl,
                "start",
                "-D",
                data_dir,
                "-l",
                base / "server.log",
                "-w",
                "-t",
                str(int(_READY_TIMEOUT)),
                "-o",
                _server_options(server.port, base),
            ],
            cwd=base,
            timeout=_READY_TIMEOUT + 15,
        )
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"could not restart the cluster on port {server.port}: "
                + (result.stderr or result.stdout).strip()
            )


@contextmanager
def replica_of(
    primary: PostgresServer, *, log: Callable[[str], None] = print
) -> Iterator[PostgresServer]:
    """A hot-standby streaming replica of the throwaway cluster ``primary``
    for the ``with`` body: ``pg_basebackup -R`` (initdb's defaults already
    allow it: ``wal_level=replica``, ``max_wal_senders``, and a replication
    line for 127.0.0.1 in pg_hba.conf) into a directory of its own, started
    on another free port; yielded once it accepts connections, stopped and
    removed afterwards like the primary."""
    if primary.data_dir is None:
        raise PostgresUnavailable("only a throwaway cluster can have a replica")
    binaries, run_as = _find_binaries(), _run_as()
    base = _make_base_dir(run_as)
    data_dir = base / "data"
    log_file = base / "server.log"
    server: PostgresServer | None = None
    try:
        backup = _run(
            run_as,
            [
                binaries.pg_ctl.resolve().parent / "pg_basebackup",
                "-h",
                "127.0.0.1",
                "-p",
                str(primary.port),
                "-U",
                primary.user,
                "-D",
                data_dir,
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ],
            cwd=base,
            timeout=180,
        )
        if backup.returncode != 0:
            raise PostgresUnavailable(
                "pg_basebackup of the throwaway cluster failed: "
                + (backup.stderr or backup.stdout).strip()
            )
        server = _start(binaries, run_as, base, data_dir, log_file, log, False)
        yield server
    finally:
        _remove(run_as, binaries, data_dir, base, log, server, "replica")


# --------------------------------------------------------------------------
# What the tests use


@contextmanager
def postgres_for_tests(
    *, log: Callable[[str], None] = print
) -> Iterator[PostgresServer]:
    """The server in ``APPEALS_TEST_DATABASE_URL`` if set, else a throwaway one.

    A server given by URL is checked to be reachable first; if it is not,
    :class:`PostgresUnavailable` says so, naming the URL (password masked).
    """
    url = os.environ.get(ENV_VAR, "").strip()
    if not url:
        with throwaway_cluster(log=log) as server:
            yield server
        return
    try:
        server = server_from_url(url)
    except ValueError as exc:
        raise PostgresUnavailable(f"{ENV_VAR} is not usable: {exc}") from None
    try:
        with server.connect(connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = str(exc).strip().replace("\n", " ") or type(exc).__name__
        raise PostgresUnavailable(
            f"the PostgreSQL server in {ENV_VAR}={_redact(url)} is not reachable: "
            f"{reason}"
        ) from None
    log(f"using the PostgreSQL server in {ENV_VAR}={_redact(url)}")
    yield server
