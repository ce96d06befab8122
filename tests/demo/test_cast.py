"""The demo cast: enterprises with valid credit codes, the registered units
with their registered handlers, drafts routed by the catalogue."""

from __future__ import annotations

import csv
from random import Random

from appeals.demo.cast import DATA, Writer, build_cast
from appeals.demo.corpus import CITIES
from appeals.domain.uscc import validate_uscc


def test_credit_codes_are_valid_distinct_and_from_the_three_cities() -> None:
    cast = build_cast(Random(7))
    codes = [enterprise.uscc for enterprise in cast.enterprises]
    areas = {area for _, city_areas, _, _ in CITIES for area in city_areas}
    assert len(codes) == len(set(codes)) == 300
    for code in codes:
        assert validate_uscc(code) == code
        assert code.startswith("91")
        assert code[2:8] in areas
    assert len({e.name for e in cast.enterprises}) == 300


def test_units_are_the_registered_ones_with_their_registered_handlers() -> None:
    cast = build_cast(Random(7))
    units = read("units.csv")
    cadres = {row["code"]: row for row in read("cadres.csv")}
    registered = {row["code"] for row in units}
    for unit in cast.units.values():
        assert unit.code in registered, unit.name
        assert len(unit.cadres) >= 2, unit.name
        for actor, _pace in unit.cadres:
            row = cadres[actor.id]  # the handler is a registered cadre
            assert (row["unit"], row["name"], actor.unit) == (
                unit.code,
                actor.name,
                unit.code,
            )
            assert "handler" in row["roles"].split(";")


def test_drafts_are_mostly_routed_by_an_item_of_their_unit_and_category() -> None:
    cast = build_cast(Random(7))
    writer = Writer(Random(8), cast, 2026)
    drafts = [writer.draft() for _ in range(400)]
    routed = [d for d in drafts if d.item is not None]
    assert 0.5 < len(routed) / len(drafts) < 0.95
    for draft in routed:
        assert draft.item is not None
        assert draft.item.lead_unit == draft.unit.code
        assert draft.item.category == draft.receive.category.value
    consultation = writer.consultation()
    assert consultation.item is not None
    assert consultation.item.standard_answer
    assert consultation.item.matter_zh in consultation.receive.title


def read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))
