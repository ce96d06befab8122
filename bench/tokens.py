"""Bearer tokens for the load generator, made directly in the ledger's
database (as ``appeals tokens create`` would), before the service starts,
with the demo's organisation registered (the units and cadres the workload
assigns to)."""

from __future__ import annotations

from datetime import UTC, datetime

from appeals.bootstrap import open_ledger
from appeals.demo.organisation import load_master_data
from appeals.infra.settings import Settings
from appeals.infra.tokens import TokenStore
from bench.workload import cast, token_specs


def make_tokens(database_url: str) -> dict[str, str]:
    """One token per role the workloads use (and per unit for handlers);
    opening the ledger also creates its schema and tables, and the demo's
    organisation is registered (idempotently)."""
    with open_ledger(Settings.from_env({"APPEALS_DATABASE_URL": database_url})) as (
        ledger
    ):
        load_master_data(ledger)
        store = TokenStore(ledger.database)
        store.create_table()
        now = datetime.now(UTC)
        return {
            name: store.create(now=now, **spec)[0]
            for name, spec in token_specs(cast()).items()
        }
