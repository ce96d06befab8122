"""An appeal's body is built in the time convention, so its answer is written
without a second walk over it (ConventionJson): the same bytes as the
generic JSON response, which converts every instant it finds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import orjson

from appeals.application.queries import AppealView
from appeals.http.responses import (
    ConventionJson,
    OrjsonResponse,
    api_times,
    appeal_json,
    appeal_response,
)
from tests.builders import ENTERPRISE, SUPERVISOR

UTC_NOON = datetime(2026, 11, 3, 6, 5, 0, 500_000, tzinfo=UTC)
ELSEWHERE = timezone(timedelta(hours=-5))


def every_part() -> AppealView:
    """A view with an instant in every place one can be, in several forms."""
    return AppealView(
        id=uuid4(),
        ticket="20261103-0001",
        version=9,
        status="resolved",
        uscc="91330100716105852F",
        enterprise_name="某某科技",
        channel="hotline",
        category="financing",
        priority="normal",
        title="2026-11-03T06:05:00Z",  # free text that looks like a time
        description="截至 2026-11-03T06:05:00Z 未回复",
        contact="王经理",
        external_id="RX-1",
        received_at=UTC_NOON,
        updated_at=UTC_NOON.astimezone(ELSEWHERE),
        first_response_due=UTC_NOON + timedelta(days=1),
        accept_due=UTC_NOON + timedelta(days=2),
        resolve_due=UTC_NOON.astimezone(ELSEWHERE) + timedelta(days=3),
        close_due=UTC_NOON + timedelta(days=9),
        pending_extension={
            "requested_deadline": UTC_NOON + timedelta(days=5),
            "reason": "2026-11-03T06:05:00Z 之前",
        },
        exclusion={"status": "requested", "reason": "force_majeure", "note": None},
        evaluation={"resolved": True, "satisfaction": "satisfied", "grade": None},
        notes=[
            {"at": UTC_NOON, "type": "Appeal.Accepted", "text": "已签收", "by": "h"},
        ],
        callbacks=[
            {"at": UTC_NOON.astimezone(ELSEWHERE), "purpose": "x", "attempt": 1}
        ],
        attachments=[
            {"sha256": "ab", "public": True, "added_at": UTC_NOON, "name": "a.pdf"},
            {"sha256": "cd", "public": False, "added_at": UTC_NOON, "name": "b.pdf"},
        ],
        co_handling=[{"unit": "SZ-SWJ", "accepted": True, "reported": False}],
        co_units=("SZ-SWJ",),
    )


def test_an_appeals_body_is_already_in_the_time_convention() -> None:
    for actor in (SUPERVISOR, ENTERPRISE):
        body = appeal_json(every_part(), actor)
        assert api_times(body) == body
        assert body["received_at"] == "2026-11-03T14:05:00.500000+08:00"
        assert body["updated_at"] == "2026-11-03T14:05:00.500000+08:00"
        assert body["title"] == "2026-11-03T06:05:00Z"
        assert body["pending_extension"]["requested_deadline"] == (
            "2026-11-08T14:05:00.500000+08:00"
        )
        assert body["callbacks"][0]["at"] == "2026-11-03T14:05:00.500000+08:00"


def test_an_appeals_answer_is_the_bytes_the_generic_response_writes() -> None:
    body = {**appeal_json(every_part(), SUPERVISOR), "position": 12}
    fast = appeal_response(body, 201, in_convention=True)
    assert isinstance(fast, ConventionJson)
    assert fast.body == OrjsonResponse(body).body
    assert orjson.loads(fast.body)["position"] == 12
    assert fast.headers["ETag"] == '"9"'
