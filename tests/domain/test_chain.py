"""The hash chain: every appeal event links to the one before it."""

from __future__ import annotations

from typing import Any

from appeals.domain.chain import first_broken_link
from tests.domain.lifecycle_fixtures import PATH, STEPS, received


def stored_form(events: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(type(e).TOPIC, dict(vars(e))) for e in events]


def full_history() -> list[tuple[str, dict[str, Any]]]:
    appeal = received(collect=False)
    for step in PATH:
        STEPS[step](appeal)
    return stored_form(list(appeal.collect_events()))


def test_an_untouched_history_verifies() -> None:
    history = full_history()
    assert len(history) == 7
    assert first_broken_link(history) is None
    heads = [state["chain"] for _, state in history]
    assert len(set(heads)) == 7


def test_an_edited_field_breaks_its_link() -> None:
    history = full_history()
    history[2][1]["actor"] = {**history[2][1]["actor"], "name": "someone else"}
    broken = first_broken_link(history)
    assert broken is not None
    assert broken.version == 3


def test_a_deleted_event_is_detected() -> None:
    history = full_history()
    del history[3]
    broken = first_broken_link(history)
    assert broken is not None
    assert broken.version == 4
    assert "missing" in broken.reason


def test_a_swapped_pair_is_detected() -> None:
    history = full_history()
    history[3], history[4] = history[4], history[3]
    broken = first_broken_link(history)
    assert broken is not None
    assert broken.version == 4


def test_renumbering_after_a_deletion_is_still_detected() -> None:
    history = full_history()
    del history[3]
    for offset, (_, state) in enumerate(history[3:], start=4):
        state["originator_version"] = offset
    broken = first_broken_link(history)
    assert broken is not None
    assert broken.version == 4
