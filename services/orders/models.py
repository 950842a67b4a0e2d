"""The orders tables: the service menu, orders with their timeline, the points ledger. Its own
SQLModel registry, so its metadata holds only its tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, get_args

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Identity,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.orders.orders.schemas import Kind, State
from shared.db import naming_convention_metadata
from shared.events import inbox_table
from shared.idempotency import idempotency_table
from shared.outbox import outbox_table


class OrdersModel(SQLModel, registry=registry(metadata=naming_convention_metadata())):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def _at(nullable: bool = True, **kwargs: Any) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable, **kwargs))


def _texts() -> Any:
    return Field(default_factory=list, sa_column=Column(ARRAY(String(40)), nullable=False, server_default="{}"))


STATES: tuple[str, ...] = get_args(State)
KINDS: tuple[str, ...] = get_args(Kind)
OPEN_STATES = ("placed", "dispatched", "accepted")


class MenuItem(OrdersModel, table=True):
    """An item of a community's service menu (服务清单), or a thing the community must not do."""

    __tablename__ = "menu_item"
    __table_args__ = (UniqueConstraint("community_code", "name"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    community_code: str = Field(max_length=12, index=True)
    street_code: str = Field(max_length=9)
    name: str = Field(max_length=60)
    category: str = Field(max_length=30)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    takers: list[str] = _texts()
    allowed: bool = True
    refusal_reason: str | None = Field(default=None, max_length=300)
    handled_by: str | None = Field(default=None, max_length=100)
    sla_dispatch_minutes: int = 240
    sla_accept_minutes: int = 240
    sla_finish_minutes: int = 2880
    points: int = 10
    active: bool = True
    created_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))


class ServiceOrder(OrdersModel, table=True):
    """An order of any kind (service, wish, issue) on its way round the closed loop."""

    __tablename__ = "service_order"
    __table_args__ = (
        CheckConstraint(f"state IN {STATES}", name="state"),
        CheckConstraint(f"kind IN {KINDS}", name="kind"),
        CheckConstraint("stars IS NULL OR stars BETWEEN 1 AND 5", name="stars"),
        Index("ix_service_order_scope_list", "community_code", "placed_at", "id"),
        Index("ix_service_order_grid_list", "grid_code", "placed_at", "id"),
        Index("ix_service_order_assignee", "assignee_id", "placed_at"),
        Index("ix_service_order_resident", "resident_id", "placed_at"),
        Index("ix_service_order_placed_by", "placed_by", "placed_at"),
        Index("ix_service_order_due", "next_check_at", postgresql_where="next_check_at IS NOT NULL"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=10)
    channel: str = Field(max_length=10)
    menu_item_id: uuid.UUID | None = Field(default=None, foreign_key="menu_item.id")
    title: str = Field(max_length=100)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    resident_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    # Where an issue is, at building level (小区, 楼栋, a road's corner): never a home's unit or room.
    address: str | None = Field(default=None, max_length=200)
    grid_code: str = Field(max_length=15)
    community_code: str = Field(max_length=12)
    street_code: str = Field(max_length=9)
    placed_by: str = Field(max_length=64)
    placed_by_role: str = Field(max_length=20)
    source_event_id: uuid.UUID | None = Field(default=None, unique=True)
    visit_id: uuid.UUID | None = None
    # Taken from the menu item (or the service's defaults) when the order is placed.
    takers: list[str] = _texts()
    sla_dispatch_minutes: int
    sla_accept_minutes: int
    sla_finish_minutes: int
    points_base: int
    state: str = Field(default="placed", max_length=12)
    dispatch_mode: str | None = Field(default=None, max_length=10)
    assignee_id: str | None = Field(default=None, max_length=64)
    assignee_name: str | None = Field(default=None, max_length=50)
    completion_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    photo_ids: list[uuid.UUID] = Field(
        default_factory=list, sa_column=Column(ARRAY(Uuid()), nullable=False, server_default="{}")
    )
    stars: int | None = None
    rating_comment: str | None = Field(default=None, max_length=500)
    needs_return_visit: bool = False
    return_visit_note: str | None = Field(default=None, max_length=500)
    close_reason: str | None = Field(default=None, max_length=300)
    # SLA: when the current stage is due, whether it ran over, how far it was escalated, and when the
    # scheduler should look at the order next (NULL: nothing can become due).
    due_at: datetime | None = _at()
    overdue_at: datetime | None = _at()
    was_overdue: bool = False
    escalation_level: str = Field(default="grid", max_length=10)
    next_check_at: datetime | None = _at()
    placed_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))
    dispatched_at: datetime | None = _at()
    accepted_at: datetime | None = _at()
    completed_at: datetime | None = _at()
    rated_at: datetime | None = _at()
    closed_at: datetime | None = _at()
    finish_due_at: datetime | None = _at()
    updated_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))


class OrderStep(OrdersModel, table=True):
    """One step of an order's timeline: who did what, when, from which state to which."""

    __tablename__ = "order_step"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    order_id: uuid.UUID = Field(foreign_key="service_order.id", index=True)
    at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))
    action: str = Field(max_length=20)
    actor_id: str = Field(max_length=64)
    actor_role: str = Field(max_length=20)
    actor_name: str | None = Field(default=None, max_length=50)
    from_state: str | None = Field(default=None, max_length=12)
    to_state: str = Field(max_length=12)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    photo_ids: list[uuid.UUID] = Field(
        default_factory=list, sa_column=Column(ARRAY(Uuid()), nullable=False, server_default="{}")
    )


class OrderPhoto(OrdersModel, table=True):
    """A photo the taker adds to an order before completing it."""

    __tablename__ = "order_photo"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="service_order.id", index=True)
    added_by: str = Field(max_length=64)
    content_type: str = Field(max_length=30)
    size: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))


class PointEntry(OrdersModel, table=True):
    """The points ledger (积分): one row per credit, never a mutable counter. A source (an order, an
    activity) credits an account once."""

    __tablename__ = "point_entry"
    __table_args__ = (
        UniqueConstraint("source", "source_id", "account_id"),
        Index("ix_point_entry_board", "community_code", "earned_at"),
        Index("ix_point_entry_account", "account_id", "earned_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    account_id: str = Field(max_length=64)
    account_name: str | None = Field(default=None, max_length=50)
    source: str = Field(max_length=20)
    source_id: uuid.UUID
    points: int
    base: int
    stars: int | None = None
    grid_code: str = Field(max_length=15)
    community_code: str = Field(max_length=12)
    street_code: str = Field(max_length=9)
    earned_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))


metadata = OrdersModel.metadata
idempotency_record = idempotency_table(metadata)
outbox_event = outbox_table(metadata)
inbox_event = inbox_table(metadata)
