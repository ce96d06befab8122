"""Givens shared by the registry tests: the administrator, a small
organisation as command values and as file text, and credit codes."""

from __future__ import annotations

from datetime import date, datetime

from appeals.domain.organisation import (
    CadreRole,
    EnterpriseSize,
    RegisterCadre,
    RegisterEnterprise,
    RegisterUnit,
    ServiceList,
    UnitKind,
)
from appeals.domain.values import Actor, Role
from appeals.infra.clock import SHANGHAI

ADMIN = Actor("adm-1", Role.ADMIN, "系统管理员")
INTAKE = Actor("op-1", Role.INTAKE, "王受理")
DISPATCHER = Actor("disp-1", Role.DISPATCHER, "李派单")
HANDLER = Actor("h-1", Role.HANDLER, "张三", unit="SZ-HRSS")
T0 = datetime(2026, 10, 9, 9, 12, tzinfo=SHANGHAI)

KUNSHAN_USCC = "91320583MA1JUUGT0J"
"""An enterprise registered in Kunshan (320583)."""
SIP_USCC = "91320508219920987M"
"""Registered in Gusu (320508), located in the industrial park (320571)."""
HANGZHOU_USCC = "91330100716105852F"

CENTRE = RegisterUnit(
    code="12345",
    name_zh="苏州12345政务服务便民热线",
    name_en="Suzhou 12345 hotline centre",
    kind=UnitKind.CENTRE,
    locality="320500",
)
HRSS = RegisterUnit(
    code="SZ-HRSS",
    name_zh="苏州市人力资源和社会保障局",
    kind=UnitKind.DEPARTMENT,
    locality="320500",
)
TAX = RegisterUnit(
    code="SZ-TAX", name_zh="国家税务总局苏州市税务局", kind=UnitKind.DEPARTMENT
)
KUNSHAN = RegisterUnit(
    code="KS", name_zh="昆山市", kind=UnitKind.DISTRICT, locality="320583"
)
ZHOUSHI = RegisterUnit(
    code="KS-ZHOUSHI",
    name_zh="昆山市周市镇",
    kind=UnitKind.TOWN,
    parent="KS",
    locality="320583",
)
UNITS = (CENTRE, HRSS, TAX, KUNSHAN, ZHOUSHI)

ZHANG = RegisterCadre(
    code="C-0001",
    name="张三",
    unit="SZ-HRSS",
    since=date(2024, 1, 2),
    roles=(CadreRole.HANDLER,),
)
LI = RegisterCadre(
    code="C-0002",
    name="李四",
    unit="KS-ZHOUSHI",
    since=date(2025, 3, 1),
    roles=(CadreRole.LIAISON_CADRE, CadreRole.LEADER),
)
CADRES = (ZHANG, LI)

XINTAI = RegisterEnterprise(
    uscc=KUNSHAN_USCC,
    name="昆山新泰汽车零部件有限公司",
    park="陆家镇",
    size=EnterpriseSize.MEDIUM,
    service_list=ServiceList.KEY_CORE,
)
HUICHENG = RegisterEnterprise(
    uscc=SIP_USCC,
    name="苏州汇澄智能装备有限公司",
    locality="320571",
    park="苏州工业园区",
    size=EnterpriseSize.SMALL,
    foreign_invested=True,
)
ENTERPRISES = (XINTAI, HUICHENG)

UNITS_CSV = """\
code,name_zh,name_en,kind,parent,locality
KS-ZHOUSHI,昆山市周市镇,Zhoushi,town,KS,320583
KS,昆山市,Kunshan,district,,320583
SZ-HRSS,苏州市人力资源和社会保障局,,department,,320500
"""
"""Three units, the town listed before its parent."""

CADRES_CSV = """\
code,name,unit,roles,since
C-0001,张三,SZ-HRSS,handler,2024-01-02
C-0002,李四,KS-ZHOUSHI,liaison_cadre;leader,2025-03-01
"""

ENTERPRISES_CSV = f"""\
uscc,name,locality,park,size,foreign_invested,service_list
{KUNSHAN_USCC},昆山新泰汽车零部件有限公司,,陆家镇,medium,false,key_core
{SIP_USCC},苏州汇澄智能装备有限公司,320571,苏州工业园区,small,true,
"""
