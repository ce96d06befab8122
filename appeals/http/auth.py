"""Bearer-token authentication: every request names its principal.

The principal becomes the actor recorded in events; nothing in a request body
can claim to be someone else. A token checked in the last few seconds
(``TokenStore.cache_seconds``) is answered from memory, on the event loop;
otherwise the check queries the database, so it runs in the threadpool: a slow
or unreachable database must not freeze the event loop (``/healthz``
included).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from appeals.domain.values import Actor
from appeals.http.context import context_of
from appeals.http.problems import HttpProblem
from appeals.http.request_id import note_role
from appeals.infra.tokens import Cached


async def authenticate(request: Request) -> Actor:
    """The actor behind the request's bearer token, or a 401 problem."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise unauthorized("send Authorization: Bearer <token>")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("the Authorization header must be: Bearer <token>")
    tokens = context_of(request).tokens
    secret = token.strip()
    found = tokens.cached(secret)
    if isinstance(found, Cached):  # not checked lately: ask the database
        info = await run_in_threadpool(tokens.verify, secret)
    else:
        info = found
    if info is None:
        raise unauthorized("the token is unknown or revoked")
    actor = info.actor()
    note_role(request.scope, actor.role.value)  # for the access line
    return actor


def unauthorized(detail: str) -> HttpProblem:
    return HttpProblem(
        401,
        "unauthorized",
        "Missing or bad credentials",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="appeals"'},
    )
