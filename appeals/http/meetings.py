"""Joint meetings (会办) over HTTP: ``POST /meetings``, ``GET
/meetings/{id}``, ``POST /meetings/{id}/tasks``, ``POST
/meetings/{id}/tasks/{number}/done`` and ``GET /reports/meeting-tasks``
(``open=false`` for every task, ``owner=`` a unit). Who may is the
permissions table's (``hold_meeting``, ``complete_task``, the ``meetings``
read)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appeals.application.meetings import Meetings
from appeals.domain.meetings import AssignTask, CompleteTask, HoldMeeting, Meeting
from appeals.domain.organisation import parse_command
from appeals.domain.permissions import authorize, read_filter
from appeals.http import parameters
from appeals.http.auth import authenticate
from appeals.http.columns import named
from appeals.http.context import ledger_of, reads_of
from appeals.http.freshness import await_position
from appeals.http.reports.query import choice
from appeals.http.requests import path_record_id, read_body
from appeals.http.responses import OrjsonResponse
from appeals.http.tabular import report_items
from appeals.infra.clock import SHANGHAI
from appeals.projections import meetings as view


def meetings_of(request: Request) -> Meetings:
    return Meetings(ledger_of(request))


def meeting_json(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": str(meeting.id),
        **meeting.held,
        "tasks": [
            {"number": n, **task} for n, task in enumerate(meeting.tasks, start=1)
        ],
        "version": meeting.version,
    }


async def hold(request: Request) -> Response:
    actor = await authenticate(request)
    authorize("hold_meeting", actor, unit=None, uscc=None)
    command = parse_command(HoldMeeting, await read_body(request))
    meeting = await run_in_threadpool(meetings_of(request).hold, command, actor)
    return OrjsonResponse(meeting_json(meeting), status_code=201)


async def get_meeting(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("meetings", actor)
    meeting = await run_in_threadpool(
        meetings_of(request).meeting, path_record_id(request, "meeting_id", "meeting")
    )
    return OrjsonResponse(meeting_json(meeting))


async def assign_task(request: Request) -> Response:
    actor = await authenticate(request)
    authorize("hold_meeting", actor, unit=None, uscc=None)
    command = parse_command(AssignTask, await read_body(request))
    service, meeting_id = (
        meetings_of(request),
        path_record_id(request, "meeting_id", "meeting"),
    )
    number = await run_in_threadpool(service.assign_task, meeting_id, command, actor)
    meeting = await run_in_threadpool(service.meeting, meeting_id)
    return OrjsonResponse({**meeting_json(meeting), "number": number}, status_code=201)


async def complete_task(request: Request) -> Response:
    actor = await authenticate(request)
    command = parse_command(CompleteTask, await read_body(request))
    number = parameters.whole_number(
        str(request.path_params["number"]), "number", minimum=1, maximum=10_000
    )
    assert number is not None
    meeting = await run_in_threadpool(
        meetings_of(request).complete_task,
        path_record_id(request, "meeting_id", "meeting"),
        number,
        command,
        actor,
    )
    return OrjsonResponse(meeting_json(meeting))


async def meeting_tasks(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("meetings", actor)
    open_only = choice(request, "open", "true", ("true", "false")) == "true"
    owner = parameters.text_filter(request.query_params.get("owner"), "owner")
    ledger = ledger_of(request)
    today = ledger.clock.now().astimezone(SHANGHAI).date()
    await await_position(request, view.NAME)
    seen, rows = await run_in_threadpool(
        lambda: view.tasks(reads_of(request), today, open_only=open_only, owner=owner)
    )
    return await report_items(
        request, {"items": rows}, seen, "meeting-tasks.csv", TASK_COLUMNS
    )


TASK_COLUMNS = ("meeting_id", "number", "subject", "task", "owner",
                named("due", "期限", "Due", "day"), "done_on", "overdue")  # fmt: skip


def meeting_routes() -> list[Route]:
    return [
        Route("/meetings", hold, methods=["POST"]),
        Route("/meetings/{meeting_id}", get_meeting, methods=["GET"]),
        Route("/meetings/{meeting_id}/tasks", assign_task, methods=["POST"]),
        Route(
            "/meetings/{meeting_id}/tasks/{number}/done",
            complete_task,
            methods=["POST"],
        ),
        Route("/reports/meeting-tasks", meeting_tasks, methods=["GET"]),
    ]
