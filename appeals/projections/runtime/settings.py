"""Projection settings, read once from environment variables (documented in
docs/projections.md). A bad value stops start-up with one line naming it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from appeals.infra.settings import ConfigurationError

RUN_VARIABLE = "APPEALS_RUN_PROJECTIONS"


@dataclass(frozen=True)
class ProjectionSettings:
    """How the projection worker runs and how long readers may wait for it."""

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
        return cls(
            batch_size=_int(env, "APPEALS_PROJECTION_BATCH_SIZE", 1000, 1, 100_000),
            poll_interval=_int(env, "APPEALS_PROJECTION_POLL_MS", 200, 10, 60_000)
            / 1000,
            retry_interval=float(
                _int(env, "APPEALS_PROJECTION_RETRY_SECONDS", 30, 1, 86_400)
            ),
            max_wait=_int(env, "APPEALS_PROJECTION_WAIT_MS", 5000, 0, 30_000) / 1000,
            run_in_server=_flag(env, RUN_VARIABLE, default=engine == "sqlite"),
        )


def _int(
    env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int
) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a whole number") from None
    if not minimum <= value <= maximum:
        raise ConfigurationError(f"{name}={value} must be {minimum} to {maximum}")
    return value


def _flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name}={raw!r} must be 1 or 0")
