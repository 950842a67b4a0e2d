"""Keyset pagination: ``?limit=&cursor=`` in, ``{"items": [...], "next_cursor": ...}`` out.

The cursor is opaque to clients: base64url of the sort key of the last row served.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, tuple_

from shared.errors import ValidationFailed

T = TypeVar("T")

LimitQuery = Annotated[int, Query(ge=1, le=100, description="Page size, 1-100")]
CursorQuery = Annotated[str | None, Query(max_length=512, description="`next_cursor` of the previous page")]


class Page(BaseModel, Generic[T]):
    items: list[T] = Field(description="this page's rows, in the list's order; at most `limit`")
    next_cursor: str | None = Field(
        default=None, description="pass as `cursor` to get the next page; null on the last page"
    )


def encode_cursor(values: Sequence[Any]) -> str:
    raw = orjson.dumps([str(v) if not isinstance(v, int | float) else v for v in values])
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, converters: Sequence[Callable[[Any], Any]]) -> tuple[Any, ...]:
    """Parse a cursor made by :func:`encode_cursor`; anything else is a 422 on ``cursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = orjson.loads(raw)
        if not isinstance(values, list) or len(values) != len(converters):
            raise ValueError("wrong length")
        return tuple(convert(value) for convert, value in zip(converters, values, strict=True))
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise ValidationFailed.on("cursor", "not a cursor this list handed out") from exc


def page_of(rows: Sequence[T], limit: int, key: Callable[[T], Sequence[Any]]) -> tuple[list[T], str | None]:
    """Cut the one extra row a list query fetches (``limit + 1``) and make the next cursor from the last
    row kept; the extra row tells whether another page follows."""
    if len(rows) > limit:
        kept = list(rows[:limit])
        return kept, encode_cursor(key(kept[-1]))
    return list(rows), None


S = TypeVar("S", bound="Select[Any]")


def by_name_and_id(statement: S, name: Any, row_id: Any, *, cursor: str | None, limit: int) -> S:
    """``statement`` as one keyset page ordered by (a text column, the id): the rows after the cursor's
    (an ``encode_cursor((text, id))``), one more than ``limit`` so ``page_of`` knows whether more follow."""
    if cursor:
        value, after = decode_cursor(cursor, (str, uuid.UUID))
        statement = statement.where(tuple_(name, row_id) > tuple_(value, after))
    return statement.order_by(name, row_id).limit(limit + 1)
