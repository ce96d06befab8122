"""The catalogue view: items, every version and the search index, folded
purely and round-tripped through SQLite and PostgreSQL; the readers' filters,
versions and the ranked search by Chinese keywords."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta
from typing import Any

import pytest

from appeals.application.catalogue import Catalogue
from appeals.application.service import AppealLedger
from appeals.domain.catalogue import CatalogueItem, Reinstate, Retire
from appeals.domain.values import Actor, Role
from appeals.infra.clock import SHANGHAI, FixedClock
from appeals.projections import catalogue as view
from appeals.projections.catalogue import CatalogueQuery, segment
from appeals.projections.runtime.model import fold
from tests.support.catalogue import (
    ENVIRONMENT,
    EXPORT,
    ITEMS,
    PERMIT,
    POWER,
    UNITS,
    VAT,
    revision,
)
from tests.support.views import caught_up, events, folded, stored

DISPATCHER = Actor("disp-1", Role.DISPATCHER, "李派单")
T0 = datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI)


def item_events() -> list[Any]:
    """POWER published, revised (a co-unit and a keyword changed), VAT
    published, retired and reinstated, EXPORT published and retired."""
    power = CatalogueItem.publish(POWER, DISPATCHER, T0)
    power.revise(
        revision(POWER, co_units=("SZ-HOUSING",), keywords=("接电", "电表")),
        DISPATCHER,
        T0 + timedelta(days=1),
    )
    vat = CatalogueItem.publish(VAT, DISPATCHER, T0)
    vat.retire(Retire(reason="政策到期"), DISPATCHER, T0 + timedelta(days=2))
    vat.reinstate(Reinstate(reason="政策延续"), DISPATCHER, T0 + timedelta(days=3))
    export = CatalogueItem.publish(EXPORT, DISPATCHER, T0)
    export.retire(Retire(reason="并入TAX-001"), DISPATCHER, T0 + timedelta(days=2))
    return [*power.collect_events(), *vat.collect_events(), *export.collect_events()]


def test_the_fold_keeps_current_items_every_version_units_and_terms() -> None:
    rows = fold(view.PROJECTION, item_events())
    items = {row["code"]: row for row in rows.rows("catalogue_items")}
    assert sorted(items) == ["TAX-001", "TAX-002", "UTIL-001"]
    power = items["UTIL-001"]
    assert power["version"] == 2
    assert power["co_units"] == '["SZ-HOUSING"]'
    assert power["published_at"] == "2026-10-08T01:00:00.000000Z"
    assert power["revised_at"] == "2026-10-09T01:00:00.000000Z"
    assert (items["TAX-002"]["retired"], items["TAX-002"]["retired_reason"]) == (
        1,
        "并入TAX-001",
    )
    assert items["TAX-001"]["retired"] == 0
    versions = [(r["code"], r["version"]) for r in rows.rows("catalogue_versions")]
    assert versions == [
        ("TAX-001", 1),
        ("TAX-002", 1),
        ("UTIL-001", 1),
        ("UTIL-001", 2),
    ]
    old = rows.rows("catalogue_versions")[2]
    assert old["co_units"] == '["SZ-DRC"]'
    assert old["recorded_by"] == "disp-1"
    units = [(r["unit"], r["code"], r["role"]) for r in rows.rows("catalogue_units")]
    assert ("SZ-DRC", "UTIL-001", "co") not in units  # the revision dropped it
    assert ("SZ-HOUSING", "UTIL-001", "co") in units
    assert ("SZ-POWER", "UTIL-001", "lead") in units
    assert ("SZ-CUSTOMS", "TAX-002", "co") in units  # a retired item keeps its units
    terms = {(r["term"], r["code"]) for r in rows.rows("catalogue_terms")}
    assert ("电表", "UTIL-001") in terms
    assert ("电力接入", "UTIL-001") not in terms  # the revision dropped the keyword
    assert ("留抵退税", "TAX-001") in terms  # reinstated: back in the index
    assert not any(code == "TAX-002" for _, code in terms)  # retired: out of it


def test_a_terms_weight_is_the_sum_of_its_fields_weights() -> None:
    terms = view.item_terms("TAX-001", VAT.content().as_record())
    assert terms["留抵退税"] == 4  # the matter
    assert terms["退税"] == 4 + 3 + 1  # matter, keyword and procedure
    assert terms["tax-001"] == 4  # the code
    assert terms["vat"] == 2  # the English matter, lower-cased
    assert "的" not in terms


def test_one_segmentation_for_items_and_queries() -> None:
    assert segment("企业想办理用电报装手续") == [
        "企业",
        "办理",
        "用电",
        "电报",
        "报装",
        "用电报装",  # a word of the domain dictionary
        "手续",
    ]
    assert "留抵退税" in segment("留抵退税什么时候到账？")
    assert segment("Export Tax rebate, please!") == [
        "export",
        "tax",
        "rebate",
        "please",
    ]
    assert segment("FIN-001") == ["fin-001", "fin", "001"]
    assert segment("的 吗？") == []


def test_the_tokenizer_is_made_once_under_concurrent_first_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import jieba

    made: list[object] = []
    original = jieba.Tokenizer

    class Counting(original):  # type: ignore[misc,valid-type]
        def __init__(self) -> None:
            super().__init__()
            made.append(self)

    monkeypatch.setattr(jieba, "Tokenizer", Counting)
    monkeypatch.setattr(view, "_tokenizer", None)
    results: list[list[str]] = []
    start = threading.Barrier(6)

    def search_words() -> None:
        start.wait()
        results.append(segment("稳岗返还和留抵退税"))

    threads = [threading.Thread(target=search_words) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1
    assert len(results) == 6
    assert all(result == results[0] for result in results)
    assert "稳岗返还" in results[0]


def test_a_released_tokenizer_is_made_again_on_next_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a rebuild lets go of once the view is swapped in (its 70 MiB):
    the next segmentation makes a new one and segments alike."""
    monkeypatch.setattr(view, "_tokenizer", None)
    before = segment("稳岗返还和留抵退税")
    held = view.tokenizer()
    assert view.PROJECTION.release is not None
    view.PROJECTION.release()
    assert view._tokenizer is None
    assert segment("稳岗返还和留抵退税") == before
    assert view.tokenizer() is not held


