"""What the notification inbox answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class NotificationPublic(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="order_assigned, order_open, order_accepted, order_completed, order_overdue, ...")
    title: str
    body: str
    subject_type: str = Field(description="what it is about: order, application, notice")
    subject_id: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    unread_count: int
    items: list[NotificationPublic]
    next_cursor: str | None = None


class MarkedRead(BaseModel):
    marked: int
