"""What every handler needs, typed: set once by the app's lifespan.

Handlers call :func:`context_of` (or :func:`ledger_of`) instead of reading
``request.app.state`` attributes with defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from starlette.requests import Request

from appeals.application.queries import AnswerViews
from appeals.application.service import AppealLedger
from appeals.domain.assessment import Scheme
from appeals.domain.directory import RememberingDirectory
from appeals.infra.blobs import BlobStore
from appeals.infra.database import Database
from appeals.infra.settings import Open311Settings, ProjectionSettings, Settings
from appeals.infra.tokens import TokenStore
from appeals.projections.reading import Remembered


@dataclass(frozen=True)
class ServiceContext:
    """The running service as the HTTP layer sees it."""

    ledger: AppealLedger
    tokens: TokenStore
    body_limit: int
    projection_settings: ProjectionSettings
    assessment_scheme: Scheme
    blobs: BlobStore
    attachment_limit: int
    open311: Open311Settings
    reads: Database | None = None
    """The read replica (APPEALS_READ_DATABASE_URL), or None: the primary."""
    answers: AnswerViews = field(default_factory=AnswerViews)
    """The views commands were last answered with (a command's answer)."""
    remembered: Remembered = field(
        default_factory=lambda: Remembered(Settings.remembered_entries)
    )
    """What reports counted of months and days past (used again while
    unchanged): the trends', the timeliness report's."""

    @cached_property
    def names(self) -> RememberingDirectory:
        """The directory lists of many appeals take unit and item names
        from: each looked up once, kept at most NAMES_SECONDS."""
        return RememberingDirectory(self.ledger.rules.directory, NAMES_SECONDS)


NAMES_SECONDS = 60.0
"""How long a list may show a unit's or an item's name after a rename."""


def context_of(request: Request) -> ServiceContext:
    context: ServiceContext = request.app.state.context
    return context


def ledger_of(request: Request) -> AppealLedger:
    return context_of(request).ledger


def reads_of(request: Request) -> Database:
    """The database views are read from: the replica if one is configured,
    else the primary. Whatever honours ``?position=`` reads here, and waits
    here (appeals.http.freshness); commands and the event store use the
    primary."""
    context = context_of(request)
    return context.reads or context.ledger.database
