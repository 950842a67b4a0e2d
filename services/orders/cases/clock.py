"""The case clock: each stage of a problem's case loop has a limit in working minutes (by its class and
urgency, as the street has them), counted on the street's working calendar; the light turns yellow at
80 % of it and red past it (docs/DOMAIN.md "The case loop").

Which stage runs in which state (``STAGE_OF``): placed → verify, verified → file, filed → dispatch,
dispatched/accepted → handle, handled → check, checked → close; shelved and the ends run none. The handle
clock starts at a fresh dispatch and keeps running through acceptance and rework (a failed check does not
give more time: only an approved extension moves it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.calendar import calendar_of
from services.orders.models import OrderStep, ServiceOrder
from shared.workcalendar import WorkCalendar, clock

STAGE_OF = {
    "placed": "verify",
    "verified": "file",
    "filed": "dispatch",
    "dispatched": "handle",
    "accepted": "handle",
    "handled": "check",
    "checked": "close",
}
# The limits of a case with no class yet (reported, not filed) or dispatched straight from the report
# (the simple path): working minutes per stage.
UNCLASSED: Mapping[str, int] = {
    "verify": 120,
    "file": 120,
    "dispatch": 120,
    "handle": 5 * 420,
    "check": 420,
    "close": 420,
}


async def stage_limits(session: AsyncSession, order: ServiceOrder) -> Mapping[str, int]:
    """The limits of the order's stages: its class's and urgency's as its street has them."""
    if order.class_code is None:
        return UNCLASSED
    from services.orders.catalogue.service import limits_for

    return await limits_for(
        session, order.street_code, order.class_code, "urgent" if order.urgency == "urgent" else "normal"
    )


async def enter(session: AsyncSession, order: ServiceOrder, at: datetime, *, fresh: bool = True) -> None:
    """Start the clock of the case's current stage at ``at`` (or stop it when no stage runs). ``fresh``
    False keeps a running handle clock (acceptance, rework)."""
    stage = STAGE_OF.get(order.state)
    if stage == "handle" and not fresh and order.stage_started_at is not None and order.handle_due_at is not None:
        return
    order.overdue_at = None
    order.escalation_level = "grid"
    if stage is None:
        order.stage_started_at = order.yellow_at = order.due_at = order.next_check_at = None
        return
    calendar = await calendar_of(session, order.street_code, around=at.date())
    minutes = (await stage_limits(session, order))[stage]
    order.yellow_at, order.due_at = clock(calendar, at, minutes)
    order.stage_started_at = at
    order.next_check_at = order.due_at
    if stage == "handle":
        order.handle_due_at = order.due_at


async def extend(session: AsyncSession, order: ServiceOrder, hours: int) -> None:
    """An approved extension: the handling deadline moves on by ``hours`` working hours, the light with it."""
    calendar = await calendar_of(session, order.street_code)
    base = order.handle_due_at or order.due_at
    if base is None:
        return
    order.handle_due_at = calendar.add(base, hours * 60)
    if STAGE_OF.get(order.state) == "handle" and order.stage_started_at is not None:
        total = calendar.minutes_between(order.stage_started_at, order.handle_due_at)
        order.yellow_at, order.due_at = clock(calendar, order.stage_started_at, total)
        order.overdue_at = None
        order.escalation_level = "grid"
        order.next_check_at = order.due_at


async def since_last_step(session: AsyncSession, order: ServiceOrder, at: datetime) -> int | None:
    """Working minutes from the order's last step to ``at`` (None for its first step)."""
    last = await session.scalar(select(func.max(col(OrderStep.at))).where(col(OrderStep.order_id) == order.id))
    if last is None:
        return None
    calendar = await calendar_of(session, order.street_code, around=at.date())
    return round(calendar.minutes_between(last, at))


async def working_minutes(session: AsyncSession, order: ServiceOrder, start: datetime, end: datetime) -> int:
    calendar = await calendar_of(session, order.street_code, around=end.date())
    return round(calendar.minutes_between(start, end))


def escalation_due(calendar: WorkCalendar, overdue_at: datetime, minutes: int) -> datetime:
    """When an overdue case climbs a level: ``minutes`` working minutes after it ran over."""
    return calendar.add(overdue_at, minutes) if minutes else overdue_at + timedelta(0)
