"""The API's endpoints: thin translations between HTTP and the application.

Handlers are async only to read the body; the work itself runs in the
threadpool (``run_in_threadpool``), because the event store is synchronous.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from appeals.application.service import CommandResult, IdempotentRequest
from appeals.domain.commands import COMMANDS, Receive
from appeals.domain.errors import AppealNotFound, NotPermitted
from appeals.domain.permissions import may_read
from appeals.domain.values import Actor
from appeals.http.auth import authenticate
from appeals.http.bodies import build, invalid, parse_json, require_json, too_large
from appeals.http.context import context_of, ledger_of
from appeals.http.problems import HttpProblem
from appeals.http.representations import appeal_json


class OrjsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


# ---- health --------------------------------------------------------------


async def healthz(request: Request) -> Response:
    """The process is up."""
    return OrjsonResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """The store answers; 503 otherwise."""
    ledger = ledger_of(request)
    try:
        await run_in_threadpool(ledger.recorder.max_notification_id)
    except Exception as error:  # any failure means not ready
        return OrjsonResponse(
            {"status": "unavailable", "reason": type(error).__name__},
            status_code=503,
        )
    return OrjsonResponse({"status": "ready"})


# ---- reads ---------------------------------------------------------------


async def get_appeal(request: Request) -> Response:
    """One appeal by id, now or at ``?version=N``."""
    actor = await authenticate(request)
    appeal_id = path_uuid(request)
    version = optional_positive_int(request, "version")
    as_of = optional_instant(request, "as_of")
    if as_of is not None and version is not None:
        raise invalid([{"field": "as_of", "reason": "give version or as_of"}])
    ledger = ledger_of(request)
    appeal, stages = await run_in_threadpool(
        lambda: ledger.appeal_view(appeal_id, version=version, as_of=as_of)
    )
    check_read(actor, appeal.unit, appeal.uscc)
    body = appeal_json(appeal)
    body["timeliness"] = stages
    return appeal_response(body)


async def get_appeal_by_ticket(request: Request) -> Response:
    """One appeal by its ticket number (工单号)."""
    actor = await authenticate(request)
    ledger = ledger_of(request)
    appeal = await run_in_threadpool(
        ledger.get_by_ticket, request.path_params["ticket"]
    )
    check_read(actor, appeal.unit, appeal.uscc)
    return appeal_response(appeal_json(appeal))


def check_read(actor: Actor, unit: str | None, uscc: str | None) -> None:
    if not may_read(actor, unit=unit, uscc=uscc):
        raise NotPermitted("read", actor.role, "the appeal is outside your scope")


def appeal_response(body: dict[str, Any], status: int = 200) -> Response:
    return OrjsonResponse(
        body, status_code=status, headers={"ETag": f'"{body["version"]}"'}
    )


# ---- commands --------------------------------------------------------------


async def receive(request: Request) -> Response:
    """``POST /appeals``: 201 with the new appeal, or 200 with the existing one
    when its source reference was received before."""
    actor = await authenticate(request)
    body = await read_body(request)
    command = build(Receive, body)
    idempotency = idempotent_request(request, actor, body)
    ledger = ledger_of(request)
    result = await run_in_threadpool(ledger.receive_appeal, command, actor, idempotency)
    return await command_response(request, result, 201 if result.created else 200)


async def run_command(request: Request) -> Response:
    """``POST /appeals/{id}/{command}``: 200 with the appeal after it."""
    actor = await authenticate(request)
    name = request.path_params["command"]
    command_class = COMMANDS.get(name)
    if command_class is None:
        raise HttpProblem(
            404,
            "unknown-command",
            "Unknown command",
            f"{name!r} is not a command; commands: {', '.join(COMMANDS)}",
        )
    appeal_id = path_uuid(request)
    body = await read_body(request)
    command = build(command_class, body)
    expected = if_match(request)
    idempotency = idempotent_request(request, actor, body)
    ledger = ledger_of(request)

    def execute() -> CommandResult:
        return ledger.execute(
            appeal_id,
            command,
            actor,
            expected_version=expected,
            request=idempotency,
        )

    result = await run_in_threadpool(execute)
    return await command_response(request, result, 200)


async def command_response(
    request: Request, result: CommandResult, status: int
) -> Response:
    appeal = result.appeal
    if appeal is None:  # a replay, or a receipt seen before: read it back
        ledger = ledger_of(request)
        appeal = await run_in_threadpool(ledger.get, result.appeal_id, result.version)
    body = appeal_json(appeal)
    body["position"] = result.position
    response = appeal_response(body, status)
    response.headers["Location"] = f"/appeals/{result.appeal_id}"
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


# ---- request parts ---------------------------------------------------------


async def read_body(request: Request) -> dict[str, Any]:
    """The JSON object body, read no further than the configured limit."""
    require_json(request.headers.get("content-type"))
    limit = context_of(request).body_limit
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(size, limit)
        chunks.append(chunk)
    return parse_json(b"".join(chunks))


def path_uuid(request: Request) -> UUID:
    value = request.path_params["appeal_id"]
    try:
        return UUID(value)
    except ValueError:
        raise AppealNotFound(value) from None


def optional_positive_int(request: Request, name: str, minimum: int = 1) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < minimum:
        reason = f"must be a whole number of at least {minimum}"
        raise invalid([{"field": name, "reason": reason}])
    return int(raw)


def optional_instant(request: Request, name: str) -> datetime | None:
    """An ISO 8601 instant with an offset from the query, or None."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise invalid(
            [{"field": name, "reason": "must be an ISO 8601 instant with an offset"}]
        )
    return value


def if_match(request: Request) -> int | None:
    """``If-Match: "3"`` (the ETag of a read) -> expected version 3."""
    raw = request.headers.get("if-match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise invalid(
            [{"field": "If-Match", "reason": 'must be an ETag like "3" from a read'}]
        )
    return int(value)


def idempotent_request(
    request: Request, actor: Actor, body: dict[str, Any]
) -> IdempotentRequest | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= 255:
        raise invalid(
            [{"field": "Idempotency-Key", "reason": "must be 1 to 255 characters"}]
        )
    fingerprint = hashlib.sha256(
        b"\n".join(
            [
                request.method.encode(),
                request.url.path.encode(),
                (request.headers.get("if-match") or "").encode(),
                orjson.dumps(body, option=orjson.OPT_SORT_KEYS),
            ]
        )
    ).hexdigest()
    return IdempotentRequest(principal=actor.id, key=key, fingerprint=fingerprint)
