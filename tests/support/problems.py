"""One check of an error answer: the status, RFC 9457's media type and body, and the field at fault."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """The answer is a problem with this status (and names ``field`` among its errors); its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status, body
    if field is not None:
        assert field in [error["field"] for error in body["errors"]], body
    return body
