"""The ``appeals`` entry point: one parser built from every command group,
and a configuration error reported in one line with exit status 2."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from appeals.cli.main import COMMAND_GROUPS, build_parser, main


def test_every_command_group_is_on_the_command_line() -> None:
    help_text = build_parser().format_help()
    for command in (
        "init",
        "serve",
        "demo",
        "calendar",
        "export",
        "audit",
        "escalate",
        "tokens",
        "projections",
        "registry",
        "catalogue",
        "assessment",
        "notices",
        "webhooks",
        "backup",
        "restore",
    ):
        assert command in help_text
    assert len(COMMAND_GROUPS) == 14


def test_a_configuration_error_is_one_line_and_exit_status_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APPEALS_DATABASE_URL", "mysql://nowhere/appeals")
    assert main(["tokens", "list"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("appeals: configuration error: APPEALS_DATABASE_URL=")
    assert error.count("\n") == 1


def test_version_and_a_missing_checkpoints_file_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("appeals 0.")
    monkeypatch.setenv("APPEALS_DATABASE_URL", f"sqlite:///{tmp_path / 'a.sqlite3'}")
    missing = tmp_path / "nowhere.ndjson"
    assert main(["audit", "verify", "--checkpoints", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no checkpoints file" in err


def test_export_takes_a_plain_day_as_shanghai_midnight() -> None:
    from datetime import datetime

    from appeals.cli.audit import _instant
    from appeals.infra.clock import SHANGHAI

    assert _instant("2026-11-01") == datetime(2026, 11, 1, tzinfo=SHANGHAI)
    assert _instant("2026-11-01T08:00:00+08:00").hour == 8
    for bad in ("2026-11-01T08:00:00", "yesterday"):
        with pytest.raises(argparse.ArgumentTypeError):
            _instant(bad)


def test_the_long_running_services_log_as_serve_does() -> None:
    """The worker, the scheduler and the outbox configure logging from
    APPEALS_LOG_FORMAT: with json, a warning is one JSON object a line."""
    import json
    import os
    import subprocess
    import sys

    script = (
        "import logging\n"
        "from appeals.cli.environment import configure_logging\n"
        "configure_logging()\n"
        "logging.getLogger('appeals.projections').warning('view %s stopped', 'x')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "APPEALS_LOG_FORMAT": "json"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    (line,) = [json.loads(text) for text in done.stderr.splitlines() if text]
    assert line["message"] == "view x stopped"
    assert (line["level"], line["logger"]) == ("WARNING", "appeals.projections")
