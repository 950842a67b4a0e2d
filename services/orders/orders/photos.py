"""Photos of the work done on an order: added by its taker while it is accepted, then named when
completing it (a case's: by its reporter, handler and checker, each in their turn), and served to those
who may see the order."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.models import OrderPhoto, ServiceOrder
from services.orders.orders import queries
from services.orders.orders.access import handles, is_managed
from services.orders.orders.schemas import PhotoPublic
from shared import photos
from shared.errors import Conflict, Forbidden
from shared.security import Principal

MAX_PHOTOS_PER_ORDER = 9


async def add(
    *, session: AsyncSession, principal: Principal, storage: photos.PhotoStorage, order_id: uuid.UUID, data: bytes
) -> tuple[PhotoPublic, bool]:
    """Store a photo of an order one has taken (or of a case, as its reporter, handler or checker); the
    same photo sent again answers the one stored. Up to 9 each."""
    order = await queries.visible_order(session, principal, order_id)
    if order.kind == "issue":
        await _may_add_to_case(session, principal, order)
    else:
        if order.assignee_id != principal.sub:
            raise Forbidden("only the one who took the order adds its photos")
        if order.state != "accepted":
            raise Conflict(
                f"the order is {order.state}; photos are added while it is accepted", extra={"state": order.state}
            )
    checked = await photos.accept_upload(data)
    await session.execute(select(col(ServiceOrder.id)).where(col(ServiceOrder.id) == order.id).with_for_update())
    stored = (
        await session.scalars(
            select(OrderPhoto).where(col(OrderPhoto.order_id) == order.id, col(OrderPhoto.added_by) == principal.sub)
        )
    ).all()
    photo, created = await photos.keep_once(
        session=session,
        storage=storage,
        data=data,
        checked=checked,
        owner_id=order.id,
        stored=stored,
        limit=MAX_PHOTOS_PER_ORDER,
        owner="an order",
        new_row=lambda c: OrderPhoto(
            order_id=order.id,
            added_by=principal.sub,
            content_type=c.content_type,
            size=c.size,
            sha256=c.sha256,
            storage_key="",
        ),
    )
    return PhotoPublic.model_validate(photo, from_attributes=True), created


async def _may_add_to_case(session: AsyncSession, principal: Principal, order: ServiceOrder) -> None:
    """A case's photos: its reporter's while it is reported or verified (现场照片), its handler's while it is
    being handled, the checker's (reporter or staff, not the handler) while it waits for its check."""
    if order.state in ("placed", "verified"):
        allowed = order.placed_by == principal.sub
    elif order.state in ("dispatched", "accepted"):
        allowed = handles(principal, order)
    elif order.state == "handled":
        allowed = not handles(principal, order) and (
            order.placed_by == principal.sub or await is_managed(session, principal, order)
        )
    else:
        raise Conflict(f"the case is {order.state}; no photos are added now", extra={"state": order.state})
    if not allowed:
        raise Forbidden("photos of a case come from its reporter, its handler or its checker, each in their turn")


async def read(
    *,
    session: AsyncSession,
    principal: Principal,
    storage: photos.PhotoStorage,
    order_id: uuid.UUID,
    photo_id: uuid.UUID,
) -> tuple[bytes, str]:
    order = await queries.visible_order(session, principal, order_id)
    photo = await session.scalar(
        select(OrderPhoto).where(col(OrderPhoto.id) == photo_id, col(OrderPhoto.order_id) == order.id)
    )
    return await photos.stored_bytes(storage, photo, photo_id, f"order {order_id}")
