"""``appeals notices`` as an operator runs it (both stores): the supervision
view caught up first, the ended month's 通报 published, shown, written as a
printable page, and published again only with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from appeals.application.service import AppealLedger
from appeals.cli.main import main
from appeals.infra.clock import FixedClock
from tests.domain.lifecycle_fixtures import UNIT
from tests.projections.test_supervision import late
from tests.support.reports import at


@pytest.fixture(autouse=True)
def environment(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPEALS_DATABASE_URL", store)


def test_publish_show_and_print_a_month(
    ledger: AppealLedger,
    clock: FixedClock,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    appeal_id = late(ledger, clock)  # no view has been run
    at(clock, 9, 21, 9)
    for level in range(4):
        assert ledger.escalate(appeal_id, "resolve", level) is not None
        clock.set(clock.now().replace(day=clock.now().day + 2))
    ticket = ledger.get(appeal_id).ticket
    assert main(["notices", "publish", "--month", "2026-09"]) == 0
    assert "1 late stages, 1 units" in capsys.readouterr().out
    assert main(["notices", "show", "--month", "2026-09"]) == 0
    shown = capsys.readouterr().out
    assert "(complete)" in shown
    assert ticket in shown
    assert UNIT in shown
    assert "仍逾期" in shown
    page = tmp_path / "notice.html"
    assert main(["notices", "show", "--month", "2026-09", "--html", str(page)]) == 0
    assert ticket in page.read_text(encoding="utf-8")
    assert main(["notices", "publish", "--month", "2026-09"]) == 1
    assert "a revision must give its reason" in capsys.readouterr().err
    assert main(["notices", "show", "--month", "2026-08"]) == 1
    assert "no published notice" in capsys.readouterr().err
