"""What every handler needs, typed: set once by the app's lifespan.

Handlers call :func:`context_of` (or :func:`ledger_of`) instead of reading
``request.app.state`` attributes with defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from appeals.application.service import AppealLedger
from appeals.domain.assessment import Scheme
from appeals.infra.blobs import BlobStore
from appeals.infra.settings import Open311Settings, ProjectionSettings
from appeals.infra.tokens import TokenStore


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


def context_of(request: Request) -> ServiceContext:
    context: ServiceContext = request.app.state.context
    return context


def ledger_of(request: Request) -> AppealLedger:
    return context_of(request).ledger
