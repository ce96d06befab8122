"""Publishing a month's report over HTTP (``POST /assessments/{period}/publish``,
``POST /notices/{period}/publish``): ``{"reason": ...}`` (required to revise),
201 for the first publication, 200 for a revision; the answer is the revision
without its rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from appeals.domain.assessment import Period
from appeals.domain.errors import InvalidField
from appeals.domain.permissions import authorize
from appeals.domain.values import Actor
from appeals.http.auth import authenticate
from appeals.http.requests import read_body
from appeals.http.responses import OrjsonResponse

Publish = Callable[[Period, Actor, str | None], dict[str, Any]]


def period_of(request: Request) -> Period:
    return Period.parse(str(request.path_params["period"]))


async def publish_response(
    request: Request, permission: str, publish: Publish, rows: str
) -> Response:
    """Authorises ``permission``, publishes the path's month with the body's
    reason and answers the revision recorded, ``rows`` left out."""
    actor = await authenticate(request)
    authorize(permission, actor, unit=None, uscc=None)
    period = period_of(request)
    body = await read_body(request)
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise InvalidField("reason", "must be a string")
    revision = await run_in_threadpool(publish, period, actor, reason)
    status = 201 if revision["revision"] == 1 else 200
    shown = {k: v for k, v in revision.items() if k != rows}
    return OrjsonResponse(shown, status_code=status)
