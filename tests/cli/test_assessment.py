"""``appeals assessment`` as an operator runs it (both stores): the views are
caught up first, the ended month published, shown, and published again only
with a reason."""

from __future__ import annotations

import pytest

from appeals.application.service import AppealLedger
from appeals.cli.main import main
from appeals.infra.clock import FixedClock
from tests.domain.lifecycle_fixtures import UNIT
from tests.support.reports import history


@pytest.fixture(autouse=True)
def environment(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPEALS_DATABASE_URL", store)
    monkeypatch.delenv("APPEALS_ASSESSMENT_SCHEME", raising=False)


def test_publish_show_and_revise_a_month(
    ledger: AppealLedger, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    history(ledger, clock)  # September 2026; no view has been run
    head = ledger.recorder.max_notification_id()  # the publication comes after
    assert main(["assessment", "publish", "--period", "2026-09"]) == 0
    published = capsys.readouterr().out
    assert (
        f"2026-09: revision 1 published under assessment-2026-1 at position {head}"
        in (published)
    )
    assert main(["assessment", "show", "--period", "2026-09"]) == 0
    shown = capsys.readouterr().out
    assert "(complete)" in shown
    assert UNIT in shown
    assert "fewer than 5" in shown
    assert main(["assessment", "publish", "--period", "2026-09"]) == 1
    assert "a revision must give its reason" in capsys.readouterr().err
    assert (
        main(["assessment", "publish", "--period", "2026-09", "--reason", "更正"]) == 0
    )
    assert "revision 2" in capsys.readouterr().out
    assert main(["assessment", "show", "--period", "2026-09", "--revision", "3"]) == 1
    assert "no published assessment of 2026-09 revision 3" in capsys.readouterr().err


def test_an_unpublished_month_or_a_bad_period_is_refused(
    ledger: AppealLedger, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["assessment", "show", "--period", "2026-08"]) == 1
    assert "no published assessment of 2026-08" in capsys.readouterr().err
    assert main(["assessment", "publish", "--period", "26-8"]) == 1
    assert "--period" in capsys.readouterr().err
