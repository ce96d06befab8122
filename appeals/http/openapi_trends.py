"""The OpenAPI paths of the trend and hotspot reports
(appeals.http.reports.trends)."""

from __future__ import annotations

from typing import Any

from appeals.domain.trends import GROUPS, MEASURES
from appeals.http.openapi_reads import DAY, MONTH, _object, _query, _report

NUMBER_OR_NULL = {"type": ["number", "null"]}
LABEL = _object(["zh", "en"], zh={"type": "string"}, en={"type": "string"})

TREND_VALUE = _object(
    ["period", "value", "numerator", "denominator"],
    period={"type": "string", "description": "YYYY-MM"},
    value={
        **NUMBER_OR_NULL,
        "description": "a rate 0..1, a count or hours; null: nothing due",
    },
    numerator=NUMBER_OR_NULL,
    denominator={"type": "integer", "description": "what the value is over"},
)
TREND_ITEM = _object(
    ["group", "label", "values", "baseline", "compare", "change", "relative_change"],
    group={
        "type": ["string", "null"],
        "description": "city, or the unit, locality or category code "
        "(null: appeals not yet assigned)",
    },
    label=LABEL,
    values={"type": "array", "items": TREND_VALUE},
    baseline=NUMBER_OR_NULL,
    compare=NUMBER_OR_NULL,
    change={**NUMBER_OR_NULL, "description": "compare − baseline"},
    relative_change={
        **NUMBER_OR_NULL,
        "description": "(compare − baseline) / baseline; null from a zero baseline",
    },
)
TREND = _object(
    ["indicator", "label", "kind", "group_by", "from", "to", "periods", "items"],
    indicator={"type": "string", "enum": list(MEASURES)},
    label=LABEL,
    kind={"type": "string", "enum": ["rate", "count", "hours"]},
    lower_is_better={"type": "boolean"},
    group_by={"type": "string", "enum": list(GROUPS)},
    periods={"type": "array", "items": {"type": "string"}},
    baseline={"type": "string"},
    compare={"type": "string"},
    as_of={"type": "string", "format": "date-time"},
    items={"type": "array", "items": TREND_ITEM},
    **{"from": {"type": "string"}, "to": {"type": "string"}},
)
HOTSPOT = _object(
    ["category", "locality", "received", "due", "late", "late_rate"],
    category={"type": "string"},
    category_label=LABEL,
    locality={"type": "string", "description": "GB/T 2260 code"},
    locality_label=LABEL,
    received={"type": "integer"},
    due={"type": "integer", "description": "resolve stages due in the window"},
    late={"type": "integer"},
    late_rate=NUMBER_OR_NULL,
)


def trend_paths() -> dict[str, Any]:
    return {
        "/reports/trend": _report(
            "trends",
            "An indicator month by month (趋势对比) for the city and per group, "
            "with its change from a baseline month to a compared month",
            [
                _query(
                    "indicator",
                    {"type": "string", "enum": list(MEASURES)},
                    "response_rate by default; rates are the assessment's "
                    "(denominators: what came due)",
                ),
                _query("group_by", {"type": "string", "enum": list(GROUPS)}),
                _query("from", MONTH, "first month (default: five before to)"),
                _query("to", MONTH, "last month (default: this month)"),
                _query("baseline", MONTH, "default: from"),
                _query("compare", MONTH, "default: to"),
            ],
            TREND,
        ),
        "/reports/hotspots": _report(
            "hotspots",
            "Hotspots (热点): appeals received and resolve stages late per "
            "category and locality, the busiest first",
            [_query("from", DAY), _query("to", DAY)],
            _object(["from", "to", "items"], items={"type": "array", "items": HOTSPOT}),
        ),
    }
