"""Charts as Plotly figures (``data`` and ``layout``), built from the API's
answers: the page embeds each figure as JSON and the locally served
plotly.js draws it (no CDN: the service runs offline). The browser tests read
the drawn traces back and compare them with the API's figures."""

from __future__ import annotations

from typing import Any

COLOURS = ("#c0392b", "#2471a3", "#229954", "#d68910", "#7d3c98", "#17a589")
FONT = {"family": "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"}


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 15}},
        "font": FONT,
        "margin": {"l": 56, "r": 16, "t": 48, "b": 48},
        "height": 320,
        **extra,
    }


def trend_lines(body: dict[str, Any], lang: str, title: str) -> dict[str, Any]:
    """One line per row of a ``/reports/trend`` answer (the city's first)."""
    rate = body["kind"] == "rate"
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": item["label"][lang],
            "x": [v["period"] for v in item["values"]],
            "y": [v["value"] for v in item["values"]],
            "line": {"color": COLOURS[i % len(COLOURS)], "width": 3 if i == 0 else 2},
        }
        for i, item in enumerate(body["items"])
    ]
    axis = {"tickformat": ".0%", "rangemode": "tozero"} if rate else {}
    return {
        "data": data,
        "layout": _layout(title, yaxis=axis, xaxis={"type": "category"}),
    }


def trend_bars(body: dict[str, Any], lang: str, title: str) -> dict[str, Any]:
    """The city's row of a ``/reports/trend`` answer as bars (volumes)."""
    city = body["items"][0]
    return {
        "data": [
            {
                "type": "bar",
                "name": city["label"][lang],
                "x": [v["period"] for v in city["values"]],
                "y": [v["value"] for v in city["values"]],
                "marker": {"color": COLOURS[1]},
            }
        ],
        "layout": _layout(title, xaxis={"type": "category"}),
    }


def ageing_bars(
    buckets: dict[str, int], names: dict[str, str], title: str
) -> dict[str, Any]:
    """Overdue stages by how late they are (``/reports/overdue`` buckets)."""
    return {
        "data": [
            {
                "type": "bar",
                "x": [names.get(k, k) for k in buckets],
                "y": list(buckets.values()),
                "marker": {"color": COLOURS[0]},
            }
        ],
        "layout": _layout(title, xaxis={"type": "category"}),
    }


def score_bars(rows: list[dict[str, Any]], lang: str, title: str) -> dict[str, Any]:
    """Ranked rows of an assessment, by score (the best at the top)."""
    ranked = [r for r in rows if r.get("ranked")][:15]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": [r["score"] for r in ranked],
                "y": [r["label"][lang] for r in ranked],
                "marker": {"color": COLOURS[2]},
            }
        ],
        "layout": _layout(
            title,
            yaxis={"autorange": "reversed", "automargin": True},
            xaxis={"tickformat": ".0%", "range": [0, 1]},
            height=max(240, 28 * len(ranked) + 90),
        ),
    }


def heatmap(items: list[dict[str, Any]], lang: str, title: str) -> dict[str, Any]:
    """Appeals received per category (rows) and locality (columns)."""
    categories = sorted({i["category_label"][lang] for i in items})
    localities = sorted({i["locality_label"][lang] for i in items})
    counts = {
        (i["category_label"][lang], i["locality_label"][lang]): i["received"]
        for i in items
    }
    return {
        "data": [
            {
                "type": "heatmap",
                "x": localities,
                "y": categories,
                "z": [
                    [counts.get((c, loc), 0) for loc in localities] for c in categories
                ],
                "colorscale": "YlOrRd",
            }
        ],
        "layout": _layout(
            title,
            height=max(300, 26 * len(categories) + 120),
            yaxis={"automargin": True},
            xaxis={"automargin": True},
        ),
    }
