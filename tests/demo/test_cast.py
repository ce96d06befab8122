"""The demo cast: enterprises with valid credit codes, units with cadres."""

from __future__ import annotations

from random import Random

from appeals.demo.cast import build_cast
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
    assert all(3 <= len(unit.cadres) <= 8 for unit in cast.units.values())
