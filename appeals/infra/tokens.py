"""API tokens: bearer credentials for services and people.

A token is shown once when created; only its SHA-256 digest is stored (tokens
are 256 random bits, so a slow password hash would add nothing). Each token
carries one role and, for handlers, a unit, for enterprises, a credit code:
the principal every event it causes is attributed to.
"""

from __future__ import annotations

import enum
import hashlib
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock
from typing import Literal, TypeAlias

from appeals.domain.errors import InvalidField
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import Actor, Role, text
from appeals.infra.database import Database

TOKEN_PREFIX = "alt_"  # noqa: S105 (a prefix, not a secret)
COLUMNS = "id, name, role, unit, uscc, created_at, revoked_at, expires_at, last_used_at"
LAST_USE_RESOLUTION = 60.0
"""Seconds: a token's last use is recorded at most once a minute per process
(``tokens list`` shows it), so verifying stays a cached read."""


class Cached(enum.Enum):
    MISS = "miss"
    """:meth:`TokenStore.cached`'s answer when only the database can tell."""


Verdict: TypeAlias = "TokenInfo | Literal[Cached.MISS] | None"


class TokenError(Exception):
    """A token command was given something it cannot use."""


@dataclass(frozen=True)
class TokenInfo:
    """A stored token, without its secret."""

    id: str
    name: str
    role: Role
    unit: str | None
    uscc: str | None
    created_at: str
    revoked_at: str | None
    expires_at: str | None = None
    """When it stops being accepted (``tokens create --expires 90d``)."""
    last_used_at: str | None = None
    """When a request last used it (to the minute)."""

    def expired(self, now: datetime) -> bool:
        return (
            self.expires_at is not None
            and datetime.fromisoformat(self.expires_at) <= now
        )

    def actor(self) -> Actor:
        return Actor(
            id=self.id, role=self.role, name=self.name, unit=self.unit, uscc=self.uscc
        )


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """Creates, lists, revokes and verifies tokens, in the ledger's database.

    Verification results are cached for ``cache_seconds`` (default 5) so a
    request does not cost a database round trip; a revocation takes effect
    everywhere within that time (at once in the process that revoked), and
    a token stops being accepted when it expires, cached or not. A request
    asks :meth:`cached` first, in memory and without blocking; only on a
    miss does :meth:`verify` read the database, and record the token's last
    use (at most once a minute), in the threadpool.
    """

    def __init__(
        self,
        database: Database,
        cache_seconds: float = 5.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.database = database
        self.table = database.table("api_tokens")
        self.cache_seconds = cache_seconds
        self._monotonic = monotonic  # the age of a cached verdict
        self._wall_clock = wall_clock  # a token's expiry (POSIX seconds)
        # digest -> (when read, the verdict, when the token expires)
        self._cache: dict[str, tuple[float, TokenInfo | None, float]] = {}
        self._noted: dict[str, float] = {}  # digest -> when its use was recorded
        self._lock = Lock()

    def create_table(self) -> None:
        self.database.execute_script(
            [
                f"CREATE TABLE IF NOT EXISTS {self.table} ("
                " id TEXT PRIMARY KEY,"
                " digest TEXT NOT NULL UNIQUE,"
                " name TEXT NOT NULL,"
                " role TEXT NOT NULL,"
                " unit TEXT,"
                " uscc TEXT,"
                " created_at TEXT NOT NULL,"
                " revoked_at TEXT,"
                " expires_at TEXT,"
                " last_used_at TEXT)"
            ]
        )
        self._add_columns("expires_at", "last_used_at")

    def _add_columns(self, *names: str) -> None:
        """Stores made before tokens could expire, or recorded their last
        use, gain the columns."""
        if self.database.engine == "postgres":
            self.database.execute_script(
                [
                    f"ALTER TABLE {self.table} ADD COLUMN IF NOT EXISTS {name} TEXT"
                    for name in names
                ]
            )
            return
        with self.database.reading() as cursor:
            columns = [
                row[1]
                for row in cursor.execute(f"PRAGMA table_info({self.table})").all()
            ]
        missing = [name for name in names if name not in columns]
        if missing:
            self.database.execute_script(
                [f"ALTER TABLE {self.table} ADD COLUMN {name} TEXT" for name in missing]
            )

    def create(
        self,
        *,
        role: str,
        name: str,
        now: datetime,
        unit: str | None = None,
        uscc: str | None = None,
        expires_at: datetime | None = None,
    ) -> tuple[str, TokenInfo]:
        """Returns the secret token (shown once) and what is stored of it."""
        parsed_role = _check_scope(role, name, unit, uscc)
        if uscc is not None:
            try:
                uscc = validate_uscc(uscc)
            except InvalidField as error:
                raise TokenError(str(error)) from None
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        info = TokenInfo(
            id="tok_" + secrets.token_hex(6),
            name=name,
            role=parsed_role,
            unit=unit,
            uscc=uscc,
            created_at=now.isoformat(),
            revoked_at=None,
            expires_at=None if expires_at is None else expires_at.isoformat(),
        )
        with self.database.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {self.table} "
                "(id, digest, name, role, unit, uscc, created_at, revoked_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                (
                    info.id,
                    digest(token),
                    info.name,
                    info.role.value,
                    unit,
                    uscc,
                    info.created_at,
                    info.expires_at,
                ),
            )
        return token, info

    def list(self) -> list[TokenInfo]:
        with self.database.reading() as cursor:
            rows = cursor.execute(
                f"SELECT {COLUMNS} FROM {self.table} ORDER BY created_at, id"
            ).all()
        return [_info(row) for row in rows]

    def revoke(self, token_id: str, now: datetime) -> TokenInfo:
        with self.database.transaction() as cursor:
            cursor.execute(
                f"UPDATE {self.table} SET revoked_at = ? "
                "WHERE id = ? AND revoked_at IS NULL",
                (now.isoformat(), token_id),
            )
        for info in self.list():
            if info.id == token_id:
                with self._lock:
                    self._cache.clear()
                return info
        raise TokenError(f"no token with id {token_id}")

    def cached(self, token: str) -> Verdict:
        """The verdict on ``token`` read less than ``cache_seconds`` ago (its
        info, or None if unknown, revoked or expired), or ``Cached.MISS``: ask
        :meth:`verify`. Never touches the database."""
        return self._cached(digest(token), self._monotonic())

    def _cached(self, key: str, now: float) -> Verdict:
        with self._lock:
            entry = self._cache.get(key)
        if entry is None or now - entry[0] >= self.cache_seconds:
            return Cached.MISS
        _read_at, info, expires = entry
        if expires != math.inf and self._wall_clock() >= expires:
            return None
        return info

    def verify(self, token: str) -> TokenInfo | None:
        """The live token's info, or None if unknown, revoked or expired."""
        key = digest(token)
        now = self._monotonic()
        found = self._cached(key, now)
        if found is not Cached.MISS:
            return found
        with self.database.reading() as cursor:
            row = cursor.execute(
                f"SELECT {COLUMNS} FROM {self.table} WHERE digest = ?",
                (key,),
            ).one()
        info = _info(row) if row is not None else None
        expires = math.inf
        if info is not None and info.expires_at is not None:
            expires = datetime.fromisoformat(info.expires_at).timestamp()
        if info is not None and (
            info.revoked_at is not None or self._wall_clock() >= expires
        ):
            info = None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
                self._noted.clear()
            self._cache[key] = (now, info, expires)
            noted = self._noted.get(key)
            due = info is not None and (
                noted is None or now - noted >= LAST_USE_RESOLUTION
            )
            if due:
                self._noted[key] = now
        if due:
            self._note_use(key)
        return info

    def _note_use(self, key: str) -> None:
        """Records that the token was used now (to the minute). A store
        whose role may not write it, or a busy database, only loses the note."""
        now = datetime.fromtimestamp(self._wall_clock(), UTC)
        at = now.replace(second=0, microsecond=0).isoformat()
        try:
            with self.database.transaction() as cursor:
                cursor.execute(
                    f"UPDATE {self.table} SET last_used_at = ? WHERE digest = ?",
                    (at, key),
                )
        except Exception:  # a lost note must not refuse the request
            return


def _check_scope(role: str, name: str, unit: str | None, uscc: str | None) -> Role:
    try:
        parsed = Role.parse(role, "role")
        text(name, "enterprise_name")
    except InvalidField as error:
        raise TokenError(str(error)) from None
    if parsed is Role.SYSTEM:
        raise TokenError("role: system is reserved for the ledger itself")
    if (parsed is Role.HANDLER) != (unit is not None):
        raise TokenError("a handler token needs --unit, and only a handler's does")
    if (parsed is Role.ENTERPRISE) != (uscc is not None):
        raise TokenError(
            "an enterprise token needs --uscc, and only an enterprise's does"
        )
    return parsed


def _info(row: tuple[object, ...]) -> TokenInfo:
    (token_id, name, role, unit, uscc, created_at, revoked_at, expires_at,
     last_used_at) = row  # fmt: skip
    return TokenInfo(
        id=str(token_id),
        name=str(name),
        role=Role.of(str(role)),
        unit=None if unit is None else str(unit),
        uscc=None if uscc is None else str(uscc),
        created_at=str(created_at),
        revoked_at=None if revoked_at is None else str(revoked_at),
        expires_at=None if expires_at is None else str(expires_at),
        last_used_at=None if last_used_at is None else str(last_used_at),
    )
