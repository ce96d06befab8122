"""Names and groups for the OpenAPI document's operations: a stable,
readable ``operationId`` (camelCase) and one tag each, with the tags' order
and descriptions (the README's sections).

``name_operations`` fills in whatever an operation does not say itself: the
id from ``OPERATION_IDS`` or, for an operation not listed there, one made
from its method and path (``GET /reports/trend`` -> ``getReportsTrend``); the
tag from the longest matching path prefix in ``TAG_PREFIXES``, else
运维 Operations. Ids are what generated clients call their functions, so an
id once published does not change.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from appeals.domain.commands import COMMANDS

APPEALS = "诉求 Appeals"
REPORTS = "报表 Reports"
ORGANISATION = "组织 Organisation"
CATALOGUE = "目录 Catalogue"
ASSESSMENTS = "考核 Assessments"
SUPERVISION = "督办 Supervision"
SERVICE_LINKS = "挂钩服务 Service links"
AUDIT = "审计 Audit"
OPEN311 = "Open311"
OPERATIONS = "运维 Operations"

TAGS: list[dict[str, str]] = [
    {
        "name": APPEALS,
        "description": "Receiving an appeal (受理), reading it, every command of "
        "its lifecycle (派单, 签收, 办结, 反馈, 评价, 回访, 销号 ...) and its "
        "attachments. Commands take Idempotency-Key and If-Match.",
    },
    {
        "name": REPORTS,
        "description": "Reports from the read models: the appeal list is under "
        "诉求; here the ledger, overdue, timeliness, accountability, routing, "
        "callbacks and trends. JSON, CSV or XLSX (?format=, ?lang=); "
        "?position=N waits for your own write (read-your-writes).",
    },
    {
        "name": ORGANISATION,
        "description": "The registries: units (单位), cadres (干部) and "
        "enterprises (企业).",
    },
    {
        "name": CATALOGUE,
        "description": "The routing catalogue (派单目录): versioned items that "
        "route appeals to units.",
    },
    {
        "name": ASSESSMENTS,
        "description": "The month's assessment (考核): previewed live, "
        "published frozen.",
    },
    {
        "name": SUPERVISION,
        "description": "Supervision orders (督办单) and the month's 通报.",
    },
    {
        "name": SERVICE_LINKS,
        "description": "挂钩服务: projects, cadres linked to enterprises, "
        "visits (走访), task forces (专班), joint meetings (会办) and their "
        "reports.",
    },
    {
        "name": AUDIT,
        "description": "For auditors: an appeal's stored history, its hash "
        "chain check and the global event feed.",
    },
    {
        "name": OPEN311,
        "description": "Open311 GeoReport v2 for portals: services (the "
        "catalogue in force) and service requests (appeals), JSON or XML.",
    },
    {
        "name": OPERATIONS,
        "description": "The index, liveness and readiness, metrics.",
    },
]

TAG_PREFIXES: dict[str, str] = {
    "/appeals": APPEALS,
    "/appeals/{appeal_id}/history": AUDIT,
    "/appeals/{appeal_id}/verify": AUDIT,
    "/events": AUDIT,
    "/reports": REPORTS,
    "/callbacks": REPORTS,
    "/enterprises/{uscc}/ledger": REPORTS,
    "/units": ORGANISATION,
    "/cadres": ORGANISATION,
    "/enterprises": ORGANISATION,
    "/catalogue": CATALOGUE,
    "/assessments": ASSESSMENTS,
    "/supervision": SUPERVISION,
    "/notices": SUPERVISION,
    "/projects": SERVICE_LINKS,
    "/links": SERVICE_LINKS,
    "/visits": SERVICE_LINKS,
    "/taskforces": SERVICE_LINKS,
    "/meetings": SERVICE_LINKS,
    "/cadres/{code}/portfolio": SERVICE_LINKS,
    "/reports/visits": SERVICE_LINKS,
    "/reports/unvisited": SERVICE_LINKS,
    "/reports/meeting-tasks": SERVICE_LINKS,
    "/open311": OPEN311,
}

OPERATION_IDS: dict[tuple[str, str], str] = {
    ("get", "/"): "getIndex",
    ("get", "/healthz"): "getHealth",
    ("get", "/readyz"): "getReadiness",
    ("get", "/metrics"): "getMetrics",
    ("post", "/appeals"): "receiveAppeal",
    ("get", "/appeals"): "listAppeals",
    ("get", "/appeals/by-ticket/{ticket}"): "getAppealByTicket",
    ("get", "/appeals/{appeal_id}"): "getAppeal",
    ("post", "/appeals/{appeal_id}/attachments"): "addAttachment",
    ("get", "/appeals/{appeal_id}/attachments/{sha256}"): "getAttachment",
    ("get", "/appeals/{appeal_id}/history"): "getAppealHistory",
    ("get", "/appeals/{appeal_id}/verify"): "verifyAppeal",
    ("get", "/events"): "listEvents",
    ("get", "/units"): "listUnits",
    ("post", "/units"): "registerUnit",
    ("get", "/units/{code}"): "getUnit",
    ("post", "/units/{code}/rename"): "renameUnit",
    ("post", "/units/{code}/update"): "updateUnit",
    ("post", "/units/{code}/retire"): "retireUnit",
    ("post", "/units/{code}/reinstate"): "reinstateUnit",
    ("get", "/cadres"): "listCadres",
    ("post", "/cadres"): "registerCadre",
    ("get", "/cadres/{code}"): "getCadre",
    ("post", "/cadres/{code}/rename"): "renameCadre",
    ("post", "/cadres/{code}/move"): "moveCadre",
    ("post", "/cadres/{code}/change-roles"): "changeCadreRoles",
    ("post", "/cadres/{code}/retire"): "retireCadre",
    ("post", "/cadres/{code}/reinstate"): "reinstateCadre",
    ("get", "/cadres/{code}/portfolio"): "getCadrePortfolio",
    ("get", "/enterprises"): "listEnterprises",
    ("post", "/enterprises"): "registerEnterprise",
    ("get", "/enterprises/{uscc}"): "getEnterprise",
    ("post", "/enterprises/{uscc}/rename"): "renameEnterprise",
    ("post", "/enterprises/{uscc}/update"): "updateEnterprise",
    ("get", "/enterprises/{uscc}/ledger"): "getEnterpriseLedger",
    ("get", "/reports/category-month"): "getCategoryMonthReport",
    ("get", "/reports/overdue"): "getOverdueReport",
    ("get", "/reports/timeliness"): "getTimelinessReport",
    ("get", "/reports/accountability"): "getAccountabilityReport",
    ("get", "/reports/routing"): "getRoutingReport",
    ("get", "/reports/callbacks"): "getCallbackReport",
    ("get", "/reports/trend"): "getTrendReport",
    ("get", "/reports/hotspots"): "getHotspotReport",
    ("get", "/reports/meeting-tasks"): "getMeetingTaskReport",
    ("get", "/reports/visits"): "getVisitReport",
    ("get", "/reports/unvisited"): "getUnvisitedReport",
    ("get", "/callbacks/queue"): "getCallbackQueue",
    ("get", "/catalogue"): "listCatalogueItems",
    ("post", "/catalogue"): "publishCatalogueItem",
    ("get", "/catalogue/{code}"): "getCatalogueItem",
    ("post", "/catalogue/{code}/revise"): "reviseCatalogueItem",
    ("post", "/catalogue/{code}/retire"): "retireCatalogueItem",
    ("post", "/catalogue/{code}/reinstate"): "reinstateCatalogueItem",
    ("get", "/assessments/{period}"): "getAssessment",
    ("get", "/assessments/{period}/preview"): "previewAssessment",
    ("post", "/assessments/{period}/publish"): "publishAssessment",
    ("get", "/supervision/orders"): "listSupervisionOrders",
    ("get", "/notices/{period}"): "getNotice",
    ("get", "/notices/{period}/preview"): "previewNotice",
    ("post", "/notices/{period}/publish"): "publishNotice",
    ("post", "/taskforces"): "formTaskForce",
    ("get", "/taskforces/{force_id}"): "getTaskForce",
    ("post", "/taskforces/{force_id}/disband"): "disbandTaskForce",
    ("get", "/taskforces/{force_id}/board"): "getTaskForceBoard",
    ("post", "/projects"): "registerProject",
    ("post", "/links"): "linkCadre",
    ("post", "/links/end"): "endLink",
    ("post", "/visits"): "recordVisit",
    ("get", "/visits/{visit_id}"): "getVisit",
    ("post", "/visits/{visit_id}/appeals"): "fileAppealFromVisit",
    ("post", "/meetings"): "recordMeeting",
    ("get", "/meetings/{meeting_id}"): "getMeeting",
    ("post", "/meetings/{meeting_id}/tasks"): "addMeetingTask",
    ("post", "/meetings/{meeting_id}/tasks/{number}/done"): "completeMeetingTask",
    ("get", "/open311/v2/discovery.{format}"): "open311Discovery",
    ("get", "/open311/v2/services.{format}"): "open311ListServices",
    ("get", "/open311/v2/services/{code}.{format}"): "open311GetService",
    ("get", "/open311/v2/requests.{format}"): "open311ListRequests",
    ("post", "/open311/v2/requests.{format}"): "open311CreateRequest",
    ("get", "/open311/v2/requests/{ticket}.{format}"): "open311GetRequest",
}

COMMAND_IDS = {
    "callback": "recordCallback",
    "sample": "sampleAppeal",
    "comment": "commentOnAppeal",
    "urge": "urgeAppeal",
}
"""Commands whose id is not ``<command>Appeal`` or the command's own phrase."""


