"""The demo's lifecycle paths: each one drawn by the planner, each laid out in
working time with the receipt first."""

from __future__ import annotations

from datetime import date
from random import Random

from appeals.demo import corpus
from appeals.demo.cast import Writer, build_cast
from appeals.demo.paths import PATHS, Planner
from appeals.demo.window import Window
from appeals.domain import commands as cmd
from appeals.domain.deadlines import Timekeeping
from appeals.infra.calendar_data import build_calendar


def test_every_path_is_drawn_by_one_weight_table() -> None:
    weighted = set(corpus.CLOSING_WEIGHTS) | set(corpus.OPEN_WEIGHTS)
    assert weighted == set(PATHS)
    assert not set(corpus.CLOSING_WEIGHTS) & set(corpus.OPEN_WEIGHTS)


def test_each_path_starts_with_the_receipt_and_runs_on_in_working_time() -> None:
    calendar = build_calendar()
    window = Window(date(2026, 4, 1), 3, calendar)
    timekeeping = Timekeeping(calendar)
    rng = Random(11)
    cast = build_cast(rng)
    writer_rng = Random(12)
    writer = Writer(writer_rng, cast, 2026)
    for path in PATHS:
        receipt = window.receipt(rng)
        draft = writer.consultation() if path == "on_the_spot" else writer.draft()
        plan = Planner(cast, window, Random(13), 2, timekeeping).run(
            draft, receipt, path
        )
        assert plan.path == path
        assert isinstance(plan.steps[0].command, cmd.Receive)
        times = [step.at for step in plan.steps]
        assert times == sorted(times), path
        assert all(calendar.is_working_time(at) for at in times), path
