"""The organisation every ledger fixture's store starts with: the units and
cadres the lifecycle tests assign to (tests.builders' ``UNIT``, ``TAX_UNIT``,
``MARKET_UNIT``, ``CADRE``, ``TAX_CADRE``), registered in one transaction, so
an assignment over the real directory is checked as in production.

Tests of the registries themselves start from an empty organisation: their
module sets ``pytestmark = pytest.mark.empty_organisation``.
"""

from __future__ import annotations

from datetime import date

from appeals.application.registry import REGISTER
from appeals.application.service import AppealLedger
from appeals.domain.catalogue import Publish
from appeals.domain.organisation import (
    CadreRole,
    RegisterCadre,
    RegisterUnit,
    UnitKind,
)
from appeals.domain.values import Actor, AppealKind, Category, Role
from tests.builders import CADRE, MARKET_UNIT, TAX_CADRE, TAX_UNIT, UNIT

REGISTRAR = Actor("adm-0", Role.ADMIN, "测试管理员")

REGISTRATIONS: tuple[RegisterUnit | RegisterCadre, ...] = (
    RegisterUnit(
        code=UNIT,
        name_zh="苏州市人力资源和社会保障局",
        name_en="Suzhou HR and Social Security",
        kind=UnitKind.DEPARTMENT,
        locality="320500",
    ),
    RegisterUnit(
        code=TAX_UNIT,
        name_zh="国家税务总局苏州市税务局",
        name_en="Suzhou Tax Bureau",
        kind=UnitKind.DEPARTMENT,
        locality="320500",
    ),
    RegisterUnit(
        code=MARKET_UNIT,
        name_zh="苏州市市场监督管理局",
        name_en="Suzhou Market Regulation",
        kind=UnitKind.DEPARTMENT,
        locality="320500",
    ),
    RegisterCadre(
        code=CADRE,
        name="张三",
        unit=UNIT,
        since=date(2024, 1, 2),
        roles=(CadreRole.HANDLER,),
    ),
    RegisterCadre(
        code=TAX_CADRE,
        name="李四",
        unit=TAX_UNIT,
        since=date(2024, 1, 2),
        roles=(CadreRole.HANDLER,),
    ),
)


def register_test_organisation(ledger: AppealLedger) -> None:
    """Registers :data:`REGISTRATIONS` in ``ledger``'s store, atomically."""
    at = ledger.clock.now()
    ledger.save(*(REGISTER[type(c)](c, REGISTRAR, at) for c in REGISTRATIONS))


JOB_RETENTION = Publish(
    code="HR-100",
    matter_zh="稳岗返还",
    kind=AppealKind.CONSULT,
    category=Category.LABOUR,
    lead_unit=UNIT,
    co_units=(TAX_UNIT,),
    procedure="人社部门比对参保数据，符合条件的企业免申即享。",
)
"""A catalogue item of the test organisation's units, for tests that publish
one in the store (not published by the fixture)."""
