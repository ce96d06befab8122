"""Signing in to the dashboard: the same tokens as the API, kept in a cookie.

The login form posts a token; a valid one is stored in a cookie the page's
scripts cannot read (HttpOnly), sent only over HTTPS (Secure; browsers treat
http://127.0.0.1 and localhost as secure too), only to ``/dashboard`` and never
on a request another site starts (SameSite=Strict). The API itself keeps
bearer tokens: the dashboard reads it in-process with the cookie's token
(appeals.http.dashboard.api), so every figure and every scope is the API's.
The language (``?lang=zh|en``, Chinese first) is remembered in a cookie too.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from appeals.domain.values import Actor
from appeals.http.context import context_of

COOKIE = "appeals_session"
LANG_COOKIE = "appeals_lang"
PATH = "/dashboard"
MAX_AGE = 8 * 3600
"""A session lasts a working day (eight hours), unless the token ends first."""


def token_of(request: Request) -> str | None:
    token = request.cookies.get(COOKIE, "").strip()
    return token or None


async def viewer(request: Request) -> Actor | None:
    """The actor whose token the cookie holds, if it is still valid."""
    token = token_of(request)
    if token is None:
        return None
    info = await run_in_threadpool(context_of(request).tokens.verify, token)
    return None if info is None else info.actor()


def language(request: Request) -> str:
    """``?lang=`` if given, else the remembered choice, else Chinese."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return "en" if chosen == "en" else "zh"


def remember_language(request: Request, response: Response) -> None:
    chosen = request.query_params.get("lang")
    if chosen in ("zh", "en"):
        response.set_cookie(
            LANG_COOKIE, chosen, max_age=365 * 86400, path=PATH, samesite="strict"
        )


def signed_in(token: str, to: str) -> Response:
    response = RedirectResponse(to, status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=MAX_AGE,
        path=PATH,
        secure=True,
        httponly=True,
        samesite="strict",
    )
    return response


def signed_out() -> Response:
    response = RedirectResponse(PATH + "/login", status_code=303)
    response.delete_cookie(COOKIE, path=PATH, secure=True, httponly=True,
                           samesite="strict")  # fmt: skip
    return response


def safe_next(raw: str | None) -> str:
    """Where to go after signing in: a dashboard page, never another site."""
    if raw and raw.startswith(PATH) and "//" not in raw and "\\" not in raw:
        return raw
    return PATH
