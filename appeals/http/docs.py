"""``/openapi.json`` and ``/docs``: a readable page rendered on the server from
the OpenAPI document, with no scripts or assets fetched from the internet."""

from __future__ import annotations

import html
from functools import cache
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from appeals.http.openapi import build_openapi
from appeals.http.responses import OrjsonResponse


@cache
def openapi_document() -> dict[str, Any]:
    return build_openapi()


async def openapi_json(request: Request) -> Response:
    body = orjson.dumps(openapi_document(), option=orjson.OPT_APPEND_NEWLINE)
    return Response(body, media_type="application/json")


async def docs_page(request: Request) -> Response:
    return HTMLResponse(render_docs(openapi_document()))


def render_docs(spec: dict[str, Any]) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>{e(spec['info']['title'])} API</title>",
        "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem"
        " auto;padding:0 1rem}code,pre{background:#f4f4f4;padding:0 .2rem}"
        "h2{border-top:1px solid #ccc;padding-top:1rem}table{border-collapse:"
        "collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;"
        "vertical-align:top}.m{font-weight:bold;color:#05a}</style></head><body>",
        f"<h1>{e(spec['info']['title'])}</h1>",
        f"<p>{e(spec['info']['description'])}</p>",
        "<p>Machine-readable: <a href='/openapi.json'>/openapi.json</a> "
        "(OpenAPI 3.1).</p>",
    ]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            parts.append(
                f"<h2><span class='m'>{method.upper()}</span> <code>{e(path)}</code>"
                f"</h2><p>{e(operation.get('summary', ''))}</p>"
            )
            if operation.get("description"):
                parts.append(f"<p>{e(operation['description'])}</p>")
            body = operation.get("requestBody")
            if body:
                media_type, content = next(iter(body["content"].items()))
                parts.append(f"<p>Body: <code>{e(media_type)}</code></p>")
                parts.append(_fields_table(content["schema"]))
            responses = ", ".join(
                f"{code} {e(r['description'])}"
                for code, r in operation["responses"].items()
            )
            parts.append(f"<p><small>Responses: {responses}</small></p>")
    parts.append("</body></html>")
    return "".join(parts)


def _fields_table(schema: dict[str, Any]) -> str:
    e = html.escape
    required = set(schema.get("required", []))
    rows = ["<table><tr><th>field</th><th>type</th><th>notes</th></tr>"]
    for name, field in schema["properties"].items():
        kind = (
            field["type"] if isinstance(field["type"], str) else "/".join(field["type"])
        )
        notes = []
        if name in required:
            notes.append("required")
        if "maxLength" in field:
            notes.append(f"at most {field['maxLength']} characters")
        if "description" in field:
            notes.append(field["description"])
        if "format" in field:
            notes.append(field["format"])
        rows.append(
            f"<tr><td><code>{e(name)}</code></td><td>{e(kind)}</td>"
            f"<td>{e('; '.join(notes))}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


async def index(request: Request) -> Response:
    """``/``: where to go from here."""
    return OrjsonResponse(
        {
            "service": "Appeal Ledger 企业诉求台账",
            "docs": "/docs",
            "openapi": "/openapi.json",
            "health": "/healthz",
        }
    )
