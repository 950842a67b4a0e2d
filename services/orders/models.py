"""The orders tables: the service menu, orders with their timeline, the points ledger. Its own
SQLModel registry, so its metadata holds only its tables."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, get_args

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
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
# States whose clock runs (the SLA scheduler looks at them); a shelved case waits for its review day.
OPEN_STATES = ("placed", "dispatched", "accepted", "verified", "filed", "handled", "checked")
# A case's ends: closed, refused filing (不予立案), voided as a duplicate (作废); and the service loop's.
FINAL_STATES = ("rated", "cancelled", "rejected", "closed", "refused", "voided")


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
        Index("ix_service_order_department", "department_code", "placed_at", "id"),
        CheckConstraint("urgency IS NULL OR urgency IN ('urgent', 'normal')", name="urgency"),
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
    # -- the case loop (issues only; docs/DOMAIN.md "The case loop") --------------------------------------
    # Where the problem is (WGS-84), when reported with a point.
    lat: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    lng: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    # 立案: the small class (case_class.code) and the urgency, which fix the limits of each stage.
    class_code: str | None = Field(default=None, max_length=12)
    urgency: str | None = Field(default=None, max_length=10)
    # Dispatched to a department (职能部门) rather than a person: its code (department.code).
    department_code: str | None = Field(default=None, max_length=12)
    # When the current stage's clock started and when it turns yellow (80 % of its working minutes).
    stage_started_at: datetime | None = _at()
    yellow_at: datetime | None = _at()
    rework_count: int = 0
    return_count: int = 0
    verified_at: datetime | None = _at()
    filed_at: datetime | None = _at()
    handled_at: datetime | None = _at()
    checked_at: datetime | None = _at()
    # The handling deadline of the filed case (处置时限, moved by approved extensions) and whether it was
    # closed by it; the working minutes from filing to closing.
    handle_due_at: datetime | None = _at()
    closed_on_time: bool | None = None
    handling_minutes: int | None = None
    shelve_reason: str | None = Field(default=None, max_length=300)
    review_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    duplicate_of: uuid.UUID | None = None


class Department(OrdersModel, table=True):
    """A functional department or unit (职能部门: 城管, 市场监管 ...) a street dispatches cases to. Its code
    (the street's code, ``D`` and two digits) is the place its accounts are bound to (role ``department``)."""

    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("street_code", "name"),)

    code: str = Field(primary_key=True, max_length=12)
    street_code: str = Field(max_length=9, index=True)
    name: str = Field(max_length=60)
    kind: str = Field(max_length=20)
    phone: str | None = Field(default=None, max_length=20)
    active: bool = True
    created_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))


class CaseLimit(OrdersModel, table=True):
    """A street's own limit of one stage of one class and urgency (working minutes). The national catalogue
    and its default limits live in code (``services/orders/catalogue``), versioned with it."""

    __tablename__ = "case_limit"

    street_code: str = Field(primary_key=True, max_length=9)
    class_code: str = Field(primary_key=True, max_length=12)
    urgency: str = Field(primary_key=True, max_length=10)
    stage: str = Field(primary_key=True, max_length=10)
    minutes: int


class StreetCalendar(OrdersModel, table=True):
    """A street's working hours and the limits of its own clocks (吹哨报到, hotline sign-for)."""

    __tablename__ = "street_calendar"

    street_code: str = Field(primary_key=True, max_length=9)
    hours: str = Field(default="08:30-12:00,14:00-17:30", max_length=100)
    whistle_sign_minutes: int = 60
    whistle_report_minutes: int = 1260
    hotline_sign_minutes: int = 60
    updated_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))


class CalendarDay(OrdersModel, table=True):
    """A street's own day: a workday or a rest day against the national calendar."""

    __tablename__ = "calendar_day"

    street_code: str = Field(primary_key=True, max_length=9)
    day: date = Field(sa_column=Column(Date, primary_key=True))
    workday: bool = Field(sa_column=Column(Boolean, nullable=False))
    note: str | None = Field(default=None, max_length=100)
    set_by: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))


class ExtensionRequest(OrdersModel, table=True):
    """延期: the handler asks for more working hours; staff approve (the limit moves) or refuse."""

    __tablename__ = "extension_request"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="service_order.id", index=True)
    hours: int
    reason: str = Field(max_length=300)
    state: str = Field(default="pending", max_length=10)
    requested_by: str = Field(max_length=64)
    requested_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = _at()


class CaseCall(OrdersModel, table=True):
    """吹哨报到: a department called to a case; it signs for it (签到) and reports (报到) within the street's
    limits, each a clock with its light."""

    __tablename__ = "case_call"
    __table_args__ = (UniqueConstraint("order_id", "department_code"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="service_order.id", index=True)
    department_code: str = Field(max_length=12, index=True)
    called_by: str = Field(max_length=64)
    called_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))
    note: str | None = Field(default=None, max_length=300)
    sign_yellow_at: datetime | None = _at()
    sign_due_at: datetime | None = _at()
    report_yellow_at: datetime | None = _at()
    report_due_at: datetime | None = _at()
    signed_at: datetime | None = _at()
    signed_by: str | None = Field(default=None, max_length=64)
    reported_at: datetime | None = _at()
    reported_by: str | None = Field(default=None, max_length=64)
    report: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class HotlineTicket(OrdersModel, table=True):
    """A 12345 hotline ticket (接诉即办) and the case it became. The caller's phone is kept encrypted and
    masked, never in clear."""

    __tablename__ = "hotline_ticket"
    __table_args__ = (UniqueConstraint("street_code", "number"),)

    order_id: uuid.UUID = Field(sa_column=Column(Uuid(), ForeignKey("service_order.id"), primary_key=True))
    number: str = Field(max_length=40)
    street_code: str = Field(max_length=9)
    client_id: str = Field(max_length=64)
    caller_phone_encrypted: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    caller_phone_index: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True, index=True))
    caller_phone_masked: str | None = Field(default=None, max_length=20)
    deadline: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    received_at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))
    sign_yellow_at: datetime | None = _at()
    sign_due_at: datetime | None = _at()
    signed_at: datetime | None = _at()
    signed_by: str | None = Field(default=None, max_length=64)
    # 退单: none, requested (waiting for the hotline), accepted (the ticket went back), refused.
    return_state: str = Field(default="none", max_length=10)
    return_reason: str | None = Field(default=None, max_length=300)
    return_answer: str | None = Field(default=None, max_length=300)
    return_count: int = 0
    # 回访: the hotline's follow-up call.
    resolved: bool | None = None
    # satisfied, basically_satisfied (基本满意) or dissatisfied.
    satisfaction: str | None = Field(default=None, max_length=20)
    followed_up_at: datetime | None = _at()


class OrderStep(OrdersModel, table=True):
    """One step of an order's timeline: who did what, when, from which state to which."""

    __tablename__ = "order_step"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    order_id: uuid.UUID = Field(foreign_key="service_order.id", index=True)
    at: datetime = Field(default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False))
    action: str = Field(max_length=20)
    # The working minutes since the step before (the case loop's timeline shows them).
    working_minutes: int | None = None
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
