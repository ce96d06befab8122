"""``appeals audit verify`` checks every recorded attachment's bytes in the
configured blob store: clean while they match, DAMAGED (exit 1) once one is
altered or gone."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from appeals.application.attachments import Upload, attach
from appeals.bootstrap import open_ledger
from appeals.cli.main import main
from appeals.infra.blobs import FileBlobStore
from appeals.infra.settings import Settings
from tests.builders import INTAKE, receive

PDF = b"%PDF-1.4\n%%EOF\n"


def test_audit_verify_reports_a_damaged_attachment(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = {
        "APPEALS_DATABASE_URL": f"sqlite:///{tmp_path / 'appeals.sqlite3'}",
        "APPEALS_BLOB_STORE": str(tmp_path / "blobs"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    blobs = FileBlobStore(tmp_path / "blobs")
    ledger = open_ledger(Settings.from_env(env))
    try:
        appeal = receive(ledger).appeal_id
        attach(ledger, blobs, appeal, Upload(PDF, "材料.pdf"), INTAKE, limit=1024)
    finally:
        ledger.close()
    assert main(["audit", "verify"]) == 0
    assert "1 attachments checked" in capsys.readouterr().out
    sha256 = hashlib.sha256(PDF).hexdigest()
    blobs.path_of(sha256).write_bytes(b"%PDF-1.4\n% edited\n%%EOF\n")
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"DAMAGED: attachment {sha256} of appeal {appeal}" in out
    assert "altered" in out
