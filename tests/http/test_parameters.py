"""Every number, instant, day, month, text filter and cursor a client sends is
parsed strictly (appeals.http.parameters): a bad one is a 422 problem naming
the field, never a 500 (issue 13 item 2; each case answered 500 before)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import orjson
import pytest

from appeals.domain.values import text
from appeals.domain.working_time import OutsideCalendarError
from appeals.http import parameters
from appeals.http.problems import HttpProblem
from tests.builders import RECEIPT, received
from tests.http.conftest import Auth

HUGE = "9" * 5000  # int() refuses digit strings over 4,300 characters
BEYOND_BIGINT = "99999999999999999999"  # >= 2^63
SUPERSCRIPT_TWO = "\u00b2"  # str.isdigit() says yes, int() says no


def cursor_of(parts: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(parts)).decode().rstrip("=")


# (who, path, query, field); "{id}" is an appeal received for the test
QUERIES: list[tuple[str, str, dict[str, str], str]] = [
    ("auditor", "/appeals", {"limit": SUPERSCRIPT_TWO}, "limit"),
    ("auditor", "/appeals", {"limit": HUGE}, "limit"),
    ("auditor", "/appeals", {"position": SUPERSCRIPT_TWO}, "position"),
    ("auditor", "/appeals", {"position": HUGE}, "position"),
    ("auditor", "/appeals", {"position": BEYOND_BIGINT}, "position"),
    ("auditor", "/appeals/{id}", {"version": SUPERSCRIPT_TWO}, "version"),
    ("auditor", "/appeals/{id}", {"version": HUGE}, "version"),
    ("auditor", "/appeals/{id}", {"version": BEYOND_BIGINT}, "version"),
    ("auditor", "/appeals/{id}", {"as_of": "9999-12-31T23:59:59-14:00"}, "as_of"),
    ("auditor", "/appeals/{id}", {"as_of": "0001-01-01T00:00:00+14:00"}, "as_of"),
    ("auditor", "/appeals/{id}", {"as_of": "2026-10-08T09:12:00"}, "as_of"),
    ("auditor", "/events", {"after": SUPERSCRIPT_TWO}, "after"),
    ("auditor", "/events", {"after": HUGE}, "after"),
    ("auditor", "/events", {"after": BEYOND_BIGINT}, "after"),
    ("auditor", "/events", {"limit": SUPERSCRIPT_TWO}, "limit"),
    ("auditor", "/events", {"from": "9999-12-31T23:59:59-14:00"}, "from"),
    ("auditor", "/events", {"type": "Appeal.\x00Received"}, "type"),
    ("auditor", "/appeals", {"received_from": "0001-01-01"}, "received_from"),
    ("auditor", "/appeals", {"received_to": "9999-12-31"}, "received_to"),
    (
        "auditor",
        "/appeals",
        {"received_to": "9999-12-31T23:59:59-14:00"},
        "received_to",
    ),
    ("auditor", "/appeals", {"unit": "市\x00人社局"}, "unit"),
    ("auditor", "/appeals", {"cadre": "张\x00三"}, "cadre"),
    ("auditor", "/appeals", {"cursor": cursor_of([1, "x", "newest"])}, "cursor"),
    ("auditor", "/appeals", {"cursor": cursor_of(["\x00", "x", "newest"])}, "cursor"),
    (
        "auditor",
        "/appeals",
        {"cursor": cursor_of(["2026-10-08T01:00:00.000000Z", "x\x00", "newest"])},
        "cursor",
    ),
    ("auditor", "/appeals", {"cursor": cursor_of({"a": 1})}, "cursor"),  # type: ignore[arg-type]
    ("supervisor", "/reports/timeliness", {"from": "0001-01-01"}, "from"),
    ("supervisor", "/reports/timeliness", {"to": "9999-12-31"}, "to"),
    ("supervisor", "/reports/timeliness", {"unit": "a\x00"}, "unit"),
    ("supervisor", "/reports/accountability", {"from": "0001-01-01"}, "from"),
    ("supervisor", "/reports/accountability", {"to": "9999-12-31"}, "to"),
    ("supervisor", "/reports/overdue", {"unit": "a\x00"}, "unit"),
    ("supervisor", "/reports/overdue", {"cadre": "a\x00"}, "cadre"),
    ("supervisor", "/reports/overdue", {"limit": SUPERSCRIPT_TWO}, "limit"),
    ("supervisor", "/reports/category-month", {"from": "0001-01"}, "from"),
    ("supervisor", "/reports/category-month", {"to": "9999-12"}, "to"),
    ("supervisor", "/reports/category-month", {"to": "2026-\u0661\u0660"}, "to"),
    (
        "enterprise",
        "/enterprises/91330100716105852F/ledger",
        {"cursor": cursor_of(["x", 1, "ledger"])},
        "cursor",
    ),
    (
        "enterprise",
        "/enterprises/91330100716105852F/ledger",
        {"limit": BEYOND_BIGINT},
        "limit",
    ),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("who", "path", "query", "field"), QUERIES)
async def test_a_bad_query_value_is_a_problem_naming_its_field(
    client: httpx.AsyncClient,
    auth: Auth,
    who: str,
    path: str,
    query: dict[str, str],
    field: str,
) -> None:
    appeal_id = await received(client, auth)
    response = await client.get(
        path.replace("{id}", appeal_id), params=query, headers=auth(who)
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "etag",
    [b'"\xb2"', b'"' + HUGE.encode() + b'"', b'"' + BEYOND_BIGINT.encode() + b'"'],
    ids=["superscript", "huge", "beyond-bigint"],
)
async def test_a_bad_if_match_is_a_problem(
    client: httpx.AsyncClient, auth: Auth, etag: bytes
) -> None:
    appeal_id = await received(client, auth)
    headers: dict[str, Any] = {**auth("dispatcher"), "If-Match": etag}
    response = await client.post(
        f"/appeals/{appeal_id}/assign", json={"unit": "SZ-RSJ"}, headers=headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": "If-Match", "reason": 'must be an ETag like "3" from a read'}
    ]
    history = await client.get(f"/appeals/{appeal_id}/history", headers=auth("auditor"))
    assert len(history.json()["events"]) == 1  # nothing changed


@pytest.mark.asyncio
async def test_a_position_beyond_the_log_head_is_refused_at_once(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    await received(client, auth)
    response = await client.get(
        "/appeals", params={"position": "1000000"}, headers=auth("auditor")
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "position"
    assert "beyond" in response.json()["errors"][0]["reason"]


# ---- the parsers themselves ------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0", 0), ("42", 42), (str(2**63 - 1), 2**63 - 1), (None, None)],
)
def test_whole_numbers_in_range_are_read(raw: str | None, expected: int) -> None:
    assert parameters.whole_number(raw, "n") == expected


@pytest.mark.parametrize(
    "raw", ["", "-1", "+1", " 1", "1.0", "\u00b2", "\u0661", str(2**63), HUGE]
)
def test_anything_else_is_not_a_whole_number(raw: str) -> None:
    with pytest.raises(HttpProblem) as refused:
        parameters.whole_number(raw, "n")
    assert refused.value.status == 422
    assert refused.value.fields["errors"][0]["field"] == "n"


def test_a_cursor_made_here_reads_back() -> None:
    made = parameters.make_cursor(
        "2026-10-08T01:12:00.000000Z", "6f1d3c1e-1111-4222-8333-444455556666", "ledger"
    )
    assert parameters.cursor(made, "ledger") == (
        "2026-10-08T01:12:00.000000Z",
        "6f1d3c1e-1111-4222-8333-444455556666",
    )
    with pytest.raises(HttpProblem):
        parameters.cursor(made, "newest")


@pytest.mark.parametrize("raw", ["2026-10", "2000-01", "2099-12"])
def test_months_in_range_are_read(raw: str) -> None:
    assert parameters.month(raw, "from") == raw


@pytest.mark.parametrize("raw", ["2026-13", "1999-12", "2026-1", "２０２６-10"])
def test_other_months_are_refused(raw: str) -> None:
    with pytest.raises(HttpProblem):
        parameters.month(raw, "from")


# ---- text made of invisible characters is blank (issue 13 item 2) ---------


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "title",
    ["\u200b", "\u2060\ufeff", " \u200b\u200c\u200d ", "\u3164", "\u00a0\u2800"],
    ids=["zwsp", "word-joiner-bom", "zero-widths", "hangul-filler", "nbsp-braille"],
)
async def test_a_title_of_invisible_characters_is_blank(
    client: httpx.AsyncClient, auth: Auth, title: str
) -> None:
    response = await client.post(
        "/appeals", json={**RECEIPT, "title": title}, headers=auth("intake")
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "title"


@pytest.mark.parametrize("value", ["a\u200b", "\u200b药品"])
def test_text_with_something_visible_is_kept_exactly(value: str) -> None:
    assert text(value, "title") == value


@pytest.mark.asyncio
async def test_an_as_of_the_calendar_cannot_count_to_is_a_problem(
    client: httpx.AsyncClient, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    appeal_id = await received(client, auth)

    def outside(*_: object, **__: object) -> None:
        raise OutsideCalendarError("2090-01-01 is outside the calendar's years")

    monkeypatch.setattr("appeals.application.queries.appeal_view", outside)
    response = await client.get(
        f"/appeals/{appeal_id}",
        params={"as_of": "2090-01-01T00:00:00+08:00"},
        headers=auth("auditor"),
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "as_of"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/appeals", {**RECEIPT, "external_id": "12345-\x00"}, "external_id"),
        ("/appeals/{id}/assign", {"unit": "市人社局\x00"}, "unit"),
    ],
)
async def test_a_nul_in_a_body_text_is_a_problem(
    client: httpx.AsyncClient, auth: Auth, path: str, body: dict[str, str], field: str
) -> None:
    appeal_id = await received(client, auth)
    who = "intake" if path == "/appeals" else "dispatcher"
    response = await client.post(
        path.replace("{id}", appeal_id), json=body, headers=auth(who)
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.asyncio
async def test_an_idempotency_key_with_control_characters_is_a_problem(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    headers: dict[str, Any] = {**auth("intake"), "Idempotency-Key": b"k\x01"}
    response = await client.post("/appeals", json=RECEIPT, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