@pytest.fixture
def catalogue(ledger: AppealLedger) -> Catalogue:
    service = Catalogue(ledger, UNITS.__contains__)
    for item in ITEMS:
        service.publish(item, DISPATCHER)
    return service


def test_the_stored_view_equals_the_fold(
    ledger: AppealLedger, clock: FixedClock
) -> None:
    service = Catalogue(ledger, UNITS.__contains__)
    for item in ITEMS:
        service.publish(item, DISPATCHER)
    clock.advance(timedelta(hours=2))
    service.revise("UTIL-001", revision(POWER, co_units=("SZ-HOUSING",)), DISPATCHER)
    service.retire("TAX-002", Retire(reason="并入"), DISPATCHER)
    service.retire("TAX-001", Retire(reason="暂停"), DISPATCHER)
    service.reinstate("TAX-001", Reinstate(), DISPATCHER)
    caught_up(ledger, view.PROJECTION)
    assert stored(ledger, view.PROJECTION) == folded(view.PROJECTION, events(ledger))


def codes(rows: list[dict[str, Any]]) -> list[str]:
    return [row["code"] for row in rows]


def test_the_list_filters_and_pages_in_code_order(
    ledger: AppealLedger, catalogue: Catalogue
) -> None:
    catalogue.retire("TAX-002", Retire(reason="并入"), DISPATCHER)
    caught_up(ledger, view.PROJECTION)
    database = ledger.database
    position, rows = view.read_items(database, CatalogueQuery())
    assert position == ledger.event_log.head()
    assert codes(rows) == ["ENV-001", "HR-001", "PER-001", "POL-001", "TAX-001",
                           "UTIL-001"]  # fmt: skip
    first = rows[0]
    assert first["co_units"] == ["SZ-DRC"]
    assert first["limits"] == {}
    assert first["retired"] is False
    _, rows = view.read_items(database, CatalogueQuery(include_retired=True))
    assert "TAX-002" in codes(rows)
    _, rows = view.read_items(database, CatalogueQuery(category="tax"))
    assert codes(rows) == ["TAX-001"]
    _, rows = view.read_items(database, CatalogueQuery(kind="consult"))
    assert codes(rows) == ["POL-001", "TAX-001"]
    # a unit's items: those it leads and those it co-handles
    _, rows = view.read_items(database, CatalogueQuery(unit="SZ-DRC"))
    assert codes(rows) == ["ENV-001", "UTIL-001"]
    _, rows = view.read_items(
        database, CatalogueQuery(unit="SZ-CUSTOMS", include_retired=True)
    )
    assert codes(rows) == ["TAX-002"]
    _, rows = view.read_items(database, CatalogueQuery(unit="SZ_DRC"))  # no LIKE
    assert rows == []
    _, page = view.read_items(database, CatalogueQuery(limit=2))
    assert codes(page) == ["ENV-001", "HR-001", "PER-001"]  # one more: a next page
    _, page = view.read_items(database, CatalogueQuery(limit=2, after="HR-001"))
    assert codes(page) == ["PER-001", "POL-001", "TAX-001"]


def test_an_item_now_and_at_each_version(
    ledger: AppealLedger, catalogue: Catalogue, clock: FixedClock
) -> None:
    clock.advance(timedelta(days=1))
    catalogue.revise("UTIL-001", revision(POWER, limits={"resolve": "7d"}), DISPATCHER)
    caught_up(ledger, view.PROJECTION)
    _, now = view.read_item(ledger.database, "UTIL-001")
    assert now is not None
    assert (now["version"], now["versions"], now["limits"]) == (2, 2, {"resolve": "7d"})
    _, first = view.read_item(ledger.database, "UTIL-001", version=1)
    assert first is not None
    assert (first["version"], first["versions"]) == (1, 2)
    assert first["limits"] == {"accept": "1d", "resolve": "10d"}
    assert first["revised_at"] == first["published_at"]
    assert view.read_item(ledger.database, "UTIL-001", version=3)[1] is None
    assert view.read_item(ledger.database, "NOPE-1")[1] is None


