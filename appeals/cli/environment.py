"""What every command starts from: the settings parsed once from the
environment, the ledger opened from them, a progress bar."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from appeals.infra.settings import Settings

if TYPE_CHECKING:
    from appeals.application.service import AppealLedger
    from appeals.infra.clock import Clock


def settings() -> Settings:
    """The settings (a ConfigurationError stops the command with exit 2)."""
    return Settings.from_env(os.environ)


def open_ledger(clock: Clock | None = None) -> AppealLedger:
    """The ledger, its storage created first if missing (bootstrap)."""
    from appeals.bootstrap import open_ledger as bootstrap_open_ledger

    return bootstrap_open_ledger(settings(), clock=clock)


def progress_bar(description: str, total: int) -> Any:
    """A transient bar for a pass over the log."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeRemainingColumn,
    )

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    )
    progress.add_task(description, total=total)
    return progress
