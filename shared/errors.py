"""Domain errors and their RFC 9457 ``application/problem+json`` rendering.

Service code raises these; one set of handlers (installed by ``shared.app``) renders them, and
Starlette's own errors (404, 405, malformed JSON, validation) take the same shape.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any, Self

import orjson
from asyncpg.exceptions import InterfaceError, InternalClientError, PostgresError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Send

from shared.context import current_request_id

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://grid-platform.example/problems/"


class FieldError(BaseModel):
    field: str = Field(description="the field at fault, as a dotted path: phone, items.0.name (body: the whole body)")
    message: str = Field(description="what is wrong with it (never the value given)")


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of the platform is answered."""

    type: str = Field(
        description="a URI naming the kind of problem, e.g. https://grid-platform.example/problems/not-found"
    )
    title: str = Field(description="a short summary of the kind of problem, the same for every problem of its type")
    status: int = Field(description="the HTTP status code of the answer")
    detail: str | None = Field(
        default=None, description="what went wrong this time, for a person to read; null when the title says it all"
    )
    errors: list[FieldError] | None = Field(
        default=None, description="the fields at fault, one entry each; left out when no field is"
    )
    request_id: str | None = Field(
        default=None, description="the request's id (X-Request-ID), to quote when reporting the problem"
    )


class DomainError(Exception):
    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = headers or {}
        self.extra = extra or {}

    @classmethod
    def on(cls, field: str, message: str) -> Self:
        """The error, naming the field it is about (``errors[0].field``)."""
        return cls(f"{field}: {message}", errors=[FieldError(field=field, message=message)])


class BadRequest(DomainError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kwargs)


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Not allowed"


class PasswordChangeRequired(Forbidden):
    """The caller's password was set by someone else: nothing but changing it until it is changed."""

    slug, title = "password-change-required", "Password change required"


class FastLaneBusy(Exception):
    """Every connection of the fast lane's pool stayed busy for the whole wait: answered 503 with
    ``Retry-After`` (shared.errors), like a saturated ORM pool."""


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class ValidationFailed(DomainError):
    status, slug, title = 422, "validation-error", "Invalid input"


class TooManyRequests(DomainError):
    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {})["Retry-After"] = str(max(1, int(retry_after)))
        super().__init__(detail, **kwargs)


class ServiceUnavailable(DomainError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


DATABASE_UNAVAILABLE = "the database cannot be reached just now; try again shortly"


class DatabaseUnavailable(ServiceUnavailable):
    """The process's database cannot be reached now (stopped, restarting, failing over, unreachable, or
    refusing connections): 503 with ``Retry-After``, at once rather than after a long wait, and the
    process carries on and reconnects by itself when the database is back (docs/OPERATIONS.md, "Faults")."""

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {})["Retry-After"] = str(SATURATED_RETRY_AFTER)
        super().__init__(detail or DATABASE_UNAVAILABLE, **kwargs)


def problem_response(
    status: int,
    *,
    slug: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    errors: Sequence[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (slug or phrase.lower().replace(" ", "-")),
        "title": title or phrase,
        "status": status,
        "detail": detail,
        "request_id": current_request_id(),
    }
    if errors:
        body["errors"] = [e.model_dump() for e in errors]
    if extra:
        body.update(extra)
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def problem_bytes(status: int, detail: str, slug: str | None = None) -> bytes:
    """A problem body for the pure-ASGI middlewares that answer before FastAPI does."""
    phrase = HTTPStatus(status).phrase
    return orjson.dumps(
        {
            "type": PROBLEM_TYPE_BASE + (slug or phrase.lower().replace(" ", "-")),
            "title": phrase,
            "status": status,
            "detail": detail,
            "request_id": current_request_id(),
        }
    )


async def send_problem(send: Send, status: int, detail: str, *headers: tuple[bytes, bytes]) -> None:
    """A whole problem+json answer from a pure-ASGI middleware, with its length and any ``headers``."""
    body = problem_bytes(status, detail)
    sized = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*sized, *headers]})
    await send({"type": "http.response.body", "body": body})


def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        if len(parts) == 1:
            return parts[0]
        parts = parts[1:]
    return ".".join(parts)


def validation_errors(exc: RequestValidationError) -> list[FieldError]:
    """Field and message of each error, never the rejected input itself (it may be personal data)."""
    out: list[FieldError] = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            out.append(FieldError(field="body", message="malformed JSON"))
            continue
        out.append(FieldError(field=_field_name(err.get("loc", ())), message=str(err.get("msg", "invalid"))))
    return out


