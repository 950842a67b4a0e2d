"""The demo community's jobs (docs/DOMAIN.md "Jobs"): its workshops and employers (粽叶, 藤椅 and 电子元件
workshops, a hotel, a hospital, a supermarket) with open postings, seeker profiles of some demo residents,
an upcoming job fair, and two trainings, one of them full with no one waiting yet. The demo account
``employer1`` acts for the 粽叶 workshop. Ids come from ``shared.demo.demo_uuid``; loading twice adds
nothing. Resident 13900000002 has no profile here: the issue's scenario has them fill it in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.jobs.config import Settings
from services.jobs.employers.service import PHONE_FIELD
from services.jobs.models import Employer, EmployerAccount, Enrolment, Fair, FairEmployer, Posting, Seeker, Training
from services.jobs.postings import search
from shared.demo import COMMUNITY, EMPLOYER_LOGIN, GRIDS, STREET, demo_uuid, resident_grid
from shared.pii import PiiCipher, mask_phone
from shared.places import community_of, street_of

EMPLOYERS = [
    # key, kind, address, contact, phone
    ("粽叶扶贫车间", "workshop", "晴岚家园13号楼底商", "李主任", "13800001001"),
    ("藤椅编织扶贫车间", "workshop", "晴岚家园17号楼底商", "张师傅", "13800001002"),
    ("电子元件社区工厂", "factory", "江南社区东侧厂房", "王厂长", "13800001003"),
    ("江南大酒店", "hotel", "东三环中路18号", "赵经理", "13800001004"),
    ("朝阳区人民医院", "hospital", "江南路1号", "刘科长", "13800001005"),
    ("晴岚生活超市", "supermarket", "晴岚家园1号楼", "陈店长", "13800001006"),
]

# employer, title, category, (wage min, max, unit), hours, shifts, headcount, skills, weak labour, grid
POSTINGS: list[tuple[str, str, str, tuple[int, int, str], int, list[str], int, list[str], bool, str | None]] = [
    ("粽叶扶贫车间", "包粽子工", "handicraft", (30, 50, "piece"), 6, ["day"], 20, ["包粽子"], True, GRIDS[2]),
    (
        "粽叶扶贫车间",
        "粽叶包装缝包工",
        "handicraft",
        (9000, 12000, "day"),
        6,
        ["day"],
        1,
        ["缝纫", "包粽子"],
        True,
        GRIDS[1],
    ),
    ("粽叶扶贫车间", "粽叶分拣工", "handicraft", (8000, 10000, "day"), 5, ["day", "flexible"], 10, [], True, GRIDS[2]),
    (
        "藤椅编织扶贫车间",
        "藤椅编织工",
        "handicraft",
        (300000, 450000, "month"),
        8,
        ["day"],
        8,
        ["编藤椅"],
        True,
        GRIDS[3],
    ),
    (
        "电子元件社区工厂",
        "电子元件组装工",
        "manufacturing",
        (380000, 500000, "month"),
        8,
        ["day", "night"],
        15,
        ["电子组装"],
        False,
        None,
    ),
    (
        "电子元件社区工厂",
        "质检员",
        "manufacturing",
        (420000, 550000, "month"),
        8,
        ["day"],
        2,
        ["质检", "电脑"],
        False,
        None,
    ),
    (
        "江南大酒店",
        "客房服务员",
        "hospitality",
        (350000, 420000, "month"),
        8,
        ["day", "evening"],
        6,
        ["保洁"],
        False,
        None,
    ),
    ("江南大酒店", "中餐厨师", "catering", (600000, 800000, "month"), 8, ["day", "evening"], 1, ["厨师"], False, None),
    ("朝阳区人民医院", "护工", "healthcare", (450000, 600000, "month"), 10, ["day", "night"], 5, ["护理"], False, None),
    ("朝阳区人民医院", "保洁员", "cleaning", (300000, 360000, "month"), 6, ["day"], 4, ["保洁"], True, None),
    ("晴岚生活超市", "理货员", "retail", (320000, 400000, "month"), 6, ["day", "evening"], 3, [], True, GRIDS[3]),
    (
        "晴岚生活超市",
        "收银员",
        "retail",
        (340000, 420000, "month"),
        8,
        ["day", "evening"],
        2,
        ["电脑"],
        False,
        GRIDS[3],
    ),
]

# phone, skills, desired categories, hours, shifts, capacity
SEEKERS = [
    ("13900000001", ["电工", "维修"], ["manufacturing"], 8, ["day", "night"], "full"),
    ("13900000003", ["缝纫", "包粽子"], ["handicraft"], 6, ["day"], "half"),
    ("13900000004", ["护理"], ["healthcare", "cleaning"], 10, ["day", "night"], "full"),
    ("13900000005", ["厨师"], ["catering", "hospitality"], 8, ["day", "evening"], "full"),
    ("13900000006", ["种植"], [], 4, ["flexible"], "weak"),
]

FAIR = "江南社区春风行动招聘会"
# key, title, skill, capacity, days from now to start, sessions, who is enrolled
TRAININGS = [
    ("育婴员", "育婴员培训", "育婴", 3, 7, 8, ["13900000001", "13900000003", "13900000004"]),  # full
    ("电子组装", "电子元件组装技能培训", "电子组装", 20, 10, 6, ["13900000005"]),
]


def _home(phone: str) -> dict[str, Any]:
    grid = resident_grid(phone)
    return {
        "household_id": demo_uuid("household", phone),
        "grid_code": grid,
        "community_code": community_of(grid),
        "street_code": street_of(grid),
    }


async def load(session: AsyncSession) -> None:
    settings = Settings()
    assert settings.pii_keys and settings.blind_index_key
    pii = PiiCipher.from_settings(settings.pii_keys, settings.blind_index_key)
    now = datetime.now(UTC).replace(microsecond=0)
    await _employers(session, pii)
    await _postings(session, now)
    await _seekers(session)
    await _fair(session, now)
    await _trainings(session, now)


async def _employers(session: AsyncSession, pii: PiiCipher) -> None:
    rows = [
        {
            "id": demo_uuid("employer", name),
            "name": name,
            "kind": kind,
            "community_code": COMMUNITY,
            "street_code": STREET,
            "address": address,
            "description": "",
            "contact_name": contact,
            "contact_phone_encrypted": pii.encrypt(phone, field=PHONE_FIELD),
            "contact_phone_index": pii.blind_index(phone, field=PHONE_FIELD),
            "contact_phone_masked": mask_phone(phone),
        }
        for name, kind, address, contact, phone in EMPLOYERS
    ]
    await session.execute(insert(Employer).values(rows).on_conflict_do_nothing())
    await session.execute(
        insert(EmployerAccount)
        .values(account_id=demo_uuid("account", EMPLOYER_LOGIN), employer_id=demo_uuid("employer", EMPLOYERS[0][0]))
        .on_conflict_do_nothing()
    )


async def _postings(session: AsyncSession, now: datetime) -> None:
    rows = []
    for n, (employer, title, category, wage, hours, shifts, headcount, skills, weak, grid) in enumerate(POSTINGS):
        text = search.search_text(title, employer, " ".join(skills))
        opened = now - timedelta(days=n % 5, hours=n)
        rows.append(
            {
                "id": demo_uuid("posting", f"{employer}/{title}"),
                "employer_id": demo_uuid("employer", employer),
                "title": title,
                "description": f"{employer}招聘{title}，{'适合弱劳动力、半劳动力，' if weak else ''}就近就业。",
                "category": category,
                "wage_min": wage[0],
                "wage_max": wage[1],
                "wage_unit": wage[2],
                "hours_per_day": hours,
                "shifts": shifts,
                "headcount": headcount,
                "skills": skills,
                "suits_weak_labour": weak,
                "community_code": COMMUNITY,
                "street_code": STREET,
                "grid_code": grid,
                "state": "open",
                "opened_at": opened,
                "search_text": text,
                "search_tokens": search.tokens(text),
                "created_by": str(demo_uuid("account", "staff")),
                "created_at": opened,
                "updated_at": opened,
            }
        )
    await session.execute(insert(Posting).values(rows).on_conflict_do_nothing())


async def _seekers(session: AsyncSession) -> None:
    rows = [
        {
            "resident_id": demo_uuid("resident", phone),
            **_home(phone),
            "skills": skills,
            "desired_categories": categories,
            "hours_per_day": hours,
            "shifts": shifts,
            "labour_capacity": capacity,
            "preferred_places": [],
            "active": True,
            "updated_by": str(demo_uuid("account", phone)),
        }
        for phone, skills, categories, hours, shifts, capacity in SEEKERS
    ]
    await session.execute(insert(Seeker).values(rows).on_conflict_do_nothing())


def _china_morning(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour)).replace(tzinfo=UTC) - timedelta(hours=8)


async def _fair(session: AsyncSession, now: datetime) -> None:
    day = now.date() + timedelta(days=14)
    fair_id = demo_uuid("fair", FAIR)
    inserted = await session.scalar(
        insert(Fair)
        .values(
            id=fair_id,
            title=FAIR,
            venue="江南社区文化广场",
            description="社区工厂、扶贫车间、酒店、医院、超市现场招聘，欢迎居民报名参加。",
            starts_at=_china_morning(day, 9),
            ends_at=_china_morning(day, 12),
            community_code=COMMUNITY,
            street_code=STREET,
            created_by=str(demo_uuid("account", "staff")),
        )
        .on_conflict_do_nothing()
        .returning(col(Fair.id))
    )
    if inserted is not None:
        await session.execute(
            insert(FairEmployer)
            .values([{"fair_id": fair_id, "employer_id": demo_uuid("employer", e[0])} for e in EMPLOYERS])
            .on_conflict_do_nothing()
        )


async def _trainings(session: AsyncSession, now: datetime) -> None:
    for key, title, skill, capacity, days, sessions, enrolled in TRAININGS:
        training_id = demo_uuid("training", key)
        start = now.date() + timedelta(days=days)
        inserted = await session.scalar(
            insert(Training)
            .values(
                id=training_id,
                title=title,
                skill=skill,
                description=f"{title}，结业后技能记入求职登记。",
                venue="江南社区活动中心",
                schedule="每周二、四 14:00-16:30",
                starts_on=start,
                ends_on=start + timedelta(days=4 * 7),
                sessions=sessions,
                capacity=capacity,
                community_code=COMMUNITY,
                street_code=STREET,
                created_by=str(demo_uuid("account", "staff")),
            )
            .on_conflict_do_nothing()
            .returning(col(Training.id))
        )
        if inserted is None:
            continue
        for phone in enrolled:  # one at a time: the order they enrolled in is the waiting list's
            await session.execute(
                insert(Enrolment).values(
                    id=demo_uuid("enrolment", f"{key}/{phone}"),
                    training_id=training_id,
                    resident_id=demo_uuid("resident", phone),
                    **_home(phone),
                    state="enrolled",
                    created_by=str(demo_uuid("account", phone)),
                )
            )