def found(ledger: AppealLedger, text: str, **filters: Any) -> list[view.Hit]:
    return view.search(ledger.database, text, 10, CatalogueQuery(**filters))[1]


def test_search_finds_items_by_chinese_keywords(
    ledger: AppealLedger, catalogue: Catalogue
) -> None:
    caught_up(ledger, view.PROJECTION)
    power = found(ledger, "企业想办理用电报装手续")
    assert power[0].item["code"] == "UTIL-001"
    assert {"用电报装", "用电", "报装"} <= set(power[0].matched)
    assert power[0].matched[-1] == "企业"  # common: counts least
    assert power[0].item["lead_unit"] == "SZ-POWER"
    refund = found(ledger, "留抵退税")
    assert refund[0].item["code"] == "TAX-001"
    assert set(refund[0].matched) == {"留抵退税", "退税"}
    assert found(ledger, "留抵")[0].item["code"] == "TAX-001"  # a keyword
    assert found(ledger, "稳岗返还怎么申请")[0].item["code"] == "HR-001"
    assert found(ledger, "环评批复太慢")[0].item["code"] == "ENV-001"
    assert found(ledger, "施工许可证")[0].item["code"] == "PER-001"
    assert found(ledger, "专精特新申报")[0].item["code"] == "POL-001"
    assert found(ledger, "电表") == []  # not a word of any item
    assert found(ledger, "接电")[0].item["code"] == "UTIL-001"  # a keyword
    assert found(ledger, "export tax rebate")[0].item["code"] == "TAX-002"
    assert found(ledger, "tax-002")[0].item["code"] == "TAX-002"
    assert found(ledger, "吗？") == []


def test_search_ranks_by_weighted_rarity_then_code(
    ledger: AppealLedger, catalogue: Catalogue
) -> None:
    caught_up(ledger, view.PROJECTION)
    refunds = found(ledger, "退税")
    assert [h.item["code"] for h in refunds] == ["TAX-001", "TAX-002"]
    # 退税 is in TAX-001's matter, keywords and procedure (4+3+1), in
    # TAX-002's matter (出口退税) and procedure (4+1): the same idf, ln(1 + 7/2)
    assert refunds[0].score == pytest.approx(8 * 1.5040774, rel=1e-6)
    assert refunds[1].score == pytest.approx(5 * 1.5040774, rel=1e-6)
    exports = found(ledger, "出口退税")
    assert exports[0].item["code"] == "TAX-002"
    # 企业 is in several items: it counts for less than 施工许可 alone
    mixed = found(ledger, "企业 施工许可")
    assert mixed[0].item["code"] == "PER-001"
    assert all(a.score >= b.score for a, b in itertools.pairwise(mixed))
    ties = [h for h in mixed if h.score == mixed[-1].score]
    assert [h.item["code"] for h in ties] == sorted(h.item["code"] for h in ties)
    assert len(found(ledger, "企业")) > 1
    assert [
        h.item["code"] for h in found(ledger, "退税", category="tax", kind="help")
    ] == ["TAX-002"]
    assert found(ledger, "退税", unit="SZ-CUSTOMS")[0].item["code"] == "TAX-002"


def test_a_retired_item_leaves_the_search_and_a_reinstated_one_returns(
    ledger: AppealLedger, catalogue: Catalogue
) -> None:
    catalogue.retire("TAX-001", Retire(reason="政策到期"), DISPATCHER)
    caught_up(ledger, view.PROJECTION)
    assert [h.item["code"] for h in found(ledger, "留抵退税")] == ["TAX-002"]
    catalogue.reinstate("TAX-001", Reinstate(), DISPATCHER)
    caught_up(ledger, view.PROJECTION)
    assert found(ledger, "留抵退税")[0].item["code"] == "TAX-001"


def test_a_revision_reindexes_the_item(
    ledger: AppealLedger, catalogue: Catalogue
) -> None:
    catalogue.revise(
        "PER-001",
        revision(
            PERMIT, matter_zh="建筑工程施工许可和竣工验收", keywords=("联合验收",)
        ),
        DISPATCHER,
    )
    catalogue.revise(
        "ENV-001", revision(ENVIRONMENT, matter_zh="排污许可证核发"), DISPATCHER
    )
    caught_up(ledger, view.PROJECTION)
    assert found(ledger, "竣工验收")[0].item["code"] == "PER-001"
    assert found(ledger, "联合验收")[0].item["code"] == "PER-001"
    assert "环评审批" not in found(ledger, "环评审批")[0].matched
    assert found(ledger, "排污许可")[0].item["code"] == "ENV-001"
