"""Long work says how far it has got: a bar on a terminal, and a line every
ten seconds where stderr is a log (systemd, cron, a benchmark's relay), so
``appeals audit checkpoint`` over ten million events is not ten silent
minutes."""

from __future__ import annotations

import pytest

from appeals.cli.environment import LineProgress, progress_bar, progress_line
from appeals.cli.projections import RebuildProgress


class Ticks:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_every_ten_seconds_with_the_speed_of_this_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = Ticks()
    with LineProgress("chaining the log", 1_000_000, clock=clock) as bar:
        task = bar.task_ids[0]
        bar.update(task, completed=400_000)  # resumed at its last checkpoint
        clock.now += 4
        bar.update(task, completed=420_000)
        assert capsys.readouterr().err == ""  # under ten seconds: nothing yet
        clock.now += 6
        bar.update(task, completed=450_000)
        clock.now += 5
        bar.update(task, completed=470_000)  # five seconds after the last line
    lines = capsys.readouterr().err.splitlines()
    # 50,000 in the 10 s since the first update, not 450,000: 5,000/s
    assert lines == [
        "chaining the log: 450,000 of 1,000,000 events (45%), 5,000/s, about 2 min left"
    ]


def test_the_total_may_arrive_with_the_work(capsys: pytest.CaptureFixture[str]) -> None:
    clock = Ticks()
    with LineProgress("importing units", 0, "rows", clock=clock) as bar:
        bar.update(0, completed=0, total=600)
        clock.now += 10
        bar.update(0, completed=600, total=600)
    assert capsys.readouterr().err == "importing units: 600 of 600 rows (100%), 60/s\n"


def test_a_pipe_gets_lines_not_a_bar() -> None:
    # pytest captures stderr: not a terminal
    assert isinstance(progress_bar("exporting", 10), LineProgress)


def test_the_time_left_reads_as_people_say_it() -> None:
    assert progress_line("verifying", 990, 1000, 10.0).endswith(
        "99/s, under a minute left"
    )
    assert progress_line("verifying", 0, 1000, 0.0) == (
        "verifying: 0 of 1,000 events (0%), 0/s"
    )


def test_a_first_update_late_in_the_work_says_nothing_until_it_has_a_speed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # verify from a checkpoint: its first position comes after a while
    clock = Ticks()
    with LineProgress("verifying", 1000, clock=clock) as bar:
        clock.now += 30
        bar.update(0, completed=500)
        assert capsys.readouterr().err == ""  # no "0/s" line
        clock.now += 10
        bar.update(0, completed=600)
    assert capsys.readouterr().err == (
        "verifying: 600 of 1,000 events (60%), 10/s, under a minute left\n"
    )


def test_a_rebuild_into_a_log_says_how_far_each_view_has_got(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # stderr is captured (not a terminal): a line per view every ten seconds,
    # its speed from where it resumed, and no bar drawn at the end
    clock = Ticks()
    with RebuildProgress(["timeliness", "routing"], clock=clock) as shown:
        shown.update("timeliness", 100_000, 1_000_000)  # resumed part-way
        shown.update("routing", 0, 1_000_000)
        clock.now += 10
        shown.update("timeliness", 170_000, 1_000_000)
        shown.update("routing", 1_000, 1_000_000)
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "rebuilding timeliness: 170,000 of 1,000,000 events (17%), 7,000/s, "
        "about 2 min left",
        "rebuilding routing: 1,000 of 1,000,000 events (0%), 100/s, about 166 min left",
    ]
    assert "━" not in captured.out + captured.err
