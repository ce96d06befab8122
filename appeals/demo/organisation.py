"""The demo's organisation (appeals/demo/data/): Suzhou's units with the
12345 centre, cadres, enterprises and the routing catalogue, registered
through the application like any import (``appeals registry import``,
``appeals catalogue import``) before the demo's appeals are loaded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from appeals.application.catalogue import checked_catalogue
from appeals.application.registry import Registry
from appeals.application.registry_files import import_file
from appeals.application.service import AppealLedger
from appeals.domain.values import Actor, Role

DATA = Path(__file__).parent / "data"
FILES = (
    ("unit", "units.csv"),
    ("cadre", "cadres.csv"),
    ("enterprise", "enterprises.csv"),
)
REGISTRAR = Actor(id="demo", role=Role.ADMIN, name="演示数据 demo loader")


class DemoDataError(RuntimeError):
    """A packaged demo file was refused: the package is broken."""


@dataclass(frozen=True)
class MasterData:
    """How many records of each kind the demo's files hold."""

    units: int
    cadres: int
    enterprises: int
    items: int

    def describe(self) -> str:
        return (
            f"organisation: {self.units} units, {self.cadres} cadres, "
            f"{self.enterprises} enterprises, {self.items} catalogue items"
        )


def load_master_data(ledger: AppealLedger) -> MasterData:
    """Registers (or leaves unchanged: imports are idempotent) the demo's
    organisation and catalogue; raises :class:`DemoDataError` on a refusal."""
    registry = Registry(ledger)
    counts: dict[str, int] = {}
    for kind, name in FILES:
        report = import_file(registry, kind, DATA / name, REGISTRAR)
        if report.rejected:
            first = report.rejected[0]
            raise DemoDataError(f"{name}:{first.line}: {first.reason}")
        counts[kind] = len(report.registered + report.changed + report.unchanged)
    catalogue = checked_catalogue(ledger).import_file(
        DATA / "catalogue.toml", REGISTRAR
    )
    if catalogue.rejected:
        refused = catalogue.rejected[0]
        raise DemoDataError(f"catalogue.toml:{refused.line}: {refused.reason}")
    items = catalogue.published + catalogue.revised + catalogue.unchanged
    return MasterData(counts["unit"], counts["cadre"], counts["enterprise"], len(items))
