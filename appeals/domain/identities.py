"""The ids of the organisation's aggregates: name-based UUIDs (uuid5) of
their codes, so a unit, cadre, enterprise or catalogue item is loaded by its
code without an index, and two registrations of one code collide on the
store's (id, version) key and exactly one wins.

``CENTRE_UNIT`` is the code of the 12345 centre itself: the unit charged with
the dispatch stage (接诉转办), so the centre's own delay is never a unit's.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

NAMESPACE = uuid5(NAMESPACE_URL, "https://appeal-ledger.invalid/organisation")

CENTRE_UNIT = "12345"
"""The registered code of the 12345 hotline centre (kind ``centre``)."""


def unit_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"unit:{code}")


def cadre_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"cadre:{code}")


def enterprise_id(uscc: str) -> UUID:
    return uuid5(NAMESPACE, f"enterprise:{uscc}")


def catalogue_item_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"catalogue:{code}")


def assessment_id(period: str) -> UUID:
    """A month's published assessment (``2026-11``)."""
    return uuid5(NAMESPACE, f"assessment:{period}")


def notice_id(period: str) -> UUID:
    """A month's published 通报 (``2026-11``)."""
    return uuid5(NAMESPACE, f"notice:{period}")
