"""docs/events.md says what the event classes say."""

from __future__ import annotations

from pathlib import Path

from eventsourcing.utils import get_topic

from appeals.domain import events
from appeals.domain.event_docs import catalogue, render

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_the_event_catalogue_matches_the_event_classes() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(), (
        "docs/events.md is stale: python -m appeals.domain.event_docs > docs/events.md"
    )


def test_the_catalogue_lists_every_event_with_its_deadline_fields() -> None:
    text = render()
    for event_class in catalogue():
        assert f"`{get_topic(event_class)}`" in text
    assert "`Appeal.Escalated`" in text
    assert "`Appeal.EvaluationLapsed`" in text
    assert "`first_response_due: datetime \\| None`" in text
    assert "`dispatch_due: datetime \\| None = None`" in text
    assert "`Appeal.AnsweredOnTheSpot`" in text
    assert "`late_seconds: int`" in text


def test_every_appeal_event_class_is_catalogued() -> None:
    listed = set(catalogue())
    for value in vars(events).values():
        if isinstance(value, type) and issubclass(value, events.Event):
            assert value in listed or value in (events.Event, events.Created)
