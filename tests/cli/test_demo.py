"""``appeals demo`` as a user runs it (SQLite, the embedded default): the
organisation and catalogue first, then appeals routed by them; a second run
on the same store refuses, saying why, and changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from appeals.bootstrap import open_ledger
from appeals.infra.settings import Settings

DEMO = [sys.executable, "-m", "appeals.cli", "demo", "--appeals", "30", "--months", "1"]


def run(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DEMO, "--start", "2026-09-01"],
        env={**os.environ, "APPEALS_DATABASE_URL": url, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_demo_loads_once_and_a_second_run_refuses(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    first = run(url)
    assert first.returncode == 0, first.stderr
    assert "organisation: 78 units, 106 cadres, 60 enterprises" in first.stdout
    assert "loaded 30 appeals" in first.stdout
    # every registered enterprise linked, visits made through the month, one
    # task force per key enterprise (5 in enterprises.csv)
    assert "挂钩服务: 60 enterprises linked," in first.stdout
    assert "5 task forces" in first.stdout
    visits = int(first.stdout.split("enterprises linked, ")[1].split(" visits")[0])
    assert visits > 20
    with open_ledger(Settings.from_env({"APPEALS_DATABASE_URL": url})) as ledger:
        head = ledger.recorder.max_notification_id()
    second = run(url)
    assert second.returncode == 1
    assert "the store already holds appeals" in second.stdout + second.stderr
    with open_ledger(Settings.from_env({"APPEALS_DATABASE_URL": url})) as ledger:
        assert ledger.recorder.max_notification_id() == head
