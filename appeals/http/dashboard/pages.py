"""The dashboard's pages: each reads the API (appeals.http.dashboard.api) with
the signed-in token and renders a server-side template (jinja2) with tables
and Plotly charts. Nothing here computes a figure: a page shows what the API
answers, so a chart and the API can never disagree, and a unit's cadre sees
what the permissions table lets a unit see."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from appeals.domain.trends import GROUPS, MEASURES
from appeals.domain.values import Actor
from appeals.http.columns import shanghai_minute
from appeals.http.context import context_of, ledger_of
from appeals.http.dashboard import charts
from appeals.http.dashboard.api import Answer, fetch, get, held_answers
from appeals.http.dashboard.session import (
    PATH,
    language,
    remember_language,
    safe_next,
    signed_in,
    signed_out,
    viewer,
)
from appeals.http.tabular import XLSX
from appeals.infra.clock import SHANGHAI

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / "templates" / "dashboard"),
    autoescape=select_autoescape(["html"]),
)
BUCKET_NAMES = {
    "zh": {"under_1": "超期<1日", "1_to_3": "1–3日", "3_to_5": "3–5日",
           "over_5": "5日以上"},
    "en": {"under_1": "< 1 day", "1_to_3": "1–3 days", "3_to_5": "3–5 days",
           "over_5": "> 5 days"},
}  # fmt: skip
EXPORTABLE = re.compile(
    r"/reports/[a-z-]+|/appeals|/callbacks/queue|/supervision/orders"
    r"|/assessments/[0-9]{4}-[0-9]{2}(/preview)?|/notices/[0-9]{4}-[0-9]{2}(/preview)?"
    r"|/enterprises/[0-9A-Z]{18}/ledger"
)
"""The reports the dashboard's export links may fetch: a table read, never a
file, a command or anything else under the API."""
EXPORT_FORMATS = {"csv": "text/csv", "xlsx": XLSX, "html": "text/html"}
"""What an export may be (html: the printable 通报 alone)."""


def _percent(value: Any) -> str:
    return "—" if not isinstance(value, int | float) else f"{value * 100:.1f}%"


def _points(value: Any) -> str:
    """A change of rates, in percentage points."""
    if not isinstance(value, int | float):
        return "—"
    return f"{value * 100:+.1f}"


TEMPLATES.filters.update(minute=shanghai_minute, percent=_percent, points=_points)


def figure_json(figure: dict[str, Any]) -> str:
    """A figure as JSON to embed in a ``<script type="application/json">``:
    ``<``, ``>`` and ``&`` as JSON escapes, so no text in it (a unit's name,
    say) can close the element or open a comment there."""
    return (
        orjson.dumps(figure)
        .decode()
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def month_now(request: Request) -> str:
    now = ledger_of(request).clock.now().astimezone(SHANGHAI)
    return now.strftime("%Y-%m")


def last_month(request: Request) -> str:
    now = ledger_of(request).clock.now().astimezone(SHANGHAI)
    return (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


async def page(
    request: Request, template: str, actor: Actor, **context: Any
) -> Response:
    lang = language(request)

    def t(zh: str, en: str) -> str:
        return zh if lang == "zh" else en

    def chart(name: str, figure: dict[str, Any]) -> Markup:
        """A chart's placeholder; dashboard.js draws the embedded figure."""
        data = figure_json(figure)
        # name is the page's own; the JSON cannot close its script element
        return Markup(  # noqa: S704
            f'<div class="chart" id="chart-{name}" data-chart="{name}"></div>'
            f'<script type="application/json" id="figure-{name}">{data}</script>'
        )

    html = TEMPLATES.get_template(template).render(
        request=request,
        actor=actor,
        lang=lang,
        t=t,
        chart=chart,
        path=request.url.path,
        query=str(request.query_params),
        other_lang="en" if lang == "zh" else "zh",
        **context,
    )
    response = HTMLResponse(html)
    remember_language(request, response)
    return response


