"""The supervisors' dashboard under ``/dashboard`` (server-rendered pages
with Plotly charts, Chinese first): signed in with the API's tokens, reading
the API in-process. See docs/dashboard.md."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from appeals.http.dashboard import pages

STATIC = Path(__file__).parent.parent / "static"
PLOTLY_JS = Path(str(files("plotly") / "package_data" / "plotly.min.js"))
"""plotly.js as the plotly package ships it: served from here, never a CDN."""


async def plotly_js(request: Request) -> Response:
    return FileResponse(
        PLOTLY_JS,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def dashboard_routes() -> list[BaseRoute]:
    return [
        Route("/dashboard", pages.overview),
        Route("/dashboard/login", pages.login, methods=["GET", "POST"]),
        Route("/dashboard/logout", pages.logout, methods=["POST"]),
        Route("/dashboard/trends", pages.trends),
        Route("/dashboard/hotspots", pages.hotspots),
        Route("/dashboard/overdue", pages.overdue_list),
        Route("/dashboard/appeals/{appeal_id}", pages.appeal),
        Route("/dashboard/units/{code}", pages.unit),
        Route("/dashboard/cadres/{code}", pages.cadre),
        Route("/dashboard/assessments", pages.assessment),
        Route("/dashboard/assessments/{period}", pages.assessment),
        Route("/dashboard/notices", pages.notice),
        Route("/dashboard/notices/{period}", pages.notice),
        Route("/dashboard/enterprises/{uscc}", pages.enterprise),
        Route("/dashboard/export", pages.export),
        Route("/dashboard/static/plotly.min.js", plotly_js),
        Mount("/dashboard/static", StaticFiles(directory=STATIC), name="static"),
    ]
