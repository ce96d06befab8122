"""RFC 9457 problem details: one mapping from error classes to HTTP.

Every refusal a client can cause is an ``application/problem+json`` body with
a stable ``type`` URI, a human ``title`` and ``detail``, and structured fields
(the offending field and reason, the current state or version). Every one
carries the request's ``request_id`` (also in ``X-Request-ID`` and the access
line), and its type is noted for the access line's ``outcome``.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from appeals.domain.catalogue import CatalogueItemNotFound
from appeals.domain.errors import (
    AppealError,
    AppealNotFound,
    AttachmentDamaged,
    AttachmentNotFound,
    CommandNotAllowed,
    IdempotencyKeyReused,
    InvalidField,
    NotPermitted,
    VersionConflict,
)
from appeals.domain.organisation import RecordNotFound
from appeals.domain.published_assessment import AssessmentNotPublished
from appeals.domain.published_notice import NoticeNotPublished
from appeals.http.request_id import REQUEST_ID_HEADER, note_problem, request_id_of
from appeals.infra.availability import RETRY_AFTER_SECONDS, is_outage

LOG = logging.getLogger("appeals.http")

TYPE_BASE = "https://appeal-ledger.invalid/problems/"
MEDIA_TYPE = "application/problem+json"

STATUS_BY_ERROR: dict[type[Exception], tuple[int, str]] = {
    InvalidField: (422, "Invalid input"),
    IdempotencyKeyReused: (422, "Idempotency key reused"),
    AppealNotFound: (404, "Appeal not found"),
    AttachmentNotFound: (404, "Attachment not found"),
    AttachmentDamaged: (500, "Attachment damaged"),
    RecordNotFound: (404, "Not registered"),
    CommandNotAllowed: (409, "Command not allowed in the current state"),
    NotPermitted: (403, "Not permitted"),
    VersionConflict: (412, "Version conflict"),
    CatalogueItemNotFound: (404, "Catalogue item not found"),
    AssessmentNotPublished: (404, "Assessment not published"),
    NoticeNotPublished: (404, "Notice not published"),
    AppealError: (400, "Refused"),
}
"""One entry per error family; a subclass (``InvalidCreditCode``) answers as
its nearest listed ancestor."""


def status_of(error: AppealError) -> tuple[int, str]:
    """The HTTP status and title of a domain error: the entry of the nearest
    class up its hierarchy."""
    for error_class in type(error).__mro__:
        found = STATUS_BY_ERROR.get(error_class)
        if found is not None:
            return found
    return 400, "Refused"


class HttpProblem(Exception):
    """A refusal made at the HTTP edge itself (bad JSON, wrong media type...)."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> None:
        self.headers = headers or {}
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.fields = fields
        super().__init__(detail)


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Response:
    body = {
        "type": TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        **fields,
    }
    return Response(
        orjson.dumps(body, option=orjson.OPT_APPEND_NEWLINE),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def answer(
    request: Request,
    status: int,
    slug: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Response:
    """The problem answering ``request``: its path as ``instance``, its
    ``request_id``, and its type noted for the access line."""
    note_problem(request.scope, slug)
    return problem_response(
        status,
        slug,
        title,
        detail,
        headers=headers,
        instance=request.url.path,
        **fields,
        request_id=request_id_of(request.scope),
    )


async def handle_http_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HttpProblem)
    return answer(
        request,
        exc.status,
        exc.slug,
        exc.title,
        exc.detail,
        headers=exc.headers,
        **exc.fields,
    )


async def handle_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppealError)
    status, title = status_of(exc)
    return answer(
        request,
        status,
        exc.type_slug,
        title,
        str(exc),
        **exc.details(),
    )


async def handle_damaged_history(request: Request, exc: Exception) -> Response:
    """Stored events that do not replay (edited, deleted or reordered rows):
    a server-side fault, said plainly, pointing at the verification."""
    return answer(
        request,
        500,
        "history-damaged",
        "Stored history does not replay",
        "the stored events of this appeal are inconsistent "
        f"({type(exc).__name__}); GET /appeals/{{id}}/verify shows the first "
        "broken link",
    )


async def handle_starlette_http(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route, wrong method) as problems;
    a 405 keeps the ``Allow`` header the router computed."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        slug, title, detail = "not-found", "Not found", "no such resource"
    elif exc.status_code == 405:
        slug, title = "method-not-allowed", "Method not allowed"
        allow = (exc.headers or {}).get("Allow", "")
        detail = f"{request.method} is not allowed here; allowed: {allow}"
    else:
        slug, title, detail = "http-error", exc.detail, exc.detail
    return answer(
        request,
        exc.status_code,
        slug,
        title,
        detail,
        headers=dict(exc.headers or {}),
    )


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """Anything no other handler answers: a 500 problem carrying the request
    id, which the log line (with the traceback) carries too."""
    request_id = request_id_of(request.scope)
    LOG.error(
        "unexpected error request_id=%s %s %s: %s",
        request_id,
        request.method,
        request.url.path,
        type(exc).__name__,
        exc_info=exc,
        extra={"request_id": request_id},
    )
    return answer(
        request,
        500,
        "internal-error",
        "Internal server error",
        f"an unexpected error; quote request id {request_id} when reporting it",
        headers={REQUEST_ID_HEADER: request_id},
    )


async def handle_database_error(request: Request, exc: Exception) -> Response:
    """The database cannot be reached (an outage, a restart, a pool that
    waited ``APPEALS_DB_WAIT_SECONDS`` in vain): 503 with ``Retry-After``,
    never a 500. Anything else from the database is a fault, answered as
    Starlette answers unexpected errors."""
    if not is_outage(exc):
        raise exc
    return answer(
        request,
        503,
        "database-unavailable",
        "Database unavailable",
        "the database cannot be reached right now; nothing was changed unless "
        "a retry with the same Idempotency-Key says so",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
