"""Database access: the async SQLAlchemy engine for writes, an asyncpg pool for the read fast lane,
and one session per request committed once, after the handler and before the response is sent."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.errors import connection_failures
from shared.fastlane import FastLane
from shared.idempotency import SCOPE_CONNECTION
from shared.settings import ProcessSettings

log = logging.getLogger(__name__)


class Database:
    """Everything a process holds open towards its own database."""

    def __init__(self, settings: ProcessSettings) -> None:
        self.settings = settings
        self.engine: AsyncEngine = create_async_engine(
            settings.sqlalchemy_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout_seconds,
            # No ping per checkout (a round trip on every write): a connection the server dropped (a restart)
            # fails its first statement, which SQLAlchemy takes as a disconnect, so it discards every pooled
            # connection opened before and the request is answered 503 (shared.errors.DatabaseUnavailable).
            pool_pre_ping=False,
            async_creator=self._connect,
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._pool: asyncpg.Pool | None = None
        self.fastlane: FastLane | None = None

    async def _connect(self) -> asyncpg.Connection:
        """A new connection for the ORM's pool; a database that cannot be reached is ``DatabaseUnavailable``
        (503 with Retry-After), at once or after ``db_connect_timeout_seconds``."""
        async with connection_failures():
            connection: asyncpg.Connection = await asyncpg.connect(
                self.settings.asyncpg_dsn,
                timeout=self.settings.db_connect_timeout_seconds,
                server_settings={"application_name": self.settings.service_name},
            )
            return connection

    async def start(self) -> None:
        self._pool = await asyncpg.create_pool(
            self.settings.asyncpg_dsn,
            timeout=self.settings.db_connect_timeout_seconds,
            min_size=1,
            max_size=self.settings.fastlane_pool_size,
            max_inactive_connection_lifetime=self.settings.fastlane_idle_seconds,
            server_settings={"application_name": f"{self.settings.service_name}-read"},
            reset=keep_session,
        )
        self.fastlane = FastLane(self._pool, acquire_timeout=self.settings.db_pool_timeout_seconds)

    async def stop(self) -> None:
        if self._pool is not None:
            await self._pool.close()
        await self.engine.dispose()

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - readiness answers no, whatever broke
            log.warning("database ping failed", exc_info=True)
            return False

    def pool_stats(self) -> list[tuple[str, int, int]]:
        pool: Any = self.engine.pool
        stats = [("orm", int(pool.size()), int(pool.checkedout()))]
        if self._pool is not None:
            size = self._pool.get_size()
            stats.append(("fastlane", size, size - self._pool.get_idle_size()))
        return stats


async def keep_session(_connection: asyncpg.Connection) -> None:
    """What the fast lane's pool does to a connection given back, besides rolling back a transaction
    left open (which asyncpg always does): nothing. asyncpg's default sends ``RESET ALL; UNLISTEN *;
    CLOSE ALL; SELECT pg_advisory_unlock_all()``, a round trip on every release, for session state this
    pool never makes: its users run single statements and transactions whose settings are ``SET LOCAL``
    and whose locks are ``pg_advisory_xact_lock``. (bench/bare_reads.py's pool does the same, so the
    comparison stays like for like.)"""


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session a request: committed once after the handler returns, rolled back if it raised. A POST
    with an ``Idempotency-Key`` has its key claimed in a transaction of its own (``shared.idempotency``):
    the session joins it, its commit and rollback are a savepoint's, and the middleware commits the whole
    with the recorded answer."""
    db = get_database(request)
    claimed: AsyncConnection | None = request.scope.get(SCOPE_CONNECTION)
    opened = (
        db.sessionmaker()
        if claimed is None
        else db.sessionmaker(bind=claimed, join_transaction_mode="create_savepoint")
    )
    async with opened as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


SessionDep = Annotated[AsyncSession, Depends(_session, scope="function")]


async def _fastlane(request: Request) -> FastLane:  # async: a sync dependency costs a thread hop
    lane = get_database(request).fastlane
    assert lane is not None, "database not started"
    return lane


FastLaneDep = Annotated[FastLane, Depends(_fastlane)]


def naming_convention_metadata() -> MetaData:
    """Metadata with stable constraint names, so Alembic migrations can refer to them."""
    return MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def snake_case(name: str) -> str:
    """``AccountBinding`` → ``account_binding``: table names are singular snake_case."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
