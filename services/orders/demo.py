"""The demo community's menu (服务清单, with what the community must not do) and three months of
orders in every state, with their timelines and the points they earned; the street's departments and a
year of its cases (``case_demo``). Loading twice adds nothing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.orders import case_demo
from services.orders.models import Department, MenuItem, OrderStep, PointEntry, ServiceOrder
from services.orders.points import service as points
from shared import demo
from shared.demo import COMMUNITY, GRIDS, STREET, demo_uuid

HISTORY_DAYS = 90
ORDERS = demo.ORDER_HISTORY
RECENT = 30

# name, category, description, takers, (dispatch, accept, finish minutes), points
MENU: list[tuple[str, str, str, list[str], tuple[int, int, int], int]] = [
    (
        "代办",
        "errand",
        "代缴水电燃气费、代办社保医保业务、代买药品",
        ["party_member", "volunteer"],
        (240, 240, 2880),
        10,
    ),
    (
        "上门认证",
        "home_check",
        "为行动不便的老人上门办理养老金资格认证",
        ["community_staff", "party_member"],
        (480, 480, 4320),
        15,
    ),
    ("义剪", "haircut", "为高龄、残疾、独居老人上门理发", ["party_member", "volunteer"], (1440, 720, 4320), 8),
    (
        "家电维修",
        "repair",
        "小家电、水龙头、灯具的简单维修",
        ["party_member", "volunteer", "partner_unit"],
        (240, 480, 2880),
        12,
    ),
    (
        "法律援助",
        "legal_aid",
        "邻里纠纷、劳动争议、赡养问题的法律咨询",
        ["partner_unit", "party_member"],
        (1440, 1440, 10080),
        20,
    ),
    ("陪伴", "companionship", "陪独居老人聊天、陪同就医", ["party_member", "volunteer"], (720, 720, 4320), 10),
    ("开具居住证明", "certificate", "为办理入学、就业开具本社区居住证明", ["community_staff"], (240, 240, 1440), 5),
]
# What communities must not do (the certificates villages and communities should not issue).
REFUSED: list[tuple[str, str, str]] = [
    ("开具亲属关系证明", "社区不再开具亲属关系证明", "派出所或公证处"),
    ("开具无犯罪记录证明", "社区无权开具无犯罪记录证明", "户籍地派出所"),
    ("开具婚姻状况证明", "社区不再开具婚姻状况证明", "民政局婚姻登记处"),
    ("开具出生证明", "社区不能开具出生证明", "出生医院"),
]
WISHES = ["想要一台收音机", "孩子想要一套课外读物", "想学用智能手机视频通话", "想要一个助行器", "冬天想要一床厚棉被"]
ISSUES = ["楼道飞线充电", "外墙瓷砖脱落", "楼上漏水", "油烟扰民", "宠物扰民", "夜间噪声", "乱停车堵塞消防通道"]
NOTES = ["已上门完成", "已办结, 老人很满意", "已修好, 试用正常", "已陪同就医回家", "已协调处理"]
COMMENTS = {5: "非常满意, 谢谢党员同志", 4: "挺好的", 3: "还可以", 2: "来得太晚了", 1: "没有解决问题"}


def menu_rows(now: datetime) -> list[dict[str, Any]]:
    rows = [
        {
            "id": demo_uuid("menu", name),
            "community_code": COMMUNITY,
            "street_code": STREET,
            "name": name,
            "category": category,
            "description": description,
            "takers": takers,
            "allowed": True,
            "refusal_reason": None,
            "handled_by": None,
            "sla_dispatch_minutes": sla[0],
            "sla_accept_minutes": sla[1],
            "sla_finish_minutes": sla[2],
            "points": base,
            "created_at": now,
            "updated_at": now,
        }
        for name, category, description, takers, sla, base in MENU
    ]
    rows += [
        {
            "id": demo_uuid("menu", name),
            "community_code": COMMUNITY,
            "street_code": STREET,
            "name": name,
            "category": "certificate",
            "description": "",
            "takers": [],
            "allowed": False,
            "refusal_reason": reason,
            "handled_by": office,
            "sla_dispatch_minutes": 240,
            "sla_accept_minutes": 240,
            "sla_finish_minutes": 1440,
            "points": 0,
            "created_at": now,
            "updated_at": now,
        }
        for name, reason, office in REFUSED
    ]
    return rows


def department_rows(now: datetime) -> list[dict[str, Any]]:
    """The street's departments (职能部门, ``shared.demo.DEPARTMENTS``), whose accounts are cg1 and scjg1."""
    return [
        {
            "code": code,
            "street_code": STREET,
            "name": name,
            "kind": kind,
            "phone": phone,
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for code, name, kind, phone, _ in demo.DEPARTMENTS
    ]


async def load(session: AsyncSession) -> None:
    now = datetime.now(UTC)
    await session.execute(insert(MenuItem).values(menu_rows(now)).on_conflict_do_nothing(index_elements=["id"]))
    await session.execute(insert(Department).values(department_rows(now)).on_conflict_do_nothing())
    if await session.scalar(select(func.count()).select_from(ServiceOrder)) == 0:
        await _history(session, now)
    await case_demo.load(session, now)


class _History:
    def __init__(self, now: datetime) -> None:
        self.rng = random.Random(2026)
        self.now = now
        self.orders: list[ServiceOrder] = []
        self.steps: list[OrderStep] = []
        self.points: list[dict[str, Any]] = []
        self.takers = {
            grid: [p for p in demo.people() if p.role == "party_member" and p.place == grid] for grid in GRIDS
        }
        self.workers = {
            grid: [p for p in demo.people() if p.role == "grid_worker" and p.place == grid] for grid in GRIDS
        }

    def step(
        self,
        order: ServiceOrder,
        action: str,
        at: datetime,
        actor: demo.DemoPerson | None,
        role: str,
        before: str | None,
        after: str,
        note: str | None = None,
    ) -> None:
        self.steps.append(
            OrderStep(
                order_id=order.id,
                at=at,
                action=action,
                actor_id=str(actor.account_id) if actor else str(order.resident_id or order.placed_by),
                actor_role=role,
                actor_name=actor.name if actor else None,
                from_state=before,
                to_state=after,
                note=note,
            )
        )

    def one(self, n: int) -> None:
        rng = self.rng
        home = rng.choice(demo.households())
        grid = home.grid_code
        resident_id = demo_uuid("resident", home.resident_phone or str(home.id))
        roll = rng.random()
        item_index = rng.randrange(len(MENU))
        name, _, description, takers, sla, base = MENU[item_index]
        kind = "issue" if demo.is_issue_order(n) else "service" if roll < 0.85 else "wish"
        worker = rng.choice(self.workers[grid])
        channel = "app" if rng.random() < 0.6 else "proxy"
        if kind != "service":  # wishes and issues: the service's defaults
            title = rng.choice(ISSUES if kind == "issue" else WISHES)
            takers, sla, base = ["party_member", "volunteer"], (240, 240, 4320), 10
            channel = "proxy" if kind == "issue" else channel
        else:
            title = name
        recent = n >= ORDERS - RECENT  # the last day's orders, many still on their way
        age = timedelta(minutes=rng.randrange(5, 24 * 60 if recent else HISTORY_DAYS * 24 * 60))
        placed_at = self.now - age
        resident_account = demo_uuid("account", home.resident_phone) if home.resident_phone else None
        placer = str(worker.account_id) if channel == "proxy" else str(resident_account or worker.account_id)
        if channel == "app" and resident_account is None:
            channel, placer = "proxy", str(worker.account_id)
        order = ServiceOrder(
            id=demo_uuid("order", str(n)),
            kind=kind,
            channel=channel,
            menu_item_id=demo_uuid("menu", name) if kind == "service" else None,
            title=title,
            description=description if kind == "service" else title,
            resident_id=None if kind == "issue" else resident_id,
            household_id=home.id,
            address=f"{home.compound}{home.building}号楼" if kind == "issue" else None,
            grid_code=grid,
            community_code=COMMUNITY,
            street_code=STREET,
            placed_by=placer,
            placed_by_role="resident" if channel == "app" else "grid_worker",
            takers=list(takers),
            sla_dispatch_minutes=sla[0],
            sla_accept_minutes=sla[1],
            sla_finish_minutes=sla[2],
            points_base=base,
            state="placed",
            placed_at=placed_at,
            updated_at=placed_at,
        )
        self.orders.append(order)
        placer_person = worker if channel == "proxy" else None
        self.step(order, "place", placed_at, placer_person, order.placed_by_role, None, "placed")
        self.advance(order, age)

    def advance(self, order: ServiceOrder, age: timedelta) -> None:
        """Move the order along the loop as far as its age and luck take it."""
        rng = self.rng
        staff = next(p for p in demo.people() if p.role == "community_staff")
        at = order.placed_at
        fate = rng.random()
        if fate < 0.04:
            order.state, order.closed_at, order.close_reason = "cancelled", at + timedelta(minutes=20), "不需要了"
            self.step(order, "cancel", order.closed_at, None, "resident", "placed", "cancelled", "不需要了")
            return
        if fate < 0.07:
            order.state, order.closed_at, order.close_reason = "rejected", at + timedelta(minutes=45), "不属于服务范围"
            self.step(
                order, "reject", order.closed_at, staff, "community_staff", "placed", "rejected", "不属于服务范围"
            )
            return
        wait = timedelta(minutes=rng.choice([15, 40, 90, 200, 600]))
        if at + wait > self.now:
            self.open_stage(order, at, order.sla_dispatch_minutes)
            return
        taker = rng.choice(self.takers[order.grid_code])
        grab = rng.random() < 0.4
        at += wait
        order.state, order.dispatched_at = "dispatched", at
        order.dispatch_mode, order.assignee_id = ("grab", None) if grab else ("assign", str(taker.account_id))
        order.was_overdue = wait > timedelta(minutes=order.sla_dispatch_minutes)
        self.step(order, "dispatch", at, staff, "community_staff", "placed", "dispatched")
        wait = timedelta(minutes=rng.choice([5, 30, 120, 400]))
        if at + wait > self.now:
            self.open_stage(order, at, order.sla_accept_minutes)
            return
        at += wait
        order.state, order.accepted_at = "accepted", at
        order.assignee_id, order.assignee_name = str(taker.account_id), taker.name
        order.finish_due_at = at + timedelta(minutes=order.sla_finish_minutes)
        self.step(order, "accept", at, taker, "party_member", "dispatched", "accepted")
        wait = timedelta(minutes=rng.choice([60, 180, 600, 1500, 3000, 6000]))
        if at + wait > self.now:
            self.open_stage(order, at, order.sla_finish_minutes)
            return
        at += wait
        note = rng.choice(NOTES)
        order.state, order.completed_at, order.completion_note = "completed", at, note
        order.was_overdue = order.was_overdue or at > order.finish_due_at
        self.step(order, "complete", at, taker, "party_member", "accepted", "completed", note)
        wait = timedelta(minutes=rng.choice([30, 200, 900]))
        if at + wait > self.now or rng.random() < 0.08:
            return
        at += wait
        stars = rng.choices([5, 4, 3, 2, 1], weights=[60, 25, 8, 5, 2])[0]
        order.state, order.stars, order.rating_comment, order.rated_at = "rated", stars, COMMENTS[stars], at
        order.needs_return_visit = stars <= 2
        rater_role = "resident" if order.channel == "app" else "grid_worker"
        self.step(order, "rate", at, None, rater_role, "completed", "rated", COMMENTS[stars])
        if order.needs_return_visit and rng.random() < 0.5:
            order.return_visit_note = "已电话回访, 向居民致歉并说明情况"
            self.step(
                order, "return_visit", at + timedelta(days=1), staff, "community_staff", "rated", "rated",
                order.return_visit_note,
            )  # fmt: skip
        self.points.append(
            {
                "account_id": order.assignee_id,
                "account_name": order.assignee_name,
                "source": "order",
                "source_id": order.id,
                "points": points.order_points(order.points_base, stars),
                "base": order.points_base,
                "stars": stars,
                "grid_code": order.grid_code,
                "community_code": order.community_code,
                "street_code": order.street_code,
                "earned_at": at,
            }
        )

    def open_stage(self, order: ServiceOrder, since: datetime, minutes: int) -> None:
        """An order still on its way: its stage's clock runs (the scheduler will find the late ones)."""
        order.due_at = since + timedelta(minutes=minutes)
        order.next_check_at = order.due_at
        order.updated_at = since


async def _history(session: AsyncSession, now: datetime) -> None:
    history = _History(now)
    for n in range(ORDERS):
        history.one(n)
    session.add_all(history.orders)
    await session.flush()
    session.add_all(history.steps)
    if history.points:
        await session.execute(insert(PointEntry).values(history.points).on_conflict_do_nothing())
    await session.flush()
