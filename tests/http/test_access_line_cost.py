"""The access line's cost: one structured record per request, built only
when a handler would write it, and no second line from uvicorn."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from appeals.http import metrics
from tests.builders import RECEIPT, post
from tests.http.conftest import Auth

UVICORN_ACCESS = """
import json, logging, uvicorn
from appeals.infra.logs import log_config
config = uvicorn.Config("appeals.http.app:app", log_config=log_config("json"),
                        log_level="info")
access = logging.getLogger("uvicorn.access")
print(json.dumps({"handlers": access.hasHandlers(),
                  "level": logging.getLevelName(access.level)}))
"""


def test_uvicorn_makes_no_access_line_of_its_own() -> None:
    """uvicorn sets its access logger to ``info`` whatever the configuration
    said; with no handler to reach, its protocol makes no line at all (and
    none with the raw path and query string is written)."""
    found = subprocess.run(
        [sys.executable, "-c", UVICORN_ACCESS],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    state = json.loads(found.stdout.strip().splitlines()[-1])
    assert state == {"handlers": False, "level": "INFO"}


class Calls:
    """The access logger's ``log`` calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, dict[str, Any]]] = []

    def __call__(self, level: int, message: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((level, kwargs.get("extra", {})))


@pytest.fixture
def access_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    calls = Calls()
    monkeypatch.setattr(metrics.ACCESS, "log", calls)
    level = metrics.ACCESS.level
    try:
        yield calls
    finally:
        metrics.ACCESS.setLevel(level)


@pytest.mark.asyncio
async def test_a_line_no_handler_writes_is_not_built(
    client: httpx.AsyncClient, auth: Auth, access_calls: Calls
) -> None:
    metrics.ACCESS.setLevel(logging.INFO)
    assert (await client.get("/healthz")).status_code == 200  # a probe: DEBUG
    assert access_calls.calls == []
    received = await post(client, "/appeals", RECEIPT, auth("intake"))
    assert received.status_code == 201
    [(level, extra)] = access_calls.calls
    assert level == logging.INFO
    assert (extra["route"], extra["command"], extra["status"]) == (
        "/appeals",
        "receive",
        201,
    )
    metrics.ACCESS.setLevel(logging.WARNING)  # an operator's quieter log
    again = await post(
        client,
        "/appeals",
        {**RECEIPT, "external_id": "12345-2026-0099002"},
        auth("intake"),
    )
    assert again.status_code == 201
    assert len(access_calls.calls) == 1
