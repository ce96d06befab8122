"""挂钩服务 (issue 18, items 1 and 2) through the application and the view, on
SQLite and PostgreSQL: projects, link periods, visits by linked cadres, a
problem filed from a visit as an appeal recorded on the visit in the same
transaction, and visit coverage for one month computed by hand."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from appeals.application.registry import Registry
from appeals.application.service import AppealLedger
from appeals.application.service_links import ServiceLinks
from appeals.domain import commands as cmd
from appeals.domain.errors import CommandNotAllowed, InvalidField, NotPermitted
from appeals.domain.organisation import RegisterEnterprise
from appeals.domain.service_links import (
    EndLink,
    LinkCadre,
    LinkRole,
    RecordVisit,
    RegisterProject,
    VisitMode,
)
from appeals.domain.values import Actor, Category, Channel, Role
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.projections import service_links as view
from tests.domain.lifecycle_fixtures import (
    CADRE,
    DISPATCHER,
    HANDLER,
    INTAKE,
    OTHER_HANDLER,
)
from tests.support.reports import project

A, B, C = "91330100716105852F", "9144030071526726XG", "91110000802100433B"


def at(clock: FixedClock, month: int, day: int) -> None:
    clock.set(datetime(2026, month, day, 10, tzinfo=SHANGHAI))


@pytest.fixture
def links(ledger: AppealLedger, clock: FixedClock) -> ServiceLinks:
    """Three registered enterprises; CADRE linked to A and B from 1 Sep and
    to C from 1 Sep to 10 Sep."""
    at(clock, 9, 1)
    registry = Registry(ledger)
    for uscc, name in ((A, "某某科技"), (B, "某某电子"), (C, "某某纺织")):
        registry.register(RegisterEnterprise(uscc=uscc, name=name), DISPATCHER)
    service = ServiceLinks(ledger)
    for uscc in (A, B, C):
        service.link(LinkCadre(CADRE, date(2026, 9, 1), uscc=uscc), DISPATCHER)
    service.end_link(EndLink(CADRE, date(2026, 9, 10), uscc=C), DISPATCHER)
    return service


def visit(
    service: ServiceLinks, clock: FixedClock, uscc: str, month: int, day: int
) -> object:
    at(clock, month, day)
    command = RecordVisit(
        CADRE, uscc, date(2026, month, day), VisitMode.ON_SITE, "了解用工需求"
    )
    return service.record_visit(command, HANDLER)


def test_visit_coverage_for_a_month_by_hand(
    ledger: AppealLedger, clock: FixedClock, links: ServiceLinks
) -> None:
    first = visit(links, clock, A, 9, 5)
    visit(links, clock, C, 9, 8)
    visit(links, clock, A, 9, 20)
    visit(links, clock, A, 10, 3)
    receipt = cmd.Receive(
        uscc=A,
        enterprise_name="某某科技",
        channel=Channel.VISIT,
        category=Category.LABOUR,
        title="招工难，请协助对接人社部门",
    )
    filed = links.file_from_visit(first.id, receipt, HANDLER)  # type: ignore[attr-defined]
    project(ledger)
    _, [september] = view.coverage(ledger.database, date(2026, 9, 1), date(2026, 9, 30))
    # linked at some time in September: A, B and C (until 10 Sep): 3
    # visited in September: A (twice) and C: 2 of 3; B never
    assert september == {
        "cadre": CADRE,
        "linked": 3,
        "visited": 2,
        "coverage": 2 / 3,
        "visits": 3,
        "problems": 1,
        "problems_per_visit": 1 / 3,
        "not_visited": [B],
    }
    _, [october] = view.coverage(ledger.database, date(2026, 10, 1), date(2026, 10, 31))
    # C's link ended in September: A and B, A visited once
    assert (october["linked"], october["visited"], october["coverage"]) == (2, 1, 0.5)
    _, stale = view.unvisited(ledger.database, date(2026, 10, 15), 30)
    assert stale == [{"cadre": CADRE, "uscc": B, "last_visit": None}]
    # the appeal names its visit; the visit lists the appeal
    appeal = ledger.history(filed.appeal_id)[0]
    assert appeal.visit == str(first.id)  # type: ignore[attr-defined]
    assert appeal.channel == "visit"  # type: ignore[attr-defined]
    assert links.visit(first.id).problems == [str(filed.appeal_id)]  # type: ignore[attr-defined]


def test_only_a_linked_cadre_visits_and_only_its_unit_or_the_centre_records_it(
    ledger: AppealLedger, clock: FixedClock, links: ServiceLinks
) -> None:
    with pytest.raises(CommandNotAllowed, match="not linked"):
        visit(links, clock, C, 9, 12)  # the link to C ended on 10 Sep
    at(clock, 9, 12)
    command = RecordVisit(CADRE, A, date(2026, 9, 12), VisitMode.PHONE, "电话回访")
    with pytest.raises(NotPermitted):
        links.record_visit(command, OTHER_HANDLER)  # another unit's handler
    links.record_visit(command, DISPATCHER)
    with pytest.raises(InvalidField) as future:
        links.record_visit(
            RecordVisit(CADRE, A, date(2026, 9, 13), VisitMode.PHONE, "x"), HANDLER
        )
    assert future.value.field == "day"


def test_links_renew_end_and_reach_projects(
    ledger: AppealLedger, clock: FixedClock, links: ServiceLinks
) -> None:
    with pytest.raises(CommandNotAllowed, match="already linked"):
        links.link(LinkCadre(CADRE, date(2026, 9, 2), uscc=A), DISPATCHER)
    with pytest.raises(InvalidField) as early:
        links.link(LinkCadre(CADRE, date(2026, 9, 9), uscc=C), DISPATCHER)
    assert early.value.field == "start"
    renewed = links.link(
        LinkCadre(CADRE, date(2026, 9, 15), uscc=C, role=LinkRole.LIAISON_OFFICER),
        DISPATCHER,
    )
    assert [p["end"] for p in renewed.periods] == [date(2026, 9, 10), None]
    links.register_project(
        RegisterProject(
            "P-001", "智能制造产业园二期", A, park="工业园区", investment=50000
        ),
        DISPATCHER,
    )
    deputy = Actor("d-1", Role.SUPERVISOR, "督查室")
    links.link(
        LinkCadre(CADRE, date(2026, 9, 16), project="P-001", role=LinkRole.DEPUTY),
        deputy,
    )
    with pytest.raises(InvalidField) as unknown:
        links.link(LinkCadre(CADRE, date(2026, 9, 16), project="P-404"), DISPATCHER)
    assert unknown.value.field == "project"
    with pytest.raises(NotPermitted):
        links.link(LinkCadre(CADRE, date(2026, 9, 16), uscc=B), INTAKE)
    project(ledger)
    _, linked = view.links_of(ledger.database, A, date(2026, 9, 20))
    assert {(r["target_kind"], r["role"]) for r in linked} == {
        ("enterprise", "linked_cadre"),
        ("project", "deputy"),
    }
    _, profile = view.profile_of(ledger.database, A, date(2026, 9, 20))
    [registered] = profile["projects"]
    assert (registered["code"], registered["investment"]) == ("P-001", 50000)
    _, to_c = view.links_of(ledger.database, C, date(2026, 9, 20))
    assert [r["role"] for r in to_c] == ["liaison_officer"]
