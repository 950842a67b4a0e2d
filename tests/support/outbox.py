"""One way to read what a service emitted: the rows of its transactional outbox (``outbox_event``),
oldest first, the payload decoded."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from tests.support import db


class Event(NamedTuple):
    type: str
    aggregate_id: str
    payload: dict[str, Any]


async def outbox(url: str, type: str | None = None) -> list[Event]:
    """The events in the outbox of the database at ``url`` (only those of one ``type`` when given)."""
    rows = await db.rows(
        url,
        "SELECT type, aggregate_id, payload FROM outbox_event WHERE $1::text IS NULL OR type = $1 ORDER BY seq",
        type,
    )
    return [Event(row["type"], row["aggregate_id"], _decoded(row["payload"])) for row in rows]


def _decoded(payload: Any) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(payload) if isinstance(payload, str | bytes) else payload
    return decoded


async def payloads(url: str, type: str) -> list[dict[str, Any]]:
    """The payloads of the events of one type, oldest first."""
    return [event.payload for event in await outbox(url, type)]
