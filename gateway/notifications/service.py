"""The notification inbox of each account: pages, unread count, marking read, and a server-sent
events stream for the apps.

A new line is announced with PostgreSQL ``NOTIFY`` when its transaction commits; every gateway
replica keeps one connection that ``LISTEN``s and wakes the streams of that account it holds open,
so a stream learns of a line whichever replica took the event.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from sqlalchemy import DateTime, Integer, Uuid, bindparam, func, select, true, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from gateway.events.service import NOTIFY_CHANNEL
from gateway.models import Notification
from gateway.notifications.schemas import NotificationPublic
from shared.errors import NotFound
from shared.fastlane import FastLane, PreparedQuery
from shared.pagination import decode_cursor, page_of
from shared.periodic import Periodic
from shared.security import Principal

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 15.0


def _account(principal: Principal) -> uuid.UUID:
    if (account_id := principal.account_id) is None:
        raise NotFound("this caller has no inbox")
    return account_id


def _mine(principal: Principal) -> Any:
    return col(Notification.account_id) == _account(principal)


async def unread_count(session: AsyncSession, principal: Principal) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Notification).where(_mine(principal), col(Notification.read_at).is_(None))
    )
    return int(count or 0)


@functools.cache
def _page_query(unread: bool, after: bool) -> PreparedQuery:
    """A page of the inbox and the unread count in one statement: the count's one row, joined to the
    page's rows (none: one row of nulls beside the count)."""
    account = bindparam("account_id", type_=Uuid())
    counted = (
        select(func.count().label("unread_count"))
        .where(col(Notification.account_id) == account, col(Notification.read_at).is_(None))
        .subquery("unread")
    )
    page = select(
        col(Notification.id),
        col(Notification.kind),
        col(Notification.title),
        col(Notification.body),
        col(Notification.subject_type),
        col(Notification.subject_id),
        col(Notification.created_at),
        col(Notification.read_at),
    ).where(col(Notification.account_id) == account)
    if unread:
        page = page.where(col(Notification.read_at).is_(None))
    if after:
        page = page.where(
            tuple_(col(Notification.created_at), col(Notification.id))
            < tuple_(bindparam("after_at", type_=DateTime(timezone=True)), bindparam("after_id", type_=Uuid()))
        )
    lateral = (
        page.order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .limit(bindparam("limit", type_=Integer()))
        .lateral("page")
    )
    return PreparedQuery(
        select(counted.c.unread_count, *lateral.c)
        .select_from(counted.outerjoin(lateral, true()))
        .order_by(lateral.c.created_at.desc(), lateral.c.id.desc())
    )


async def list_page(
    *, lane: FastLane, principal: Principal, unread: bool, limit: int, cursor: str | None
) -> dict[str, Any]:
    """Newest first, with the unread count, as ``NotificationPage`` (on the fast lane)."""
    values: dict[str, Any] = {"account_id": _account(principal), "limit": limit + 1}
    if cursor:
        values["after_at"], values["after_id"] = decode_cursor(cursor, (datetime.fromisoformat, uuid.UUID))
    rows = await lane.fetch_prepared(_page_query(unread, bool(cursor)), values)
    unread_count = rows[0]["unread_count"]
    lines = [dict(row) for row in rows if row["id"] is not None]
    for line in lines:
        del line["unread_count"]
    items, next_cursor = page_of(lines, limit, lambda line: (line["created_at"].isoformat(), line["id"]))
    return {"unread_count": unread_count, "items": items, "next_cursor": next_cursor}


async def mark_read(*, session: AsyncSession, principal: Principal, notification_id: uuid.UUID) -> NotificationPublic:
    notification = await session.scalar(
        select(Notification).where(col(Notification.id) == notification_id, _mine(principal)).with_for_update()
    )
    if notification is None:
        raise NotFound(f"no notification {notification_id} in your inbox")
    if notification.read_at is None:
        notification.read_at = datetime.now(UTC)
        await session.flush()
    return NotificationPublic.model_validate(notification, from_attributes=True)


