"""Makes ``appeals/http/openapi_examples.json``: real responses of the demo
city, for the OpenAPI document's examples.

Loads a small demo (``appeals demo``, fixed seed and start) into a temporary
SQLite store, brings every view up to the log's head, then asks the app
in-process for one answer of each read and keeps it, its lists cut to a few
entries. Run from the repository root:

    .venv/bin/python devtools/openapi_examples.py [--raw DIR]

``--raw DIR`` also writes every whole answer there (for checking schemas).
The document (appeals/http/openapi.py) attaches each example to its
operation's response; tests/http/test_openapi_examples.py checks that every
example still validates against its documented schema.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "appeals" / "http" / "openapi_examples.json"
DEMO = ["--appeals", "150", "--months", "2", "--start", "2026-09-01", "--seed", "7"]
NOW = "2026-10-30T10:00:00+08:00"
"""The app's clock while answering: late in the demo's window."""
KEEP = 3
"""Entries kept of each list in an example."""


def load_demo(database: Path) -> dict[str, str]:
    env = {**os.environ, "APPEALS_DATABASE_URL": f"sqlite:///{database}"}
    subprocess.run(
        [sys.executable, "-m", "appeals.cli", "demo", *DEMO],
        env={**env, "PYTHONPATH": str(ROOT)},
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )
    return env


def trimmed(value: Any) -> Any:
    """``value`` with every list cut to ``KEEP`` entries."""
    if isinstance(value, list):
        return [trimmed(v) for v in value[:KEEP]]
    if isinstance(value, dict):
        return {k: trimmed(v) for k, v in value.items()}
    return value


async def collect(env: dict[str, str], blobs: Path) -> dict[str, Any]:
    from appeals.bootstrap import events_of, open_ledger
    from appeals.http.app import create_app
    from appeals.infra.blobs import FileBlobStore
    from appeals.infra.clock import FixedClock
    from appeals.infra.settings import Settings
    from appeals.infra.tokens import TokenStore
    from appeals.projections.registry import projections
    from appeals.projections.runtime.runner import Runner

    now = datetime.fromisoformat(NOW)
    ledger = open_ledger(Settings.from_env(env), clock=FixedClock(now))
    for projection in projections(ledger.rules.timekeeping):
        runner = Runner(events_of(ledger), projection)
        runner.prepare()
        runner.catch_up()
    store = TokenStore(ledger.database)
    store.create_table()
    tokens = {
        role: store.create(role=role, name=f"示例 {role}", now=now)[0]
        for role in ("auditor", "supervisor", "admin", "dispatcher")
    }
    app = create_app(lambda: ledger, blobs=FileBlobStore(blobs))
    examples: dict[str, Any] = {}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://appeals.test"
        ) as client,
    ):

        async def get(path: str, **params: Any) -> Any:
            for role in ("auditor", "supervisor", "admin", "dispatcher"):
                headers = {"Authorization": f"Bearer {tokens[role]}"}
                answer = await client.get(path, params=params, headers=headers)
                if answer.status_code != 403:
                    break
            assert answer.status_code == 200, (path, answer.status_code, answer.text)
            return answer.json()

        async def keep(template: str, path: str, **params: Any) -> Any:
            body = await get(path, **params)
            examples[f"GET {template}"] = body
            return body

        listed = await keep("/appeals", "/appeals", limit=KEEP)
        appeal_id = listed["items"][0]["id"]
        appeal = await keep("/appeals/{appeal_id}", f"/appeals/{appeal_id}")
        await keep(
            "/appeals/by-ticket/{ticket}", f"/appeals/by-ticket/{appeal['ticket']}"
        )
        await keep("/appeals/{appeal_id}/history", f"/appeals/{appeal_id}/history")
        await keep("/appeals/{appeal_id}/verify", f"/appeals/{appeal_id}/verify")
        await keep("/events", "/events", limit=KEEP)
        for report in (
            "category-month",
            "overdue",
            "timeliness",
            "accountability",
            "routing",
            "callbacks",
            "meeting-tasks",
            "visits",
            "unvisited",
        ):
            await keep(f"/reports/{report}", f"/reports/{report}")
        await keep("/callbacks/queue", "/callbacks/queue", due="all")
        units = await keep("/units", "/units")
        await keep("/units/{code}", f"/units/{units['items'][0]['code']}")
        await keep("/cadres", "/cadres")
        coverage = examples["GET /reports/visits"]["items"]
        cadre = next(row["cadre"] for row in coverage if row["linked"])
        await keep("/cadres/{code}", f"/cadres/{cadre}")
        await keep("/cadres/{code}/portfolio", f"/cadres/{cadre}/portfolio")
        # The ledger of an enterprise with appeals, visits and, at best, a
        # task force and projects: the fullest of the registered enterprises.
        registered = await get("/enterprises", limit=500)
        best: tuple[int, Any] = (-1, None)
        for uscc in (e["uscc"] for e in registered["items"]):
            body = await get(f"/enterprises/{uscc}/ledger")
            service = body["service"]
            score = sum(
                (
                    bool(body["items"]),
                    bool(service["recent_visits"]),
                    bool(service["task_force"]),
                    bool(service["service_list"]),
                    bool(service["projects"]),
                )
            )
            best = max(best, (score, body), key=lambda pair: pair[0])
        examples["GET /enterprises/{uscc}/ledger"] = best[1]
        service = best[1]["service"]
        if service["task_force"]:
            force = service["task_force"]["id"]
            await keep("/taskforces/{force_id}", f"/taskforces/{force}")
            await keep("/taskforces/{force_id}/board", f"/taskforces/{force}/board")
        if service["recent_visits"]:
            visit = service["recent_visits"][0]["visit_id"]
            await keep("/visits/{visit_id}", f"/visits/{visit}")
        enterprises = await keep("/enterprises", "/enterprises")
        await keep(
            "/enterprises/{uscc}", f"/enterprises/{enterprises['items'][0]['uscc']}"
        )
        catalogue = await keep("/catalogue", "/catalogue")
        await keep("/catalogue/{code}", f"/catalogue/{catalogue['items'][0]['code']}")
        await keep("/assessments/{period}/preview", "/assessments/2026-10/preview")
        await keep("/notices/{period}/preview", "/notices/2026-10/preview")
        await keep("/supervision/orders", "/supervision/orders")
        examples["GET /healthz"] = await get("/healthz")
        examples["GET /readyz"] = await get("/readyz")
        examples["GET /"] = await get("/")
    ledger.close()
    return examples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw", type=Path, help="also write whole answers here")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as scratch:
        env = load_demo(Path(scratch) / "demo.sqlite3")
        os.environ.update(env)
        raw = asyncio.run(collect(env, Path(scratch) / "blobs"))
    if args.raw:
        args.raw.mkdir(parents=True, exist_ok=True)
        for key, body in raw.items():
            name = key.replace("/", "_").replace(" ", "").strip("_") or "index"
            (args.raw / f"{name}.json").write_bytes(
                orjson.dumps(body, option=orjson.OPT_INDENT_2)
            )
    OUTPUT.write_bytes(
        orjson.dumps(
            {key: trimmed(body) for key, body in sorted(raw.items())},
            option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE,
        )
    )
    print(f"wrote {len(raw)} examples to {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
