"""Photos of the work done on an order: added by its taker while it is accepted, then named when
completing it, and served to those who may see the order."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.orders.models import OrderPhoto, ServiceOrder
from services.orders.orders import queries
from services.orders.orders.schemas import PhotoPublic
from shared import photos
from shared.errors import Conflict, Forbidden, NotFound
from shared.security import Principal

MAX_PHOTOS_PER_ORDER = 9


async def add(
    *, session: AsyncSession, principal: Principal, storage: photos.PhotoStorage, order_id: uuid.UUID, data: bytes
) -> tuple[PhotoPublic, bool]:
    """Store a photo of an order one has taken; the same photo sent again answers the one stored."""
    order = await queries.visible_order(session, principal, order_id)
    if order.assignee_id != principal.sub:
        raise Forbidden("only the one who took the order adds its photos")
    if order.state != "accepted":
        raise Conflict(
            f"the order is {order.state}; photos are added while it is accepted", extra={"state": order.state}
        )
    checked = await photos.accept_upload(data)
    await session.execute(select(col(ServiceOrder.id)).where(col(ServiceOrder.id) == order.id).with_for_update())
    stored = (await session.scalars(select(OrderPhoto).where(col(OrderPhoto.order_id) == order.id))).all()
    for photo in stored:
        if photo.sha256 == checked.sha256:
            return PhotoPublic.model_validate(photo, from_attributes=True), False
    if len(stored) >= MAX_PHOTOS_PER_ORDER:
        raise Conflict(f"an order keeps at most {MAX_PHOTOS_PER_ORDER} photos")
    photo = OrderPhoto(
        order_id=order.id,
        added_by=principal.sub,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        storage_key="",
    )
    photo.storage_key = photos.photo_key(order.id, photo.id, checked.extension)
    await storage.put(photo.storage_key, data)
    session.add(photo)
    await session.flush()
    return PhotoPublic.model_validate(photo, from_attributes=True), True


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
    if photo is None:
        raise NotFound(f"no photo {photo_id} on order {order_id}")
    try:
        return await storage.get(photo.storage_key), photo.content_type
    except KeyError as exc:
        raise NotFound(f"photo {photo_id} is missing from storage") from exc
