"""The demo community's registry (``shared.demo``): two compounds, 24 buildings, 1,296 households and
about 3,000 residents with realistic names, valid ID numbers, ages and tags: elderly living alone,
disabled people, left-behind children with a grandparent as guardian, and in 晴岚家园 families
relocated from several townships. The ten demo resident accounts are heads of their households."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import ric

from services.residents.config import Settings
from services.residents.models import Building, Compound, Household, Resident
from services.residents.people import IdNumber, name_keys
from services.residents.registry.service import seal
from shared import demo
from shared.demo import COMMUNITY, STREET, demo_uuid
from shared.pii import PiiCipher

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志明德福"
FEMALE = "芳娜敏静丽艳娟霞秀英华慧巧美娅莉兰凤洁琳素云莲真环雪荣爱妹梅玉萍红"
LOCAL_REGIONS = ["110105", "110105", "110105", "110108", "130102", "370102"]
# 易地搬迁安置: families from the townships of two mountain counties.
RELOCATED_FROM = [
    ("522622", "黄平县旧州镇"),
    ("522622", "黄平县谷陇镇"),
    ("522622", "黄平县翁坪乡"),
    ("522623", "施秉县马号镇"),
    ("522623", "施秉县牛大场镇"),
    ("522624", "三穗县台烈镇"),
    ("522624", "三穗县瓦寨镇"),
]
SKILLS = ["电工", "木工", "缝纫", "厨师", "驾驶", "护理", "种植", "养殖", "电脑", "维修"]


def _id_number(rng: random.Random, region: str, birth: date, male: bool) -> IdNumber:
    sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return IdNumber(value=body + ric.calc_check_digit(body + "0"), birth_date=birth, gender="M" if male else "F")


def _birth(rng: random.Random, today: date, age: int) -> date:
    return today - timedelta(days=age * 365 + rng.randrange(0, 365))


def _name(rng: random.Random, surname: str, male: bool) -> str:
    chars = MALE if male else FEMALE
    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.7 else "")
    return surname + given


def _phone(rng: random.Random) -> str:
    return f"13{rng.randrange(5, 10)}{rng.randrange(0, 100_000_000):08d}"


async def load(session: AsyncSession) -> None:
    await load_homes(session, demo.households())


async def load_sign_in_homes(session: AsyncSession) -> None:
    """Only the households of the ten demo resident accounts (what signing in needs)."""
    await load_homes(session, [h for h in demo.households() if h.resident_phone])


async def load_homes(session: AsyncSession, homes: list[demo.DemoHousehold]) -> None:
    if await session.scalar(select(func.count()).select_from(Resident)):
        return
    settings = Settings()
    assert settings.pii_keys and settings.blind_index_key
    pii = PiiCipher.from_settings(settings.pii_keys, settings.blind_index_key)
    compounds = {name: demo_uuid("compound", name) for name in dict.fromkeys(h.compound for h in homes)}
    await session.execute(
        insert(Compound)
        .values(
            [{"id": cid, "name": n, "community_code": COMMUNITY, "street_code": STREET} for n, cid in compounds.items()]
        )
        .on_conflict_do_nothing()
    )
    buildings: dict[tuple[str, int], dict[str, Any]] = {}
    for h in homes:
        buildings.setdefault(
            (h.compound, h.building),
            {
                "id": demo_uuid("building", f"{h.compound}{h.building}"),
                "compound_id": compounds[h.compound],
                "name": f"{h.building}号楼",
                "floors": demo.FLOORS,
                "units": demo.UNITS,
                "grid_code": h.grid_code,
                "community_code": COMMUNITY,
                "street_code": STREET,
            },
        )
    await session.execute(insert(Building).values(list(buildings.values())).on_conflict_do_nothing())
    await session.execute(
        insert(Household)
        .values(
            [
                {
                    "id": h.id,
                    "building_id": buildings[(h.compound, h.building)]["id"],
                    "unit": f"{h.unit}单元",
                    "room": h.room,
                    "address": h.address,
                    "grid_code": h.grid_code,
                    "community_code": COMMUNITY,
                    "street_code": STREET,
                }
                for h in homes
            ]
        )
        .on_conflict_do_nothing()
    )
    rows = _residents(pii, homes)
    for start in range(0, len(rows), 1000):
        await session.execute(insert(Resident).values(rows[start : start + 1000]).on_conflict_do_nothing())


def _residents(pii: PiiCipher, homes: list[demo.DemoHousehold]) -> list[dict[str, Any]]:
    rng = random.Random(858)
    today = datetime.now(UTC).date()
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []

    def add(home: demo.DemoHousehold, key: str, relation: str, age: int, male: bool, surname: str, **extra: Any) -> Any:
        relocated = home.compound == "晴岚家园" and rng.random() < 0.7
        region, township = rng.choice(RELOCATED_FROM) if relocated else (rng.choice(LOCAL_REGIONS), None)
        birth = _birth(rng, today, age)
        name = extra.pop("name", None) or _name(rng, surname, male)
        phone = extra.pop("phone", None) or (_phone(rng) if 18 <= age <= 75 and rng.random() < 0.85 else None)
        sealed = seal(pii, _id_number(rng, region, birth, male), phone)
        pinyin, initials = name_keys(name)
        tags = extra.pop("tags", [])
        if age >= 80:
            tags = ["elderly", *tags]
        resident_id = demo_uuid("resident", key)
        rows.append(
            {
                "id": resident_id,
                "household_id": home.id,
                "relation": relation,
                "name": name,
                "name_pinyin": pinyin,
                "name_initials": initials,
                **{k: getattr(sealed, k) for k in sealed.__slots__},
                "registered_residence": "北京市朝阳区" if region == "110105" else None,
                "residence_type": "relocated"
                if relocated
                else rng.choice(["registered", "registered", "permanent", "floating"]),
                "origin_township": township,
                "employment": extra.pop("employment", None),
                "skills": [rng.choice(SKILLS)] if 18 <= age <= 60 and rng.random() < 0.4 else [],
                "tags": sorted(set(tags)),
                "guardian_id": extra.pop("guardian_id", None),
                "grid_code": home.grid_code,
                "community_code": COMMUNITY,
                "street_code": STREET,
                "created_at": now,
                "updated_at": now,
            }
        )
        return resident_id

    for home in homes:
        surname = rng.choice(SURNAMES)
        key = home.resident_phone or str(home.id)
        kind = rng.random()
        phone = home.resident_phone
        if kind < 0.15 and phone is None:  # an elderly person living alone
            add(home, key, "head", rng.randrange(72, 93), rng.random() < 0.4, surname, tags=["empty_nest"])
        elif kind < 0.22 and phone is None:  # grandparents with a left-behind grandchild
            grandparent = add(home, key, "head", rng.randrange(60, 78), rng.random() < 0.5, surname)
            add(
                home,
                f"{key}/child",
                "grandchild",
                rng.randrange(6, 14),
                rng.random() < 0.5,
                surname,
                tags=["left_behind_child"],
                guardian_id=grandparent,
            )
        else:  # a couple, often with children
            head_age = rng.randrange(28, 70)
            disabled = ["disabled"] if rng.random() < 0.04 else []
            head = add(home, key, "head", head_age, True, surname, phone=phone, employment="employed", tags=disabled)
            add(home, f"{key}/spouse", "spouse", head_age - rng.randrange(0, 4), False, rng.choice(SURNAMES))
            if head_age < 55 and rng.random() < 0.6:
                child_age = rng.randrange(1, max(2, head_age - 22))
                add(
                    home,
                    f"{key}/child",
                    "child",
                    child_age,
                    rng.random() < 0.5,
                    surname,
                    guardian_id=head if child_age < 14 else None,
                    employment="student" if 6 <= child_age <= 22 else None,
                )
    return rows