Page = Callable[[Request, Actor], Awaitable[Response]]


def signed_page(handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """A page for the signed-in viewer; anyone else goes to the login form."""

    async def answer(request: Request) -> Response:
        actor = await signed(request)
        if isinstance(actor, Response):
            return actor
        return await handler(request, actor)

    answer.__name__ = handler.__name__
    answer.__doc__ = handler.__doc__
    return answer


async def signed(request: Request) -> Actor | Response:
    """The viewer, or a redirect to the login form (coming back here after)."""
    actor = await viewer(request)
    if actor is None:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(
            PATH + "/login?" + urlencode({"next": target}), status_code=303
        )
    return actor


# ---- signing in ---------------------------------------------------------------


async def login(request: Request) -> Response:
    lang = language(request)
    error = None
    target = safe_next(request.query_params.get("next"))
    if request.method == "POST":
        if not same_origin(request):
            return HTMLResponse("跨站登录被拒绝 cross-site sign-in refused", 403)
        form = await request.form()
        token = str(form.get("token", "")).strip()
        target = safe_next(str(form.get("next", "")))
        info = (
            await run_in_threadpool(context_of(request).tokens.verify, token)
            if token
            else None
        )
        if info is not None:
            return signed_in(token, target)
        error = (
            "令牌无效、已过期或已吊销"
            if lang == "zh"
            else "unknown, expired or revoked token"
        )
    html = TEMPLATES.get_template("login.html").render(
        lang=lang,
        t=lambda zh, en: zh if lang == "zh" else en,
        error=error,
        next=target,
        other_lang="en" if lang == "zh" else "zh",
    )
    response = HTMLResponse(html, status_code=401 if error else 200)
    remember_language(request, response)
    return response


def same_origin(request: Request) -> bool:
    """A form posted from this site: no ``Origin`` (an old browser, a script)
    or the dashboard's own, so another site cannot sign a visitor in as
    someone else."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def logout(request: Request) -> Response:
    return signed_out()


# ---- pages --------------------------------------------------------------------


@signed_page
async def overview(request: Request, actor: Actor) -> Response:
    lang = language(request)
    today = ledger_of(request).clock.now().astimezone(SHANGHAI).date().isoformat()
    month = month_now(request)
    open_statuses = "received,assigned,in_progress,resolved,replied"
    # the counters are read live; the monthly charts may be held a minute
    held, scope = held_answers(request), (actor.role.value, actor.unit, actor.uscc)
    # the page's reads are independent: asked at once, not one after another
    (
        overdue,
        intake,
        open_appeals,
        volume,
        rates,
        satisfaction,
        ranking,
    ) = await asyncio.gather(
        get(request, "/reports/overdue", {"limit": 10}),
        get(request, "/appeals", {"received_from": today, "limit": 500}),
        get(request, "/appeals", {"status": open_statuses, "limit": 500}),
        held.get(request, scope, "/reports/trend", {"indicator": "received"}),
        held.get(request, scope, "/reports/trend", {"indicator": "response_rate"}),
        held.get(request, scope, "/reports/trend", {"indicator": "satisfaction_rate"}),
        held.get(request, scope, f"/assessments/{month}/preview", {"group_by": "unit"}),
    )
    figures: dict[str, dict[str, Any]] = {}
    if overdue.ok:
        figures["ageing"] = charts.ageing_bars(
            overdue.body["buckets"], BUCKET_NAMES[lang],
            "超期环节账龄" if lang == "zh" else "Overdue stages by age",
        )  # fmt: skip
    if volume.ok:
        figures["volume"] = charts.trend_bars(
            volume.body, lang, "月受理量" if lang == "zh" else "Appeals received"
        )
    if rates.ok and satisfaction.ok:
        both = {
            **rates.body,
            "items": [
                {**rates.body["items"][0], "label": rates.body["label"]},
                {**satisfaction.body["items"][0], "label": satisfaction.body["label"]},
            ],
        }
        figures["rates"] = charts.trend_lines(
            both,
            lang,
            "响应率与满意率(全市)" if lang == "zh" else "Response and satisfaction",
        )
    if ranking.ok:
        figures["ranking"] = charts.score_bars(
            ranking.body["rows"], lang,
            f"{month} 考核得分" if lang == "zh" else f"{month} assessment scores",
        )  # fmt: skip
    return await page(
        request,
        "overview.html",
        actor,
        overdue=overdue,
        intake=_counted(intake),
        open_count=_counted(open_appeals),
        ranking=ranking,
        month=month,
        figures=figures,
        charts_as_of=_oldest_as_of(volume, rates, satisfaction),
        bucket_names=BUCKET_NAMES[lang],
    )


def _oldest_as_of(*answers: Answer) -> str | None:
    """When the oldest of the held charts was computed (Shanghai, to the
    second), or None if none was answered."""
    found = [a.body["as_of"] for a in answers if a.ok and a.body.get("as_of")]
    if not found:
        return None
    oldest = min(datetime.fromisoformat(value) for value in found)
    return oldest.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _counted(answer: Answer) -> str | None:
    """How many items a list answered (``500+`` when there are more pages)."""
    if not answer.ok:
        return None
    count = len(answer.body["items"])
    return f"{count}+" if answer.body.get("next") else str(count)


@signed_page
async def trends(request: Request, actor: Actor) -> Response:
    lang = language(request)
    params = {
        name: request.query_params.get(name)
        for name in ("indicator", "group_by", "from", "to", "baseline", "compare")
    }
    params["indicator"] = params["indicator"] or "response_rate"
    params["group_by"] = params["group_by"] or "unit"
    answer = await get(request, "/reports/trend", params)
    figures = {}
    if answer.ok:
        shown = {**answer.body, "items": answer.body["items"][:7]}
        figures["trend"] = charts.trend_lines(shown, lang, answer.body["label"][lang])
    return await page(
        request,
        "trends.html",
        actor,
        answer=answer,
        params=params,
        measures=MEASURES,
        groups=GROUPS,
        figures=figures,
        export=urlencode({k: v for k, v in params.items() if v}),
    )


@signed_page
async def hotspots(request: Request, actor: Actor) -> Response:
    lang = language(request)
    params = {n: request.query_params.get(n) for n in ("from", "to")}
    answer = await get(request, "/reports/hotspots", params)
    figures = {}
    if answer.ok and answer.body["items"]:
        figures["hotspots"] = charts.heatmap(
            answer.body["items"],
            lang,
            "热点：类别 × 属地" if lang == "zh" else "Hotspots",
        )
    return await page(
        request,
        "hotspots.html",
        actor,
        answer=answer,
        figures=figures,
        export=urlencode({k: v for k, v in params.items() if v}),
    )


@signed_page
async def overdue_list(request: Request, actor: Actor) -> Response:
    params = {"limit": 200, "unit": request.query_params.get("unit")}
    answer = await get(request, "/reports/overdue", params)
    return await page(
        request,
        "overdue.html",
        actor,
        answer=answer,
        bucket_names=BUCKET_NAMES[language(request)],
        unit=params["unit"],
    )


@signed_page
async def appeal(request: Request, actor: Actor) -> Response:
    appeal_id = str(request.path_params["appeal_id"])
    found = await get(request, f"/appeals/{quote(appeal_id, safe='')}")
    history = await get(request, f"/appeals/{quote(appeal_id, safe='')}/history")
    return await page(request, "appeal.html", actor, found=found, history=history)


@signed_page
async def unit(request: Request, actor: Actor) -> Response:
    lang = language(request)
    code = str(request.path_params["code"])
    found = await get(request, f"/units/{quote(code, safe='')}")
    figures = {}
    trends_of_unit = {}
    indicators = ("response_rate", "on_time_resolution_rate", "satisfaction_rate")
    *answers, overdue = await asyncio.gather(
        *(
            get(request, "/reports/trend", {"indicator": i, "group_by": "unit"})
            for i in indicators
        ),
        get(request, "/reports/overdue", {"unit": code, "limit": 50}),
    )
    for indicator, answer in zip(indicators, answers, strict=True):
        if answer.ok:
            rows = [i for i in answer.body["items"] if i["group"] in ("city", code)]
            trends_of_unit[indicator] = {**answer.body, "items": rows}
            figures[indicator] = charts.trend_lines(
                trends_of_unit[indicator], lang, answer.body["label"][lang]
            )
    return await page(
        request,
        "unit.html",
        actor,
        code=code,
        found=found,
        overdue=overdue,
        trends=trends_of_unit,
        figures=figures,
        bucket_names=BUCKET_NAMES[lang],
    )


@signed_page
async def cadre(request: Request, actor: Actor) -> Response:
    code = str(request.path_params["code"])
    found = await get(request, f"/cadres/{quote(code, safe='')}")
    portfolio = await get(request, f"/cadres/{quote(code, safe='')}/portfolio")
    return await page(
        request, "cadre.html", actor, code=code, found=found, portfolio=portfolio
    )


@signed_page
async def assessment(request: Request, actor: Actor) -> Response:
    lang = language(request)
    period = str(request.path_params.get("period") or last_month(request))
    group_by = request.query_params.get("group_by") or "unit"
    answer = await get(
        request, f"/assessments/{quote(period, safe='')}", {"group_by": group_by}
    )
    published = answer.ok
    if answer.status == 404:
        answer = await get(
            request,
            f"/assessments/{quote(period, safe='')}/preview",
            {"group_by": group_by},
        )
    figures = {}
    if answer.ok:
        figures["scores"] = charts.score_bars(
            answer.body["rows"], lang,
            f"{period} 考核得分" if lang == "zh" else f"{period} assessment scores",
        )  # fmt: skip
    return await page(
        request,
        "assessment.html",
        actor,
        period=period,
        group_by=group_by,
        answer=answer,
        published=published,
        figures=figures,
    )


@signed_page
async def notice(request: Request, actor: Actor) -> Response:
    period = str(request.path_params.get("period") or last_month(request))
    answer = await get(
        request, f"/notices/{quote(period, safe='')}", {"format": "json"}
    )
    published = answer.ok
    if answer.status == 404:
        answer = await get(
            request, f"/notices/{quote(period, safe='')}/preview", {"format": "json"}
        )
    return await page(
        request,
        "notice.html",
        actor,
        period=period,
        answer=answer,
        published=published,
    )


@signed_page
async def enterprise(request: Request, actor: Actor) -> Response:
    uscc = str(request.path_params["uscc"])
    answer = await get(
        request, f"/enterprises/{quote(uscc, safe='')}/ledger", {"limit": 100}
    )
    return await page(request, "enterprise.html", actor, uscc=uscc, answer=answer)


@signed_page
async def export(request: Request, actor: Actor) -> Response:
    """A report's CSV or XLSX through the dashboard's session: the API's own
    export (``path`` must be one of the readable reports)."""
    params = dict(request.query_params)
    path = params.pop("path", "")
    chosen = params.setdefault("format", "xlsx")
    printable = chosen == "html" and path.startswith("/notices/")
    if EXPORTABLE.fullmatch(path) is None or (
        chosen not in ("csv", "xlsx") and not printable
    ):
        return HTMLResponse("不可导出 not exportable", status_code=400)
    params.setdefault("lang", language(request))
    answer = await fetch(request, path, params)
    media = answer.headers.get("content-type", "")
    if answer.status_code == 200 and not media.startswith(EXPORT_FORMATS[chosen]):
        return HTMLResponse("不可导出 not exportable", status_code=400)
    keep = ("content-type", "content-disposition", "projection-position",
            "projection-complete")  # fmt: skip
    return Response(
        answer.content,
        status_code=answer.status_code,
        headers={k: v for k, v in answer.headers.items() if k in keep},
    )
