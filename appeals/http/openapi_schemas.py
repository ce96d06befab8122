"""The OpenAPI document's shared component schemas of what the reads answer:
list items and pages, report rows, history and feed entries (each derived
from its reader in appeals/projections or appeals/http).

Each schema names every field its reader writes and the fields that are
always there as ``required``; fields a reader adds only for some parameters
(``unit`` with ``group_by=unit`` ...) are optional. Extra fields are allowed,
so a reader may grow a field before the document names it, but never change
a named field's type. ``ref(name)`` points at one of them; appeals.http.openapi
puts ``SCHEMAS`` into ``components/schemas``.
"""

from __future__ import annotations

from typing import Any

from appeals.domain.late_stages import LATE_STAGES
from appeals.domain.organisation import ServiceList
from appeals.domain.values import Status
from appeals.projections.accountability import COUNTERS as ACCOUNTABILITY_COUNTERS


def ref(name: str) -> dict[str, Any]:
    assert name in SCHEMAS, name
    return {"$ref": f"#/components/schemas/{name}"}


def _object(
    required: list[str], description: str = "", /, **properties: Any
) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "required": required,
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


STRING = {"type": "string"}
TEXT_OR_NULL = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
COUNT = {"type": "integer", "minimum": 0}
INTEGER_OR_NULL = {"type": ["integer", "null"]}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
UUID = {"type": "string", "format": "uuid"}
TIME_CONVENTION = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+08:00$"
)
"""Every instant an answer gives: Asia/Shanghai, +08:00, to the microsecond."""
INSTANT = {"type": "string", "format": "date-time", "pattern": TIME_CONVENTION}
INSTANT_OR_NULL = {
    "type": ["string", "null"],
    "format": "date-time",
    "pattern": TIME_CONVENTION,
}
DAY = {"type": "string", "format": "date"}
DAY_OR_NULL = {"type": ["string", "null"], "format": "date"}
RATE = {
    "type": ["number", "null"],
    "minimum": 0,
    "description": "A share (0..1); null when nothing was there to count",
}
HOURS = {"type": ["number", "null"], "description": "Working hours"}
LABEL = {"$ref": "#/components/schemas/Label"}
STATUS = {"type": "string", "enum": [s.value for s in Status]}
STAGE = {"type": "string", "enum": list(LATE_STAGES)}

SCHEMAS: dict[str, Any] = {}

SCHEMAS["Label"] = _object(
    ["zh", "en"],
    "A code's name in Chinese and English",
    zh=STRING,
    en=STRING,
)

SCHEMAS["AppealSummary"] = _object(
    ["id", "ticket", "status"],
    "An appeal as the appeal list shows it (the appeal_list view)",
    id=UUID,
    ticket=STRING,
    status=STATUS,
    status_label=LABEL,
    enterprise=_object(["uscc", "name"], uscc=STRING, name=STRING),
    channel=STRING,
    category=STRING,
    category_label=LABEL,
    priority=STRING,
    title=STRING,
    unit=TEXT_OR_NULL,
    cadre=TEXT_OR_NULL,
    received_at=INSTANT,
    updated_at=INSTANT,
    paused=BOOLEAN,
    extension_pending=BOOLEAN,
    reopen_count=COUNT,
    return_count=COUNT,
    supervision_level=COUNT,
    needs_supervisor=BOOLEAN,
    outcome=TEXT_OR_NULL,
    satisfaction=TEXT_OR_NULL,
    merged_into=TEXT_OR_NULL,
    version=INTEGER,
)

SCHEMAS["LedgerAppeal"] = _object(
    ["id", "ticket", "status"],
    "One appeal in an enterprise's ledger (问题台账)",
    id=UUID,
    ticket=STRING,
    title=STRING,
    status=STATUS,
    status_label=LABEL,
    unit=TEXT_OR_NULL,
    received_at=INSTANT,
    last_activity=INSTANT_OR_NULL,
    satisfaction=TEXT_OR_NULL,
)

