"""Unified Social Credit Code (统一社会信用代码), GB 32100-2015.

18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z, S, V); the
last is a check character over the first 17 with weights ``3**i mod 31``.
"""

from __future__ import annotations

from appeals.domain.errors import InvalidCreditCode

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {character: value for value, character in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18


def check_character(first17: str) -> str:
    """The check character GB 32100-2015 assigns to the first 17 characters."""
    total = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str, field: str = "uscc") -> str:
    """Returns the code, upper-cased and stripped, or raises
    :class:`InvalidCreditCode` saying which rule it breaks."""
    normalised = code.strip().upper()
    if len(normalised) != LENGTH:
        raise InvalidCreditCode(
            field, f"must be {LENGTH} characters, got {len(normalised)}"
        )
    for position, character in enumerate(normalised, start=1):
        if character not in VALUES:
            raise InvalidCreditCode(
                field,
                f"character {character!r} at position {position} is not allowed "
                "(digits and capital letters except I, O, Z, S, V)",
            )
    expected = check_character(normalised[:17])
    if normalised[17] != expected:
        raise InvalidCreditCode(
            field,
            f"check character is {normalised[17]!r} but should be {expected!r}",
        )
    return normalised
