"""What the notification inbox answers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class NotificationPublic(BaseModel):
    id: uuid.UUID = Field(description="the notification's id, also its event id in the stream")
    kind: str = Field(description="order_assigned, order_open, order_accepted, order_completed, order_overdue, ...")
    title: str = Field(description="the headline, in Chinese, e.g. 您有新的派单")
    body: str = Field(description="one line of text under it, in Chinese")
    subject_type: str = Field(description="what it is about: order, application, notice")
    subject_id: str = Field(description="the id of the order, application or notice it is about")
    created_at: datetime = Field(description="when it came into the inbox, ISO 8601 with time zone")
    read_at: datetime | None = Field(description="when it was marked read; null while unread")


class NotificationPage(BaseModel):
    unread_count: int = Field(description="the caller's unread notifications in all, not only on this page")
    items: list[NotificationPublic] = Field(description="the notifications of this page, newest first")
    next_cursor: str | None = Field(
        default=None, description="pass as cursor to get the next page; null on the last page"
    )


class MarkedRead(BaseModel):
    marked: int = Field(description="how many unread notifications were marked read")
