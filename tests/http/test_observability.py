"""Request ids, access lines and readiness (appeals.http.metrics,
appeals.http.request_id, appeals.http.health, appeals.infra.logs), on both
stores: every access line is a JSON object carrying the request id the
response's ``X-Request-ID`` names, the actor's role, the status and the
outcome, and never the token or the body's text; every problem body carries
the same id; ``/readyz`` says degraded, with the figures, when a view is
further behind than allowed, and ready again once the views caught up."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from appeals.application.service import AppealLedger
from appeals.http.app import create_app
from appeals.infra.blobs import BlobStore
from appeals.infra.logs import JSON_FIELDS, JsonLines, log_config, resolve
from appeals.infra.settings import ConfigurationError, Settings
from tests.builders import RECEIPT, post
from tests.http.conftest import Auth, serving
from tests.support.reports import project

MAX_LAG = 2


@pytest_asyncio.fixture
async def client(
    ledger: AppealLedger, blobs: BlobStore
) -> AsyncIterator[httpx.AsyncClient]:
    """The app without a projection worker, allowing views ``MAX_LAG``
    events of lag."""
    app = create_app(lambda: ledger, blobs=blobs, ready_max_lag=MAX_LAG)
    async with serving(app) as http:
        yield http


@pytest.fixture
def access_log() -> Iterator[io.StringIO]:
    """What the ``appeals.access`` logger writes, formatted as JSON lines."""
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonLines(JSON_FIELDS))
    logger = logging.getLogger("appeals.access")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def parsed(lines: io.StringIO) -> list[dict[str, Any]]:
    """Every line as a JSON object (json.loads fails on anything else)."""
    return [json.loads(line) for line in lines.getvalue().splitlines()]


def the_line(lines: io.StringIO, request_id: str) -> dict[str, Any]:
    found = [line for line in parsed(lines) if line["request_id"] == request_id]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.asyncio
async def test_each_request_has_one_json_access_line_with_its_id_role_and_status(
    client: httpx.AsyncClient, auth: Auth, access_log: io.StringIO
) -> None:
    received = await post(client, "/appeals", RECEIPT, auth("intake"))
    assert received.status_code == 201
    appeal_id = received.json()["id"]
    refused = await post(
        client, f"/appeals/{appeal_id}/accept", {}, auth("other_handler")
    )
    assert refused.status_code in (403, 409)
    read = await client.get(
        f"/appeals/{appeal_id}",
        headers=auth("auditor", **{"X-Request-ID": "trace-0001"}),
    )
    assert read.status_code == 200

    line = the_line(access_log, received.headers["x-request-id"])
    assert line["logger"] == "appeals.access"
    assert line["level"] == "INFO"
    assert (line["method"], line["route"], line["status"]) == ("POST", "/appeals", 201)
    assert (line["role"], line["command"], line["outcome"]) == (
        "intake",
        "receive",
        "ok",
    )
    assert line["duration_ms"] >= 0
    assert line["time"].endswith("Z")

    slug = refused.json()["type"].rsplit("/", 1)[1]
    line = the_line(access_log, refused.headers["x-request-id"])
    assert line["route"] == "/appeals/{appeal_id}/{command}"
    assert (line["status"], line["role"]) == (refused.status_code, "handler")
    assert (line["command"], line["outcome"]) == ("accept", slug)

    # The client's own id is kept, echoed and logged.
    assert read.headers["x-request-id"] == "trace-0001"
    line = the_line(access_log, "trace-0001")
    assert (line["route"], line["role"], line["status"]) == (
        "/appeals/{appeal_id}",
        "auditor",
        200,
    )
    assert "command" not in line

    written = access_log.getvalue()
    for token in auth.tokens.values():
        assert token not in written
    for text in (RECEIPT["description"], RECEIPT["title"], RECEIPT["enterprise_name"]):
        assert text not in written
    assert appeal_id not in written  # route templates, not raw paths


@pytest.mark.asyncio
async def test_anonymous_and_unmatched_requests_are_logged_without_their_paths(
    client: httpx.AsyncClient, access_log: io.StringIO
) -> None:
    missing = await client.get("/no/such/place?api_key=secret-key-1")
    unauthorised = await client.get("/appeals?api_key=secret-key-2")
    assert (missing.status_code, unauthorised.status_code) == (404, 401)
    line = the_line(access_log, missing.headers["x-request-id"])
    assert (line["route"], line["role"], line["outcome"]) == (
        "unmatched",
        "anonymous",
        "not-found",
    )
    line = the_line(access_log, unauthorised.headers["x-request-id"])
    assert (line["route"], line["outcome"]) == ("/appeals", "unauthorized")
    written = access_log.getvalue()
    assert "secret-key" not in written
    assert "/no/such" not in written


@pytest.mark.asyncio
async def test_every_problem_body_carries_the_request_id(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    appeal = (await post(client, "/appeals", RECEIPT, auth("intake"))).json()
    other = {"external_id": "problem-403"}
    path = f"/appeals/{appeal['id']}"
    problems = [
        await client.get("/appeals"),  # 401
        await post(client, "/appeals", RECEIPT | other, auth("auditor")),  # 403
        await client.get("/nowhere"),  # 404
        await client.delete("/appeals"),  # 405
        await post(client, "/appeals", {"uscc": "x"}, auth("intake")),  # 422
        await post(client, f"{path}/close", {}, auth("dispatcher")),  # 409
        await post(
            client,
            f"{path}/assign",
            {"unit": "x"},
            auth("dispatcher", **{"If-Match": '"9"'}),
        ),  # 412
        await client.post(
            "/appeals",
            content=b"{",
            headers=auth("intake", **{"Content-Type": "application/json"}),
        ),  # 400
    ]
    assert sorted(p.status_code for p in problems) == [

        400, 401, 403, 404, 405, 409, 412, 422,
    ]  # fmt: skip
    for problem in problems:
        assert problem.headers["content-type"] == "application/problem+json"
        assert problem.json()["request_id"] == problem.headers["x-request-id"]
    sent = await client.get("/appeals", headers={"X-Request-ID": "client-42"})
    assert sent.json()["request_id"] == "client-42"


@pytest.mark.asyncio
async def test_readiness_is_degraded_with_the_figures_while_views_lag(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    projected = project(ledger)
    fresh = await client.get("/readyz")
    assert fresh.status_code == 200
    assert fresh.json()["status"] == "ready"
    assert set(fresh.json()["views"]) >= {"appeal_list", "timeliness"}
    assert all(view["lag"] == 0 for view in fresh.json()["views"].values())

    for number in range(3):  # no worker runs: the views stay where they are
        changes = {"external_id": f"ready-{number}"}
        response = await post(client, "/appeals", RECEIPT | changes, auth("intake"))
        assert response.status_code == 201
    head = ledger.recorder.max_notification_id() or 0
    behind = await client.get("/readyz")
    assert behind.status_code == 200  # degraded stays in rotation
    body = behind.json()
    assert body["status"] == "degraded"
    assert (body["head"], body["max_lag"]) == (head, MAX_LAG)
    assert body["views"]["appeal_list"] == {
        "position": projected,
        "lag": head - projected,
    }
    assert head - projected > MAX_LAG
    assert {"appeal_list", "timeliness"} <= set(body["behind"])

    project(ledger)
    caught_up = (await client.get("/readyz")).json()
    assert caught_up["status"] == "ready"
    assert caught_up["views"]["appeal_list"] == {"position": head, "lag": 0}
    assert "behind" not in caught_up


def test_the_log_format_is_a_setting() -> None:
    assert Settings.from_env({}).log_format == "auto"
    assert Settings.from_env({"APPEALS_LOG_FORMAT": "JSON"}).log_format == "json"
    assert Settings.from_env({"APPEALS_READY_MAX_LAG": "50"}).ready_max_lag == 50
    with pytest.raises(ConfigurationError, match="APPEALS_LOG_FORMAT"):
        Settings.from_env({"APPEALS_LOG_FORMAT": "xml"})
    assert resolve("auto", io.StringIO()) == "json"  # not a terminal
    assert resolve("text", io.StringIO()) == "text"


def test_uvicorns_own_lines_come_out_as_json_without_colour_codes() -> None:
    config = log_config("json")
    formatter = config["formatters"]["appeals"]["()"](
        config["formatters"]["appeals"]["fmt"]
    )
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, "Started %s", ("server",), None
    )
    record.color_message = "\x1b[1mStarted\x1b[0m %s"
    line = json.loads(formatter.format(record))
    assert line["message"] == "Started server"
    assert (line["level"], line["logger"]) == ("INFO", "uvicorn.error")
    assert "color_message" not in line
    assert config["loggers"]["uvicorn.access"]["level"] == "WARNING"


def test_no_outgoing_request_url_is_logged_at_info(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = log_config("json")
    assert config["loggers"]["httpx"]["level"] == "WARNING"
    assert config["loggers"]["httpcore"]["level"] == "WARNING"
    # The same configuration applied: a webhook URL's token does not appear.
    loggers = [logging.getLogger(name) for name in ("", "httpx", "httpcore")]
    before = [(logger, logger.level, list(logger.handlers)) for logger in loggers]
    logging.config.dictConfig(config)
    try:
        transport = httpx.MockTransport(lambda request: httpx.Response(204))
        with httpx.Client(transport=transport) as client:
            client.post("https://oapi.dingtalk.com/robot/send?access_token=s3cret")
    finally:
        for logger, level, handlers in before:
            logger.setLevel(level)
            logger.handlers = handlers
    assert "s3cret" not in capsys.readouterr().err