SCHEMAS["LedgerEnterprise"] = _object(
    ["uscc"],
    "The enterprise's counts in its ledger",
    uscc=STRING,
    name=TEXT_OR_NULL,
    appeals=COUNT,
    open_appeals=COUNT,
    overdue_appeals=COUNT,
    last_activity=INSTANT_OR_NULL,
    satisfaction=_object(
        [],
        satisfied=COUNT,
        basically_satisfied=COUNT,
        unsatisfied=COUNT,
        evaluations=COUNT,
    ),
)

SCHEMAS["LedgerService"] = _object(
    ["linked", "projects", "recent_visits"],
    "挂钩服务 of the enterprise: its service list (服务清单), the cadres linked "
    "to it or its projects today, its projects, its latest visits and its "
    "task force (专班), if one is in place",
    service_list={
        "type": ["string", "null"],
        "enum": [*(s.value for s in ServiceList), None],
        "description": "; ".join(f"{s.value}: {s.zh} ({s.en})" for s in ServiceList),
    },
    linked=_array(
        _object(
            ["cadre", "target_kind", "target"],
            cadre=STRING,
            target_kind={"type": "string", "enum": ["enterprise", "project"]},
            target=STRING,
            period=INTEGER,
            uscc=STRING,
            role=TEXT_OR_NULL,
            start_day=DAY,
            end_day=DAY_OR_NULL,
        )
    ),
    projects=_array(
        _object(
            ["code", "name"],
            code=STRING,
            name=STRING,
            uscc=STRING,
            park=TEXT_OR_NULL,
            kind=TEXT_OR_NULL,
            investment={"type": ["integer", "null"], "description": "万元"},
        )
    ),
    recent_visits=_array(
        _object(
            ["visit_id", "cadre", "day"],
            visit_id=UUID,
            cadre=STRING,
            unit=TEXT_OR_NULL,
            uscc=STRING,
            day=DAY,
            mode=STRING,
            problems=COUNT,
        )
    ),
    task_force={
        "anyOf": [
            _object(
                ["id", "name"],
                id=UUID,
                name=STRING,
                lead=TEXT_OR_NULL,
                members=_array(STRING),
            ),
            {"type": "null"},
        ]
    },
)

SCHEMAS["CategoryMonthRow"] = _object(
    ["month", "category", "appeals"],
    "Appeals received in one category in one month",
    month={"type": "string", "pattern": r"^\d{4}-\d{2}$"},
    category=STRING,
    category_label=LABEL,
    appeals=COUNT,
)

SCHEMAS["OverdueBuckets"] = _object(
    ["under_1", "1_to_3", "3_to_5", "over_5"],
    "Late stages by working days past due",
    under_1=COUNT,
    **{"1_to_3": COUNT, "3_to_5": COUNT},
    over_5=COUNT,
)

SCHEMAS["OverdueRow"] = _object(
    ["appeal_id", "ticket", "stage", "due", "late_working_days", "bucket"],
    "One open stage past its deadline",
    appeal_id=UUID,
    ticket=STRING,
    stage=STAGE,
    unit=TEXT_OR_NULL,
    cadre=TEXT_OR_NULL,
    category=STRING,
    due=INSTANT,
    late_working_days=NUMBER,
    bucket={"type": "string", "enum": ["under_1", "1_to_3", "3_to_5", "over_5"]},
    escalation_level=INTEGER_OR_NULL,
)

SCHEMAS["TimelinessRow"] = _object(
    ["stage", "completed", "on_time"],
    "A stage's completed cycles in the period (per unit with group_by=unit)",
    stage=STRING,
    unit=TEXT_OR_NULL,
    completed=COUNT,
    on_time=COUNT,
    on_time_rate=RATE,
    median_working_hours=HOURS,
    p90_working_hours=HOURS,
)

