"""The demo community's life (``shared.demo``): three volunteer teams on the orders demo's menu items, a
year of monthly activities (一月一主题) with their sign-ups and check-ins (this month's one full), a few
notices (one for grid 1 only, one urgent), and red property: a company with a party branch, a
compound the owners took over, two owners' committees and eight joint meetings that dealt with the
orders demo's issue orders. Loading twice adds nothing (ids from ``demo_uuid``).

Check-ins of the past write no events: their points are history, not credited anew."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.grids.life import CHINA
from services.grids.models import (
    Activity,
    ActivitySignup,
    CommitteeMember,
    CompoundManagement,
    JointMeeting,
    MeetingProblem,
    Notice,
    PropertyCommittee,
    PropertyCompany,
    TeamMember,
    TeamMenuItem,
    VolunteerTeam,
)
from shared import demo
from shared.demo import COMMUNITY, COMMUNITY_NAME, GRIDS, RESIDENT_PHONES, STREET, demo_uuid

STAFF = demo_uuid("account", "staff")
JIANGNAN, QINGLAN = "江南小区", "晴岚家园"
# name, services, menu items of the orders demo, leader, members (party members)
TEAMS = [
    ("红马甲志愿服务队", ["代办", "陪伴", "上门探访"], ["代办", "陪伴"], "pm1", ["pm2", "pm9", "pm13", "pm17"]),
    ("银发义剪队", ["义剪", "上门理发"], ["义剪"], "pm3", ["pm4", "pm10", "pm14"]),
    ("家电维修志愿队", ["家电维修", "安全用电检查"], ["家电维修"], "pm5", ["pm6", "pm11", "pm15", "pm19"]),
]
# 一月一主题: month → theme, title, kind, organiser (community, party_org key, or a team's name)
THEMES = {
    1: ("迎新春 送福进万家", "写春联送福字", "festival_care", "江南社区党委"),
    2: ("元宵喜乐会", "猜灯谜包汤圆", "culture_sports", None),
    3: ("学雷锋志愿服务月", "学雷锋便民服务日", "volunteer_service", "红马甲志愿服务队"),
    4: ("清明缅怀先烈", "红色故事宣讲", "red_culture", "江南社区党委"),
    5: ("健康义诊进社区", "三甲医院专家义诊", "clinic", None),
    6: ("四点半课堂开班", "留守儿童四点半课堂", "after_school", "红马甲志愿服务队"),
    7: ("七一党史学习", "党史知识讲座", "red_culture", "江南社区党委"),
    8: ("农民夜校", "电商直播技能培训", "night_school", None),
    9: ("中秋邻里节", "邻里百家宴", "culture_sports", None),
    10: ("重阳敬老", "义剪进社区 为老人理发", "haircut", "银发义剪队"),
    11: ("反诈宣传月", "反诈知识进万家 家电义修", "volunteer_service", "家电维修志愿队"),
    12: ("冬日暖心", "走访慰问困难群众", "festival_care", "江南社区党委"),
}
THIS_MONTH_CAPACITY = 8  # full: residents 13900000002 … 09 hold its places
PROBLEM_KINDS = ["leak", "facade", "fumes", "pets", "noise", "parking", "e_bike"]
PROBLEM_SUMMARIES = {
    "leak": "顶层住户房屋漏水",
    "facade": "外墙瓷砖脱落",
    "fumes": "底商油烟扰民",
    "pets": "楼道宠物粪便",
    "noise": "夜间施工噪声",
    "parking": "消防通道停车",
    "e_bike": "电动车飞线充电",
}
MEETINGS = 8


async def load(session: AsyncSession) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    await _teams(session)
    await _activities(session, now)
    await _notices(session, now)
    await _property(session, now)


async def _insert(session: AsyncSession, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert what is not there yet; rows naming different columns get the model's defaults for the rest."""
    if not rows:
        return
    keys = set().union(*rows)

    def default(name: str) -> Any:
        field = table.model_fields[name]
        if field.default_factory is not None:
            return field.default_factory()
        return None if field.default is PydanticUndefined else field.default

    complete = [{key: row[key] if key in row else default(key) for key in keys} for row in rows]
    await session.execute(insert(table).values(complete).on_conflict_do_nothing())


def _member(login: str) -> Any:
    return demo_uuid("member", login)


