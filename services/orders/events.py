"""What the orders service emits, written to its outbox in the transaction of the change: an event for
each move of the loop (``EVENTS``: placed, dispatched, accepted, declined, completed, rated, cancelled,
rejected), for each step of a problem's case loop (``case.*``) and for the SLA clock's steps
(``order.overdue``, ``order.escalated``), with ids, codes and states only (what the service takes from the
others: ``inbox.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.orders.models import ServiceOrder, outbox_event
from shared import outbox

# The event of each step of the timeline that has one.
EVENTS = {
    "place": "order.placed",
    "dispatch": "order.dispatched",
    "reassign": "order.dispatched",
    "accept": "order.accepted",
    "decline": "order.declined",
    "complete": "order.completed",
    "rate": "order.rated",
    "cancel": "order.cancelled",
    "reject": "order.rejected",
    # the case loop of problems (cases/service.py)
    "verify": "case.verified",
    "file": "case.filed",
    "refuse_filing": "case.refused",
    "handle": "case.handled",
    "check": "case.checked",
    "rework": "case.reworked",
    "close": "case.closed",
    "return": "case.returned",
    "shelve": "case.shelved",
    "void": "case.voided",
    "extend_request": "case.extension_requested",
    "extend_approve": "case.extended",
    "extend_refuse": "case.extension_refused",
    # 12345 tickets (hotline/service.py; its other steps name their events)
    "return_accepted": "hotline.return_accepted",
}


async def order_event(
    session: AsyncSession, event_type: str, order: ServiceOrder, extra: dict[str, Any] | None = None
) -> None:
    await outbox.emit(
        session, outbox_event, type=event_type, aggregate_id=str(order.id), payload=event_payload(order, extra)
    )


def event_payload(order: ServiceOrder, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Ids, codes and states: who may need to hear of it, never what anyone wrote."""
    return {
        "order_id": str(order.id),
        "kind": order.kind,
        "state": order.state,
        "channel": order.channel,
        "menu_item_id": str(order.menu_item_id) if order.menu_item_id else None,
        "resident_id": str(order.resident_id) if order.resident_id else None,
        "placed_by": order.placed_by,
        "assignee_id": order.assignee_id,
        "dispatch_mode": order.dispatch_mode,
        "stars": order.stars,
        "escalation_level": order.escalation_level,
        "grid_code": order.grid_code,
        "community_code": order.community_code,
        "street_code": order.street_code,
        # a problem's case: its class, urgency, department and counts (null / 0 for the service loop)
        "class_code": order.class_code,
        "urgency": order.urgency,
        "department_code": order.department_code,
        "rework_count": order.rework_count,
        "return_count": order.return_count,
        **(extra or {}),
    }
