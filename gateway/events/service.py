"""What the gateway does with the services' events (``shared.events``): each one, once, becomes lines
in the notification inboxes of the accounts it concerns, and deliveries to the webhook endpoints of
the street's integration clients that asked for its type."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway.clients import Registry
from gateway.models import (
    Account,
    AccountBinding,
    IntegrationClient,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)
from shared.events import EventIn
from shared.places import community_of

NOTIFY_CHANNEL = "notification"


# -- who hears of what ------------------------------------------------------------------------------

# (kind, title, body) of the inbox line an event makes, by event type and audience.
_TEXTS: dict[str, tuple[str, str, str]] = {
    "assigned": ("order_assigned", "您有新的派单", "社区给您派了一个服务订单，请及时接单"),
    "grab": ("order_open", "有新的订单可以抢", "您所在网格有一个服务订单开放抢单"),
    "accepted": ("order_accepted", "您的订单已被接单", "党员志愿者已接单，将尽快为您服务"),
    "completed": ("order_completed", "您的订单已完成", "服务已完成，请为本次服务评价"),
    "rejected": ("order_rejected", "您的订单未被受理", "社区未受理您的订单，可查看原因"),
    "declined": ("order_declined", "订单被退回", "接单人退回了订单，请重新派单"),
    "overdue": ("order_overdue", "订单超时督办", "有订单超过办理时限，请督办"),
    "poor_rating": ("order_poor_rating", "差评订单待回访", "有订单收到一至二星评价，请安排回访"),
    "application": ("application_status", "求职申请有新进展", "您的求职申请状态已更新"),
    "notice": ("notice_urgent", "紧急通知", "您所在社区发布了紧急通知，请及时查看"),
    "called": ("case_called", "吹哨报到", "有案件呼叫您的部门到场处置，请及时签到"),
}


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


async def _bound(session: AsyncSession, roles: Iterable[str], place: str | None) -> list[uuid.UUID]:
    if not place:
        return []
    rows = await session.scalars(
        select(col(AccountBinding.account_id))
        .distinct()
        .where(col(AccountBinding.role).in_(list(roles)), col(AccountBinding.place_code) == place)
    )
    return list(rows.all())


async def _residents(session: AsyncSession, payload: dict[str, Any], *, placer: bool = True) -> list[uuid.UUID]:
    """The accounts of the resident the event is about, and whoever placed the order in their name."""
    found: list[uuid.UUID] = []
    if (resident := _uuid(payload.get("resident_id"))) is not None:
        found += (await session.scalars(select(col(Account.id)).where(col(Account.resident_id) == resident))).all()
    if placer and (placed_by := _uuid(payload.get("placed_by"))) is not None:
        found.append(placed_by)
    return found


async def audience(
    session: AsyncSession, event: EventIn, registry: Registry | None = None
) -> tuple[str, list[uuid.UUID]] | None:
    """Which text goes to which accounts, or None when the event concerns no one's inbox."""
    p, kind = event.payload, event.type
    if kind == "order.dispatched":
        if p.get("dispatch_mode") == "grab":
            return "grab", await _bound(session, ("party_member", "volunteer"), p.get("grid_code"))
        if p.get("dispatch_mode") == "department":  # a case for a department: its accounts hear of it
            return "assigned", await _bound(session, ("department",), p.get("department_code"))
        assignee = _uuid(p.get("assignee_id"))
        return "assigned", [assignee] if assignee else []
    if kind in ("order.accepted", "order.completed", "order.rejected"):
        return kind.split(".")[1], await _residents(session, p)
    if kind == "order.declined":
        return "declined", await _bound(session, ("community_staff",), p.get("community_code"))
    if kind in ("order.overdue", "order.escalated"):
        if p.get("escalation_level") == "street":
            return "overdue", await _bound(session, ("street_admin",), p.get("street_code"))
        return "overdue", await _bound(session, ("community_staff",), p.get("community_code"))
    if kind == "order.rated" and isinstance(p.get("stars"), int) and p["stars"] <= 2:
        return "poor_rating", await _bound(session, ("community_staff",), p.get("community_code"))
    if kind == "case.whistled":  # 吹哨报到: the accounts of the department called
        return "called", await _bound(session, ("department",), p.get("department_code"))
    if kind.startswith("application.") and "status" in kind:
        return "application", await _residents(session, p, placer=False)
    if kind == "notice.published" and p.get("urgent"):
        return "notice", await _notice_readers(session, p, registry)
    return None


