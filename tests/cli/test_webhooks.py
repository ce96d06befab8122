"""``appeals webhooks add|status|run|replay|remove`` on the embedded store,
delivering to a receiver on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from appeals.bootstrap import open_ledger
from appeals.cli.main import main
from appeals.infra.settings import Settings
from tests.application.test_webhooks import Receiver, receiver
from tests.builders import receive

__all__ = ["receiver"]  # the fixture


def test_a_subscriber_from_the_command_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    receiver: tuple[str, Receiver],
) -> None:
    url, state = receiver
    state.script.clear()
    env = {"APPEALS_DATABASE_URL": f"sqlite:///{tmp_path / 'appeals.sqlite3'}"}
    monkeypatch.setenv("APPEALS_DATABASE_URL", env["APPEALS_DATABASE_URL"])
    assert main(["webhooks", "add", "ftp://x"]) == 2
    assert main(["webhooks", "add", url, "--kind", "Appeal.Received"]) == 2
    assert "no SQLite database at" in capsys.readouterr().err  # not made silently
    assert main(["init"]) == 0
    assert main(["webhooks", "add", url, "--kind", "Appeal.Received"]) == 0
    subscriber, secret = capsys.readouterr().out.split()
    assert secret.startswith("whsec_")
    ledger = open_ledger(Settings.from_env(env))
    try:
        receive(ledger)
    finally:
        ledger.close()
    assert main(["webhooks", "run", "--once"]) == 0
    assert "1 delivered" in capsys.readouterr().err
    assert [b["type"] for b, _, _ in state.bodies] == ["Appeal.Received"]
    assert main(["webhooks", "status"]) == 0
    (row,) = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (row["id"], row["behind"], row["delivered"]) == (subscriber, 0, 1)
    assert secret not in str(row)
    assert main(["webhooks", "replay", subscriber, "--from", "1"]) == 0
    assert main(["webhooks", "run", "--once"]) == 0
    assert len(state.bodies) == 2  # delivered again
    assert main(["webhooks", "remove", subscriber]) == 0
    assert main(["webhooks", "remove", subscriber]) == 1
