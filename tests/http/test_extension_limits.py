"""The report of issue 13, item 1, over HTTP: an extension deadline past the
calendar's years or the policy's limit answers 422 naming the field, records
nothing, and ``?as_of=`` of the same instant is refused the same way."""

from __future__ import annotations

import httpx
import pytest

from appeals.application.service import AppealLedger
from tests.builders import log_position, post, received
from tests.domain.lifecycle_fixtures import UNIT
from tests.http.conftest import Auth

pytestmark = pytest.mark.asyncio

FAR_FUTURE = "9999-12-31T23:59:59-14:00"


async def in_progress(client: httpx.AsyncClient, auth: Auth) -> str:
    appeal_id = await received(client, auth)
    path = f"/appeals/{appeal_id}"
    for command, body, role in [
        ("assign", {"unit": UNIT}, "dispatcher"),
        ("accept", {}, "handler"),
    ]:
        response = await post(client, f"{path}/{command}", body, auth(role))
        assert response.status_code == 200, response.text
    return path


def refused_field(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    return str(error["field"])


async def test_a_deadline_past_the_calendar_or_the_policy_is_refused(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger
) -> None:
    path = await in_progress(client, auth)
    before = log_position(ledger)
    for deadline in (FAR_FUTURE, "2099-01-01T09:00:00+08:00"):
        body = {"requested_deadline": deadline, "reason": "需省局审批"}
        response = await post(
            client, f"{path}/request-extension", body, auth("handler")
        )
        assert refused_field(response) == "requested_deadline"
    response = await client.get(
        path, params={"as_of": FAR_FUTURE}, headers=auth("auditor")
    )
    assert refused_field(response) == "as_of"
    assert log_position(ledger) == before