async def _notice_readers(session: AsyncSession, payload: dict[str, Any], registry: Registry | None) -> list[uuid.UUID]:
    """Residents of the notice's compound (households asked of the registry), grid or community;
    and the place's staff. While the registry cannot answer, the delivery fails and comes again."""
    grid, community, compound = payload.get("grid_code"), payload.get("community_code"), payload.get("compound_id")
    if compound and registry is not None:
        households = [h for h in (_uuid(x) for x in await registry.compound_households(str(compound))) if h]
        where = col(Account.household_id).in_(households)
    elif compound:
        return await _bound(session, ("community_staff",), community)
    elif grid:
        where = col(Account.grid_code) == grid
    elif community:
        where = func.left(col(Account.grid_code), 12) == community
    else:
        return []
    residents = list((await session.scalars(select(col(Account.id)).where(where))).all())
    return residents + await _bound(session, ("community_staff",), community or community_of(grid or ""))


async def notify(session: AsyncSession, event: EventIn, registry: Registry | None = None) -> int:
    """Inbox lines for the accounts the event concerns (each account once); how many."""
    found = await audience(session, event, registry)
    if found is None:
        return 0
    text_key, accounts = found
    kind, title, body = _TEXTS[text_key]
    existing = set((await session.scalars(select(col(Account.id)).where(col(Account.id).in_(set(accounts))))).all())
    rows = [
        {
            "id": uuid.uuid4(),
            "account_id": account,
            "kind": kind,
            "title": title,
            "body": body,
            "subject_type": event.type.split(".")[0],
            "subject_id": event.aggregate_id,
            "event_id": event.id,
            "created_at": datetime.now(UTC),
        }
        for account in dict.fromkeys(accounts)
        if account in existing
    ]
    if not rows:
        return 0
    await session.execute(insert(Notification).values(rows).on_conflict_do_nothing())
    for row in rows:  # delivered to the listening replicas when the transaction commits
        await session.execute(
            text("SELECT pg_notify(:channel, :account)"), {"channel": NOTIFY_CHANNEL, "account": str(row["account_id"])}
        )
    return len(rows)


def webhook_body(event: EventIn) -> bytes:
    """The Standard Webhooks payload: type, timestamp, and the event's ids, codes and states."""
    return orjson.dumps(
        {
            "type": event.type,
            "timestamp": event.occurred_at.isoformat(),
            "data": {"event_id": str(event.id), "aggregate_id": event.aggregate_id, **event.payload},
        }
    )


def wants(event_types: Iterable[str], event_type: str) -> bool:
    """``order.rated``, ``order.*`` or ``*``."""
    return any(
        pattern == "*" or pattern == event_type or (pattern.endswith(".*") and event_type.startswith(pattern[:-1]))
        for pattern in event_types
    )


async def enqueue_webhooks(session: AsyncSession, event: EventIn) -> int:
    """A delivery for every enabled endpoint of the event's street that asked for its type."""
    return await enqueue_webhooks_of(session, [event])


async def enqueue_webhooks_of(session: AsyncSession, events: list[EventIn]) -> int:
    """The same for many events, with one look-up of the endpoints of all their streets."""
    streets = {str(e.payload["street_code"]) for e in events if e.payload.get("street_code")}
    if not streets:
        return 0
    endpoints = (
        await session.execute(
            select(col(WebhookEndpoint.id), col(WebhookEndpoint.event_types), col(IntegrationClient.street_code))
            .join(IntegrationClient, col(IntegrationClient.client_id) == col(WebhookEndpoint.client_id))
            .where(
                col(WebhookEndpoint.enabled).is_(True),
                col(IntegrationClient.enabled).is_(True),
                col(IntegrationClient.street_code).in_(streets),
            )
        )
    ).all()
    if not endpoints:
        return 0
    now = datetime.now(UTC)
    rows = [
        {
            "endpoint_id": endpoint_id,
            "event_id": event.id,
            "event_type": event.type,
            "aggregate_id": event.aggregate_id,
            "body": webhook_body(event),
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for event in events
        for endpoint_id, types, street in endpoints
        if street == event.payload.get("street_code") and wants(types, event.type)
    ]
    for start in range(0, len(rows), 1000):
        await session.execute(insert(WebhookDelivery).values(rows[start : start + 1000]).on_conflict_do_nothing())
    return len(rows)


async def handle(session: AsyncSession, event: EventIn, *, registry: Registry | None = None) -> None:
    """Every type of event: the inboxes it concerns, the webhooks that asked for it."""
    await notify(session, event, registry)
    await enqueue_webhooks(session, event)


async def handle_many(session: AsyncSession, events: list[EventIn], *, registry: Registry | None = None) -> None:
    """A batch of events, in order: the inboxes each concerns, then the webhooks for them all."""
    for event in events:
        await notify(session, event, registry)
    await enqueue_webhooks_of(session, events)
