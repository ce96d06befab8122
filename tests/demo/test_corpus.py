"""The demo's words: every category has templates and units to handle it."""

from __future__ import annotations

from appeals.demo import corpus


def test_every_category_drawn_has_templates_and_units() -> None:
    unit_names = {name for name, _, _ in corpus.UNITS}
    for category in corpus.CATEGORY_WEIGHTS:
        assert corpus.TEMPLATES[category], category
        assert {name for name, _ in corpus.CATEGORY_UNITS[category]} <= unit_names


def test_supervision_notes_cover_every_level_the_planner_uses() -> None:
    assert set(corpus.SUPERVISION_NOTES) >= {1, 2, 3}
