"""Rows of the read fast lane to JSON, exactly as the response models wrote them before: a UTC time ends
in ``Z`` (pydantic's form), where ``shared.fastlane.json_response`` writes ``+00:00``."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from starlette.responses import Response


def json_response(payload: Any) -> Response:
    return Response(orjson.dumps(payload, default=_default, option=orjson.OPT_UTC_Z), media_type="application/json")


def _default(value: Any) -> Any:
    """asyncpg's own UUID type (a ``uuid.UUID`` subclass orjson does not take as one)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
