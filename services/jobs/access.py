"""Who the caller is to the jobs service, and the parts of WHERE clauses that bound what they see.

- residents: themselves (``resident_id`` of the token) and what is published;
- community staff: their communities; street admins and integration clients: their street;
- grid workers: the seekers of their grids (they help residents as staff do);
- employer accounts: the employer their account belongs to (``employer_account``), found by the
  token's ``sub`` inside the statement.

A row outside the caller's scope is not found, so it answers 404 like a row that does not exist.

This module holds what every concept uses: the role aliases of the routes (one access policy a route)
and the scope conditions. A concept's own aliases are in its package's ``access.py``
(``employers/``, ``postings/``, ``seekers/``, ``applications/``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement, Select, String, any_, bindparam, false, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.jobs.models import EmployerAccount
from shared.errors import Forbidden
from shared.scope import any_of
from shared.security import Principal, allow

# Everyone signed in as a person: what is published (postings, fairs, trainings) is public to them.
PEOPLE = ("resident", "grid_worker", "party_member", "community_staff", "street_admin", "employer")
READ_SCOPES = ("jobs:read",)

Reader = Annotated[Principal, Depends(allow(*PEOPLE, machine_scopes=READ_SCOPES))]
Manager = Annotated[Principal, Depends(allow("community_staff", "street_admin"))]
ManagerOrEmployer = Annotated[Principal, Depends(allow("community_staff", "street_admin", "employer"))]
ResidentOrHelper = Annotated[Principal, Depends(allow("resident", "community_staff", "grid_worker", "street_admin"))]
Resident = Annotated[Principal, Depends(allow("resident"))]


def own_resident(principal: Principal) -> uuid.UUID | None:
    """The resident the caller is, when they sign in as one."""
    if principal.machine or not principal.has_role("resident") or not principal.resident_id:
        return None
    try:
        return uuid.UUID(principal.resident_id)
    except ValueError:
        return None


def own_employers(principal: Principal) -> Select[Any] | None:
    """The employer ids of an employer account, as a subquery (None for anyone else)."""
    account = principal.account_id
    if account is None or not principal.has_role("employer"):
        return None
    return select(col(EmployerAccount.employer_id)).where(col(EmployerAccount.account_id) == account)


async def employer_ids(session: AsyncSession, principal: Principal) -> set[uuid.UUID]:
    subquery = own_employers(principal)
    if subquery is None:
        return set()
    return set((await session.scalars(subquery)).all())


def area(principal: Principal, *, community: Any, street: Any) -> list[ColumnElement[bool]]:
    """Rows in the caller's communities (staff) and streets (street admins, integration clients)."""
    if principal.machine:
        return [street == principal.street_code] if principal.street_code else []
    conditions: list[ColumnElement[bool]] = []
    if streets := principal.places_of("street_admin"):
        conditions.append(any_of(street, streets))
    if communities := principal.places_of("community_staff"):
        conditions.append(any_of(community, communities))
    return conditions


def any_param(name: str) -> Any:
    """``ANY(:name)`` over a text array filled at each call (prepared statements of the fast lane)."""
    return any_(bindparam(name, type_=ARRAY(String())))


def any_condition(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return or_(*conditions) if conditions else false()


def require_manager(principal: Principal, community_code: str, what: str) -> None:
    if not principal.manages(community_code):
        raise Forbidden(f"only the community's staff or the street's admins may {what}")
