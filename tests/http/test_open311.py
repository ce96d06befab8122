"""Open311 GeoReport v2 under /open311/v2 (issue 16, item 5), driven over real
HTTP on 127.0.0.1 by the third-party ``georeport`` client from PyPI (it reads;
filing is a form POST with httpx, as a 311 client sends it), in JSON and XML,
on both stores: services from the catalogue, definitions, filing with a key,
requests and their fields, the extensions timeline, and the spec's errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from georeport import GeoReport

from appeals.application.catalogue import Catalogue
from appeals.application.service import AppealLedger
from appeals.domain.catalogue import Retire
from appeals.domain.values import AppealKind, Category
from appeals.http.app import create_app
from appeals.infra.clock import SHANGHAI
from appeals.infra.settings import Open311Settings
from tests.builders import ADMIN, USCC
from tests.domain.lifecycle_fixtures import UNIT
from tests.http.conftest import Auth
from tests.support.organisation import JOB_RETENTION
from tests.support.reports import project
from tests.support.server import in_thread

JURISDICTION = "suzhou.example"
TAX_RELIEF = replace(
    JOB_RETENTION,
    code="TAX-200",
    matter_zh="研发费用加计扣除咨询",
    kind=AppealKind.CONSULT,
    category=Category.TAX,
    keywords=("研发费用", "加计扣除"),
)
OLD_ITEM = replace(JOB_RETENTION, code="HR-009", matter_zh="旧事项")


@pytest.fixture
def base(ledger: AppealLedger, auth: Auth) -> Iterator[str]:
    """The app over the test ledger, served by uvicorn on a loopback port,
    with anonymised public reads on (``georeport`` sends no key on reads)."""
    catalogue = Catalogue(ledger)
    for item in (JOB_RETENTION, TAX_RELIEF, OLD_ITEM):
        catalogue.publish(item, ADMIN)
    catalogue.retire(OLD_ITEM.code, Retire(reason="并入新事项"), ADMIN)
    project(ledger)
    settings = Open311Settings(jurisdiction=JURISDICTION, public_reads=True)
    app = create_app(lambda: ledger, open311=settings)
    with in_thread(app) as port:
        yield f"http://127.0.0.1:{port}/open311/v2"


def key(auth: Auth, who: str) -> str:
    return auth(who)["Authorization"].removeprefix("Bearer ")


def file(base: str, fmt: str, **form: str) -> httpx.Response:
    return httpx.post(f"{base}/requests.{fmt}", data=form, timeout=10)


def command(
    base: str, auth: Auth, appeal: str, who: str, name: str, **body: Any
) -> None:
    root = base.removesuffix("/open311/v2")
    response = httpx.post(
        f"{root}/appeals/{appeal}/{name}", json=body, headers=auth(who), timeout=10
    )
    assert response.status_code == 200, (name, response.text)


def appeal_id(base: str, auth: Auth, ticket: str) -> str:
    root = base.removesuffix("/open311/v2")
    found = httpx.get(
        f"{root}/appeals/by-ticket/{ticket}", headers=auth("supervisor"), timeout=10
    )
    assert found.status_code == 200, found.text
    value: str = found.json()["id"]
    return value


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_and_definitions_from_the_catalogue(base: str, fmt: str) -> None:
    client = GeoReport(base, jurisdiction=JURISDICTION, output_format=fmt)
    listed = client.get_service_list()
    by_code = {s["service_code"]: s for s in listed}
    assert set(by_code) == {"HR-100", "TAX-200"}  # the retired item is gone
    tax = by_code["TAX-200"]
    assert tax["service_name"] == "研发费用加计扣除咨询"
    assert tax["group"] == "税务"
    assert tax["keywords"] == "研发费用,加计扣除"
    assert tax["type"] == "batch"
    assert tax["metadata"] in (True, "true")
    definition = client.get_service_definition("TAX-200")
    assert definition["service_code"] == "TAX-200"
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    codes = [a["code"] for a in attributes]
    assert codes == ["uscc", "enterprise_name", "title", "priority"]
    priority = attributes[3]
    assert priority["datatype"] == "singlevaluelist"
    values = priority["values"] if fmt == "json" else priority["values"]["value"]
    assert [v["key"] for v in values] == ["normal", "urgent"]


def test_discovery_in_both_formats(base: str) -> None:
    as_json = httpx.get(f"{base}/discovery.json", timeout=10).json()
    (endpoint,) = as_json["endpoints"]
    assert endpoint["url"] == base
    assert endpoint["formats"] == ["text/xml", "application/json"]
    as_xml = ET.fromstring(httpx.get(f"{base}/discovery.xml", timeout=10).content)
    assert as_xml.tag == "discovery"
    assert as_xml.findtext("endpoints/endpoint/url") == base


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_enterprise_files_and_any_client_follows(
    base: str, auth: Auth, ledger: AppealLedger, fmt: str
) -> None:
    filed = file(
        base,
        fmt,
        api_key=key(auth, "enterprise"),
        jurisdiction_id=JURISDICTION,
        service_code="TAX-200",
        description="研发费用加计扣除的归集口径如何确定？",
        first_name="王",
        last_name="会计",
        phone="0512-12345678",
        email="finance@example.com",
        lat="31.30",
        long="120.62",
        **{"attribute[title]": "研发费用归集口径"},
    )
    assert filed.status_code == 200, filed.text
    if fmt == "json":
        (answer,) = filed.json()
    else:
        answer = {
            e.tag: e.text for e in ET.fromstring(filed.content).find("request") or []
        }
    ticket = answer["service_request_id"]
    assert "12345 中心应于" in answer["service_notice"]
    appeal = appeal_id(base, auth, ticket)
    viewed = httpx.get(
        f"{base.removesuffix('/open311/v2')}/appeals/{appeal}",
        headers=auth("enterprise"),
        timeout=10,
    ).json()
    assert (viewed["channel"], viewed["enterprise"]["uscc"]) == ("portal", USCC)
    assert viewed["routing"]["requested_item"] == "TAX-200"
    assert viewed["kind"] == "consult"
    assert viewed["contact"] == "王会计 0512-12345678 finance@example.com"
    assert viewed["address"] == "31.30,120.62"

    command(base, auth, appeal, "dispatcher", "assign", unit=UNIT)
    command(base, auth, appeal, "handler", "accept")
    command(base, auth, appeal, "handler", "note-progress", note="已转业务科室研究")
    command(
        base,
        auth,
        appeal,
        "handler",
        "note-progress",
        note="内部：口径有争议",
        public=False,
    )

    # The enterprise's key: every field, the latest *public* note.
    mine = httpx.get(
        f"{base}/requests/{ticket}.json",
        params={"api_key": key(auth, "enterprise"), "extensions": "true"},
        timeout=10,
    )
    assert mine.status_code == 200, mine.text
    (request,) = mine.json()  # a one-element array
    assert request["service_request_id"] == ticket
    assert request["status"] == "open"
    assert request["status_notes"] == "已转业务科室研究"
    assert request["service_code"] == "TAX-200"
    assert request["service_name"] == "研发费用加计扣除咨询"
    assert request["agency_responsible"] == "苏州市人力资源和社会保障局"
    assert request["description"] == "研发费用加计扣除的归集口径如何确定？"
    assert request["address"] == "31.30,120.62"
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert request[name].endswith("+08:00"), (name, request[name])
        datetime.fromisoformat(request[name])
    assert request["expected_datetime"] == viewed_resolve(base, auth, appeal)
    types = [n["type"] for n in request["notes"]]
    assert types[:3] == ["Received", "Assigned", "Accepted"]
    assert "内部" not in mine.text
    assert any("已转业务科室研究" in n["description"] for n in request["notes"])

    # georeport, with no key: the anonymised public record.
    client = GeoReport(base, jurisdiction=JURISDICTION, output_format=fmt)
    public = client.get_service_request(ticket)
    assert public["service_request_id"] == ticket
    assert public["status"] == "open"
    assert public["agency_responsible"] == "苏州市人力资源和社会保障局"
    assert not public.get("description")
    assert not public.get("status_notes")

    command(
        base,
        auth,
        appeal,
        "handler",
        "resolve",
        outcome="resolved",
        result="已答复口径",
    )
    command(base, auth, appeal, "handler", "reply", channel="portal", content="见答复")
    command(
        base,
        auth,
        appeal,
        "enterprise",
        "evaluate",
        resolved=True,
        satisfaction="satisfied",
    )
    command(base, auth, appeal, "intake", "close")
    closed = client.get_service_request(ticket)
    assert closed["status"] == "closed"


def viewed_resolve(base: str, auth: Auth, appeal: str) -> str:
    viewed = httpx.get(
        f"{base.removesuffix('/open311/v2')}/appeals/{appeal}",
        headers=auth("supervisor"),
        timeout=10,
    ).json()
    due = datetime.fromisoformat(viewed["deadlines"]["resolve"])
    return due.astimezone(SHANGHAI).isoformat(timespec="seconds")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_requests_are_listed_by_code_window_and_status(
    base: str, auth: Auth, ledger: AppealLedger, fmt: str
) -> None:
    tickets = {}
    for code in ("TAX-200", "HR-100", "TAX-200"):
        filed = file(base, "json", api_key=key(auth, "enterprise"), service_code=code)
        assert filed.status_code == 200, filed.text
        tickets.setdefault(code, []).append(filed.json()[0]["service_request_id"])
    project(ledger)
    client = GeoReport(base, jurisdiction=JURISDICTION, output_format=fmt)
    now = ledger.clock.now()
    window = {
        "start_date": (now - timedelta(days=1)).isoformat(),
        "end_date": (now + timedelta(days=1)).isoformat(),
    }
    tax = client.get_service_requests(service_code="TAX-200", status="open", **window)
    assert sorted(r["service_request_id"] for r in tax) == sorted(tickets["TAX-200"])
    (one,) = tickets["HR-100"]
    hr = client.get_service_requests(service_code="HR-100", **window)
    if fmt == "xml":
        assert isinstance(hr, dict)  # one <request> parses as a dict
        hr = [hr]
    assert [r["service_request_id"] for r in hr] == [one]
    closed = httpx.get(
        f"{base}/requests.json", params={"status": "closed", **window}, timeout=10
    )
    assert closed.json() == []
    both = client.get_service_requests(service_request_id=",".join(tickets["TAX-200"]))
    assert len(both) == 2


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_are_the_specs(base: str, auth: Auth, fmt: str) -> None:
    cases = [
        (
            lambda: file(
                base, fmt, api_key=key(auth, "enterprise"), service_code="NOPE"
            ),
            404,
        ),
        (lambda: file(base, fmt, api_key="not-a-key", service_code="TAX-200"), 403),
        (lambda: file(base, fmt, service_code="TAX-200"), 403),
        (
            lambda: file(
                base, fmt, api_key=key(auth, "auditor"), service_code="TAX-200"
            ),
            403,
        ),
        (lambda: file(base, fmt, api_key=key(auth, "enterprise")), 400),
        (
            lambda: file(
                base,
                fmt,
                api_key=key(auth, "intake"),
                service_code="TAX-200",
                **{"attribute[enterprise_name]": "某公司"},
            ),
            400,
        ),
        (
            lambda: file(
                base,
                fmt,
                api_key=key(auth, "enterprise"),
                service_code="TAX-200",
                description="长" * 4001,
            ),
            400,
        ),
        (lambda: httpx.get(f"{base}/services/NOPE.{fmt}", timeout=10), 404),
        (lambda: httpx.get(f"{base}/requests/99999999999.{fmt}", timeout=10), 404),
        (
            lambda: httpx.get(
                f"{base}/services.{fmt}", params={"jurisdiction_id": "x"}, timeout=10
            ),
            404,
        ),
        (
            lambda: httpx.get(
                f"{base}/requests.{fmt}",
                params={
                    "start_date": "2026-01-01T00:00:00+08:00",
                    "end_date": "2026-06-01T00:00:00+08:00",
                },
                timeout=10,
            ),
            400,
        ),
        (
            lambda: httpx.get(
                f"{base}/requests.{fmt}", params={"status": "x"}, timeout=10
            ),
            400,
        ),
    ]
    for send, status in cases:
        response = send()
        assert response.status_code == status, response.text
        if fmt == "json":
            errors = response.json()
            assert len(errors) == 1, response.text
            (error,) = errors
            assert (error["code"], bool(error["description"])) == (status, True)
        else:
            root = ET.fromstring(response.content)
            assert root.tag == "errors"
            assert root.findtext("error/code") == str(status)
            assert root.findtext("error/description")


@pytest.mark.asyncio
async def test_requests_need_a_key_unless_published(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    refused = await client.get("/open311/v2/requests.json")
    assert refused.status_code == 403
    assert "api_key" in refused.json()[0]["description"]
    keyed = await client.get(
        "/open311/v2/requests.json", params={"api_key": key(auth, "enterprise")}
    )
    assert (keyed.status_code, keyed.json()) == (200, [])
