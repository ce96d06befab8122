"""Administrative divisions (GB/T 2260, 中华人民共和国行政区划代码): the
six-digit codes an enterprise's locality is given in.

Characters 3–8 of a Unified Social Credit Code (GB 32100-2015) are the
division code of the registration authority, so an enterprise's locality is
derived from its credit code (:func:`locality_of`) unless the registry
overrides it. The table holds what the city needs to name: every
province-level division (the first two digits, then ``0000``), Jiangsu's
prefecture-level cities and Suzhou's county-level divisions, with the
Suzhou codes retired in 2012 (沧浪、平江、金阊 became 姑苏区, 吴江市 became
吴江区) so that older records still read. :func:`division_name` falls back to
the prefecture, then the province, for a county code the table does not hold.
"""

from __future__ import annotations

import re

Names = tuple[str, str]
"""(Chinese name, English name)."""

PROVINCES: dict[str, Names] = {
    "110000": ("北京市", "Beijing"),
    "120000": ("天津市", "Tianjin"),
    "130000": ("河北省", "Hebei"),
    "140000": ("山西省", "Shanxi"),
    "150000": ("内蒙古自治区", "Inner Mongolia"),
    "210000": ("辽宁省", "Liaoning"),
    "220000": ("吉林省", "Jilin"),
    "230000": ("黑龙江省", "Heilongjiang"),
    "310000": ("上海市", "Shanghai"),
    "320000": ("江苏省", "Jiangsu"),
    "330000": ("浙江省", "Zhejiang"),
    "340000": ("安徽省", "Anhui"),
    "350000": ("福建省", "Fujian"),
    "360000": ("江西省", "Jiangxi"),
    "370000": ("山东省", "Shandong"),
    "410000": ("河南省", "Henan"),
    "420000": ("湖北省", "Hubei"),
    "430000": ("湖南省", "Hunan"),
    "440000": ("广东省", "Guangdong"),
    "450000": ("广西壮族自治区", "Guangxi"),
    "460000": ("海南省", "Hainan"),
    "500000": ("重庆市", "Chongqing"),
    "510000": ("四川省", "Sichuan"),
    "520000": ("贵州省", "Guizhou"),
    "530000": ("云南省", "Yunnan"),
    "540000": ("西藏自治区", "Xizang (Tibet)"),
    "610000": ("陕西省", "Shaanxi"),
    "620000": ("甘肃省", "Gansu"),
    "630000": ("青海省", "Qinghai"),
    "640000": ("宁夏回族自治区", "Ningxia"),
    "650000": ("新疆维吾尔自治区", "Xinjiang"),
    "710000": ("台湾省", "Taiwan"),
    "810000": ("香港特别行政区", "Hong Kong SAR"),
    "820000": ("澳门特别行政区", "Macao SAR"),
}
"""The 34 province-level divisions."""

JIANGSU_PREFECTURES: dict[str, Names] = {
    "320100": ("南京市", "Nanjing"),
    "320200": ("无锡市", "Wuxi"),
    "320300": ("徐州市", "Xuzhou"),
    "320400": ("常州市", "Changzhou"),
    "320500": ("苏州市", "Suzhou"),
    "320600": ("南通市", "Nantong"),
    "320700": ("连云港市", "Lianyungang"),
    "320800": ("淮安市", "Huai'an"),
    "320900": ("盐城市", "Yancheng"),
    "321000": ("扬州市", "Yangzhou"),
    "321100": ("镇江市", "Zhenjiang"),
    "321200": ("泰州市", "Taizhou"),
    "321300": ("宿迁市", "Suqian"),
}
"""Jiangsu's 13 prefecture-level cities."""

SUZHOU_COUNTIES: dict[str, Names] = {
    "320505": ("虎丘区", "Huqiu District (Suzhou New District)"),
    "320506": ("吴中区", "Wuzhong District"),
    "320507": ("相城区", "Xiangcheng District"),
    "320508": ("姑苏区", "Gusu District"),
    "320509": ("吴江区", "Wujiang District"),
    "320571": ("苏州工业园区", "Suzhou Industrial Park"),
    "320581": ("常熟市", "Changshu"),
    "320582": ("张家港市", "Zhangjiagang"),
    "320583": ("昆山市", "Kunshan"),
    "320585": ("太仓市", "Taicang"),
}
"""Suzhou's county-level divisions today (five districts, the industrial
park, four county-level cities)."""

SUZHOU_FORMER: dict[str, Names] = {
    "320502": ("沧浪区（已撤销）", "Canglang District (former)"),
    "320503": ("平江区（已撤销）", "Pingjiang District (former)"),
    "320504": ("金阊区（已撤销）", "Jinchang District (former)"),
    "320584": ("吴江市（已撤销）", "Wujiang (former county-level city)"),
}
"""Suzhou codes retired in 2012, still found in older credit codes."""

DIVISIONS: dict[str, Names] = {
    **PROVINCES,
    **JIANGSU_PREFECTURES,
    **SUZHOU_COUNTIES,
    **SUZHOU_FORMER,
}
"""Every division this table names, by code."""

CODE = re.compile(r"[0-9]{6}")


def locality_of(uscc: str) -> str:
    """The division code in a credit code: its characters 3–8 (the
    registration authority's GB/T 2260 code)."""
    return uscc[2:8]


def prefecture_of(code: str) -> str:
    """The prefecture-level code a county-level code belongs to."""
    return code[:4] + "00"


def province_of(code: str) -> str:
    """The province-level code a division belongs to."""
    return code[:2] + "0000"


def division_name(code: str) -> Names | None:
    """The (Chinese, English) name of ``code``, else of its prefecture, else
    of its province; None if not even the province is known (or ``code`` is
    not six digits)."""
    if CODE.fullmatch(code) is None:
        return None
    for candidate in (code, prefecture_of(code), province_of(code)):
        found = DIVISIONS.get(candidate)
        if found is not None:
            return found
    return None


def is_division(code: str) -> bool:
    """Whether ``code`` is six digits in a known province (the most a
    locality can be checked against this table)."""
    return CODE.fullmatch(code) is not None and province_of(code) in PROVINCES