def camel(words: str) -> str:
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", words) if p]
    return parts[0].lower() + "".join(p[:1].upper() + p[1:] for p in parts[1:])


def command_id(command: str) -> str:
    """``assign`` -> ``assignAppeal``, ``note-progress`` -> ``noteProgress``."""
    if command in COMMAND_IDS:
        return COMMAND_IDS[command]
    return camel(command) + ("Appeal" if "-" not in command else "")


for _command in COMMANDS:
    OPERATION_IDS[("post", f"/appeals/{{appeal_id}}/{_command}")] = command_id(_command)


def derived_id(method: str, path: str) -> str:
    """An id for an operation not in ``OPERATION_IDS``: the method and the
    path's literal segments, and ``By<Parameter>`` for each parameter."""
    words = [method]
    for segment in path.strip("/").split("/"):
        if segment.startswith("{"):
            words += ["by", segment.strip("{}")]
        elif segment:
            words.append(segment.split(".")[0])
    return camel(" ".join(words))


def tag_for(path: str) -> str:
    matches = [
        prefix
        for prefix in TAG_PREFIXES
        if path == prefix
        or path.startswith(prefix + "/")
        or path.startswith(prefix + ".")
    ]
    return TAG_PREFIXES[max(matches, key=len)] if matches else OPERATIONS


METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def name_operations(paths: dict[str, Any]) -> None:
    """Gives every operation in ``paths`` an ``operationId`` and ``tags``
    unless it has them (in place)."""
    for path, item in paths.items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            operation.setdefault(
                "operationId",
                OPERATION_IDS.get((method, path)) or derived_id(method, path),
            )
            operation.setdefault("tags", [tag_for(path)])


REQUEST_ID = {
    "name": "X-Request-ID",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._:@/+=-]{1,128}$"},
    "description": "Your id for this request, echoed in the answer's "
    "X-Request-ID, in a problem's request_id and in the server's log; one is "
    "made up when it is missing or not of this form.",
}
REQUEST_ID_ECHO = {
    "description": "The request's id: the client's X-Request-ID if it sent a "
    "sane one, else a fresh one (also a problem's request_id).",
    "schema": {"type": "string"},
}

RETRY_AFTER = {
    "description": "Seconds to wait before asking again (a view still "
    "catching up to ?position=, or the store unavailable)",
    "schema": {"type": "integer", "minimum": 0},
}


def add_request_ids(paths: dict[str, Any]) -> None:
    """Every operation takes ``X-Request-ID`` and every answer echoes it; a
    503 says when to retry."""
    for item in paths.values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == "X-Request-ID" for p in parameters):
                parameters.append(REQUEST_ID)
            for status, response in operation.get("responses", {}).items():
                headers = response.setdefault("headers", {})
                headers.setdefault("X-Request-ID", REQUEST_ID_ECHO)
                if status == "503":
                    headers.setdefault("Retry-After", RETRY_AFTER)


EXAMPLES = Path(__file__).with_name("openapi_examples.json")
"""Real answers of the demo city (devtools/openapi_examples.py makes them)."""


@cache
def examples() -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(EXAMPLES.read_bytes())
    return loaded


APPEAL_REF = {"$ref": "#/components/schemas/Appeal"}