_ACCOUNTABILITY_RATES = (
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "on_time_acceptance_rate",
    "on_time_resolution_rate",
)
"""The rates of appeals.domain.rates.rates, beside the view's counters."""
SCHEMAS["AccountabilityRow"] = _object(
    ["period"],
    "Counts and rates of one group (the unit, cadre or category of group_by) "
    "in one period (a day, an ISO week YYYY-Www, a month YYYY-MM or all)",
    period=STRING,
    unit=TEXT_OR_NULL,
    cadre=TEXT_OR_NULL,
    category=TEXT_OR_NULL,
    **dict.fromkeys(ACCOUNTABILITY_COUNTERS, COUNT),
    **dict.fromkeys(_ACCOUNTABILITY_RATES, RATE),
)

SCHEMAS["RoutingRow"] = _object(
    ["unit", "assignments"],
    "Routing to one unit by one catalogue item (item null: dispatched without one)",
    item=TEXT_OR_NULL,
    unit=STRING,
    assignments=COUNT,
    first_dispatches=COUNT,
    redispatches=COUNT,
    returns=COUNT,
    accepted=COUNT,
    accept_working_seconds=COUNT,
    answered_on_the_spot=COUNT,
    return_rate=RATE,
    mean_working_hours_to_accept=HOURS,
)

_ROUTING_COUNTS = {
    "received": COUNT,
    "answered_on_the_spot": COUNT,
    "dispatched_with_item": COUNT,
    "dispatched_without_item": COUNT,
}
SCHEMAS["RoutingLocality"] = _object(
    ["locality", "received"],
    "Receipts of one locality (区县) and how they were routed",
    locality=STRING,
    **_ROUTING_COUNTS,
)
SCHEMAS["RoutingTotals"] = _object(
    ["received"],
    "All receipts: the catalogue's coverage and 直接答复率",
    **_ROUTING_COUNTS,
    coverage=RATE,
    direct_answer_rate=RATE,
)

SCHEMAS["CallbackReportRow"] = _object(
    ["unit", "reached", "unreachable"],
    "Callbacks (回访) concluded for one unit's appeals",
    unit=TEXT_OR_NULL,
    reached=COUNT,
    unreachable=COUNT,
    sampled=COUNT,
    sampled_satisfied=COUNT,
    valid_callback_rate=RATE,
    sample_satisfaction_rate=RATE,
)

SCHEMAS["CallbackRound"] = _object(
    ["appeal_id", "ticket", "purpose", "due", "state"],
    "One pending callback round (回访) in the queue",
    appeal_id=UUID,
    round=INTEGER_OR_NULL,
    ticket=STRING,
    uscc=STRING,
    category=STRING,
    unit=TEXT_OR_NULL,
    purpose={"type": "string", "enum": ["reply", "expired", "sample"]},
    opened_at=INSTANT,
    due=INSTANT,
    state=STRING,
    attempts=COUNT,
    last_outcome=TEXT_OR_NULL,
    last_attempt_at=INSTANT_OR_NULL,
    concluded_at=INSTANT_OR_NULL,
    grade=TEXT_OR_NULL,
    satisfaction=TEXT_OR_NULL,
    resolved={"type": ["boolean", "null"]},
)

SCHEMAS["Actor"] = _object(
    ["role"],
    "Who did it: the token's principal (or the system)",
    id=TEXT_OR_NULL,
    role=STRING,
    name=TEXT_OR_NULL,
    unit=TEXT_OR_NULL,
    uscc=TEXT_OR_NULL,
)

