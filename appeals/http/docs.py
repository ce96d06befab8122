"""``/openapi.json`` and ``/docs``: a readable page rendered on the server from
the OpenAPI document, with no scripts or assets fetched from the internet;
``/docs/swagger``: Swagger UI, its files served from the installed
``swagger_ui_bundle`` package (no CDN), with "Try it out" against this server.

The bundled Swagger UI (4.x) reads OpenAPI 3.0 only, so it is given
``/docs/swagger/openapi.json``: the same document said in 3.0 terms
(``nullable`` for a type list with null, one ``example`` for ``examples``).
``/openapi.json`` stays the 3.1 document clients generate from.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import swagger_ui_bundle
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route

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
        "(OpenAPI 3.1). Interactive: <a href='/docs/swagger'>Swagger UI</a> "
        "(try a request with your token).</p>",
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
            "swagger": "/docs/swagger",
            "dashboard": "/dashboard",
            "openapi": "/openapi.json",
            "health": "/healthz",
        }
    )


SWAGGER_DIR = Path(swagger_ui_bundle.swagger_ui_path)
SWAGGER_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}
SWAGGER_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>Appeal Ledger API · Swagger UI</title>
<link rel="stylesheet" href="/docs/swagger/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/swagger/favicon-32x32.png">
<style>body{margin:0;background:#fafafa}</style>
</head><body>
<p style="font:14px system-ui,sans-serif;margin:.5rem 1rem">
<a href="/docs">/docs</a> · <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1)
· Authorize with a token from <code>appeals tokens create</code>.</p>
<div id="swagger-ui"></div>
<script src="/docs/swagger/swagger-ui-bundle.js"></script>
<script src="/docs/swagger/swagger-ui-standalone-preset.js"></script>
<script>
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/docs/swagger/openapi.json",
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    displayOperationId: true,
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout"
  });
};
</script>
</body></html>
"""


async def swagger_page(request: Request) -> Response:
    return HTMLResponse(SWAGGER_PAGE)


async def swagger_asset(request: Request) -> Response:
    """One of Swagger UI's own files, from the installed package."""
    name = str(request.path_params["name"])
    media_type = SWAGGER_ASSETS.get(name)
    if media_type is None:
        return Response(status_code=404)
    return FileResponse(
        SWAGGER_DIR / name,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=86400"},
    )


@cache
def swagger_document() -> dict[str, Any]:
    document: dict[str, Any] = as_openapi_30(openapi_document())
    return document


async def swagger_json(request: Request) -> Response:
    body = orjson.dumps(swagger_document(), option=orjson.OPT_APPEND_NEWLINE)
    return Response(body, media_type="application/json")


def as_openapi_30(value: Any) -> Any:
    """The 3.1 document said in OpenAPI 3.0 terms, for Swagger UI 4."""
    if isinstance(value, list):
        return [as_openapi_30(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: as_openapi_30(v) for k, v in value.items()}
    if out.get("openapi") == "3.1.0":
        out["openapi"] = "3.0.3"
    kind = out.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        if len(kinds) < len(kind):
            out["nullable"] = True
        if len(kinds) == 1:
            out["type"] = kinds[0]
        else:
            del out["type"]
            out["anyOf"] = [{"type": k} for k in kinds]
    if isinstance(out.get("examples"), list) and "in" not in out:
        examples = out.pop("examples")
        if examples:
            out["example"] = examples[0]
    alternatives = out.get("anyOf")
    if isinstance(alternatives, list) and {"type": "null"} in alternatives:
        out["anyOf"] = [a for a in alternatives if a != {"type": "null"}]
        out["nullable"] = True
    if out.get("required") == [] and isinstance(out.get("properties"), dict):
        del out["required"]  # 3.0 wants a required list to be non-empty
    out.pop("propertyNames", None)  # not in 3.0 (the description says it)
    if "const" in out:
        out["enum"] = [out.pop("const")]
    return out


def swagger_routes() -> list[BaseRoute]:
    """Swagger UI at ``/docs/swagger`` (beside the server-rendered ``/docs``)."""
    return [
        Route("/docs/swagger", swagger_page),
        Route("/docs/swagger/openapi.json", swagger_json),
        Route("/docs/swagger/{name}", swagger_asset),
    ]
