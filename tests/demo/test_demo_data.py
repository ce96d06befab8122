"""The demo's master data files (appeals/demo/data): units, cadres, enterprises,
the routing catalogue and the map from the demo's old unit names to unit codes.

They are read here exactly as the brief's file formats define them (CSV with a
header row, lists separated by ``;``; the catalogue as TOML ``[[item]]``
tables), so that the registry and catalogue importers can load them unchanged:
every reference resolves, every code is well formed and unique, every credit
code is valid and Suzhou's, and the catalogue covers every category and
诉求类型 the demo draws.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import appeals.demo
from appeals.demo import corpus
from appeals.domain.identities import CENTRE_UNIT
from appeals.domain.sla import Limit, Stage
from appeals.domain.uscc import validate_uscc
from appeals.domain.values import AppealKind, Category, text

DATA = Path(appeals.demo.__file__).parent / "data"
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
LOCALITY = re.compile(r"^\d{6}$")
UNIT_KINDS = {"centre", "department", "district", "town", "park", "utility"}
ROLES = {"handler", "leader", "liaison_cadre", "liaison_officer", "deputy"}
SIZES = {"micro", "small", "medium", "large"}
SERVICE_LISTS = {"", "key_core", "fast_growing", "new_growth", "declining"}
ITEM_KINDS = {"consult", "help", "complaint", "suggestion", "report"}
ITEM_KEYS = {
    "code",
    "matter_zh",
    "matter_en",
    "kind",
    "category",
    "lead_unit",
    "co_units",
    "procedure",
    "legal_basis",
    "limits",
}
OPTIONAL_ITEM_KEYS = {"standard_answer", "keywords"}
PREFIXES = {
    "FIN": "financing",
    "LAB": "labour",
    "LND": "land",
    "PER": "permits",
    "POL": "policy",
    "TAX": "tax",
    "CUS": "customs",
    "UTL": "utilities",
    "IPR": "ip",
    "TAL": "talent",
    "ENV": "environment",
    "LEG": "legal",
    "OTH": "other",
}
# GB/T 2260: Suzhou and its county-level divisions (320571: Suzhou Industrial Park).
SUZHOU_DIVISIONS = {
    "320500": "苏州市",
    "320505": "虎丘区",
    "320506": "吴中区",
    "320507": "相城区",
    "320508": "姑苏区",
    "320509": "吴江区",
    "320571": "苏州工业园区",
    "320581": "常熟市",
    "320582": "张家港市",
    "320583": "昆山市",
    "320585": "太仓市",
}


def read_csv(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with (DATA / name).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or ()), rows


def split(value: str) -> list[str]:
    return [part for part in value.split(";") if part]


UNITS_HEADER, UNITS = read_csv("units.csv")
CADRES_HEADER, CADRES = read_csv("cadres.csv")
ENTERPRISES_HEADER, ENTERPRISES = read_csv("enterprises.csv")
NAMES_HEADER, NAMES = read_csv("unit_names.csv")
with (DATA / "catalogue.toml").open("rb") as catalogue_file:
    ITEMS: list[dict[str, Any]] = tomllib.load(catalogue_file)["item"]
UNIT_BY_CODE = {row["code"]: row for row in UNITS}


def demo_unit_names() -> set[str]:
    """Every unit name the current demo code assigns to or names as a park."""
    assigned = {name for name, _, _ in corpus.UNITS}
    by_category = {n for units in corpus.CATEGORY_UNITS.values() for n, _ in units}
    parks = {park for _, _, _, parks in corpus.CITIES for park in parks}
    return assigned | by_category | parks


def test_headers_are_the_brief_formats() -> None:
    assert UNITS_HEADER == ["code", "name_zh", "name_en", "kind", "parent", "locality"]
    assert CADRES_HEADER == ["code", "name", "unit", "roles", "since"]
    assert ENTERPRISES_HEADER == [
        "uscc",
        "name",
        "locality",
        "park",
        "size",
        "foreign_invested",
        "service_list",
    ]
    assert NAMES_HEADER == ["name", "code"]


def test_no_cell_has_stray_whitespace() -> None:
    for name, rows in (
        ("units", UNITS),
        ("cadres", CADRES),
        ("enterprises", ENTERPRISES),
        ("unit_names", NAMES),
    ):
        for line, row in enumerate(rows, start=2):
            for key, value in row.items():
                assert value is not None, (name, line, key)
                assert value == value.strip(), (name, line, key)


# ---- units -------------------------------------------------------------------


def test_unit_codes_are_unique_and_well_formed() -> None:
    codes = [row["code"] for row in UNITS]
    assert len(codes) == len(set(codes))
    assert all(CODE.fullmatch(code) for code in codes)
    assert len({row["name_zh"] for row in UNITS}) == len(UNITS)


def test_units_are_named_typed_and_placed() -> None:
    for row in UNITS:
        text(row["name_zh"], "unit")
        assert row["name_en"].strip(), row["code"]
        assert row["kind"] in UNIT_KINDS, row
        assert row["locality"] in SUZHOU_DIVISIONS, row


def test_the_centre_is_registered_under_the_shared_code() -> None:
    centres = [row for row in UNITS if row["kind"] == "centre"]
    assert [row["code"] for row in centres] == [CENTRE_UNIT]


def test_every_parent_exists_and_no_unit_is_its_own_ancestor() -> None:
    for row in UNITS:
        seen = {row["code"]}
        parent = row["parent"]
        while parent:
            assert parent in UNIT_BY_CODE, (row["code"], parent)
            assert parent not in seen, (row["code"], "cycle")
            seen.add(parent)
            parent = UNIT_BY_CODE[parent]["parent"]


def test_districts_and_county_cities_carry_their_division_codes() -> None:
    districts = {
        row["name_zh"]: row["locality"] for row in UNITS if row["kind"] == "district"
    }
    assert districts["姑苏区"] == "320508"
    assert districts["吴中区"] == "320506"
    assert districts["相城区"] == "320507"
    assert districts["苏州高新区"] == "320505"
    assert districts["吴江区"] == "320509"
    assert districts["苏州工业园区"] == "320571"
    assert districts["常熟市"] == "320581"
    assert districts["张家港市"] == "320582"
    assert districts["昆山市"] == "320583"
    assert districts["太仓市"] == "320585"


@pytest.mark.parametrize(
    ("city", "towns"),
    [
        (
            "KS",
            {"玉山镇", "巴城镇", "周市镇", "陆家镇", "花桥镇", "淀山湖镇", "张浦镇"}
            | {"周庄镇", "千灯镇", "锦溪镇", "昆山开发区", "昆山高新区"},
        ),
        (
            "ZJG",
            {"杨舍镇", "塘桥镇", "金港街道", "锦丰镇", "乐余镇", "凤凰镇", "南丰镇"}
            | {"大新镇", "张家港保税区", "张家港经济技术开发区"},
        ),
    ],
)
def test_towns_and_parks_sit_under_their_county_city(
    city: str, towns: set[str]
) -> None:
    under = {
        row["name_zh"]: row
        for row in UNITS
        if row["parent"] == city and row["kind"] in {"town", "park"}
    }
    assert towns <= set(under)
    assert {row["locality"] for row in under.values()} == {
        UNIT_BY_CODE[city]["locality"]
    }


# ---- cadres ------------------------------------------------------------------


def test_cadre_codes_names_units_roles_and_postings() -> None:
    codes = [row["code"] for row in CADRES]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"C-\d{4}", code) for code in codes)
    assert len({row["name"] for row in CADRES}) == len(CADRES)
    for row in CADRES:
        text(row["name"], "cadre")
        assert row["unit"] in UNIT_BY_CODE, row
        roles = split(row["roles"])
        assert roles, row
        assert set(roles) <= ROLES, row
        assert len(roles) == len(set(roles)), row
        since = date.fromisoformat(row["since"])
        assert date(2024, 1, 1) <= since <= date(2026, 12, 31), row


def test_every_role_is_held_by_someone() -> None:
    held = Counter(role for row in CADRES for role in split(row["roles"]))
    assert set(held) == ROLES
    assert held["deputy"] >= 2
    assert held["liaison_cadre"] >= 5
    assert held["liaison_officer"] >= 5


def handlers() -> Counter[str]:
    return Counter(row["unit"] for row in CADRES if "handler" in split(row["roles"]))


def test_every_unit_the_catalogue_routes_to_has_a_handler() -> None:
    staffed = handlers()
    for item in ITEMS:
        for unit in (item["lead_unit"], *item["co_units"]):
            assert staffed[unit] >= 1, (item["code"], unit)


def test_every_unit_the_demo_assigns_to_has_at_least_two_handlers() -> None:
    staffed = handlers()
    code_of = {row["name"]: row["code"] for row in NAMES}
    for name, _, _ in corpus.UNITS:
        assert staffed[code_of[name]] >= 2, name


def test_liaison_cadres_serve_districts_towns_and_parks() -> None:
    for row in CADRES:
        roles = set(split(row["roles"]))
        if roles & {"liaison_cadre", "liaison_officer", "deputy"}:
            kind = UNIT_BY_CODE[row["unit"]]["kind"]
            assert kind in {"district", "town", "park"}, row


# ---- enterprises -------------------------------------------------------------


def test_enterprise_credit_codes_are_valid_unique_and_suzhou() -> None:
    usccs = [row["uscc"] for row in ENTERPRISES]
    assert len(usccs) == len(set(usccs))
    assert len({row["name"] for row in ENTERPRISES}) == len(ENTERPRISES)
    for uscc in usccs:
        assert validate_uscc(uscc) == uscc
        assert uscc[2:8].startswith("3205"), uscc
        assert uscc[2:8] in SUZHOU_DIVISIONS, uscc


def test_enterprise_fields_take_the_brief_values() -> None:
    park_names = {
        row["name_zh"]: row
        for row in UNITS
        if row["kind"] in {"park", "district", "town"}
    }
    for row in ENTERPRISES:
        text(row["name"], "enterprise_name")
        assert row["locality"] == "" or row["locality"] in SUZHOU_DIVISIONS, row
        assert row["park"] == "" or row["park"] in park_names, row
        assert row["size"] in SIZES, row
        assert row["foreign_invested"] in {"true", "false"}, row
        assert row["service_list"] in SERVICE_LISTS, row


def test_an_overridden_locality_is_where_the_park_is() -> None:
    overridden = [row for row in ENTERPRISES if row["locality"]]
    assert overridden  # the file shows the override at work
    for row in overridden:
        assert row["locality"] != row["uscc"][2:8], row
        park = next(unit for unit in UNITS if unit["name_zh"] == row["park"])
        assert park["locality"] == row["locality"], row


def test_enterprises_are_a_plausible_mix() -> None:
    assert 55 <= len(ENTERPRISES) <= 80
    assert set(Counter(row["size"] for row in ENTERPRISES)) == SIZES
    foreign = sum(row["foreign_invested"] == "true" for row in ENTERPRISES)
    assert 0.1 <= foreign / len(ENTERPRISES) <= 0.4
    listed = Counter(row["service_list"] for row in ENTERPRISES)
    assert set(listed) == SERVICE_LISTS
    assert listed[""] > len(ENTERPRISES) / 2
    cities = Counter(row["uscc"][2:8] for row in ENTERPRISES)
    assert cities["320583"]  # Kunshan
    assert cities["320582"]  # Zhangjiagang


# ---- unit names of the demo --------------------------------------------------


def test_every_old_name_maps_to_a_registered_unit() -> None:
    names = [row["name"] for row in NAMES]
    assert len(names) == len(set(names))
    for row in NAMES:
        assert row["code"] in UNIT_BY_CODE, row


def test_every_unit_name_the_demo_uses_has_a_code() -> None:
    mapped = {row["name"] for row in NAMES}
    assert demo_unit_names() - mapped == set()


def test_park_names_map_to_the_unit_of_that_name() -> None:
    for row in NAMES:
        unit = UNIT_BY_CODE[row["code"]]
        if unit["kind"] in {"park", "town", "district"}:
            assert unit["name_zh"] == row["name"], row


# ---- catalogue ---------------------------------------------------------------


def test_catalogue_has_enough_items_with_unique_codes() -> None:
    assert len(ITEMS) >= 60
    codes = [item["code"] for item in ITEMS]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert CODE.fullmatch(code), code
        assert re.fullmatch(r"[A-Z]{3}-\d{3}", code), code


def test_items_have_the_brief_keys_and_types() -> None:
    for item in ITEMS:
        keys = set(item)
        assert keys >= ITEM_KEYS, (item["code"], ITEM_KEYS - keys)
        assert keys <= ITEM_KEYS | OPTIONAL_ITEM_KEYS, (item["code"], keys)
        for key in ("matter_zh", "matter_en", "procedure", "legal_basis"):
            assert isinstance(item[key], str), (item["code"], key)
            assert item[key].strip() == item[key] != "", (item["code"], key)
        assert isinstance(item["co_units"], list), item["code"]
        assert isinstance(item["limits"], dict), item["code"]
        words = item.get("keywords", [])
        assert isinstance(words, list), item["code"]
        assert all(isinstance(w, str) and w.strip() == w != "" for w in words)


def test_every_category_and_kind_appears() -> None:
    categories = Counter(item["category"] for item in ITEMS)
    assert set(categories) == {category.value for category in Category}
    assert min(categories.values()) >= 4
    kinds = Counter(item["kind"] for item in ITEMS)
    assert set(kinds) == ITEM_KINDS
    assert set(kinds) <= {kind.value for kind in AppealKind}


def test_code_prefix_names_the_category() -> None:
    for item in ITEMS:
        assert PREFIXES[item["code"][:3]] == item["category"], item["code"]


def test_lead_and_co_units_are_registered_and_distinct() -> None:
    for item in ITEMS:
        lead, co = item["lead_unit"], item["co_units"]
        assert lead in UNIT_BY_CODE, (item["code"], lead)
        assert all(unit in UNIT_BY_CODE for unit in co), (item["code"], co)
        assert lead not in co, item["code"]
        assert len(co) == len(set(co)), item["code"]


def test_every_limit_names_a_stage_and_parses() -> None:
    stages = {stage.value for stage in Stage}
    with_limits = 0
    for item in ITEMS:
        for stage, limit in item["limits"].items():
            assert stage in stages, (item["code"], stage)
            Limit.parse(limit)
        with_limits += bool(item["limits"])
    assert with_limits >= len(ITEMS) / 3


def test_standard_answers_are_for_consultations_only() -> None:
    answered = [item for item in ITEMS if "standard_answer" in item]
    assert len(answered) >= 15
    for item in answered:
        assert item["kind"] == "consult", item["code"]
        assert len(item["standard_answer"]) >= 60, item["code"]


def test_procedures_are_a_few_sentences_and_bases_name_a_text() -> None:
    for item in ITEMS:
        sentences = item["procedure"].count("。")
        assert 1 <= sentences <= 4, item["code"]
        assert "《" in item["legal_basis"] or "公告" in item["legal_basis"]


def test_the_demo_categories_are_routed_to_their_old_units() -> None:
    """Each category's catalogue items lead to the units the demo used for it,
    so routing by the catalogue keeps the demo's picture of who handles what."""
    code_of = {row["name"]: row["code"] for row in NAMES}
    for category, units in corpus.CATEGORY_UNITS.items():
        old = {code_of[name] for name, _ in units}
        leads = {item["lead_unit"] for item in ITEMS if item["category"] == category}
        assert old & leads, category
