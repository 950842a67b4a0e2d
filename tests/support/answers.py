"""The body of an answer a test needs to have succeeded (its problem+json shown when it did not)."""

from __future__ import annotations

from typing import Any

import httpx


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()
