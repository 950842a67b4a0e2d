"""Who keeps integration clients: street admins, each the clients of their own streets (the
condition is in the SQL, so a client of another street is not found)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import and_
from sqlmodel import col

from gateway.models import IntegrationClient
from shared.scope import any_of
from shared.security import Principal, allow

StreetAdmin = Annotated[Principal, Depends(allow("street_admin"))]


def streets_of(principal: Principal) -> tuple[str, ...]:
    return principal.places_of("street_admin")


def in_scope(principal: Principal) -> Any:
    """Clients of the caller's streets that are not deleted."""
    street = any_of(col(IntegrationClient.street_code), streets_of(principal))
    return and_(street, col(IntegrationClient.deleted_at).is_(None))