SCHEMAS["EventEntry"] = _object(
    ["position", "type", "payload"],
    "One stored event, as the history and the feed show it (the feed leaves "
    "out the ledger's own bookkeeping, its ticket and idempotency claims): "
    "its place in the "
    "log, its type, when it happened (business time) and was recorded, who "
    "did it, its own fields (payload), its chain hash and, for an appeal's "
    "events, a summary in Chinese and English. The payload fields of each "
    "type are listed in docs/events.md; the enterprise's history replaces "
    'internal text with "withheld": true.',
    aggregate_id={**UUID, "description": "the appeal or record the event belongs to"},
    version=INTEGER,
    position=INTEGER,
    type={"type": "string", "examples": ["Appeal.Received"]},
    business_time=INSTANT_OR_NULL,
    recorded_time=INSTANT_OR_NULL,
    actor={"anyOf": [{"$ref": "#/components/schemas/Actor"}, {"type": "null"}]},
    payload={"type": "object", "additionalProperties": True},
    chain=TEXT_OR_NULL,
    summary={"anyOf": [LABEL, {"type": "null"}]},
)

SCHEMAS["VisitCoverageRow"] = _object(
    ["cadre", "linked", "visited"],
    "每月走访率 of one cadre in the month",
    cadre=STRING,
    linked=COUNT,
    visited=COUNT,
    coverage=RATE,
    visits=COUNT,
    problems=COUNT,
    problems_per_visit={"type": ["number", "null"]},
    not_visited=_array(STRING),
)

SCHEMAS["UnvisitedLink"] = _object(
    ["cadre", "uscc"],
    "A link in force whose enterprise was not visited for the days asked",
    cadre=STRING,
    uscc=STRING,
    last_visit=DAY_OR_NULL,
)

SCHEMAS["PortfolioRow"] = _object(
    ["uscc"],
    "One enterprise linked to the cadre (挂钩台账)",
    uscc=STRING,
    enterprise=TEXT_OR_NULL,
    role=TEXT_OR_NULL,
    target_kind={"type": "string", "enum": ["enterprise", "project"]},
    target=STRING,
    linked_since=DAY_OR_NULL,
    open_appeals=COUNT,
    overdue_appeals=COUNT,
    last_visit=DAY_OR_NULL,
)

SCHEMAS["MeetingTask"] = _object(
    ["number", "task", "owner", "due"],
    "A follow-up task of a joint meeting (会办); the report's rows also name "
    "the meeting and its subject",
    meeting_id=UUID,
    number=INTEGER,
    subject=STRING,
    task=STRING,
    owner=STRING,
    due=DAY,
    done_on=DAY_OR_NULL,
    overdue=BOOLEAN,
)

SCHEMAS["Revision"] = _object(
    ["revision", "published_at", "digest"],
    "One revision of a published month (考核结果 or 通报)",
    revision={"type": "integer", "minimum": 1},
    reason=TEXT_OR_NULL,
    published_at=INSTANT,
    digest={"type": "string", "pattern": "^[0-9a-f]{64}$"},
)

SCHEMAS["AssessmentScheme"] = _object(
    ["version", "indicators"],
    "The assessment scheme (考核方案) a month was computed with: each "
    "indicator's weight and floor",
    version=STRING,
    name=STRING,
    source=STRING,
    min_sample=COUNT,
    indicators={
        "type": "object",
        "additionalProperties": _object(
            ["weight"], weight=NUMBER, floor={"type": ["number", "null"]}
        ),
    },
)

SCHEMAS["NoticeAppeal"] = _object(
    ["ticket", "appeal_id", "stage", "due", "unit"],
    "An appeal in a 通报: still late after the ladder's last rung",
    ticket=STRING,
    appeal_id=UUID,
    stage=STRING,
    due=INSTANT,
    unit=TEXT_OR_NULL,
    unit_name=TEXT_OR_NULL,
    issued_at=INSTANT_OR_NULL,
    addressee_unit=TEXT_OR_NULL,
    addressee=TEXT_OR_NULL,
    answered_at=INSTANT_OR_NULL,
    settled_at=INSTANT_OR_NULL,
    still_late=BOOLEAN,
)

