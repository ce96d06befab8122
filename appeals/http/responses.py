"""Writing a response: JSON through orjson, and how an appeal looks in JSON
(its view folded from the history, labelled for people)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import orjson
from starlette.responses import Response

from appeals.application.queries import AppealView
from appeals.domain.permissions import reads_internal_text
from appeals.domain.values import Actor, Category, Channel, Priority, Status
from appeals.infra.clock import SHANGHAI


class OrjsonResponse(Response):
    """JSON, its instants in the one time convention (:func:`api_times`)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(api_times(content), option=orjson.OPT_APPEND_NEWLINE)


class ConventionJson(OrjsonResponse):
    """JSON built with its instants already in the convention (an appeal's
    body from :func:`appeal_json`), so not walked again: ``api_times`` of
    such a body is the body itself (tests/http/test_responses.py)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_APPEND_NEWLINE)


# ---- the time convention ----------------------------------------------------------

INSTANT_TEXT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})"
)
TIME_KEYS = frozenset(
    {
        "at",
        "due",
        "as_of",
        "deadline",
        "business_time",
        "recorded_time",
        "noticed",
        "last_activity",
        "paused_since",
        "from",
        "to",
    }
)
TIME_SUFFIXES = ("_at", "_due", "_time", "_deadline")
TIMES_BY_STAGE = frozenset({"deadlines"})
"""Objects whose every value is an instant (an appeal's deadlines by stage)."""


def api_instant(value: datetime) -> str:
    """An instant in the convention of :func:`api_time`."""
    return value.astimezone(SHANGHAI).isoformat(timespec="microseconds")


def api_time(text: str) -> str:
    """An instant as every JSON answer gives it: ISO 8601 in Asia/Shanghai
    with its ``+08:00`` offset, to the microsecond
    (``2026-11-03T14:05:00.000000+08:00``), whatever form it was made or
    stored in; the same instant, so ``?as_of=`` given it back is exact."""
    return (
        datetime.fromisoformat(text)
        .astimezone(SHANGHAI)
        .isoformat(timespec="microseconds")
    )


def _is_time_key(key: str) -> bool:
    return key in TIME_KEYS or key.endswith(TIME_SUFFIXES)


def api_times(value: Any, times: bool = False) -> Any:
    """``value`` with every instant under a time field (``received_at``,
    ``due``, ``as_of``, ``business_time``, an appeal's ``deadlines`` ...) in
    the one convention; other text, free text above all, is left alone."""
    if isinstance(value, dict):
        return {
            key: api_times(
                item,
                times
                or (
                    isinstance(key, str)
                    and (_is_time_key(key) or key in TIMES_BY_STAGE)
                ),
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [api_times(item, times) for item in value]
    if isinstance(value, datetime):  # a stored event's own instant
        return api_instant(value)
    if times and isinstance(value, str) and INSTANT_TEXT.fullmatch(value):
        return api_time(value)
    return value


def appeal_response(
    body: dict[str, Any], status: int = 200, *, in_convention: bool = False
) -> Response:
    """One appeal, with its version as the ETag (for ``If-Match``);
    ``in_convention``: a body with nothing but :func:`appeal_json`'s and
    plain values, whose instants need no second pass."""
    kind = ConventionJson if in_convention else OrjsonResponse
    return kind(body, status_code=status, headers={"ETag": f'"{body["version"]}"'})


def appeal_json(appeal: AppealView, actor: Actor) -> dict[str, Any]:
    """The appeal as ``actor`` reads it: the enterprise gets no internal text
    (appeals.domain.disclosure), nor the assessment's exclusion request."""
    body = _appeal_json(appeal)
    if not reads_internal_text(actor):
        body["exclusion"] = None
        if body["pending_extension"] is not None:
            body["pending_extension"] = {
                "requested_deadline": body["pending_extension"]["requested_deadline"]
            }
        body["attachments"] = [a for a in body["attachments"] if a["public"]]
    return body


def _appeal_json(appeal: AppealView) -> dict[str, Any]:
    status = Status.of(appeal.status)
    return {
        "id": str(appeal.id),
        "ticket": appeal.ticket,
        "version": appeal.version,
        "status": status.value,
        "status_label": status.label(),
        "enterprise": {"uscc": appeal.uscc, "name": appeal.enterprise_name},
        "channel": appeal.channel,
        "channel_label": Channel.of(appeal.channel).label(),
        "category": appeal.category,
        "category_label": Category.of(appeal.category).label(),
        "priority": appeal.priority,
        "priority_label": Priority.of(appeal.priority).label(),
        "title": appeal.title,
        "description": appeal.description,
        "contact": appeal.contact,
        "external_id": appeal.external_id,
        "kind": appeal.kind,
        "unit": appeal.unit,
        "cadre": appeal.cadre,
        "routing": {
            "item": appeal.item,
            "item_version": appeal.item_version,
            "co_units": list(appeal.co_units),
            "answered_on_the_spot": appeal.answered_on_the_spot,
            "requested_item": appeal.requested_item,
        },
        "address": appeal.address,
        "exclusion": _times_in(appeal.exclusion),
        "paused": appeal.paused,
        "pending_extension": _times_in(appeal.pending_extension),
        "outcome": appeal.outcome,
        "evaluation": _times_in(appeal.evaluation),
        "reopen_count": appeal.reopen_count,
        "return_count": appeal.return_count,
        "supervision_level": appeal.supervision_level,
        "needs_supervisor": appeal.needs_supervisor,
        "merged_into": str(appeal.merged_into) if appeal.merged_into else None,
        "urge_count": appeal.urge_count,
        "callbacks": [_times_in(c) for c in appeal.callbacks],
        "reconciliation": appeal.reconciliation,
        "co_handling": [_times_in(p) for p in appeal.co_handling],
        "leader": appeal.leader,
        "notes": [_times_in(note) for note in appeal.notes],
        "latest_public_note": appeal.notes[-1]["text"] if appeal.notes else None,
        "attachments": [_times_in(a) for a in appeal.attachments],
        "deadlines": {
            "dispatch": _iso(appeal.dispatch_due),
            "first_response": _iso(appeal.first_response_due),
            "accept": _iso(appeal.accept_due),
            "resolve": _iso(appeal.resolve_due),
            "reply": _iso(appeal.reply_due),
            "evaluation": _iso(appeal.evaluation_due),
            "callback": _iso(appeal.callback_due),
            "close": _iso(appeal.close_due),
        },
        "received_at": api_instant(appeal.received_at),
        "updated_at": api_instant(appeal.updated_at),
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else api_instant(value)


def _times_in(part: dict[str, Any] | None) -> dict[str, Any] | None:
    """A copy of one of the view's small objects (a note, a callback, the
    pending extension...) with its instants in the convention, as
    :func:`api_times` would give them: a datetime anywhere, an instant's text
    under a time key."""
    if part is None:
        return None
    found = {}
    for key, value in part.items():
        if isinstance(value, datetime):
            value = api_instant(value)
        elif isinstance(value, (dict, list, str)):
            times = _is_time_key(key) or key in TIMES_BY_STAGE
            if times or not isinstance(value, str):
                value = api_times(value, times)
        found[key] = value
    return found
