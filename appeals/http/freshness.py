"""Read-your-writes for reports: ``?position=N`` and ``Projection-Position``.

A command answers with the log ``position`` of its last event. A report asked
with ``?position=N`` waits (at most APPEALS_PROJECTION_WAIT_MS) until its
projection has taken the log up to N into account; if it has not by then, the
answer is a 503 problem with ``Retry-After`` rather than data that silently
lacks the caller's own write. The waiting itself, and reading a view's
position with its rows, are the readers' (appeals.projections.reading).

With a read replica (APPEALS_READ_DATABASE_URL) the wait is for the view's
position on the replica, which is where the report then reads: the
position comes from the primary's log, and the replica shows the view at
that position only once it has replayed it.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from appeals.http.context import context_of, reads_of
from appeals.http.parameters import invalid, whole_number
from appeals.http.problems import HttpProblem
from appeals.projections.reading import reach

POSITION_HEADER = "Projection-Position"
COMPLETE_HEADER = "Projection-Complete"
"""``true`` when the report's position is the log's head at answering time."""


async def log_head(request: Request) -> int:
    """The log's last position now."""
    return int(await run_in_threadpool(context_of(request).ledger.event_log.head))


async def await_position(request: Request, view: str) -> None:
    """Honours ``?position=N``: waits for the view named ``view``, or raises
    a 503 problem."""
    wanted = whole_number(request.query_params.get("position"), "position")
    if wanted is None:
        return
    context = context_of(request)
    head = await run_in_threadpool(context.ledger.event_log.head)
    if wanted > head:
        reason = f"is beyond the log's last position, {head}"
        raise invalid([{"field": "position", "reason": reason}])
    timeout = context.projection_settings.max_wait
    reached = await reach(reads_of(request), view, wanted, timeout)
    if reached < wanted:
        raise HttpProblem(
            503,
            "projection-behind",
            "The report is not up to date yet",
            f"{view} has reached position {reached}, not {wanted}; retry shortly",
            headers={"Retry-After": "1", POSITION_HEADER: str(reached)},
            projection=view,
            position=wanted,
            projection_position=reached,
        )
