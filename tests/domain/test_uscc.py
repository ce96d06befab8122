"""GB 32100-2015 credit codes: the check character over real examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appeals.domain.errors import InvalidCreditCode
from appeals.domain.uscc import ALPHABET, check_character, validate_uscc


@pytest.mark.parametrize(
    "code", ["91330100716105852F", "9144030071526726XG", "91110000802100433B"]
)
def test_real_codes_are_valid(code: str) -> None:
    assert validate_uscc(code) == code


def test_codes_are_normalised_to_upper_case_without_spaces() -> None:
    assert validate_uscc(" 9144030071526726xg ") == "9144030071526726XG"


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_any_code_with_its_check_character_is_valid(first17: str) -> None:
    code = first17 + check_character(first17)
    assert validate_uscc(code) == code


@given(
    st.text(alphabet=ALPHABET, min_size=17, max_size=17),
    st.integers(min_value=0, max_value=16),
    st.sampled_from(ALPHABET),
)
def test_changing_one_character_is_detected(
    first17: str, position: int, replacement: str
) -> None:
    code = first17 + check_character(first17)
    tampered = code[:position] + replacement + code[position + 1 :]
    if tampered != code:
        with pytest.raises(InvalidCreditCode):
            validate_uscc(tampered)
