"""Givens for the routing catalogue's tests: a small catalogue of real-world
matters (派单目录事项), its units, and the file that publishes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appeals.application.registry import Registry
from appeals.application.service import AppealLedger
from appeals.domain.catalogue import Publish, Revise
from appeals.domain.organisation import RegisterUnit, UnitKind
from appeals.domain.values import Actor, AppealKind, Category, Role

UNITS = frozenset(
    {
        "12345",
        "SZ-POWER",
        "SZ-DRC",
        "SZ-TAX",
        "SZ-CUSTOMS",
        "SZ-HRSS",
        "SZ-EEB",
        "SZ-HOUSING",
        "SZ-MIIT",
        "SZ-COMMERCE",
    }
)
"""The registered units of these tests."""

POWER = Publish(
    code="UTIL-001",
    matter_zh="企业用电报装（新装、增容）",
    matter_en="Electricity connection for enterprises (new or increased capacity)",
    kind=AppealKind.HELP,
    category=Category.UTILITIES,
    lead_unit="SZ-POWER",
    co_units=("SZ-DRC",),
    procedure="供电公司受理申请，现场勘查后答复供电方案，组织外线工程施工并装表接电。",
    legal_basis="《供电营业规则》第十九条",
    limits={"accept": "1d", "resolve": "10d"},
    keywords=("接电", "电力接入"),
)
VAT = Publish(
    code="TAX-001",
    matter_zh="增值税留抵退税申请",
    matter_en="VAT credit refund",
    kind=AppealKind.CONSULT,
    category=Category.TAX,
    lead_unit="SZ-TAX",
    procedure="纳税人通过电子税务局提交退税申请，税务机关审核后办理退库。",
    legal_basis="财政部 税务总局公告2022年第14号",
    limits={"resolve": "5d"},
    standard_answer="符合条件的企业可在电子税务局申请增值税留抵退税，一般5个工作日内办结。",
    keywords=("退税", "留抵"),
)
EXPORT = Publish(
    code="TAX-002",
    matter_zh="出口退税办理进度",
    matter_en="Export tax rebate progress",
    kind=AppealKind.HELP,
    category=Category.TAX,
    lead_unit="SZ-TAX",
    co_units=("SZ-CUSTOMS", "SZ-COMMERCE"),
    procedure="税务机关核对报关单信息后审核退税申报，必要时由海关协助核查。",
)
JOBS = Publish(
    code="HR-001",
    matter_zh="失业保险稳岗返还申领",
    matter_en="Job retention refund of unemployment insurance",
    kind=AppealKind.HELP,
    category=Category.LABOUR,
    lead_unit="SZ-HRSS",
    procedure="人社部门比对参保和裁员数据，符合条件的企业免申即享，资金直接拨付企业账户。",
)
ENVIRONMENT = Publish(
    code="ENV-001",
    matter_zh="建设项目环评审批",
    matter_en="Environmental impact assessment approval",
    kind=AppealKind.HELP,
    category=Category.ENVIRONMENT,
    lead_unit="SZ-EEB",
    co_units=("SZ-DRC",),
    procedure="生态环境部门受理环境影响报告书（表），组织技术评估后作出审批决定。",
)
PERMIT = Publish(
    code="PER-001",
    matter_zh="建筑工程施工许可",
    matter_en="Construction permit",
    kind=AppealKind.HELP,
    category=Category.PERMITS,
    lead_unit="SZ-HOUSING",
    procedure="住建部门在线受理施工许可申请，材料齐全的当日办结。",
    limits={"resolve": "1d"},
)
SPECIALISED = Publish(
    code="POL-001",
    matter_zh="专精特新中小企业认定咨询",
    matter_en="Specialised and innovative SMEs: recognition",
    kind=AppealKind.CONSULT,
    category=Category.POLICY,
    lead_unit="SZ-MIIT",
    procedure="工信部门解答认定条件和申报时间，企业按通知在线申报。",
)
ITEMS = (POWER, VAT, EXPORT, JOBS, ENVIRONMENT, PERMIT, SPECIALISED)


def revision(item: Publish, **changes: Any) -> Revise:
    """The revision of ``item`` that states its content with ``changes``."""
    return Revise(**{**item.content().__dict__, **changes})


def catalogue_file(path: Path, items: tuple[Publish, ...] = ITEMS) -> Path:
    """A TOML catalogue file publishing ``items`` (as an operator writes it)."""
    parts = []
    for item in items:
        lines = ["[[item]]", f'code = "{item.code}"']
        for name, value in item.content().__dict__.items():
            if value is None:
                continue
            lines.append(f"{name} = {_toml(value)}")
        parts.append("\n".join(lines))
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"


CATALOGUE_UNITS = {
    "SZ-AMR": "苏州市市场监督管理局",
    "SZ-COMMERCE": "苏州市商务局",
    "SZ-CUSTOMS": "苏州海关",
    "SZ-DRC": "苏州市发展和改革委员会",
    "SZ-EEB": "苏州市生态环境局",
    "SZ-HOUSING": "苏州市住房和城乡建设局",
    "SZ-HRSS": "苏州市人力资源和社会保障局",
    "SZ-MIIT": "苏州市工业和信息化局",
    "SZ-POWER": "国网苏州供电公司",
    "SZ-TAX": "国家税务总局苏州市税务局",
}
"""The units the catalogue's test items name: registered before they are
published (a lead or co-handling unit must be a registered unit in service)."""


REGISTRAR = Actor("adm-1", Role.ADMIN, "系统管理员")


def register_units(ledger: AppealLedger) -> None:
    registry = Registry(ledger)
    for code, name in CATALOGUE_UNITS.items():
        unit = RegisterUnit(code=code, name_zh=name, kind=UnitKind.DEPARTMENT)
        registry.register(unit, REGISTRAR)
