"""A year of the demo street's problems round the case loop (docs/DOMAIN.md "The case loop"), so that the
indicators and the monthly bulletin have something to show: reported by grid workers, residents, visits,
Open311 and the 12345 hotline; verified, filed, dispatched to the departments 城管 and 市场监管 or to party
members, handled (some late, some returned, some reworked, some extended), checked and closed; some refused,
shelved or voided; the newest still open in every state, their clocks running. Two cases cross the 2026
National Day holiday (1-7 October; Saturday 10 October worked): one closed on time, one still open.

Every time is counted on the national working calendar (``shared.workcalendar``), as the loop counts it.
Loading twice adds nothing (the cases have fixed ids).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.orders.catalogue.classes import CLASSES
from services.orders.models import ExtensionRequest, HotlineTicket, OrderStep, ServiceOrder
from services.orders.orders.schemas import Urgency
from shared import demo
from shared.demo import COMMUNITY, GRIDS, STREET, demo_uuid
from shared.pii import mask_phone
from shared.workcalendar import CHINA, WorkCalendar, clock

MONTHS = 12
PER_MONTH = 20
# The demo street's departments by kind (``shared.demo.DEPARTMENTS``; the accounts cg1 and scjg1 are theirs).
DEPARTMENTS = {kind: (code, name, login) for code, name, kind, _, login in demo.DEPARTMENTS}
NAMES = [
    "占道经营",
    "乱堆物料",
    "暴露垃圾",
    "井盖破损",
    "私搭乱建",
    "飞线充电",
    "违规广告",
    "噪音扰民",
    "无照经营游商",
    "无证照经营",
    "食品安全隐患",
]
SOURCES = [
    ("proxy", "grid_worker", 45),
    ("hotline", "hotline", 25),
    ("app", "resident", 10),
    ("open311", "integration", 10),
    ("visit", "visit", 10),
]
RESULTS = ["已现场处置完毕", "已劝离并恢复通行", "已清运完毕", "已更换井盖", "已依法拆除", "已责令整改"]
# The states the newest cases are left in, their clocks running.
OPEN_ENDS = ["placed", "verified", "filed", "dispatched", "accepted", "handled", "checked", "shelved"]
HOTLINE_CLIENT = "demo-hotline"


def _codes() -> list[str]:
    by_name = {c.name: c.code for c in CLASSES.values()}
    return [by_name[name] for name in NAMES if name in by_name]


def _three_day_class() -> str:
    """A class whose normal handling limit is 3 working days (21 h), for the National Day cases."""
    return next(c.code for c in CLASSES.values() if c.limits["normal"]["handle"] == 1260)


@dataclass
class _Case:
    order: ServiceOrder
    steps: list[OrderStep] = field(default_factory=list)
    ticket: HotlineTicket | None = None
    extensions: list[ExtensionRequest] = field(default_factory=list)


class _Year:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.rng = random.Random(19)
        self.calendar = WorkCalendar()
        self.codes = _codes()
        self.cases: list[_Case] = []
        people = demo.people()
        self.staff = next(p for p in people if p.role == "community_staff")
        self.workers = {g: [p for p in people if p.role == "grid_worker" and p.place == g] for g in GRIDS}
        self.takers = {g: [p for p in people if p.role == "party_member" and p.place == g] for g in GRIDS}

    # -- time --------------------------------------------------------------------------------------

    def later(self, at: datetime, minutes: float) -> datetime:
        return self.calendar.add(at, minutes)

    def working(self, start: datetime, end: datetime) -> int:
        return round(self.calendar.minutes_between(start, end))

    def working_moment(self, day: date) -> datetime:
        start = datetime.combine(day, datetime.min.time(), CHINA) + timedelta(hours=8, minutes=30)
        return self.later(start, self.rng.randrange(0, 420))

    # -- building ----------------------------------------------------------------------------------

    def step(
        self, case: _Case, action: str, at: datetime, actor: str, role: str, before: str | None, **kw: Any
    ) -> None:
        last = case.steps[-1].at if case.steps else None
        case.steps.append(
            OrderStep(
                order_id=case.order.id,
                at=at,
                action=action,
                working_minutes=self.working(last, at) if last is not None else None,
                actor_id=actor,
                actor_role=role,
                actor_name=kw.get("name"),
                from_state=before,
                to_state=kw.get("to", case.order.state),
                note=kw.get("note"),
            )
        )

    def new(self, n: int, placed_at: datetime, *, grid: str | None = None, channel: str | None = None) -> _Case:
        rng = self.rng
        grid = grid or rng.choice(GRIDS)
        if channel is None:
            channel = rng.choices([s[0] for s in SOURCES], weights=[s[2] for s in SOURCES])[0]
        role = next(s[1] for s in SOURCES if s[0] == channel)
        worker = rng.choice(self.workers[grid])
        code = rng.choice(self.codes)
        name = CLASSES[code].name
        placer = {
            "proxy": str(worker.account_id),
            "hotline": HOTLINE_CLIENT,
            "open311": "demo-street-system",
            "visit": str(worker.account_id),
            "app": str(demo_uuid("account", "13900000001")),
        }[channel]
        order = ServiceOrder(
            id=demo_uuid("case", str(n)),
            kind="issue",
            channel=channel,
            title=f"{name}（{rng.choice(['幸福里小区', '朝阳路口', '光华路', '和平菜市场'])}）",
            description=f"发现{name}，请尽快处理",
            address=f"{rng.choice(['幸福里小区', '和平里小区'])}{rng.randint(1, 12)}号楼附近",
            lat=None,
            lng=None,
            class_code=code if channel == "hotline" else None,
            grid_code=grid,
            community_code=COMMUNITY,
            street_code=STREET,
            placed_by=placer,
            placed_by_role=role,
            takers=["party_member", "volunteer"],
            sla_dispatch_minutes=240,
            sla_accept_minutes=240,
            sla_finish_minutes=4320,
            points_base=10,
            state="placed",
            placed_at=placed_at,
            updated_at=placed_at,
        )
        case = _Case(order)
        self.step(case, "place", placed_at, placer, role, None, name=worker.name if channel == "proxy" else None)
        if channel == "hotline":
            phone = f"137{rng.randrange(10**8):08d}"
            case.ticket = HotlineTicket(
                order_id=order.id,
                number=f"GD{placed_at.astimezone(CHINA):%Y%m%d}{n:04d}",
                street_code=STREET,
                client_id=HOTLINE_CLIENT,
                caller_phone_encrypted=None,  # the demo keeps no phone at all: only its mask
                caller_phone_masked=mask_phone(phone),
                deadline=self.later(placed_at, 5 * 420),
                received_at=placed_at,
            )
            case.ticket.sign_yellow_at, case.ticket.sign_due_at = clock(self.calendar, placed_at, 60)
        self.cases.append(case)
        return case

    def run(self, case: _Case, stop: str | None = None, *, code: str | None = None) -> None:
        """Move the case along the loop as far as time (``now``), luck or ``stop`` take it."""
        rng, order = self.rng, case.order
        staff = (str(self.staff.account_id), "community_staff")
        at = order.placed_at

        def go(minutes: float) -> bool:
            nonlocal at
            at = self.later(at, minutes)
            return at <= self.now

        def move(to: str, action: str, actor: tuple[str, str], **kw: Any) -> None:
            before = order.state
            order.state = to
            order.updated_at = at
            self.step(case, action, at, actor[0], actor[1], before, to=to, **kw)

        if case.ticket is not None:
            if not go(rng.choice([10, 30, 50, 90])):
                return self.hold(case, at, "sign")
            case.ticket.signed_at, case.ticket.signed_by = at, staff[0]
            self.step(case, "hotline_sign", at, staff[0], staff[1], "placed", note="签收")
        fate = rng.random() if stop is None else 1.0
        if stop == "placed" or not go(rng.choice([20, 45, 90])):
            return self.hold(case, at, "verify")
        if fate < 0.05:
            order.close_reason = "经核实不属于城市管理问题"
            order.closed_at = at
            return move("refused", "refuse_filing", staff, note=order.close_reason)
        if fate < 0.08 and len(self.cases) > 1:
            kept = self.cases[-2].order
            order.duplicate_of, order.closed_at = kept.id, at
            order.close_reason = f"重复案件，保留 {kept.id}"
            return move("voided", "void", staff)
        move("verified", "verify", staff, note="现场核实属实")
        order.verified_at = at
        if stop == "verified" or not go(rng.choice([10, 30, 60])):
            return self.hold(case, at, "file")
        order.class_code = code or order.class_code or rng.choice(self.codes)
        order.urgency = "urgent" if rng.random() < 0.15 and code is None else "normal"
        limits = CLASSES[order.class_code].limits[order.urgency]  # type: ignore[index]
        move("filed", "file", staff)
        order.filed_at = at
        if stop == "filed" or not go(rng.choice([10, 20, 40])):
            return self.hold(case, at, "dispatch")
        if fate < 0.11 or stop == "shelved":
            order.shelve_reason, order.review_on = "涉及规划调整，暂不具备处置条件", (at + timedelta(days=90)).date()
            return move("shelved", "shelve", staff, note=order.shelve_reason)
        self.dispatch(case, at, staff)
        if rng.random() < 0.06 and stop is None:  # a wrong dispatch, returned and dispatched again
            if not go(rng.choice([30, 60])):
                return self.hold(case, order.dispatched_at or at, "handle")
            order.return_count += 1
            handler = self.handler(case)
            order.assignee_id = order.assignee_name = order.dispatch_mode = order.department_code = None
            move("filed", "return", handler, note="不属于本部门职责")
            if not go(15):
                return self.hold(case, at, "dispatch")
            self.dispatch(case, at, staff, other=True)
        started = at
        order.stage_started_at = started
        order.yellow_at, order.handle_due_at = clock(self.calendar, started, limits["handle"])
        if stop == "dispatched":
            return self.hold(case, started, "handle", keep=True)
        if order.department_code is None:
            if not go(rng.choice([10, 30])):
                return self.hold(case, started, "handle", keep=True)
            order.accepted_at = at
            taker = self.handler(case)
            move("accepted", "accept", taker)
            if stop == "accepted":
                return self.hold(case, started, "handle", keep=True)
        if rng.random() < 0.05 and stop is None:  # an extension, approved
            request_at = self.later(started, limits["handle"] * 0.5)
            if request_at <= self.now:
                order.handle_due_at = self.later(order.handle_due_at, 420)
                case.extensions.append(
                    ExtensionRequest(
                        order_id=order.id, hours=7, reason="需协调产权单位", state="approved",
                        requested_by=self.handler(case)[0], requested_at=request_at,
                        decided_by=staff[0], decided_at=request_at + timedelta(minutes=30),
                    )
                )  # fmt: skip
        for round_ in range(2):
            factor = 0.3 if stop is not None else rng.choice([0.3, 0.6, 0.9, 1.2, 1.6])
            if not go(limits["handle"] * factor):
                return self.hold(case, started, "handle", keep=True)
            note = rng.choice(RESULTS)
            order.handled_at, order.completion_note = at, note
            move("handled", "handle", self.handler(case), note=note)
            if stop == "handled" or not go(rng.choice([30, 60, 120])):
                return self.hold(case, at, "check")
            checker = (order.placed_by, order.placed_by_role) if order.channel == "proxy" else staff
            if round_ == 0 and rng.random() < 0.12 and stop is None:
                order.rework_count += 1
                move("dispatched", "rework", checker, note="复查发现问题仍在")
                continue
            break
        move("checked", "check", checker)
        order.checked_at = at
        if stop == "checked" or not go(rng.choice([10, 30, 60])):
            return self.hold(case, at, "close")
        order.closed_at = at
        assert order.handled_at is not None
        order.closed_on_time = order.handle_due_at is None or order.handled_at <= order.handle_due_at
        order.handling_minutes = self.working(order.filed_at or order.placed_at, at)
        order.stage_started_at = order.yellow_at = order.due_at = order.next_check_at = None
        move("closed", "close", staff)
        if case.ticket is not None and rng.random() < 0.9:
            ticket = case.ticket
            ticket.followed_up_at = self.later(at, 60)
            ticket.resolved = rng.random() < 0.9
            weights = [70, 20, 10] if ticket.resolved else [5, 25, 70]
            ticket.satisfaction = rng.choices(["satisfied", "basically_satisfied", "dissatisfied"], weights=weights)[0]
        return None

    def dispatch(self, case: _Case, at: datetime, staff: tuple[str, str], *, other: bool = False) -> None:
        order = case.order
        before = order.state
        kind = CLASSES[order.class_code].department_kind if order.class_code else None
        department = DEPARTMENTS.get(kind or "")
        if other and department is None:
            department = DEPARTMENTS["urban_management"]
        elif other:
            department = None
        if department is not None:
            order.dispatch_mode, order.department_code, order.assignee_id = "department", department[0], None
        else:
            taker = self.rng.choice(self.takers[order.grid_code])
            order.dispatch_mode, order.assignee_id, order.assignee_name = "assign", str(taker.account_id), taker.name
        order.state, order.dispatched_at, order.updated_at = "dispatched", at, at
        self.step(case, "dispatch", at, staff[0], staff[1], before, to="dispatched")

    def handler(self, case: _Case) -> tuple[str, str]:
        order = case.order
        if order.department_code is not None:
            login = next(login for code, _, login in DEPARTMENTS.values() if code == order.department_code)
            return str(demo_uuid("account", login)), "department"
        return str(order.assignee_id), "party_member"

    def hold(self, case: _Case, since: datetime, stage: str, *, keep: bool = False) -> None:
        """The case stops here, still open: the clock of its stage runs from ``since``."""
        order = case.order
        if order.state == "shelved":
            return
        if stage == "sign":
            return self.hold(case, order.placed_at, "verify")
        if not keep:
            from services.orders.cases.clock import UNCLASSED

            urgency: Urgency = "urgent" if order.urgency == "urgent" else "normal"
            limits: Mapping[Any, int] = CLASSES[order.class_code].limits[urgency] if order.class_code else UNCLASSED
            order.yellow_at, order.due_at = clock(self.calendar, since, limits[stage])
            order.stage_started_at = since
        else:
            order.due_at = order.handle_due_at
        order.next_check_at = order.due_at
        if order.due_at is not None and order.due_at <= self.now:
            order.overdue_at = order.due_at
            order.was_overdue = True


def _national_day(year: _Year) -> None:
    """Two cases dispatched on 30 September 2026 at 16:00 with 3 working days to handle them: due on the
    make-up Saturday, 10 October, at 16:00 (the clock stopped over the holiday)."""
    code = _three_day_class()
    for n, closes in ((900_001, True), (900_002, False)):
        case = year.new(n, datetime(2026, 9, 30, 14, 0, tzinfo=CHINA).astimezone(UTC), grid=GRIDS[0], channel="proxy")
        order, staff = case.order, (str(year.staff.account_id), "community_staff")
        order.title = "国庆节前发现的施工问题" if closes else "国庆节前发现的施工问题（未处置）"
        moments = [datetime(2026, 9, 30, h, m, tzinfo=CHINA) for h, m in ((14, 30), (15, 0), (16, 0))]
        for (action, to), at in zip((("verify", "verified"), ("file", "filed")), moments, strict=False):
            before, order.state = order.state, to
            year.step(case, action, at, staff[0], staff[1], before, to=to)
        order.verified_at, order.filed_at = moments[0], moments[1]
        order.class_code, order.urgency = code, "normal"
        year.dispatch(case, moments[2], staff)
        order.department_code, order.dispatch_mode, order.assignee_id = (
            DEPARTMENTS["urban_management"][0],
            "department",
            None,
        )
        order.stage_started_at = moments[2]
        order.yellow_at, order.handle_due_at = clock(year.calendar, moments[2], 1260)
        order.due_at = order.next_check_at = order.handle_due_at
        if not closes:
            order.overdue_at, order.was_overdue = order.handle_due_at, True
            continue
        handler = year.handler(case)
        for action, to, at, actor in (
            ("handle", "handled", datetime(2026, 10, 10, 15, 0, tzinfo=CHINA), handler),
            ("check", "checked", datetime(2026, 10, 10, 15, 30, tzinfo=CHINA), staff),
            ("close", "closed", datetime(2026, 10, 10, 16, 30, tzinfo=CHINA), staff),
        ):
            before, order.state = order.state, to
            year.step(
                case, action, at, actor[0], actor[1], before, to=to, note="已清理" if action == "handle" else None
            )
        order.handled_at, order.completion_note = datetime(2026, 10, 10, 15, 0, tzinfo=CHINA), "已清理"
        order.checked_at = datetime(2026, 10, 10, 15, 30, tzinfo=CHINA)
        order.closed_at = datetime(2026, 10, 10, 16, 30, tzinfo=CHINA)
        order.closed_on_time, order.handling_minutes = True, year.working(moments[1], order.closed_at)
        order.stage_started_at = order.yellow_at = order.due_at = order.next_check_at = None
        order.updated_at = order.closed_at


def build(now: datetime) -> _Year:
    year = _Year(now)
    today = now.astimezone(CHINA).date()
    n = 0
    for back in range(MONTHS, 0, -1):
        first = (today.replace(day=1) - timedelta(days=31 * (back - 1))).replace(day=1)
        for _ in range(PER_MONTH):
            day = first + timedelta(days=year.rng.randrange(0, 28))
            if day >= today:
                day = today - timedelta(days=1)
            placed_at = year.working_moment(day)
            if placed_at >= now:
                continue
            year.run(year.new(n, placed_at))
            n += 1
    for stop in OPEN_ENDS:  # the newest: one open case in every state, reported a month ago
        placed_at = year.working_moment(today - timedelta(days=30))
        year.run(year.new(n, placed_at), stop=stop, code=year.rng.choice(year.codes))
        n += 1
    _national_day(year)
    return year


async def load(session: AsyncSession, now: datetime | None = None) -> None:
    """The demo street's year of cases (once; its departments are loaded before)."""
    now = now or datetime.now(UTC)
    if await session.get(ServiceOrder, demo_uuid("case", "0")) is not None:
        return
    year = build(now)
    session.add_all([case.order for case in year.cases])
    await session.flush()
    session.add_all([step for case in year.cases for step in case.steps])
    session.add_all([case.ticket for case in year.cases if case.ticket is not None])
    session.add_all([r for case in year.cases for r in case.extensions])
    await session.flush()
