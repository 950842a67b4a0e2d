"""Notices (公告): staff publish them to a community, a grid or a compound, optionally pinned and
with an expiry; residents see those for their places, newest first (pinned ones above), each with
their own read state. ``notice.published`` carries the ``urgent`` flag for the notification inbox.

Where a resident lives is in their token (grid, community, household); their compound is that of their
household in the grids service's copy of the households (``households.py``), read in the same query."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, DateTime, and_, exists, func, literal, or_, select, true, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.grids import life
from services.grids.clients import CompoundFact
from services.grids.models import Notice, NoticeRead, outbox_event
from services.grids.notices import access
from services.grids.notices.schemas import NoticeCreate, NoticeDetail, NoticePublic, NoticeUpdate
from shared import outbox
from shared.errors import NotFound, ValidationFailed
from shared.pagination import decode_cursor, page_of
from shared.places import community_of
from shared.security import Principal


def _current(principal: Principal, include_expired: bool) -> ColumnElement[bool]:
    """Withdrawn and expired notices are gone, except for the staff who keep them, on request."""
    live = and_(
        col(Notice.withdrawn_at).is_(None),
        or_(col(Notice.expires_at).is_(None), col(Notice.expires_at) > life.now()),
    )
    if not include_expired:
        return live
    managed = life.manage_scope(principal, street=col(Notice.street_code), community=col(Notice.community_code))
    return or_(live, managed)


def _read_at(principal: Principal) -> Any:
    """When the caller read the notice (null for machine clients, who read nothing)."""
    account_id = principal.account_id
    if account_id is None:
        return literal(None, type_=DateTime(timezone=True)).label("read_at")
    return (
        select(col(NoticeRead.read_at))
        .where(col(NoticeRead.notice_id) == col(Notice.id), col(NoticeRead.account_id) == account_id)
        .correlate(Notice)
        .scalar_subquery()
        .label("read_at")
    )


def _unread(principal: Principal) -> ColumnElement[bool]:
    account_id = principal.account_id
    if account_id is None:
        return true()
    return ~exists().where(col(NoticeRead.notice_id) == col(Notice.id), col(NoticeRead.account_id) == account_id)


def _public(notice: Notice, read_at: datetime | None) -> NoticePublic:
    return NoticePublic.model_validate({**notice.model_dump(), "read_at": read_at})


async def list_notices(
    *,
    session: AsyncSession,
    principal: Principal,
    category: str | None,
    unread: bool,
    include_expired: bool,
    limit: int,
    cursor: str | None,
) -> tuple[list[NoticePublic], str | None]:
    """Newest first, pinned ones above the rest."""
    read_at = _read_at(principal)
    statement = select(Notice, read_at).where(access.scope(principal), _current(principal, include_expired))
    if category is not None:
        statement = statement.where(col(Notice.category) == category)
    if unread:
        statement = statement.where(_unread(principal))
    if cursor:
        pinned, after_at, after_id = decode_cursor(cursor, (_flag, datetime.fromisoformat, uuid.UUID))
        statement = statement.where(
            tuple_(col(Notice.pinned), col(Notice.published_at), col(Notice.id)) < tuple_(pinned, after_at, after_id)
        )
    statement = statement.order_by(col(Notice.pinned).desc(), col(Notice.published_at).desc(), col(Notice.id).desc())
    rows = (await session.execute(statement.limit(limit + 1))).all()
    items, next_cursor = page_of(
        rows, limit, lambda row: (int(row[0].pinned), row[0].published_at.isoformat(), row[0].id)
    )
    return [_public(notice, at) for notice, at in items], next_cursor


def _flag(value: Any) -> bool:
    if value not in (0, 1):
        raise ValueError("not a flag")
    return bool(value)


async def _visible(session: AsyncSession, principal: Principal, notice_id: uuid.UUID) -> tuple[Notice, datetime | None]:
    row = (
        await session.execute(
            select(Notice, _read_at(principal)).where(
                col(Notice.id) == notice_id, access.scope(principal), _current(principal, True)
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"no notice {notice_id} for your places")
    return row[0], row[1]


async def get(*, session: AsyncSession, principal: Principal, notice_id: uuid.UUID) -> NoticeDetail:
    notice, read_at = await _visible(session, principal, notice_id)
    reads = None
    if principal.manages(notice.community_code):
        reads = await session.scalar(select(func.count()).where(col(NoticeRead.notice_id) == notice.id))
    return NoticeDetail.model_validate({**_public(notice, read_at).model_dump(), "reads": reads})


async def mark_read(*, session: AsyncSession, principal: Principal, notice_id: uuid.UUID) -> NoticePublic:
    """The caller has read the notice (the first time counts)."""
    notice, read_at = await _visible(session, principal, notice_id)
    if read_at is None:
        await session.execute(
            insert(NoticeRead)
            .values(notice_id=notice.id, account_id=life.account_of(principal), read_at=life.now())
            .on_conflict_do_nothing()
        )
        read_at = await _my_read_at(session, principal, notice.id)
    return _public(notice, read_at)


async def publish(
    *, session: AsyncSession, principal: Principal, notice_in: NoticeCreate, compound: CompoundFact | None
) -> NoticePublic:
    """``compound``: the compound named by ``compound_id``, as the residents service answered the caller."""
    if notice_in.grid_code is not None and notice_in.compound_id is not None:
        raise ValidationFailed.on("compound_id", "a notice goes to a grid or to a compound, not both")
    community_code = notice_in.community_code
    if notice_in.grid_code is not None:
        community_code = community_code or community_of(notice_in.grid_code)
    if compound is not None:
        community_code = community_code or compound.community_code
    community = await life.managed_community(session, principal, community_code)
    level = "community"
    if notice_in.grid_code is not None:
        await life.grid_of_community(session, notice_in.grid_code, community.code, "grid_code")
        level = "grid"
    if notice_in.compound_id is not None:
        if compound is None or compound.community_code != community.code:
            raise ValidationFailed.on("compound_id", "no such compound in the community")
        level = "compound"
    if notice_in.expires_at is not None and notice_in.expires_at <= life.now():
        raise ValidationFailed.on("expires_at", "a notice expires in the future")
    notice = Notice(
        **notice_in.model_dump(exclude={"community_code"}),
        community_code=community.code,
        street_code=community.street_code,
        level=level,
        compound_name=compound.name if compound is not None else None,
        published_by=life.account_of(principal),
        publisher_name=principal.name,
    )
    session.add(notice)
    await session.flush()
    await _emit(session, notice, "notice.published")
    return _public(notice, None)


async def _managed(session: AsyncSession, principal: Principal, notice_id: uuid.UUID) -> Notice:
    notice = await session.scalar(
        select(Notice)
        .where(
            col(Notice.id) == notice_id,
            life.manage_scope(principal, street=col(Notice.street_code), community=col(Notice.community_code)),
        )
        .with_for_update()
    )
    if notice is None:
        raise NotFound(f"no notice {notice_id} you manage")
    return notice


async def update(
    *, session: AsyncSession, principal: Principal, notice_id: uuid.UUID, changes: NoticeUpdate
) -> NoticePublic:
    notice = await _managed(session, principal, notice_id)
    values = changes.model_dump(exclude_unset=True)
    for field in ("title", "body", "pinned"):
        if field in values and values[field] is None:
            raise ValidationFailed.on(field, "give a value, or leave the field out")
    if values.get("expires_at") is not None and values["expires_at"] <= life.now():
        raise ValidationFailed.on("expires_at", "a notice expires in the future")
    for field, value in values.items():
        setattr(notice, field, value)
    await session.flush()
    return _public(notice, await _my_read_at(session, principal, notice.id))


async def withdraw(*, session: AsyncSession, principal: Principal, notice_id: uuid.UUID) -> NoticePublic:
    """Take a notice down (it stays on record for the staff)."""
    notice = await _managed(session, principal, notice_id)
    if notice.withdrawn_at is None:
        notice.withdrawn_at = life.now()
        await session.flush()
        await _emit(session, notice, "notice.withdrawn")
    return _public(notice, await _my_read_at(session, principal, notice.id))


async def _my_read_at(session: AsyncSession, principal: Principal, notice_id: uuid.UUID) -> datetime | None:
    account_id = principal.account_id
    if account_id is None:
        return None
    read_at: datetime | None = await session.scalar(
        select(col(NoticeRead.read_at)).where(
            col(NoticeRead.notice_id) == notice_id, col(NoticeRead.account_id) == account_id
        )
    )
    return read_at


async def _emit(session: AsyncSession, notice: Notice, type: str) -> None:
    await outbox.emit(
        session,
        outbox_event,
        type=type,
        aggregate_id=str(notice.id),
        payload={
            "notice_id": str(notice.id),
            "urgent": notice.urgent,
            "level": notice.level,
            "category": notice.category,
            "street_code": notice.street_code,
            "community_code": notice.community_code,
            "grid_code": notice.grid_code,
            "compound_id": str(notice.compound_id) if notice.compound_id else None,
            "expires_at": notice.expires_at.isoformat() if notice.expires_at else None,
        },
    )
