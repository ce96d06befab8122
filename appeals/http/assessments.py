"""Assessments (考核) over HTTP: ``GET /assessments/{period}`` (published,
frozen; ``?revision=N`` for an earlier one), ``GET
/assessments/{period}/preview`` (live, stating the position it reflects and
whether the views were caught up) and ``POST /assessments/{period}/publish``
(``{"reason": ...}``, required to revise). ``?group_by=unit|cadre|locality|
category`` picks the rows; ``?format=csv`` answers a spreadsheet with Chinese
headers. Who may read and publish is the permissions table's (the
``assessment`` read, the ``publish_assessment`` command).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appeals.application.assessments import Assessments
from appeals.domain.assessment import GROUPS, INDICATORS
from appeals.domain.permissions import read_filter
from appeals.http.auth import authenticate
from appeals.http.context import context_of
from appeals.http.publications import period_of, publish_response
from appeals.http.reports.query import choice
from appeals.http.requests import optional_positive_int
from appeals.http.responses import OrjsonResponse
from appeals.http.tabular import table_response, wants_table

KEY_HEADERS = {
    "unit": ("unit",),
    "cadre": ("unit", "cadre"),
    "locality": ("locality",),
    "category": ("category",),
}


def assessments_of(request: Request, *, names: bool = True) -> Assessments:
    """The assessments, naming rows from the service's remembered names
    (a rename shows within a minute) and counting the days the service
    remembers not again, or, ``names=False`` (publishing a month for good),
    from the registry as it is now."""
    context = context_of(request)
    remembered = context.names if names else None
    return Assessments(
        context.ledger, context.assessment_scheme, remembered, context.remembered
    )


async def published(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("assessment", actor)
    period = period_of(request)
    group_by = choice(request, "group_by", "unit", GROUPS)
    revision = optional_positive_int(request, "revision")
    found = await run_in_threadpool(assessments_of(request).published, period, revision)
    return answer(request, found, group_by, f"assessment-{period}.csv")


async def preview(request: Request) -> Response:
    actor = await authenticate(request)
    read_filter("assessment", actor)
    period = period_of(request)
    group_by = choice(request, "group_by", "unit", GROUPS)
    computed = await run_in_threadpool(assessments_of(request).compute, period)
    body = {**computed.fields(), "published": False}
    return answer(request, body, group_by, f"assessment-{period}-preview.csv")


async def publish(request: Request) -> Response:
    service = assessments_of(request, names=False)
    return await publish_response(
        request, "publish_assessment", service.publish, "groups"
    )


def answer(
    request: Request, body: dict[str, Any], group_by: str, filename: str
) -> Response:
    rows = body["groups"][group_by]
    headers = {
        "Projection-Position": str(body["position"]),
        "Projection-Complete": "true" if body["complete"] else "false",
    }
    if wants_table(request):
        header, lines = csv_rows(group_by, rows)
        return table_response(
            request, filename, header, iter(lines), body["position"], body["complete"]
        )
    shown = {k: v for k, v in body.items() if k != "groups"}
    return OrjsonResponse(
        {**shown, "group_by": group_by, "rows": rows}, headers=headers
    )


def csv_rows(
    group_by: str, rows: list[dict[str, Any]]
) -> tuple[list[str], list[list[Any]]]:
    """Columns (appeals.http.columns): the key, rank and score, then each indicator's
    value, numerator and denominator, then the counts and the note."""
    header = [
        *KEY_HEADERS[group_by],
        "name",
        "rank",
        "score",
        *(f"{key}{tail}" for key in INDICATORS for tail in ("", "_numerator", "_due")),
        "verdicts_lapsed",
        "verdicts_pending",
        "supervised",
        "escalated",
        "note",
    ]
    lines = [
        [
            *row["key"],
            row["label"]["zh"],
            row["rank"],
            row["score"],
            *(
                cell
                for key in INDICATORS
                for cell in (
                    row["values"][key],
                    row["samples"][key][0],
                    row["samples"][key][1],
                )
            ),
            row["verdicts_lapsed"],
            row["verdicts_pending"],
            row["supervised"],
            row["escalated"],
            row["note"],
        ]
        for row in rows
    ]
    return header, lines


def assessment_routes() -> list[Route]:
    return [
        Route("/assessments/{period}", published, methods=["GET"]),
        Route("/assessments/{period}/preview", preview, methods=["GET"]),
        Route("/assessments/{period}/publish", publish, methods=["POST"]),
    ]
