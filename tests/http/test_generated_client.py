"""A client generated from the API document works (issue 20, item 5): the
served ``/openapi.json`` goes through ``openapi-python-client generate``; the
generated package is imported and four of its operations are called against
the app served on a loopback port, with a token, their answers parsed into the
generated models."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID

import httpx
import pytest

from appeals.application.service import AppealLedger
from appeals.http.app import create_app
from tests.builders import RECEIPT
from tests.domain.lifecycle_fixtures import UNIT
from tests.http.conftest import Auth
from tests.support.reports import project
from tests.support.server import in_thread

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "appeal_ledger_client"


@pytest.fixture
def served(ledger: AppealLedger) -> Iterator[str]:
    with in_thread(create_app(lambda: ledger)) as port:
        yield f"http://127.0.0.1:{port}"


def generate(base: str, into: Path) -> ModuleType:
    document = into / "openapi.json"
    document.write_bytes(httpx.get(f"{base}/openapi.json", timeout=10).content)
    done = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(document),
            "--output-path",
            str(into / PACKAGE),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=into,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Cannot parse" not in done.stdout, done.stdout
    sys.path.insert(0, str(into))
    try:
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(into))


def operation(package: ModuleType, tag: str, name: str) -> ModuleType:
    return importlib.import_module(f"{package.__name__}.api.{tag}.{name}")


def test_a_generated_client_calls_the_api(
    served: str, auth: Auth, ledger: AppealLedger, tmp_path: Path
) -> None:
    package = generate(served, tmp_path)
    models = importlib.import_module(f"{PACKAGE}.models")
    with ExitStack() as stack:

        def client_of(role: str) -> Any:
            token = auth(role)["Authorization"].removeprefix("Bearer ")
            made = package.AuthenticatedClient(
                base_url=served, token=token, timeout=10.0
            )
            return stack.enter_context(made)

        calls(package, models, client_of, ledger)


def calls(
    package: ModuleType,
    models: ModuleType,
    client_of: Callable[[str], Any],
    ledger: AppealLedger,
) -> None:
    client = client_of("intake")

    receive = operation(package, "诉求_appeals", "receive_appeal")
    body = models.ReceiveAppealBody.from_dict(RECEIPT)
    answer = receive.sync_detailed(
        client=client, body=body, idempotency_key="client-1", x_request_id="gen-1"
    )
    assert answer.status_code == 201
    appeal = answer.parsed
    assert isinstance(appeal, models.Appeal)
    assert isinstance(appeal.id, UUID)
    assert appeal.version == 1
    assert appeal.status == "received"
    assert appeal.enterprise.uscc == RECEIPT["uscc"]
    assert answer.headers["x-request-id"] == "gen-1"

    assign = operation(package, "诉求_appeals", "assign_appeal")
    dispatcher = client_of("dispatcher")
    assigned = assign.sync(
        appeal.id,
        client=dispatcher,
        body=models.AssignAppealBody(unit=UNIT),
        if_match='"1"',
    )
    assert isinstance(assigned, models.Appeal)
    assert assigned.unit == UNIT
    assert assigned.version == 2

    stale = assign.sync(
        appeal.id,
        client=dispatcher,
        body=models.AssignAppealBody(unit=UNIT),
        if_match='"1"',
    )
    assert isinstance(stale, models.Problem)
    assert stale.status == 412

    history = operation(package, "审计_audit", "get_appeal_history")
    auditor = client_of("auditor")
    events = history.sync(appeal.id, client=auditor).events
    assert [e.type_ for e in events] == ["Appeal.Received", "Appeal.Assigned"]
    assert isinstance(events[0], models.EventEntry)
    assert events[1].actor.role == "dispatcher"

    project(ledger)
    listing = operation(package, "诉求_appeals", "list_appeals")
    page = listing.sync(client=auditor, limit=10)
    assert [item.ticket for item in page.items] == [appeal.ticket]
    assert isinstance(page.items[0], models.AppealSummary)
    assert page.items[0].unit == UNIT
    assert page.complete is True
