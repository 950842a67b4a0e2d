"""Who may reveal a resident's personal data, and whose reveals an auditor reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import false, or_
from sqlmodel import col

from services.residents.models import Resident, RevealAudit
from shared.scope import any_of
from shared.security import Principal, allow

Revealer = Annotated[Principal, Depends(allow("community_staff", "grid_worker"))]
Auditor = Annotated[Principal, Depends(allow("street_admin", "community_staff"))]


def may_reveal(principal: Principal, resident: Resident) -> str | None:
    """The role under which the caller may reveal this resident's data, if any."""
    if resident.community_code in principal.places_of("community_staff"):
        return "community_staff"
    if resident.grid_code in principal.places_of("grid_worker"):
        return "grid_worker"
    return None


def audit_scope(principal: Principal) -> Any:
    """The reveals of the caller's communities (staff) or streets (admins)."""
    conditions = []
    if communities := principal.places_of("community_staff"):
        conditions.append(any_of(col(RevealAudit.community_code), communities))
    if streets := principal.places_of("street_admin"):
        conditions.append(any_of(col(RevealAudit.street_code), streets))
    return or_(*conditions) if conditions else false()