SCHEMAS["NoticeUnit"] = _object(
    ["unit", "appeals"],
    "A unit named in a 通报, with how many of its appeals",
    unit=TEXT_OR_NULL,
    unit_name=TEXT_OR_NULL,
    appeals=COUNT,
)

SCHEMAS["Open311Error"] = _object(
    ["code", "description"],
    "An Open311 error (GeoReport v2)",
    code=INTEGER,
    description=STRING,
)

SCHEMAS["Open311Discovery"] = _object(
    ["endpoints"],
    "Open311 discovery: the endpoints and their formats",
    changeset=STRING,
    contact=STRING,
    key_service=STRING,
    endpoints=_array(
        _object(
            ["url"],
            specification=STRING,
            url=STRING,
            changeset=STRING,
            type=STRING,
            formats=_array(STRING),
        )
    ),
)

SCHEMAS["Open311Service"] = _object(
    ["service_code", "service_name"],
    "A catalogue item in force as an Open311 service",
    service_code=STRING,
    service_name=STRING,
    description=STRING,
    metadata=BOOLEAN,
    type=STRING,
    keywords=STRING,
    group=STRING,
)

SCHEMAS["Open311ServiceDefinition"] = _object(
    ["service_code", "attributes"],
    "What a filer says besides the description (uscc, enterprise_name, "
    "title, priority)",
    service_code=STRING,
    attributes=_array(
        _object(
            ["code", "order"],
            variable=BOOLEAN,
            code=STRING,
            datatype=STRING,
            required=BOOLEAN,
            datatype_description=TEXT_OR_NULL,
            order=INTEGER,
            description=STRING,
            values=_array(_object(["key", "name"], key=STRING, name=STRING)),
        )
    ),
)

SCHEMAS["Open311Request"] = _object(
    ["service_request_id", "status"],
    "An appeal as an Open311 service request; an anonymous reader's has no "
    "description, notes or address. extensions=true adds notes (the public "
    "timeline) and extended_attributes.",
    service_request_id=STRING,
    status={"type": "string", "enum": ["open", "closed"]},
    status_notes=TEXT_OR_NULL,
    service_name=TEXT_OR_NULL,
    service_code=TEXT_OR_NULL,
    description=TEXT_OR_NULL,
    agency_responsible=TEXT_OR_NULL,
    service_notice=TEXT_OR_NULL,
    requested_datetime=TEXT_OR_NULL,
    updated_datetime=TEXT_OR_NULL,
    expected_datetime=TEXT_OR_NULL,
    address=TEXT_OR_NULL,
    address_id=TEXT_OR_NULL,
    zipcode=TEXT_OR_NULL,
    lat={"type": ["number", "string", "null"]},
    long={"type": ["number", "string", "null"]},
    media_url=TEXT_OR_NULL,
    extended_attributes=_object([], title=TEXT_OR_NULL),
    notes=_array(
        _object(
            ["datetime", "type", "description"],
            datetime=STRING,
            type=STRING,
            description=STRING,
        )
    ),
)

SCHEMAS["Open311Receipt"] = _object(
    ["service_request_id"],
    "A filed service request's ticket and notice",
    service_request_id=STRING,
    service_notice=TEXT_OR_NULL,
    account_id=TEXT_OR_NULL,
)

SCHEMAS["TaskForceProgress"] = _object(
    ["appeals", "open", "overdue", "closed"],
    "The task force's enterprise's appeals: how many, open, overdue now, "
    "closed, by status, and the share no longer open (实时统计问题化解进度)",
    appeals=COUNT,
    open=COUNT,
    overdue=COUNT,
    closed=COUNT,
    by_status={"type": "object", "additionalProperties": COUNT},
    resolved_share=RATE,
)

SCHEMAS["BoardAppeal"] = _object(
    ["appeal_id", "ticket", "status"],
    "An open appeal on a task force's board",
    appeal_id=UUID,
    ticket=STRING,
    title=STRING,
    status=STATUS,
    unit=TEXT_OR_NULL,
)
