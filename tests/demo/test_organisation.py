"""The demo's organisation loaded through the application (both stores):
every packaged record is accepted, the centre and the catalogue's items are
there, and loading again records nothing."""

from __future__ import annotations

from appeals.application.catalogue import Catalogue
from appeals.application.registry import Registry
from appeals.application.service import AppealLedger
from appeals.demo.organisation import load_master_data
from appeals.domain.identities import CENTRE_UNIT


def test_the_demo_organisation_loads_once(ledger: AppealLedger) -> None:
    loaded = load_master_data(ledger)
    assert (loaded.units, loaded.cadres, loaded.enterprises) == (78, 106, 60)
    assert loaded.items >= 60
    registry = Registry(ledger)
    centre = registry.unit(CENTRE_UNIT)
    assert centre is not None
    assert centre.entry().kind == "centre"
    item = Catalogue(ledger).entry("FIN-001")
    assert item is not None
    assert registry.unit_exists(item.lead_unit)
    head = ledger.event_log.head()
    assert load_master_data(ledger) == loaded
    assert ledger.event_log.head() == head