def add_examples(paths: dict[str, Any]) -> None:
    """Each ``GET`` answer's JSON example, where the demo has one; every
    answer that is an appeal (the commands') shows the demo's appeal."""
    found = examples()
    for key, body in found.items():
        method, path = key.split(" ", 1)
        operation = paths.get(path, {}).get(method.lower())
        if operation is None:
            continue
        content = operation["responses"]["200"].get("content", {})
        if "application/json" in content:
            content["application/json"]["example"] = body
    appeal = found.get("GET /appeals/{appeal_id}")
    for item in paths.values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for status in ("200", "201"):
                answer = operation["responses"].get(status, {}).get("content", {})
                json = answer.get("application/json", {})
                if appeal and json.get("schema") == APPEAL_REF:
                    json.setdefault("example", appeal)


PARAMETER_TEXTS: dict[tuple[str, str], str] = {
    ("path", "appeal_id"): "The appeal's id (a UUID, as POST /appeals answered)",
    ("path", "force_id"): "The task force's id (专班)",
    ("path", "format"): "json or xml (the Open311 resource's format)",
    ("path", "meeting_id"): "The joint meeting's id (会办)",
    ("path", "number"): "The follow-up task's number in its meeting, from 1",
    ("path", "sha256"): "The attachment's SHA-256, as its appeal lists it",
    ("path", "ticket"): "The appeal's ticket number (工单号)",
    ("path", "uscc"): "The enterprise's unified social credit code (统一社会信用代码)",
    ("path", "visit_id"): "The visit's id (走访)",
    ("query", "addressee_unit"): "Only orders addressed to this unit",
    ("query", "after"): "The previous page's last key: the cursor of the next page",
    ("query", "cadre"): "A cadre's code (干部)",
    ("query", "category"): "A category of appeal (诉求类别)",
    ("query", "channel"): "The channel it came by (来源渠道)",
    ("query", "cursor"): "The previous page's next (opaque)",
    ("query", "days"): "Not visited for this many days (default 30)",
    ("query", "group_by"): "What one row is",
    ("query", "include_retired"): "true lists retired entries too",
    ("query", "kind"): "The kind (类型)",
    ("query", "level"): "The escalation level (1-3; 0: not escalated)",
    ("query", "limit"): "At most this many items in one page",
    ("query", "open"): "true (default): open tasks only; false: all",
    ("query", "order"): "newest (default) or oldest first, by receipt",
    ("query", "overdue"): "true: only appeals with a stage past its deadline",
    ("query", "owner"): "Only the tasks of this unit",
    ("query", "park"): "An industrial park (园区)",
    ("query", "period"): "A day, an ISO week, a month, or all of the range",
    ("query", "priority"): "The priority (紧急程度)",
    ("query", "purpose"): "Why the callback is due (reply, expired, sample)",
    ("query", "received_from"): "Received on or after this day or instant",
    ("query", "received_to"): "Received before the end of this day, or this instant",
    ("query", "revision"): "A published revision (default: the latest)",
    ("query", "settled"): "true lists settled orders too",
    ("query", "stage"): "A stage of the lifecycle (受理, 签收, 办结 ...)",
    ("query", "unit"): "A unit's code (单位)",
    ("query", "version"): "The version to read (default: the current one)",
    ("query", "from"): "The first day (or month, or instant) of the range",
    ("query", "to"): "The last day (or month) of the range, or the instant it ends",
    ("query", "month"): "The month (YYYY-MM; default: this month)",
    ("query", "role"): "Only cadres with this role",
    ("query", "service_list"): "Only enterprises on this service list (服务清单)",
}
CODES_BY_PREFIX = {
    "/units": "The unit's code (单位编码)",
    "/cadres": "The cadre's code (干部编号)",
    "/catalogue": "The catalogue item's code (派单目录事项编码)",
    "/open311": "The service's code (a catalogue item's code)",
}


def describe_parameters(paths: dict[str, Any]) -> None:
    """Gives every parameter without a description the usual one for its
    name (a path's ``code`` by what the path names)."""
    for path, item in paths.items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            described = []
            for parameter in operation.get("parameters", []):
                if not parameter.get("description"):
                    key = (parameter["in"], parameter["name"])
                    text = PARAMETER_TEXTS.get(key)
                    if key == ("path", "code"):
                        text = next(
                            (
                                t
                                for p, t in CODES_BY_PREFIX.items()
                                if path.startswith(p)
                            ),
                            None,
                        )
                    if text:
                        parameter = {**parameter, "description": text}
                described.append(parameter)
            if "parameters" in operation:
                operation["parameters"] = described
