"""``appeals backup`` and ``appeals restore`` as an operator runs them (issue
20, item 3), on both stores: checkpoints taken and kept apart, a backup made
while the store is in use, restored into a fresh database, verified clean
against those checkpoints, and every view rebuilt there equal to the
original's."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest

from appeals.application.service import AppealLedger
from appeals.bootstrap import open_ledger
from appeals.cli.main import main
from appeals.infra.clock import FixedClock
from appeals.infra.settings import Settings
from devtools.pgcluster import PostgresServer
from tests.support.reports import history, project
from tests.support.views import PROJECTIONS, stored


@pytest.fixture
def fresh(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Another new, empty database of the same kind."""
    if store.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored' / 'appeals.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"r_{uuid4().hex[:12]}"
    with server.connect() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    schema = store.split("schema=")[1]
    return f"{server.url(name)}{'&' if '?' in server.url(name) else '?'}schema={schema}"


def test_a_backup_restores_into_a_fresh_store_verified_and_equal(
    store: str,
    fresh: str,
    ledger: AppealLedger,
    clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    history(ledger, clock)
    project(ledger)
    monkeypatch.setenv("APPEALS_DATABASE_URL", store)
    assert main(["audit", "checkpoint"]) == 0
    capsys.readouterr()
    assert main(["audit", "checkpoints"]) == 0
    kept = tmp_path / "checkpoints.ndjson"
    kept.write_text(capsys.readouterr().out)
    assert kept.read_text().count("\n") >= 1
    archive = tmp_path / "backup.bin"
    assert main(["backup", str(archive)]) == 0
    assert archive.stat().st_size > 0
    assert main(["backup", str(archive)]) == 1  # never overwritten
    assert "already exists" in capsys.readouterr().err
    monkeypatch.setenv("APPEALS_DATABASE_URL", fresh)
    assert main(["restore", str(archive)]) == 0
    capsys.readouterr()
    assert main(["audit", "verify", "--checkpoints", str(kept)]) == 0
    verified = capsys.readouterr().out
    assert verified.strip().startswith("clean:"), verified
    assert "1 checkpoints matched" in verified
    restored = open_ledger(Settings.from_env({"APPEALS_DATABASE_URL": fresh}))
    try:
        assert main(["projections", "rebuild", "all"]) == 0
        for projection in PROJECTIONS:
            assert stored(restored, projection) == stored(ledger, projection), (
                projection.name
            )
    finally:
        restored.close()
