"""SLA timers and escalation (超时督办).

Each open order carries when its current stage is due (``due_at``) and when the scheduler should
look at it next (``next_check_at``). A stage that runs past its due time marks the order overdue
(``order.overdue``); it is then escalated from the grid to the community and on to the street after
the configured minutes (``order.escalated``; working minutes for a problem's case, on its street's
calendar). Moving to the next stage restarts the clock.

The scheduler runs inside every replica of the service: each pass claims due orders with
``FOR UPDATE SKIP LOCKED``, so replicas share the work and never handle an order twice. Tests call
:func:`tick` with the time they want.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from services.orders.calendar import calendar_of
from services.orders.models import OPEN_STATES, ServiceOrder
from services.orders.orders import service
from shared.periodic import Periodic
from shared.workcalendar import WorkCalendar

log = logging.getLogger(__name__)

LEVELS = ("grid", "community", "street")
BATCH = 200


@dataclass
class TickResult:
    overdue: int = 0
    escalated: int = 0


def _escalation_due(
    order: ServiceOrder, steps: tuple[int, int], calendar: WorkCalendar | None = None
) -> datetime | None:
    """When the overdue order moves up a level, or None at the top: ``steps`` minutes after it ran over,
    working minutes on its street's calendar for a problem's case."""
    level = LEVELS.index(order.escalation_level)
    if order.overdue_at is None or level >= len(LEVELS) - 1:
        return None
    if calendar is not None:
        return calendar.add(order.overdue_at, steps[level]) if steps[level] else order.overdue_at
    return order.overdue_at + timedelta(minutes=steps[level])


async def tick(session: AsyncSession, *, now: datetime, steps: tuple[int, int]) -> TickResult:
    """One pass over the orders whose time has come; in the caller's transaction."""
    result = TickResult()
    orders = (
        await session.scalars(
            select(ServiceOrder)
            .where(col(ServiceOrder.next_check_at) <= now, col(ServiceOrder.state).in_(OPEN_STATES))
            .order_by(col(ServiceOrder.next_check_at))
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    ).all()
    calendars: dict[str, WorkCalendar] = {}
    for order in orders:
        calendar = None
        if order.kind == "issue":
            if order.street_code not in calendars:
                calendars[order.street_code] = await calendar_of(session, order.street_code, around=now.date())
            calendar = calendars[order.street_code]
        if order.overdue_at is None and order.due_at is not None and order.due_at <= now:
            order.overdue_at = order.due_at
            order.was_overdue = True
            result.overdue += 1
            await service.record_system(
                session, order, "overdue", event="order.overdue", at=now, note=f"{order.state} past its SLA"
            )
        while (due := _escalation_due(order, steps, calendar)) is not None and due <= now:
            order.escalation_level = LEVELS[LEVELS.index(order.escalation_level) + 1]
            result.escalated += 1
            await service.record_system(
                session,
                order,
                "escalate",
                event="order.escalated",
                at=now,
                note=f"escalated to the {order.escalation_level}",
            )
        order.next_check_at = _escalation_due(order, steps, calendar) if order.overdue_at is not None else order.due_at
        order.updated_at = now
    await session.flush()
    return result


class Scheduler:
    """The background pass of one replica."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        steps: tuple[int, int],
        interval: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessionmaker = sessionmaker
        self.steps = steps
        self.clock = clock
        self.poller = Periodic(self._pass, interval=interval, name="order SLA scheduler")

    async def _pass(self) -> None:
        while (result := await self.run_once()).overdue + result.escalated >= BATCH:
            pass

    async def run_once(self) -> TickResult:
        async with self.sessionmaker() as session, session.begin():
            result = await tick(session, now=self.clock(), steps=self.steps)
        if result.overdue or result.escalated:
            log.info("SLA pass: %d overdue, %d escalated", result.overdue, result.escalated)
        return result

    def start(self) -> None:
        self.poller.start()

    async def stop(self) -> None:
        await self.poller.stop()
