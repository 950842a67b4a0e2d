"""The transactional outbox: events are written in the same transaction as the change they report.

Payloads carry ids, codes and states, never personal data. Delivery (the relay) reads this table
with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox_event",
        metadata,
        Column("seq", BigInteger, Identity(), primary_key=True),
        Column("id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("type", String(80), nullable=False),
        Column("aggregate_id", String(64), nullable=False),
        Column("payload", JSONB, nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("delivered_at", DateTime(timezone=True), nullable=True),
        Column("dead_at", DateTime(timezone=True), nullable=True),
        Column("last_error", String(500), nullable=True),
        Index(
            "ix_outbox_event_pending",
            "next_attempt_at",
            postgresql_where="delivered_at IS NULL AND dead_at IS NULL",
        ),
        # The relay's question: is an earlier event of this aggregate still undelivered?
        Index(
            "ix_outbox_event_pending_aggregate",
            "aggregate_id",
            "seq",
            postgresql_where="delivered_at IS NULL AND dead_at IS NULL",
        ),
    )


async def emit(
    session: AsyncSession, table: Table, *, type: str, aggregate_id: str, payload: dict[str, Any]
) -> uuid.UUID:
    """Add an event to the outbox inside the caller's transaction; returns the event id."""
    event_id = uuid.uuid4()
    await session.execute(insert(table).values(id=event_id, type=type, aggregate_id=aggregate_id, payload=payload))
    return event_id
