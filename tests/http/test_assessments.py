"""The monthly assessment over HTTP (both stores): September 2026's three
appeals of one unit (one done on time and judged satisfied, one accepted late
and left unresolved, one ignored) previewed live, published by a supervisor,
frozen against a later scheme, revised only with a reason, and exported as a
spreadsheet with Chinese headers; every answer matches the OpenAPI document."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import httpx
import pytest

from appeals.application.assessments import Assessments
from appeals.application.audit import verify_log
from appeals.application.service import AppealLedger
from appeals.domain.assessment import Period, Weighting
from appeals.domain.errors import CommandNotAllowed
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.values import Actor, Role
from appeals.infra.assessment_scheme import load_scheme
from appeals.infra.clock import FixedClock
from tests.builders import CADRE, post
from tests.domain.lifecycle_fixtures import UNIT
from tests.http.conftest import Auth
from tests.http.test_openapi import check
from tests.support.reports import at, history, project

pytestmark = pytest.mark.asyncio


def september(ledger: AppealLedger, clock: FixedClock) -> None:
    history(ledger, clock)
    at(clock, 10, 9, 9)  # September has ended
    project(ledger)


async def test_a_month_previewed_published_frozen_and_revised(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    september(ledger, clock)
    spec = (await client.get("/openapi.json")).json()
    supervisor = auth("supervisor")
    preview = await client.get("/assessments/2026-09/preview", headers=supervisor)
    assert preview.status_code == 200, preview.text
    check(spec, preview)
    body = preview.json()
    assert (body["complete"], body["published"]) == (True, False)
    assert body["position"] == ledger.recorder.max_notification_id()
    rows = {row["key"][0]: row for row in body["rows"]}
    unit = rows[UNIT]
    # one of three due: the ignored and the unresolved appeal count against it
    for indicator in ("response_rate", "acceptance_rate", "on_time_resolution_rate"):
        assert unit["samples"][indicator] == [1, 3], indicator
    assert unit["samples"]["satisfaction_rate"] == [1, 3]
    # 0.3 × 1/3 + 0.35 × 1/3 + 0.35 × 0 (1/3 is under the 60% floor)
    assert unit["score"] == pytest.approx(0.65 / 3)
    assert (unit["ranked"], unit["rank"]) == (False, None)  # 3 < min sample 5
    assert "fewer than 5" in unit["note"]
    centre = rows[CENTRE_UNIT]
    assert (centre["centre"], centre["ranked"]) == (True, False)
    assert centre["values"]["dispatch_rate"] == 1.0

    missing = await client.get("/assessments/2026-09", headers=supervisor)
    assert missing.status_code == 404
    assert (
        await post(client, "/assessments/2026-09/publish", {}, auth("handler"))
    ).status_code == 403
    not_ended = await post(client, "/assessments/2026-10/publish", {}, supervisor)
    assert not_ended.status_code == 422
    assert not_ended.json()["errors"][0]["field"] == "period"

    records_before = verify_log(ledger.event_log, []).records
    published = await post(client, "/assessments/2026-09/publish", {}, supervisor)
    assert published.status_code == 201, published.text
    check(spec, published)
    first = published.json()
    assert (first["revision"], first["scheme_version"]) == (1, "assessment-2026-1")
    assert first["digest"] == body["digest"]
    read = await client.get("/assessments/2026-09", headers=auth("auditor"))
    check(spec, read)
    assert read.json()["rows"] == body["rows"]

    # A later scheme changes the preview, never the published month.
    scheme = replace(
        load_scheme(),
        version="assessment-2027-1",
        weights={"on_time_resolution_rate": Weighting(1.0)},
    )
    later = Assessments(ledger, scheme)
    assert later.compute(Period(2026, 9)).scheme_version == "assessment-2027-1"
    frozen = later.published(Period(2026, 9))
    assert (frozen["scheme_version"], frozen["digest"]) == (
        "assessment-2026-1",
        first["digest"],
    )

    again = await post(client, "/assessments/2026-09/publish", {}, supervisor)
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "reason"
    revised = await post(
        client,
        "/assessments/2026-09/publish",
        {"reason": "补录一件剔除申请后重新发布"},
        supervisor,
    )
    assert revised.status_code == 200, revised.text
    assert (revised.json()["revision"], revised.json()["reason"]) == (
        2,
        "补录一件剔除申请后重新发布",
    )
    latest = (await client.get("/assessments/2026-09", headers=supervisor)).json()
    assert [r["revision"] for r in latest["revisions"]] == [1, 2]
    old = await client.get(
        "/assessments/2026-09", params={"revision": 1}, headers=supervisor
    )
    assert old.json()["revision"] == 1
    # the publication is a chained record: the audit verifies it too
    audit = verify_log(ledger.event_log, [])
    assert audit.clean
    assert audit.records == records_before + 1


async def test_cadre_rows_and_a_spreadsheet_with_chinese_headers(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    september(ledger, clock)
    cadres = await client.get(
        "/assessments/2026-09/preview",
        params={"group_by": "cadre"},
        headers=auth("supervisor"),
    )
    (cadre,) = cadres.json()["rows"]
    assert cadre["key"] == [UNIT, CADRE]
    assert cadre["label"]["zh"] == "苏州市人力资源和社会保障局 张三"  # registered
    exported = await client.get(
        "/assessments/2026-09/preview",
        params={"format": "csv"},
        headers=auth("supervisor"),
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.startswith("\ufeff")  # Excel reads the BOM as UTF-8
    header, *lines = list(csv.reader(io.StringIO(exported.text.removeprefix("\ufeff"))))
    assert header[:4] == ["单位", "名称", "排名", "得分"]
    assert "响应率(%)" in header
    assert "满意率应办数" in header
    assert {line[0] for line in lines} == {UNIT, CENTRE_UNIT}
    names = {line[0]: line[1] for line in lines}
    assert names[UNIT] == "苏州市人力资源和社会保障局"
    assert names[CENTRE_UNIT] == CENTRE_UNIT  # not registered in these tests


async def test_a_bad_period_or_grouping_is_a_422(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    for path, params, field in (
        ("/assessments/2026-13/preview", {}, "period"),
        ("/assessments/2026-09/preview", {"group_by": "mood"}, "group_by"),
    ):
        response = await client.get(path, params=params, headers=auth("supervisor"))
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field


async def test_a_granted_exclusion_leaves_the_appeal_out_of_the_assessment(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    """剔除 over HTTP: the unit asks with evidence, a supervisor grants; the
    appeal shows it, and the month no longer counts the ignored appeal."""
    appeals = history(ledger, clock)
    at(clock, 10, 9, 9)
    spec = (await client.get("/openapi.json")).json()
    path = f"/appeals/{appeals['idle']}"
    asked = await post(
        client,
        f"{path}/request-exclusion",
        {"reason": "outside_remit", "evidence": "属民事纠纷，已告知企业通过诉讼解决"},
        auth("handler"),
    )
    assert asked.status_code == 200, asked.text
    denied = await post(
        client, f"{path}/decide-exclusion", {"approve": True}, auth("handler")
    )
    assert denied.status_code == 403
    granted = await post(
        client,
        f"{path}/decide-exclusion",
        {"approve": True, "note": "同意剔除"},
        auth("supervisor"),
    )
    assert granted.status_code == 200, granted.text
    shown = await client.get(path, headers=auth("auditor"))
    check(spec, shown)
    assert shown.json()["exclusion"] == {
        "status": "granted",
        "reason": "outside_remit",
        "evidence": "属民事纠纷，已告知企业通过诉讼解决",
        "note": "同意剔除",
    }
    project(ledger)
    preview = await client.get(
        "/assessments/2026-09/preview", headers=auth("supervisor")
    )
    unit = next(row for row in preview.json()["rows"] if row["key"] == [UNIT])
    assert unit["samples"]["on_time_resolution_rate"] == [1, 2]  # was [1, 3]
    assert unit["samples"]["response_rate"] == [1, 2]


async def test_two_publications_of_a_month_at_once_record_one(
    ledger: AppealLedger, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second of two racing first publications (it found nothing
    published when it looked) is refused with a 409, and the month holds one
    revision."""
    september(ledger, clock)
    actor = Actor("sup-1", Role.SUPERVISOR, "周督办")
    first, second = (Assessments(ledger, load_scheme()) for _ in range(2))
    first.publish(Period(2026, 9), actor)
    monkeypatch.setattr(second, "_load", lambda period: None)  # looked before
    with pytest.raises(CommandNotAllowed, match="at the same time"):
        second.publish(Period(2026, 9), actor)
    assert len(first.published(Period(2026, 9))["revisions"]) == 1


async def test_a_preview_names_rows_as_remembered_a_publication_as_registered(
    client: httpx.AsyncClient, auth: Auth, ledger: AppealLedger, clock: FixedClock
) -> None:
    """Previews name units from the service's names, remembered a minute
    across requests (so a month's rows do not ask the registry per row per
    request); a publication is frozen, so it names them as registered now."""
    september(ledger, clock)
    supervisor = auth("supervisor")

    async def label(path: str) -> str:
        found = await client.get(path, headers=supervisor)
        assert found.status_code == 200, found.text
        (row,) = (r for r in found.json()["rows"] if r["key"] == [UNIT])
        return str(row["label"]["zh"])

    before = await label("/assessments/2026-09/preview")
    renamed = await post(
        client, f"/units/{UNIT}/rename", {"name_zh": "新名称服务中心"}, auth("admin")
    )
    assert renamed.status_code == 200, renamed.text
    assert await label("/assessments/2026-09/preview") == before != "新名称服务中心"
    published = await post(client, "/assessments/2026-09/publish", {}, supervisor)
    assert published.status_code == 201, published.text
    assert await label("/assessments/2026-09") == "新名称服务中心"
