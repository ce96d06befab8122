"""Whose an appeal is, from its stored history (topic and state)."""

from __future__ import annotations

from appeals.domain.scope import AppealScope, appeal_scope

USCC = "91320594MA1XXXXX0X"


def test_the_unit_follows_assignments_and_returns() -> None:
    received = ("Appeal.Received", {"uscc": USCC, "ticket": "T1"})
    assigned = ("Appeal.Assigned", {"unit": "SZ-RSJ"})
    returned = ("Appeal.Returned", {"reason": "非本单位职责"})
    again = ("Appeal.Assigned", {"unit": "SZ-SWJ"})
    assert appeal_scope([received]) == AppealScope(unit=None, uscc=USCC)
    assert appeal_scope([received, assigned]) == AppealScope("SZ-RSJ", USCC)
    assert appeal_scope([received, assigned, returned]) == AppealScope(None, USCC)
    assert appeal_scope([received, assigned, returned, again]).unit == "SZ-SWJ"


def test_other_events_leave_the_scope_alone() -> None:
    history = [
        ("Appeal.Received", {"uscc": USCC}),
        ("Appeal.Assigned", {"unit": "SZ-RSJ"}),
        ("Appeal.Accepted", {"unit": "ignored"}),
        ("Appeal.Resolved", {"outcome": "resolved"}),
    ]
    assert appeal_scope(history) == AppealScope("SZ-RSJ", USCC)
