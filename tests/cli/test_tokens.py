"""``appeals tokens create``: a handler token is bound to a registered unit's
code; a name, a misspelling or a retired unit is refused with the reason
(both stores)."""

from __future__ import annotations

from datetime import datetime

import pytest

from appeals.application.registry import Registry
from appeals.application.service import AppealLedger
from appeals.cli.main import main
from appeals.domain.organisation import RetireUnit
from appeals.infra.tokens import TokenStore
from tests.support.registry import ADMIN, HRSS, TAX


@pytest.fixture(autouse=True)
def environment(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPEALS_DATABASE_URL", store)


def create(unit: str) -> int:
    return main(
        ["tokens", "create", "--role", "handler", "--unit", unit, "--name", "张三"]
    )


def test_a_handler_token_names_a_registered_unit_code(
    ledger: AppealLedger, capsys: pytest.CaptureFixture[str]
) -> None:
    Registry(ledger).register(HRSS, ADMIN)
    assert create("SZ-HRSS") == 0
    assert capsys.readouterr().out.startswith("alt_")
    [info] = TokenStore(ledger.database).list()
    assert (info.role.value, info.unit) == ("handler", "SZ-HRSS")


def test_a_name_or_a_misspelling_is_refused_with_a_suggestion(
    ledger: AppealLedger, capsys: pytest.CaptureFixture[str]
) -> None:
    Registry(ledger).register(HRSS, ADMIN)
    assert create("市人社局") == 2  # a name, not a code
    assert "未登记的单位" in capsys.readouterr().err
    assert create("SZ-HRS") == 2
    assert "did you mean SZ-HRSS" in capsys.readouterr().err
    assert TokenStore(ledger.database).list() == []


def test_a_retired_unit_gets_no_new_token(
    ledger: AppealLedger, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = Registry(ledger)
    registry.register(TAX, ADMIN)
    registry.change("SZ-TAX", RetireUnit(reason="机构改革"), ADMIN)
    assert create("SZ-TAX") == 2
    assert "retired" in capsys.readouterr().err


def test_a_token_expires_and_the_list_says_so(
    ledger: AppealLedger, capsys: pytest.CaptureFixture[str]
) -> None:
    Registry(ledger).register(HRSS, ADMIN)
    args = ["tokens", "create", "--role", "auditor", "--name", "审计", "--expires"]
    with pytest.raises(SystemExit):
        main([*args, "soon"])
    assert "not a number of days" in capsys.readouterr().err
    assert main([*args, "30d"]) == 0
    token = capsys.readouterr().out.strip()
    store = TokenStore(ledger.database, cache_seconds=0)
    assert store.verify(token) is not None
    [info] = store.list()
    assert info.expires_at is not None
    assert main(["tokens", "list"]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split("\t") == [
        "id", "role", "scope", "name", "created_at", "state", "last_used"
    ]  # fmt: skip
    state, last_used = row.split("\t")[-2:]
    assert state.startswith("active until ")
    # verified once above: its use is recorded, to the minute
    assert info.last_used_at is not None
    assert last_used == info.last_used_at
    assert datetime.fromisoformat(last_used).second == 0
    with ledger.database.transaction() as cursor:  # as if 30 days had passed
        cursor.execute(
            f"UPDATE {store.table} SET expires_at = ?", ("2000-01-01T00:00:00+00:00",)
        )
    assert store.verify(token) is None
    assert main(["tokens", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split("\t")[-2].startswith("expired")


def test_a_token_table_made_before_expiry_gains_the_column(
    ledger: AppealLedger,
) -> None:
    store = TokenStore(ledger.database)
    store.create(role="auditor", name="审计", now=ledger.clock.now())
    ledger.database.execute_script(
        [
            f"ALTER TABLE {store.table} DROP COLUMN {column}"
            for column in ("expires_at", "last_used_at")
        ]
    )
    store.create_table()  # what start-up does
    [info] = store.list()
    assert info.expires_at is None
    assert info.last_used_at is None