async def mark_all_read(*, session: AsyncSession, principal: Principal) -> int:
    result = await session.execute(
        update(Notification)
        .where(_mine(principal), col(Notification.read_at).is_(None))
        .values(read_at=datetime.now(UTC))
    )
    return int(getattr(result, "rowcount", 0) or 0)


class NotificationHub:
    """One ``LISTEN`` connection per replica; the open streams of each account, woken on ``NOTIFY``."""

    def __init__(self, dsn: str, *, check_seconds: float = 5.0) -> None:
        self.dsn = dsn
        self._conn: asyncpg.Connection | None = None
        self._waiting: dict[str, set[asyncio.Queue[None]]] = {}
        self._watchdog = Periodic(self._ensure, interval=check_seconds, name="notification listener")

    async def _ensure(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            return
        self._conn = await asyncpg.connect(self.dsn)
        await self._conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
        for queues in self._waiting.values():  # lines may have come while the connection was down
            for queue in queues:
                queue.put_nowait(None)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, account: str) -> None:
        for queue in self._waiting.get(account, ()):
            queue.put_nowait(None)

    @contextmanager
    def subscribe(self, account: str) -> Iterator[asyncio.Queue[None]]:
        queue: asyncio.Queue[None] = asyncio.Queue()
        self._waiting.setdefault(account, set()).add(queue)
        try:
            yield queue
        finally:
            waiting = self._waiting.get(account)
            if waiting is not None:
                waiting.discard(queue)
                if not waiting:
                    del self._waiting[account]

    async def start(self) -> None:
        try:
            await self._ensure()
        except (OSError, asyncpg.PostgresError):
            log.warning("notification listener not connected yet; retrying")
        self._watchdog.start()

    async def stop(self) -> None:
        await self._watchdog.stop()
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()


def _sse(event: str, data: Any, event_id: str | None = None) -> bytes:
    lines = [f"event: {event}"]
    if event_id:
        lines.append(f"id: {event_id}")
    lines.append(f"data: {orjson.dumps(data).decode()}")
    return ("\n".join(lines) + "\n\n").encode()


async def stream(
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    hub: NotificationHub,
    principal: Principal,
    last_event_id: str | None,
    is_disconnected: Any,
) -> AsyncIterator[bytes]:
    """``unread`` first, then each new line as ``notification`` (its id as the event id, so a client
    reconnecting with ``Last-Event-ID`` gets what it missed), and a comment now and then."""
    account = _account(principal)
    after: tuple[datetime, uuid.UUID] | None = None
    async with sessionmaker() as session:
        if last_event_id:
            last = await session.scalar(
                select(Notification).where(col(Notification.id) == _uuid_or_nil(last_event_id), _mine(principal))
            )
            after = (last.created_at, last.id) if last is not None else None
        if after is None:
            newest = await session.scalar(
                select(Notification)
                .where(_mine(principal))
                .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
                .limit(1)
            )
            after = (
                (newest.created_at, newest.id)
                if newest is not None
                else (datetime.min.replace(tzinfo=UTC), uuid.UUID(int=0))
            )
        yield _sse("unread", {"unread_count": await unread_count(session, principal)})
    with hub.subscribe(str(account)) as wake:
        while not await is_disconnected():
            async with sessionmaker() as session:
                fresh = (
                    await session.scalars(
                        select(Notification)
                        .where(
                            _mine(principal),
                            tuple_(col(Notification.created_at), col(Notification.id)) > tuple_(*after),
                        )
                        .order_by(col(Notification.created_at), col(Notification.id))
                        .limit(100)
                    )
                ).all()
            for line in fresh:
                public = NotificationPublic.model_validate(line, from_attributes=True)
                yield _sse("notification", public.model_dump(mode="json"), str(line.id))
                after = (line.created_at, line.id)
            try:
                await asyncio.wait_for(wake.get(), timeout=HEARTBEAT_SECONDS)
            except TimeoutError:
                yield b": keep-alive\n\n"


def _uuid_or_nil(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.UUID(int=0)