async def _teams(session: AsyncSession) -> None:
    teams, members, links = [], [], []
    for name, services, items, leader, others in TEAMS:
        team_id = demo_uuid("team", name)
        teams.append(
            {
                "id": team_id,
                "community_code": COMMUNITY,
                "street_code": STREET,
                "name": name,
                "description": f"{COMMUNITY_NAME}{name}",
                "services": services,
                "leader_member_id": _member(leader),
            }
        )
        for login in [leader, *others]:
            members.append(
                {"id": demo_uuid("team_member", f"{name}/{login}"), "team_id": team_id, "member_id": _member(login)}
            )
        links += [{"team_id": team_id, "menu_item_id": demo_uuid("menu", item), "name": item} for item in items]
    # A resident volunteers with the first team too (by the registry's id).
    members.append(
        {
            "id": demo_uuid("team_member", f"{TEAMS[0][0]}/13900000004"),
            "team_id": demo_uuid("team", TEAMS[0][0]),
            "resident_id": demo_uuid("resident", "13900000004"),
        }
    )
    await _insert(session, VolunteerTeam, teams)
    await _insert(session, TeamMember, members)
    await _insert(session, TeamMenuItem, links)


def _month_start(today: datetime, offset: int) -> datetime:
    month = today.month - 1 + offset
    return datetime(today.year + month // 12, month % 12 + 1, 1, tzinfo=CHINA)


def _this_months_start(now: datetime) -> datetime:
    """This month's activity: about an hour from now (sign-ups still open, check-in the same day), or
    sooner near the month's end, so that it stays this month's; in its last minutes, an hour ago."""
    local = now.astimezone(CHINA)
    for ahead in (timedelta(minutes=70), timedelta(minutes=10)):
        soon = local + ahead
        soon = soon.replace(minute=soon.minute - soon.minute % 5, second=0, microsecond=0)
        if soon.month == local.month:
            return soon
    return local - timedelta(hours=1)


async def _activities(session: AsyncSession, now: datetime) -> None:
    """From six months back to five ahead: one activity a month, with its sign-ups."""
    rng = random.Random(20261)
    local = now.astimezone(CHINA)
    activities: list[dict[str, Any]] = []
    signups: list[dict[str, Any]] = []
    homes = [h for h in demo.households() if h.resident_phone is None]
    for offset in range(-6, 6):
        month = _month_start(local, offset)
        theme, title, kind, organiser = THEMES[month.month]
        starts = _this_months_start(now) if offset == 0 else month.replace(day=15, hour=14)
        activity_id = demo_uuid("activity", f"{month.year}-{month.month:02d}")
        team = next((t for t in TEAMS if t[0] == organiser), None)
        organiser_kind = "volunteer_team" if team else "party_org" if organiser else "community"
        organiser_id = demo_uuid("team" if team else "party_org", organiser) if organiser else None
        activities.append(
            {
                "id": activity_id,
                "community_code": COMMUNITY,
                "street_code": STREET,
                "grid_code": GRIDS[0],
                "theme": theme,
                "title": title,
                "kind": kind,
                "description": f"{month.month}月主题活动: {theme}",
                "venue": f"{COMMUNITY_NAME}党群服务中心",
                "starts_at": starts.astimezone(UTC),
                "ends_at": (starts + timedelta(hours=2)).astimezone(UTC),
                "capacity": THIS_MONTH_CAPACITY if offset == 0 else 30,
                "volunteer_capacity": 4,
                "target_groups": ["children"]
                if kind == "after_school"
                else ["elderly"]
                if kind in ("haircut", "festival_care")
                else ["everyone"],
                "organiser_kind": organiser_kind,
                "organiser_id": organiser_id,
                "organiser_name": organiser or COMMUNITY_NAME,
                "points": 5,
                "check_in_code": f"{rng.randrange(1_000_000):06d}",
                "created_by": STAFF,
                "created_at": (starts - timedelta(days=20)).astimezone(UTC),
            }
        )
        signups += _signups(rng, activity_id, starts.astimezone(UTC), offset, homes, team)
    await _insert(session, Activity, activities)
    await _insert(session, ActivitySignup, signups)


def _signups(
    rng: random.Random, activity_id: Any, starts: datetime, offset: int, homes: list[Any], team: Any
) -> list[dict[str, Any]]:
    past = offset < 0
    rows: list[dict[str, Any]] = []

    def add(key: str, **values: Any) -> None:
        queued = starts - timedelta(days=10, minutes=len(rows) * 7)
        checked = past and rng.random() < 0.85
        rows.append(
            {
                "id": demo_uuid("signup", f"{activity_id}/{key}"),
                "activity_id": activity_id,
                "state": "confirmed",
                "queued_at": queued,
                "confirmed_at": queued,
                "checked_in_at": starts + timedelta(minutes=rng.randrange(-20, 30)) if checked else None,
                "checked_in_by": STAFF if checked else None,
                "check_in_method": ("staff" if rng.random() < 0.5 else "code") if checked else None,
                "signed_up_by": values.get("account_id") or STAFF,
                **values,
            }
        )

    if offset == 0:  # this month's: full, residents 02-09 hold its places, pm1 and pm2 serve
        phones = RESIDENT_PHONES[1:9]
    elif offset < 0:
        phones = rng.sample(RESIDENT_PHONES, 4)
    else:
        phones = rng.sample(RESIDENT_PHONES[1:], 2)
    for phone in phones:
        add(
            phone,
            role="participant",
            account_id=demo_uuid("account", phone),
            resident_id=demo_uuid("resident", phone),
            grid_code=demo.resident_grid(phone),
        )
    if past:  # elderly neighbours signed up by staff (many have no account)
        for home in rng.sample(homes, 12):
            add(
                str(home.id),
                role="participant",
                resident_id=demo_uuid("resident", str(home.id)),
                grid_code=home.grid_code,
            )
    volunteers = (
        ["pm1", "pm2"]
        if offset >= 0
        else [team[3], *team[4][:2]]
        if team
        else rng.sample(["pm1", "pm2", "pm3", "pm4", "pm5", "pm7"], 3)
    )
    for login in volunteers:
        n = int(login[2:])
        add(
            login,
            role="volunteer",
            account_id=demo_uuid("account", login),
            name=f"党员{n}",
            grid_code=demo.party_member_grid(n),
        )
    return rows


async def _notices(session: AsyncSession, now: datetime) -> None:
    qinglan = {"level": "compound", "compound_id": demo_uuid("compound", QINGLAN), "compound_name": QINGLAN}
    notices: list[dict[str, Any]] = [
        {"title": "冬季供暖开始", "category": "policy", "pinned": True, "days": 12,
         "body": "本社区11月15日起正式供暖, 室温不达标请联系物业。"},
        {"title": "紧急: 明日大风降温预警", "category": "safety", "urgent": True, "days": 1,
         "body": "明日有6-7级大风, 请收好阳台物品, 老人儿童减少外出。"},
        {"title": "第一网格3号楼周三停水", "category": "outage", "level": "grid", "grid_code": GRIDS[0], "days": 2,
         "body": "周三9:00-12:00管道维修停水, 请提前储水。"},
        {"title": "晴岚家园电梯年检", "category": "safety", **qinglan, "days": 3,
         "body": "各楼电梯本周轮流年检, 每部停运约2小时。"},
        {"title": "社区招聘会: 50家企业200个岗位", "category": "job_fair", "days": 5,
         "body": "周六上午在党群服务中心举办, 含适合半劳动力的岗位。"},
        {"title": "反诈提醒: 冒充社保局的电话", "category": "anti_fraud", "days": 8,
         "body": "社保局不会电话要求转账, 接到可疑电话请拨打96110。"},
    ]  # fmt: skip
    rows = []
    for notice in notices:
        days = notice.pop("days")
        rows.append(
            {
                "id": demo_uuid("notice", notice["title"]),
                "community_code": COMMUNITY,
                "street_code": STREET,
                "level": "community",
                "published_at": now - timedelta(days=days),
                "published_by": STAFF,
                "publisher_name": "社区工作人员",
                **notice,
            }
        )
    await _insert(session, Notice, rows)


async def _property(session: AsyncSession, now: datetime) -> None:
    jiangnan, qinglan = demo_uuid("compound", JIANGNAN), demo_uuid("compound", QINGLAN)
    company, leaving = demo_uuid("property_company", "江南物业"), demo_uuid("property_company", "晴岚物业")
    await _insert(
        session,
        PropertyCompany,
        [
            {
                "id": company,
                "community_code": COMMUNITY,
                "street_code": STREET,
                "name": "江南物业服务有限公司",
                "party_branch": "江南物业党支部",
            },
            {
                "id": leaving,
                "community_code": COMMUNITY,
                "street_code": STREET,
                "name": "晴岚物业管理有限公司",
                "party_branch": None,
            },
        ],
    )
    place = {"community_code": COMMUNITY, "street_code": STREET, "recorded_by": STAFF}
    await _insert(
        session,
        CompoundManagement,
        [
            {
                "id": demo_uuid("management", "江南/1"),
                "compound_id": jiangnan,
                "compound_name": JIANGNAN,
                "mode": "company",
                "company_id": company,
                "started_on": date(2019, 3, 1),
                **place,
            },
            {
                "id": demo_uuid("management", "晴岚/1"),
                "compound_id": qinglan,
                "compound_name": QINGLAN,
                "mode": "company",
                "company_id": leaving,
                "started_on": date(2018, 6, 1),
                "ended_on": date(2023, 7, 1),
                **place,
            },
            {
                "id": demo_uuid("management", "晴岚/2"),
                "compound_id": qinglan,
                "compound_name": QINGLAN,
                "mode": "self_managed",
                "started_on": date(2023, 7, 1),
                **place,
                "handover_notes": "原物业撤场, 业主大会决定自治自管; 交接了钥匙、图纸和维修资金账目。",
            },
        ],
    )
    first, second, own = (demo_uuid("committee", key) for key in ("江南/1", "江南/2", "晴岚/1"))
    common = {"kind": "owners_committee", "community_code": COMMUNITY, "street_code": STREET}
    await _insert(
        session,
        PropertyCommittee,
        [
            {
                "id": first,
                "compound_id": jiangnan,
                "compound_name": JIANGNAN,
                "name": "江南小区第一届业主委员会",
                "term_starts_on": date(2018, 5, 1),
                "term_ends_on": date(2023, 4, 30),
                "ended_on": date(2023, 5, 1),
                **common,
            },
            {
                "id": second,
                "compound_id": jiangnan,
                "compound_name": JIANGNAN,
                "name": "江南小区第二届业主委员会",
                "term_starts_on": date(2023, 5, 1),
                "term_ends_on": date(2028, 4, 30),
                "previous_id": first,
                **common,
            },
            {
                "id": own,
                "compound_id": qinglan,
                "compound_name": QINGLAN,
                "name": "晴岚家园第一届业主委员会",
                "term_starts_on": date(2022, 9, 1),
                "term_ends_on": date(2027, 8, 31),
                **common,
            },
        ],
    )
    members = []
    for committee, phones, party in (
        (first, ["13900000001"], "pm2"),
        (second, ["13900000005", "13900000002"], "pm1"),
        (own, ["13900000003", "13900000004"], "pm5"),
    ):
        for i, phone in enumerate(phones):
            members.append(
                {
                    "id": demo_uuid("committee_member", f"{committee}/{phone}"),
                    "committee_id": committee,
                    "resident_id": demo_uuid("resident", phone),
                    "position": "director" if i == 0 else "member",
                }
            )
        members.append(
            {
                "id": demo_uuid("committee_member", f"{committee}/{party}"),
                "committee_id": committee,
                "member_id": _member(party),
                "position": "deputy_director",
            }
        )
    await _insert(session, CommitteeMember, members)
    await _meetings(session, now)


async def _meetings(session: AsyncSession, now: datetime) -> None:
    """Eight joint meetings over the past year, every six weeks or so, dealing with the issue orders."""
    issues = demo.issue_order_ids()
    meetings, problems = [], []
    for n in range(MEETINGS):
        held = (now - timedelta(days=45 * (MEETINGS - n) - 10)).astimezone(CHINA).replace(hour=15, minute=0)
        compound = (JIANGNAN, QINGLAN)[n % 2]
        meeting_id = demo_uuid("joint_meeting", str(n))
        meetings.append(
            {
                "id": meeting_id,
                "community_code": COMMUNITY,
                "street_code": STREET,
                "compound_id": demo_uuid("compound", compound),
                "compound_name": compound,
                "title": f"{compound}红色物业联席会议 第{n + 1}次",
                "held_at": held.astimezone(UTC),
                "attendees": [
                    f"{COMMUNITY_NAME}党委",
                    "江南物业党支部" if compound == JIANGNAN else "业主自管小组",
                    f"{compound}业主委员会",
                    "社区民警",
                ],
                "decisions": "逐项明确责任人和完成时限, 下次会议通报办理结果。",
                "created_by": STAFF,
                "created_at": held.astimezone(UTC),
            }
        )
        for k, order_id in enumerate(issues[n::MEETINGS]):
            category = PROBLEM_KINDS[(n + k) % len(PROBLEM_KINDS)]
            solved = n < MEETINGS - 1 or k == 0  # the latest meeting's problems are mostly still open
            problems.append(
                {
                    "meeting_id": meeting_id,
                    "order_id": order_id,
                    "category": category,
                    "summary": PROBLEM_SUMMARIES[category],
                    "solved_on": (held + timedelta(days=14 + 3 * k)).date() if solved else None,
                }
            )
    await _insert(session, JointMeeting, meetings)
    await _insert(session, MeetingProblem, problems)