@asynccontextmanager
async def connection_failures() -> AsyncIterator[None]:
    """Around opening or using a database connection: the failures that say the database cannot be
    reached now become ``DatabaseUnavailable`` (503); the others (a wrong password, a bad statement) stay
    what they are."""
    try:
        yield
    except DatabaseUnavailable:
        raise
    except Exception as exc:
        if database_unavailable(exc):
            raise DatabaseUnavailable() from exc
        raise


async def _on_domain_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return problem_response(
        exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _on_validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc)
    malformed = any(e.message == "malformed JSON" for e in errors)
    detail = "the request body is not valid JSON" if malformed else "; ".join(f"{e.field}: {e.message}" for e in errors)
    return problem_response(422, slug="validation-error", title="Invalid input", detail=detail, errors=errors)


async def _on_http_exception(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI's answer to a body it cannot decode (bad UTF-8, broken form): the client sent
        # input we cannot read, which the API reports as 422 on the body like malformed JSON.
        errors = [FieldError(field="body", message="malformed request body")]
        return problem_response(
            422, slug="validation-error", title="Invalid input", detail=str(exc.detail), errors=errors
        )
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem_response(exc.status_code, detail=detail, headers=dict(exc.headers or {}))


# PostgreSQL cannot store NUL characters (and some other code points) in text: input carrying them
# is the client's, and answers 422 rather than a server error.
_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})
# The server is full or not taking connections now (too_many_connections, cannot_connect_now, ...):
# the request may well work a moment later.
_SATURATED = frozenset({"53300", "53000", "57P03"})
# The connection went away under the request: the server stopped or restarted (admin_shutdown,
# crash_shutdown) or the connection broke (class 08, connection_exception). Also worth a retry.
_GONE = frozenset({"57P01", "57P02"})
SATURATED_RETRY_AFTER = 2


def database_unavailable(exc: BaseException) -> bool:
    """Does ``exc`` say that the database cannot be reached or used just now (rather than that the request
    or the code is at fault)? Connection failures (refused, no such socket, timed out), a server refusing
    connections or shutting down, and a connection lost or left in the middle of its work."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig if exc.orig is not None else exc
        exc = getattr(exc, "__cause__", None) or exc  # SQLAlchemy's adapter wraps asyncpg's error
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate in _SATURATED or sqlstate in _GONE or sqlstate.startswith("08")
    if isinstance(exc, InterfaceError):  # asyncpg's "connection is closed", not its misuse errors
        return "closed" in str(exc)
    if isinstance(exc, InternalClientError):  # a connection left in the middle of an operation (a shutdown)
        return True
    return isinstance(exc, OSError | TimeoutError)


def _saturated() -> Response:
    return problem_response(
        503,
        slug="service-unavailable",
        title="Service unavailable",
        detail="the database is busy just now; try again shortly",
        headers={"Retry-After": str(SATURATED_RETRY_AFTER)},
    )


async def _on_database_error(request: Request, exc: Exception) -> Response:
    """An error PostgreSQL answered, through SQLAlchemy (``DBAPIError``) or straight from asyncpg on the
    read fast lane (``asyncpg.PostgresError``): the client's unstorable text is 422, a saturated server
    503; anything else stays a server error."""
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        sqlstate = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)
    else:
        sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate in _UNSTORABLE_TEXT:
        errors = [FieldError(field="request", message="text may not contain NUL or other control characters")]
        return problem_response(
            422, slug="validation-error", title="Invalid input", detail=errors[0].message, errors=errors
        )
    if sqlstate in _SATURATED:
        log.warning("the database refused a connection", extra={"sqlstate": sqlstate})
        return _saturated()
    if database_unavailable(exc):
        log.warning("the database connection was lost", extra={"sqlstate": sqlstate, "error": type(exc).__name__})
        return await _on_domain_error(request, DatabaseUnavailable())
    raise exc


async def _on_pool_exhausted(_: Request, exc: Exception) -> Response:
    """Every pooled connection busy for the pool's whole timeout: 503 with Retry-After, never 500."""
    log.warning("no database connection free", extra={"error": type(exc).__name__})
    return _saturated()


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(PoolTimeout, _on_pool_exhausted)
    app.add_exception_handler(FastLaneBusy, _on_pool_exhausted)
    app.add_exception_handler(PostgresError, _on_database_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries declaring problem+json answers for the given statuses."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
