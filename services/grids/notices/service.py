"""Notices (公告): staff publish them to a community, a grid or a compound, optionally pinned and
with an expiry; residents see those for their places, newest first (pinned ones above), each with
their own read state. ``notice.published`` carries the ``urgent`` flag for the notification inbox.

Where a resident lives is in their token (grid, community, household); their compound is that of their
household in the grids service's copy of the households (``households.py``), read in the same query."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    Integer,
    String,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    null,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.grids import life
from services.grids.clients import CompoundFact
from services.grids.models import Notice, NoticeRead, outbox_event
from services.grids.notices import access
from services.grids.notices.schemas import NoticeCreate, NoticePublic, NoticeUpdate
from shared import outbox
from shared.errors import NotFound, ValidationFailed
from shared.fastlane import FastLane, PreparedQuery
from shared.pagination import decode_cursor, page_of
from shared.places import community_of
from shared.scope import ScopeParts
from shared.security import Principal

# NoticePublic's fields but ``read_at``, as columns of the notice.
_PUBLIC = tuple(col(getattr(Notice, name)) for name in NoticePublic.model_fields if name != "read_at")


def _current(managed: ScopeParts) -> ColumnElement[bool]:
    """Withdrawn and expired notices are gone (``now``), except for the staff who keep them: the
    places of ``managed`` (``life.manage_parts``), when they are asked for."""
    live = and_(
        col(Notice.withdrawn_at).is_(None),
        or_(col(Notice.expires_at).is_(None), col(Notice.expires_at) > bindparam("now", type_=DateTime(timezone=True))),
    )
    if not managed:
        return live
    return or_(live, life.manage_clause(managed, street=col(Notice.street_code), community=col(Notice.community_code)))


def _read_at(account: bool) -> Any:
    """When the caller (``account_id``) read the notice (null for machine clients, who read nothing)."""
    if not account:
        return cast(null(), DateTime(timezone=True)).label("read_at")
    return (
        select(col(NoticeRead.read_at))
        .where(col(NoticeRead.notice_id) == col(Notice.id), col(NoticeRead.account_id) == _ACCOUNT)
        .correlate(Notice)
        .scalar_subquery()
        .label("read_at")
    )


_ACCOUNT = bindparam("account_id", type_=Uuid())


def _values(principal: Principal) -> tuple[access.NoticeScope, dict[str, Any]]:
    """The caller's scope and the values every notice read binds."""
    scope, values = access.scope_of(principal)
    values.update(now=life.now(), account_id=principal.account_id)
    return scope, values


@functools.lru_cache(maxsize=256)
def _list_query(
    scope: access.NoticeScope, managed: ScopeParts, account: bool, category: bool, unread: bool, after: bool
) -> PreparedQuery:
    """One prepared statement per shape of the notices list: newest first, pinned ones above."""
    statement = select(*_PUBLIC, _read_at(account)).where(access.scope(scope), _current(managed))
    if category:
        statement = statement.where(col(Notice.category) == bindparam("category", type_=String()))
    if unread and account:
        statement = statement.where(
            ~exists().where(col(NoticeRead.notice_id) == col(Notice.id), col(NoticeRead.account_id) == _ACCOUNT)
        )
    if after:
        statement = statement.where(
            tuple_(col(Notice.pinned), col(Notice.published_at), col(Notice.id))
            < tuple_(
                bindparam("after_pinned", type_=Boolean()),
                bindparam("after_at", type_=DateTime(timezone=True)),
                bindparam("after_id", type_=Uuid()),
            )
        )
    statement = statement.order_by(col(Notice.pinned).desc(), col(Notice.published_at).desc(), col(Notice.id).desc())
    return PreparedQuery(statement.limit(bindparam("limit", type_=Integer)))


async def list_notices(
    *,
    lane: FastLane,
    principal: Principal,
    category: str | None,
    unread: bool,
    include_expired: bool,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, pinned ones above the rest, as rows of ``NoticePublic``'s fields."""
    scope, values = _values(principal)
    values.update(category=category, limit=limit + 1)
    if cursor:
        values["after_pinned"], values["after_at"], values["after_id"] = decode_cursor(
            cursor, (_flag, datetime.fromisoformat, uuid.UUID)
        )
    managed = life.manage_parts(principal) if include_expired else ()
    query = _list_query(scope, managed, values["account_id"] is not None, category is not None, unread, bool(cursor))
    rows = await lane.fetch_prepared(query, values)
    items, next_cursor = page_of(
        rows, limit, lambda row: (int(row["pinned"]), row["published_at"].isoformat(), row["id"])
    )
    return [dict(row) for row in items], next_cursor


def _flag(value: Any) -> bool:
    if value not in (0, 1):
        raise ValueError("not a flag")
    return bool(value)


def _visible_statement(scope: access.NoticeScope, managed: ScopeParts, account: bool, *columns: Any) -> Any:
    """The notice ``notice_id`` if it is for the caller's places (staff: also expired or withdrawn)."""
    return select(*columns, _read_at(account)).where(
        col(Notice.id) == bindparam("notice_id", type_=Uuid()), access.scope(scope), _current(managed)
    )


@functools.lru_cache(maxsize=256)
def _one_query(scope: access.NoticeScope, managed: ScopeParts, account: bool) -> PreparedQuery:
    """One notice with the caller's read state and, for the staff who manage it, how many read it."""
    reads: Any = cast(null(), Integer)
    if managed:
        count = select(func.count()).where(col(NoticeRead.notice_id) == col(Notice.id)).correlate(Notice)
        manages = life.manage_clause(managed, street=col(Notice.street_code), community=col(Notice.community_code))
        reads = case((manages, count.scalar_subquery()), else_=null())
    return PreparedQuery(_visible_statement(scope, managed, account, *_PUBLIC, reads.label("reads")))


async def get(*, lane: FastLane, principal: Principal, notice_id: uuid.UUID) -> dict[str, Any]:
    """``NoticeDetail``'s fields."""
    scope, values = _values(principal)
    values["notice_id"] = notice_id
    query = _one_query(scope, life.manage_parts(principal), values["account_id"] is not None)
    rows = await lane.fetch_found(query, values, f"no notice {notice_id} for your places")
    return dict(rows[0])


async def _visible(session: AsyncSession, principal: Principal, notice_id: uuid.UUID) -> tuple[Notice, datetime | None]:
    scope, values = _values(principal)
    values["notice_id"] = notice_id
    statement = _visible_statement(scope, life.manage_parts(principal), values["account_id"] is not None, Notice)
    row = (await session.execute(statement, values)).first()
    if row is None:
        raise NotFound(f"no notice {notice_id} for your places")
    return row[0], row[1]


def _public(notice: Notice, read_at: datetime | None) -> NoticePublic:
    return NoticePublic.model_validate({**notice.model_dump(), "read_at": read_at})


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
