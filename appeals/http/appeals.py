"""One appeal over HTTP: receive it, run a command on it, read it.

Thin translations between HTTP and the application: parse the request
(appeals.http.requests), run the command value or the read in the threadpool
(the event store is synchronous), answer with the appeal's view
(appeals.http.responses). Who may do what is the permissions table's answer.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from appeals.application import queries
from appeals.application.queries import AppealView
from appeals.application.service import CommandResult
from appeals.domain.commands import COMMANDS, Receive
from appeals.domain.errors import AppealNotFound
from appeals.domain.permissions import check_read, may_read
from appeals.domain.values import Actor, Channel, Role
from appeals.domain.working_time import OutsideCalendarError
from appeals.http.auth import authenticate
from appeals.http.context import ServiceContext, context_of, ledger_of
from appeals.http.parameters import invalid, text_filter
from appeals.http.problems import HttpProblem
from appeals.http.reports import appeal_list
from appeals.http.requests import (
    build,
    idempotent_request,
    if_match,
    optional_instant,
    optional_positive_int,
    path_uuid,
    read_body,
)
from appeals.http.responses import appeal_json, appeal_response

# ---- reads ---------------------------------------------------------------


async def get_appeal(request: Request) -> Response:
    """One appeal by id, now, at ``?version=N`` or ``?as_of=<instant>``."""
    actor = await authenticate(request)
    appeal_id = path_uuid(request)
    version = optional_positive_int(request, "version")
    as_of = optional_instant(request, "as_of")
    if as_of is not None and version is not None:
        raise invalid([{"field": "as_of", "reason": "give version or as_of"}])
    ledger = ledger_of(request)
    try:
        appeal, stages = await run_in_threadpool(
            lambda: queries.appeal_view(ledger, appeal_id, version=version, as_of=as_of)
        )
    except OutsideCalendarError as error:  # an as_of the calendar cannot count to
        raise invalid([{"field": "as_of", "reason": str(error)}]) from None
    if version is not None or as_of is not None:
        # An earlier state is read under the appeal's scope now, the rule
        # its history follows: not under the scope it had then.
        now, _ = await run_in_threadpool(queries.appeal_view, ledger, appeal_id)
        check_read(actor, unit=now.unit, uscc=now.uscc, co_units=now.co_units)
    else:
        check_read(actor, unit=appeal.unit, uscc=appeal.uscc, co_units=appeal.co_units)
    body = appeal_json(appeal, actor)
    body["timeliness"] = stages
    return appeal_response(body)


async def get_appeal_by_ticket(request: Request) -> Response:
    """One appeal by its ticket number (工单号)."""
    actor = await authenticate(request)
    ledger = ledger_of(request)
    ticket = text_filter(request.path_params["ticket"], "ticket") or ""
    appeal = await run_in_threadpool(queries.appeal_by_ticket, ledger, ticket)
    if not may_read(actor, unit=appeal.unit, uscc=appeal.uscc):
        # Tickets are sequential: another's must look like a missing one, or
        # anyone could count each day's appeals.
        raise AppealNotFound(ticket)
    return appeal_response(appeal_json(appeal, actor), in_convention=True)


# ---- commands --------------------------------------------------------------


async def receive(request: Request) -> Response:
    """``POST /appeals``: 201 with the new appeal, or 200 with the existing one
    when its source reference was received before."""
    actor = await authenticate(request)
    body = await read_body(request)
    if actor.role is Role.ENTERPRISE:
        # its own appeal, through the portal, unless the body says otherwise
        body = {"channel": Channel.PORTAL.value, "uscc": actor.uscc, **body}
    command = build(Receive, body)
    idempotency = idempotent_request(request, actor, body)
    context = context_of(request)
    ledger = context.ledger
    result, appeal = await run_in_threadpool(
        answered,
        context,
        lambda: ledger.receive_appeal(command, actor, idempotency),
    )
    return command_answer(result, appeal, actor, 201 if result.created else 200)


async def run_command(request: Request) -> Response:
    """``POST /appeals/{id}/{command}``: 200 with the appeal after it."""
    actor = await authenticate(request)
    name = request.path_params["command"]
    if name in READ_ONLY_PATHS or request.path_params["appeal_id"] == "by-ticket":
        raise method_not_allowed(request.method, "GET, HEAD")
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
    context = context_of(request)
    ledger = context.ledger

    def execute() -> CommandResult:
        return ledger.execute(
            appeal_id,
            command,
            actor,
            expected_version=expected,
            request=idempotency,
        )

    result, appeal = await run_in_threadpool(answered, context, execute)
    return command_answer(result, appeal, actor, 200)


READ_ONLY_PATHS = frozenset({"history", "verify"})
"""``/appeals/{id}/<name>`` paths that are reads (appeals.http.audit), not commands."""


def method_not_allowed(method: str, allow: str) -> HttpProblem:
    return HttpProblem(
        405,
        "method-not-allowed",
        "Method not allowed",
        f"{method} is not allowed here; allowed: {allow}",
        headers={"Allow": allow},
    )


async def appeals_collection(request: Request) -> Response:
    """``/appeals``: GET lists (appeals.http.reports.appeal_list), POST receives;
    one route, so that a wrong method's 405 lists both in ``Allow``."""
    if request.method == "POST":
        return await receive(request)
    return await appeal_list.list_appeals(request)


async def command_response(
    request: Request, actor: Actor, result: CommandResult, status: int
) -> Response:
    """The appeal as the command left it (or as a replayed request left it)."""
    context = context_of(request)
    appeal = await run_in_threadpool(context.answers.answer, context.ledger, result)
    return command_answer(result, appeal, actor, status)


def answered(
    context: ServiceContext, run: Callable[[], CommandResult]
) -> tuple[CommandResult, AppealView]:
    """Carries out a command and gets the appeal as it left it, in one trip
    to the threadpool (appeals.application.queries.AnswerViews)."""
    result = run()
    return result, context.answers.answer(context.ledger, result)


def command_answer(
    result: CommandResult, appeal: AppealView, actor: Actor, status: int
) -> Response:
    """The answer to a command: the appeal as it left it, where it lives."""
    body = appeal_json(appeal, actor)
    body["position"] = result.position
    response = appeal_response(body, status, in_convention=True)
    response.headers["Location"] = f"/appeals/{result.appeal_id}"
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
