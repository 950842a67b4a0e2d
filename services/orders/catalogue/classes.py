"""The national catalogue of case classes (案件分类), in code and versioned with it (docs/DOMAIN.md, "Case classes
and the working calendar").

Two types after GB/T 30428.2-2013 and CJ/T 214-2007: 部件 (``component``: a thing in the street, a manhole cover
or a street lamp, that is broken, missing or misused) and 事件 (``event``: something that happens, a stall on
the pavement or exposed rubbish). Each type has large classes (大类, two digits) and these small classes (小类,
two digits). A class's code is the type's digit (1 部件, 2 事件), the large class and the small class: ``20550``
is 事件 / 05 街面秩序 / 50 占道经营. Small classes 01-49 follow the numbering seen in systems built on the
standards; 50-89 are this platform's own where no number was found; 99 is a large class's "other". None of the
numbers was checked against the standards' text (docs/DOMAIN.md says which).

Every small class has default limits for each stage of the case clock, in working minutes, for ``urgent``
and ``normal`` cases; a street may set its own (``case_limit``, ``service.limits_for``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, get_args

from services.orders.orders.schemas import Urgency

CaseType = Literal["component", "event"]
Stage = Literal["verify", "file", "dispatch", "handle", "check", "close"]
DepartmentKind = Literal[
    "urban_management",
    "market_regulation",
    "housing",
    "sanitation",
    "water",
    "drainage",
    "gas",
    "power",
    "telecom",
    "roads",
    "traffic_police",
    "police",
    "landscaping",
    "environment",
    "fire",
    "agriculture",
    "property",
    "street_office",
    "other",
]

STAGES: tuple[Stage, ...] = get_args(Stage)
URGENCIES: tuple[Urgency, ...] = get_args(Urgency)
# Stages whose clock runs before a case has a class (核实, 立案).
BEFORE_FILING: tuple[Stage, ...] = ("verify", "file")
# The most a limit may be: a year of minutes.
MAX_MINUTES = 525_600
TYPE_DIGITS: Mapping[CaseType, str] = MappingProxyType({"component": "1", "event": "2"})

Limits = Mapping[Urgency, Mapping[Stage, int]]

# Working minutes of each stage but handling (处置), the same for every class: 核实 within an hour (half an hour
# when urgent), 立案 and 派遣 within half an hour (a quarter), 核查 within two hours (one), 结案 within one (half).
_COMMON: dict[Urgency, dict[Stage, int]] = {
    "urgent": {"verify": 30, "file": 15, "dispatch": 15, "check": 60, "close": 30},
    "normal": {"verify": 60, "file": 30, "dispatch": 30, "check": 120, "close": 60},
}
# Handling (处置) by the kind of work, (urgent, normal) in working minutes; a working day is 7 hours (420).
ORDER = (60, 240)  # street order (街面秩序): move a stall, a car, a heap: half a day
CLEAN = (60, 420)  # clean or clear away: a day
REPAIR = (240, 2100)  # repair or replace a facility: 4 hours / 5 days
WORKS = (240, 1260)  # a building site or a permit: 3 days
EMERGENCY = (60, 240)  # a burst main, a collapse: make safe at once
ENFORCE = (1260, 6300)  # enforcement with a procedure (违建, 无证照): 3 / 15 days
COMPLEX = (420, 4200)  # needs several parties (物业, 房屋安全): 1 / 10 days


def _limits(handle: tuple[int, int]) -> Limits:
    urgent, normal = handle
    return MappingProxyType(
        {
            "urgent": MappingProxyType({**_COMMON["urgent"], "handle": urgent}),
            "normal": MappingProxyType({**_COMMON["normal"], "handle": normal}),
        }
    )


# The limits of the stages before filing, for a case that has no class yet.
BEFORE_FILING_LIMITS: Mapping[Urgency, Mapping[Stage, int]] = MappingProxyType(
    {urgency: MappingProxyType({stage: _COMMON[urgency][stage] for stage in BEFORE_FILING}) for urgency in URGENCIES}
)


@dataclass(frozen=True, slots=True)
class CaseClass:
    """A small class (小类) of the catalogue."""

    code: str
    type: CaseType
    major_code: str
    major_name: str
    name: str
    department_kind: DepartmentKind | None
    limits: Limits


# type -> large class code -> (its name, its small classes: code, name, department kind, handling limits)
_Small = tuple[str, str, DepartmentKind | None, tuple[int, int]]
_CATALOGUE: dict[CaseType, dict[str, tuple[str, list[_Small]]]] = {
    "component": {
        "01": (
            "公用设施",
            [
                ("01", "上水井盖", "water", REPAIR),
                ("02", "污水井盖", "drainage", REPAIR),
                ("03", "雨水井盖", "drainage", REPAIR),
                ("04", "雨水箅子", "drainage", REPAIR),
                ("05", "电力井盖", "power", REPAIR),
                ("06", "路灯井盖", "roads", REPAIR),
                ("07", "通信井盖", "telecom", REPAIR),
                ("10", "热力井盖", "housing", REPAIR),
                ("11", "燃气井盖", "gas", REPAIR),
                ("13", "消防设施", "fire", REPAIR),
                ("14", "无主井盖", "urban_management", REPAIR),
                ("16", "电力设施", "power", REPAIR),
                ("18", "路灯", "roads", REPAIR),
                ("26", "健身设施", "street_office", REPAIR),
                ("99", "其他公用设施", None, REPAIR),
            ],
        ),
        "02": (
            "道路交通",
            [
                ("01", "停车场", "traffic_police", REPAIR),
                ("03", "公交站亭", "roads", REPAIR),
                ("05", "过街天桥", "roads", REPAIR),
                ("06", "地下通道", "roads", REPAIR),
                ("09", "交通标志牌", "traffic_police", REPAIR),
                ("11", "交通护栏", "roads", REPAIR),
                ("12", "存车支架", "roads", REPAIR),
                ("13", "路名牌", "roads", REPAIR),
                ("14", "交通信号灯", "traffic_police", REPAIR),
            ],
        ),
        "03": (
            "市容环境",
            [
                ("01", "公共厕所", "sanitation", REPAIR),
                ("04", "垃圾间", "sanitation", REPAIR),
                ("05", "垃圾箱", "sanitation", REPAIR),
                ("06", "灯箱霓虹灯", "urban_management", REPAIR),
                ("07", "广告牌匾", "urban_management", REPAIR),
            ],
        ),
        "04": (
            "园林绿化",
            [
                ("01", "古树名木", "landscaping", REPAIR),
                ("02", "行道树", "landscaping", REPAIR),
                ("03", "树池箅子", "landscaping", REPAIR),
                ("05", "绿地", "landscaping", REPAIR),
                ("06", "雕塑", "landscaping", REPAIR),
                ("07", "街头座椅", "landscaping", REPAIR),
            ],
        ),
        "05": (
            "房屋土地",
            [
                ("01", "宣传栏", "street_office", REPAIR),
                ("02", "人防工事", "housing", REPAIR),
                ("03", "公房地下室", "housing", REPAIR),
            ],
        ),
        "06": (
            "其他设施",
            [
                ("50", "电动自行车充电设施", "street_office", REPAIR),
                ("99", "其他设施", None, REPAIR),
            ],
        ),
    },
    "event": {
        "01": (
            "市容环境",
            [
                ("01", "私搭乱建", "urban_management", ENFORCE),
                ("02", "暴露垃圾", "sanitation", CLEAN),
                ("03", "积存垃圾渣土", "sanitation", CLEAN),
                ("04", "道路不洁", "sanitation", CLEAN),
                ("05", "水域不洁", "sanitation", CLEAN),
                ("06", "绿地脏乱", "landscaping", CLEAN),
                ("07", "废弃车辆", "urban_management", WORKS),
                ("08", "废弃家具设备", "sanitation", CLEAN),
                ("09", "非装饰性树挂", "landscaping", CLEAN),
                ("11", "道路积水", "drainage", EMERGENCY),
                ("12", "积雪结冰", "sanitation", CLEAN),
                ("15", "乱倒乱排污水", "environment", WORKS),
                ("27", "焚烧垃圾树叶", "urban_management", ORDER),
                ("40", "擅自饲养家禽家畜", "urban_management", WORKS),
                ("41", "油烟污染", "environment", WORKS),
                ("50", "沿街晾挂", "urban_management", ORDER),
                ("51", "垃圾满溢", "sanitation", CLEAN),
                ("99", "其他市容环境问题", None, CLEAN),
            ],
        ),
        "02": (
            "宣传广告",
            [
                ("01", "非法小广告", "urban_management", CLEAN),
                ("02", "违规广告", "urban_management", WORKS),
                ("03", "占道广告牌", "urban_management", ORDER),
                ("04", "街头散发广告", "urban_management", ORDER),
                ("05", "宣传品损毁", "street_office", CLEAN),
            ],
        ),
        "03": (
            "施工管理",
            [
                ("01", "施工扰民", "housing", ORDER),
                ("02", "工地扬尘", "housing", WORKS),
                ("04", "道路遗撒", "sanitation", CLEAN),
                ("05", "施工废弃料", "housing", WORKS),
                ("06", "道路破损", "roads", REPAIR),
                ("07", "施工未围挡", "housing", WORKS),
                ("12", "渣土车未密闭", "urban_management", ORDER),
            ],
        ),
        "04": (
            "突发事件",
            [
                ("01", "路面塌陷", "roads", EMERGENCY),
                ("02", "自来水管破裂", "water", EMERGENCY),
                ("03", "燃气管道破裂", "gas", EMERGENCY),
                ("04", "下水道堵塞或破损", "drainage", EMERGENCY),
                ("06", "架空线缆不规范", "telecom", REPAIR),
                ("09", "病虫害", "landscaping", WORKS),
                ("11", "火灾", "fire", EMERGENCY),
            ],
        ),
        "05": (
            "街面秩序",
            [
                ("01", "无照经营游商", "urban_management", ORDER),
                ("02", "流浪乞讨", "police", ORDER),
                ("03", "占道废品收购", "urban_management", ORDER),
                ("04", "店外经营", "urban_management", ORDER),
                ("05", "机动车乱停放", "traffic_police", ORDER),
                ("06", "非机动车乱停放", "urban_management", ORDER),
                ("07", "乱堆物料", "urban_management", ORDER),
                ("08", "商业噪音", "urban_management", ORDER),
                ("09", "黑车拉客", "traffic_police", ORDER),
                ("10", "露天烧烤", "urban_management", ORDER),
                ("50", "占道经营", "urban_management", ORDER),
                ("51", "噪音扰民", "police", ORDER),
                ("52", "占压盲道", "urban_management", ORDER),
                ("99", "其他街面秩序问题", None, ORDER),
            ],
        ),
        "06": (
            "市场监管",
            [
                ("50", "无证照经营", "market_regulation", ENFORCE),
                ("51", "食品安全隐患", "market_regulation", WORKS),
                ("52", "价格违法", "market_regulation", WORKS),
                ("53", "计量作弊", "market_regulation", WORKS),
                ("54", "销售假冒伪劣商品", "market_regulation", ENFORCE),
                ("55", "电梯故障", "market_regulation", EMERGENCY),
            ],
        ),
        "07": (
            "房屋管理",
            [
                ("50", "房屋安全隐患", "housing", COMPLEX),
                ("51", "违规装修", "housing", ENFORCE),
                ("52", "群租", "housing", ENFORCE),
                ("53", "物业服务纠纷", "property", COMPLEX),
                ("54", "楼道堆物", "property", CLEAN),
                ("55", "房屋漏水", "property", COMPLEX),
            ],
        ),
        "08": (
            "农村管理",
            [
                ("50", "农村生活垃圾", "sanitation", CLEAN),
                ("51", "秸秆焚烧", "agriculture", ORDER),
                ("52", "违法占用耕地", "agriculture", ENFORCE),
                ("53", "农村污水乱排", "environment", WORKS),
                ("54", "畜禽散养", "agriculture", WORKS),
            ],
        ),
        "09": (
            "街道管理",
            [
                ("50", "飞线充电", "street_office", ORDER),
                ("51", "电动车楼道停放充电", "fire", ORDER),
                ("52", "消防通道堵塞", "fire", ORDER),
                ("53", "不文明养犬", "police", ORDER),
                ("54", "邻里纠纷", "street_office", COMPLEX),
            ],
        ),
        "10": ("其他事件", [("99", "其他事件", None, CLEAN)]),
    },
}


def _build() -> dict[str, CaseClass]:
    found: dict[str, CaseClass] = {}
    for case_type, majors in _CATALOGUE.items():
        for major_code, (major_name, smalls) in majors.items():
            for small_code, name, department_kind, handle in smalls:
                code = f"{TYPE_DIGITS[case_type]}{major_code}{small_code}"
                if code in found:
                    raise ValueError(f"case class {code} twice in the catalogue")
                found[code] = CaseClass(
                    code=code,
                    type=case_type,
                    major_code=major_code,
                    major_name=major_name,
                    name=name,
                    department_kind=department_kind,
                    limits=_limits(handle),
                )
    return found


# Every small class by code, in catalogue order (type, large class, small class).
CLASSES: Mapping[str, CaseClass] = MappingProxyType(_build())
