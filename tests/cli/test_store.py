"""Which database a command uses (issue 20, item 6): every command names it
on stderr; a SQLite store that does not exist is refused unless the command
makes one (``appeals init``, ``demo``, ``restore``, ``serve``), so a command
run from the wrong directory never makes an empty database there; a file
that cannot be opened is one line and a non-zero exit, never a traceback.
Also: every option's help shows its default, and ``export``'s progress bar
goes to a terminal's stderr only, never into the data on stdout."""

from __future__ import annotations

import argparse
import os
import pty
import sqlite3
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from appeals.application.service import AppealLedger
from appeals.bootstrap import open_ledger
from appeals.cli.main import build_parser, main, with_default
from appeals.infra.clock import FixedClock
from appeals.infra.settings import Settings
from tests.builders import receive
from tests.support.organisation import register_test_organisation

TOKEN = ["tokens", "create", "--role", "intake", "--name", "王受理"]


def one_line(err: str) -> str:
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    return err


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory and no APPEALS_DATABASE_URL: the default."""
    monkeypatch.delenv("APPEALS_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_default_store_is_not_made_silently_in_the_wrong_place(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(TOKEN) == 2
    err = one_line(capsys.readouterr().err)
    store = elsewhere / "var" / "appeals.sqlite3"
    assert f"no SQLite database at {store}" in err
    assert "relative to the working directory" in err
    assert "appeals init" in err
    assert not (elsewhere / "var").exists()
    # Asked to, it makes one, then names it by its full path.
    assert main(["init"]) == 0
    assert f"appeals: database SQLite {store}\n" in capsys.readouterr().err
    assert main(TOKEN) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("alt_")
    assert captured.err.startswith(f"appeals: database SQLite {store}\n")


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: p.mkdir(), "is a directory, not a SQLite database file"),
        (lambda p: p.write_text("name,role\n"), "is not a SQLite database"),
        (lambda p: None, "no SQLite database at"),
    ],
    ids=["directory", "not-sqlite", "missing"],
)
def test_a_store_that_cannot_be_opened_is_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    make: object,
    says: str,
) -> None:
    path = tmp_path / "missing-folder" / "appeals.sqlite3"
    path.parent.mkdir()
    make(path)  # type: ignore[operator]
    monkeypatch.setenv("APPEALS_DATABASE_URL", f"sqlite:///{path}")
    for argv in (TOKEN, ["tokens", "list"], ["export"], ["audit", "verify"]):
        assert main(argv) == 2
        assert says in one_line(capsys.readouterr().err)


def test_a_store_that_cannot_be_made_or_read_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    for url, argv, says in (
        # a folder that cannot be made: a file is in the way
        (f"sqlite:///{blocker}/var/appeals.sqlite3", ["init"], "cannot create"),
        # a SQLite header over garbage: SQLite's own error, as one line
        (f"sqlite:///{damaged}", ["tokens", "list"], "database error on SQLite"),
    ):
        finished = subprocess.run(
            [sys.executable, "-m", "appeals.cli", *argv],
            env={**os.environ, "APPEALS_DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert finished.returncode != 0
        assert "Traceback" not in finished.stderr
        errors = [
            line
            for line in finished.stderr.splitlines()
            if not line.startswith("appeals: database SQLite")
        ]
        assert len(errors) == 1, finished.stderr
        assert says in errors[0]


def test_every_command_names_its_database(
    store: str,
    ledger: AppealLedger,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("APPEALS_DATABASE_URL", store)
    expected = (
        f"SQLite {store.removeprefix('sqlite:///')}"
        if store.startswith("sqlite")
        else "PostgreSQL postgresql://"
    )
    for argv in (
        ["tokens", "list"],
        ["audit", "checkpoints"],
        ["webhooks", "status"],
        ["calendar", "show", "2026"],
        ["escalate", "run", "--once", "--dry-run"],
        ["projections", "status"],
    ):
        main(argv)
        err = capsys.readouterr().err
        assert err.startswith(f"appeals: database {expected}"), (argv, err)
        assert err.count("appeals: database") == 1


def options(
    parser: argparse.ArgumentParser, prog: str = "appeals"
) -> list[tuple[str, argparse.Action]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += options(child, f"{prog} {name}")
        elif action.option_strings and action.dest not in ("help", "version"):
            found.append((prog, action))
    return found


def test_every_option_shows_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    found = options(build_parser())
    assert len(found) > 30
    for prog, action in found:
        if action.required:
            continue
        assert "default" in (with_default(action) or ""), (prog, action.dest)
    with pytest.raises(SystemExit):
        main(["escalate", "run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "seconds between passes (default: 60.0)" in text
    assert "one pass, then exit (default: off)" in text


def test_export_draws_its_bar_on_a_terminal_and_keeps_stdout_data(
    tmp_path: Path, clock: FixedClock
) -> None:
    store = f"sqlite:///{tmp_path / 'appeals.sqlite3'}"  # the bar is the CLI's
    ledger = open_ledger(
        Settings.from_env({"APPEALS_DATABASE_URL": store}), clock=clock
    )
    try:
        register_test_organisation(ledger)
        for _ in range(3):
            receive(ledger)
        head = ledger.recorder.max_notification_id()
    finally:
        ledger.close()
    env = {**os.environ, "APPEALS_DATABASE_URL": store, "COLUMNS": "100"}
    # stderr a pipe: no bar, one count line after the database line
    piped = subprocess.run(
        [sys.executable, "-m", "appeals.cli", "export"],
        env=env, capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    lines = piped.stdout.splitlines()
    assert [orjson.loads(line)["position"] for line in lines] == list(
        range(1, (head or 0) + 1)
    )
    assert piped.stderr.decode().splitlines()[1:] == [f"appeals export: {head} events"]
    # stderr a terminal: the bar is drawn there; stdout is the same data
    controller, terminal = pty.openpty()
    try:
        on_tty = subprocess.run(
            [sys.executable, "-m", "appeals.cli", "export"],
            env={**env, "TERM": "xterm"}, stdout=subprocess.PIPE, stderr=terminal,
            timeout=120, check=True,
        )  # fmt: skip
        os.close(terminal)
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(controller)
    assert on_tty.stdout == piped.stdout
    assert b"exporting" in drawn


def test_init_brings_the_views_indexes_up_to_this_release_and_says_so(
    tmp_path: Path,
) -> None:
    """An upgrade's ``appeals init`` on a store whose timeliness cycles have
    the index this release retired and lack the one it added: it makes the
    one, drops the other and says so; run again, it has nothing to say."""
    store = tmp_path / "appeals.sqlite3"
    env = {**os.environ, "APPEALS_DATABASE_URL": f"sqlite:///{store}"}

    def init() -> str:
        done = subprocess.run(
            [sys.executable, "-m", "appeals.cli", "init"],
            env=env, capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        return done.stderr

    init()
    with sqlite3.connect(store) as connection:
        connection.execute("DROP INDEX view_timeliness_cycles_climbing")
        connection.execute(
            "CREATE INDEX view_timeliness_cycles_open_by_due "
            "ON view_timeliness_cycles (due) WHERE is_open = 1"
        )
    said = init()
    assert "timeliness: 1 index(es) made for this release" in said
    assert "timeliness: 1 index(es) dropped for this release" in said
    with sqlite3.connect(store) as connection:
        names = {
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index'"
            )
        }
    assert "view_timeliness_cycles_climbing" in names
    assert "view_timeliness_cycles_open_by_due" not in names
    assert "index(es)" not in init()
