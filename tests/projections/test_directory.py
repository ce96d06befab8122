"""The directory view: folded purely and stored alike on SQLite and
PostgreSQL; current names shown, postings kept, lists filtered and paged."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from appeals.application.registry import Registry
from appeals.application.service import AppealLedger
from appeals.domain.organisation import (
    CadreRole,
    ChangeCadreRoles,
    MoveCadre,
    RenameEnterprise,
    RenameUnit,
    RetireUnit,
)
from appeals.projections import directory as view
from tests.support.registry import (
    ADMIN,
    CADRES,
    ENTERPRISES,
    HANGZHOU_USCC,
    KUNSHAN_USCC,
    SIP_USCC,
    UNITS,
    XINTAI,
)
from tests.support.views import caught_up, events, folded, stored

pytestmark = pytest.mark.empty_organisation  # registers its own


def history(ledger: AppealLedger) -> Registry:
    registry = Registry(ledger)
    for command in (*UNITS, *CADRES, *ENTERPRISES):
        registry.register(command, ADMIN)
    registry.register(
        replace(XINTAI, uscc=HANGZHOU_USCC, name="杭州某某 100%_公司"), ADMIN
    )
    registry.change("SZ-TAX", RenameUnit(name_zh="苏州市税务局"), ADMIN)
    registry.change("KS", RetireUnit(reason="撤并"), ADMIN)
    registry.change("C-0001", MoveCadre("SZ-TAX", date(2026, 3, 1)), ADMIN)
    registry.change("C-0001", MoveCadre("KS-ZHOUSHI", date(2026, 7, 1)), ADMIN)
    roles = ChangeCadreRoles((CadreRole.LIAISON_OFFICER,))
    registry.change("C-0002", roles, ADMIN)
    registry.change(KUNSHAN_USCC, RenameEnterprise("昆山新泰科技有限公司"), ADMIN)
    return registry


def test_the_fold_and_the_stored_rows_agree(ledger: AppealLedger) -> None:
    history(ledger)
    caught_up(ledger, view.PROJECTION)
    rows = folded(view.PROJECTION, events(ledger))
    assert rows == stored(ledger, view.PROJECTION)
    postings = [
        (p["unit"], p["since"], p["until"])
        for p in rows["directory_postings"]
        if p["cadre"] == "C-0001"
    ]
    assert postings == [
        ("SZ-HRSS", "2024-01-02", "2026-03-01"),
        ("SZ-TAX", "2026-03-01", "2026-07-01"),
        ("KS-ZHOUSHI", "2026-07-01", None),
    ]


def test_the_readers_answer_with_current_names_filters_and_pages(
    ledger: AppealLedger,
) -> None:
    history(ledger)
    caught_up(ledger, view.PROJECTION)
    database = ledger.database
    head = ledger.event_log.head()

    seen, tax = view.read_unit(database, "SZ-TAX")
    assert seen == head
    assert tax is not None
    assert (tax["name_zh"], tax["version"]) == ("苏州市税务局", 2)
    assert view.read_unit(database, "NOPE")[1] is None

    def codes(query: view.UnitQuery) -> list[str]:
        return [row["code"] for row in view.read_units(database, query)[1]]

    assert codes(view.UnitQuery()) == ["12345", "KS-ZHOUSHI", "SZ-HRSS", "SZ-TAX"]
    assert "KS" in codes(view.UnitQuery(include_retired=True))
    assert codes(view.UnitQuery(kind="town")) == ["KS-ZHOUSHI"]
    assert codes(view.UnitQuery(parent="KS")) == ["KS-ZHOUSHI"]
    # a page of two has a third row when more follow
    assert codes(view.UnitQuery(limit=2)) == ["12345", "KS-ZHOUSHI", "SZ-HRSS"]
    assert codes(view.UnitQuery(after="KS-ZHOUSHI", limit=2)) == ["SZ-HRSS", "SZ-TAX"]

    _, cadre = view.read_cadre(database, "C-0001")
    assert cadre is not None
    assert (cadre["unit"], cadre["since"]) == ("KS-ZHOUSHI", "2026-07-01")
    assert [p["unit"] for p in cadre["postings"]] == ["SZ-HRSS", "SZ-TAX", "KS-ZHOUSHI"]
    found = view.read_cadres(database, view.CadreQuery(unit="KS-ZHOUSHI"))[1]
    assert [row["code"] for row in found] == ["C-0001", "C-0002"]
    officers = view.read_cadres(database, view.CadreQuery(role="liaison_officer"))[1]
    assert [row["code"] for row in officers] == ["C-0002"]
    # "_" in a role is no wildcard
    assert view.read_cadres(database, view.CadreQuery(role="liaison_cadre"))[1] == []

    def usccs(query: view.EnterpriseQuery) -> list[str]:
        return [row["uscc"] for row in view.read_enterprises(database, query)[1]]

    everyone = sorted([KUNSHAN_USCC, SIP_USCC, HANGZHOU_USCC])
    assert usccs(view.EnterpriseQuery()) == everyone
    assert usccs(view.EnterpriseQuery(locality="320583")) == [KUNSHAN_USCC]
    assert usccs(view.EnterpriseQuery(locality="320500")) == [SIP_USCC, KUNSHAN_USCC]
    assert usccs(view.EnterpriseQuery(locality="330000")) == [HANGZHOU_USCC]
    assert usccs(view.EnterpriseQuery(service_list="key_core")) == [
        KUNSHAN_USCC,
        HANGZHOU_USCC,
    ]
    assert usccs(view.EnterpriseQuery(name="新泰科技")) == [KUNSHAN_USCC]
    assert usccs(view.EnterpriseQuery(name="新泰汽车")) == []  # renamed
    assert usccs(view.EnterpriseQuery(name="100%_")) == [HANGZHOU_USCC]
    assert usccs(view.EnterpriseQuery(name="%")) == [HANGZHOU_USCC]
    assert usccs(view.EnterpriseQuery(park="苏州工业园区")) == [SIP_USCC]
    assert usccs(view.EnterpriseQuery(uscc=SIP_USCC)) == [SIP_USCC]
    _, enterprise = view.read_enterprise(database, SIP_USCC)
    assert enterprise is not None
    assert (enterprise["locality"], enterprise["locality_overridden"]) == ("320571", 1)
    assert view.read_unit_codes(database)[1] == sorted(u.code for u in UNITS)
