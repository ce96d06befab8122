"""GB/T 2260 divisions: every province, Jiangsu's cities, Suzhou's counties,
the locality in a credit code and the fallback for unknown county codes."""

from __future__ import annotations

import pytest

from appeals.domain.divisions import (
    JIANGSU_PREFECTURES,
    PROVINCES,
    SUZHOU_COUNTIES,
    division_name,
    is_division,
    locality_of,
)
from appeals.domain.uscc import validate_uscc


def test_all_34_province_level_divisions_end_in_0000() -> None:
    assert len(PROVINCES) == 34
    assert all(code.endswith("0000") for code in PROVINCES)
    assert PROVINCES["320000"] == ("江苏省", "Jiangsu")
    assert PROVINCES["810000"][0] == "香港特别行政区"


def test_jiangsu_has_13_prefecture_level_cities_and_suzhou_its_counties() -> None:
    assert len(JIANGSU_PREFECTURES) == 13
    assert all(
        code.startswith("32") and code.endswith("00") for code in JIANGSU_PREFECTURES
    )
    assert SUZHOU_COUNTIES["320571"][0] == "苏州工业园区"
    assert SUZHOU_COUNTIES["320583"][0] == "昆山市"
    assert SUZHOU_COUNTIES["320582"][0] == "张家港市"
    assert set(SUZHOU_COUNTIES) == {
        "320505", "320506", "320507", "320508", "320509",
        "320571", "320581", "320582", "320583", "320585",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("uscc", "locality"),
    [
        ("91330100716105852F", "330100"),  # docs/domain.md's examples
        ("9144030071526726XG", "440300"),
        ("91110000802100433B", "110000"),
        ("91320583MA1JUUGT0J", "320583"),
    ],
)
def test_the_locality_is_characters_3_to_8_of_the_credit_code(
    uscc: str, locality: str
) -> None:
    assert locality_of(validate_uscc(uscc)) == locality


def test_names_fall_back_to_the_prefecture_then_the_province() -> None:
    assert division_name("320583") == ("昆山市", "Kunshan")
    assert division_name("320500") == ("苏州市", "Suzhou")
    assert division_name("320599") == ("苏州市", "Suzhou")  # unknown county
    assert division_name("330100") == ("浙江省", "Zhejiang")  # city not in the table
    assert division_name("320504") is not None  # a Suzhou code retired in 2012
    assert division_name("990000") is None
    assert division_name("32058") is None
    assert division_name("3205８3") is None  # a full-width digit


def test_a_division_is_six_digits_in_a_known_province() -> None:
    assert is_division("320583")
    assert is_division("441900")
    assert not is_division("990101")
    assert not is_division("32058A")
    assert not is_division("3205830")
