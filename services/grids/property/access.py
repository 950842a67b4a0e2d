"""Who may see and manage red property: the role aliases of the endpoints, what is open to a community
and what its staff manage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import ColumnElement

from services.grids import life
from services.grids.clients import CompoundFact
from shared.errors import ValidationFailed
from shared.security import Principal, allow

READERS = ("resident", "grid_worker", "party_member", "volunteer", "building_head", "community_staff", "street_admin")
Reader = Annotated[Principal, Depends(allow(*READERS, machine_scopes=("grids:read", "stats:read")))]
Manager = Annotated[Principal, Depends(allow("street_admin", "community_staff"))]


def scope(principal: Principal, table: Any) -> ColumnElement[bool]:
    """Red property is open to the community: its staff, the street, who lives or serves there."""
    return life.community_scope(principal, street=table.street_code, community=table.community_code)


def managed(principal: Principal, table: Any) -> ColumnElement[bool]:
    return life.manage_scope(principal, street=table.street_code, community=table.community_code)


def managed_compound(principal: Principal, compound: CompoundFact | None, field: str = "compound_id") -> CompoundFact:
    """A compound named in a request: one the residents service showed the caller, in a community they manage."""
    if compound is None or not principal.manages(compound.community_code):
        raise ValidationFailed.on(field, "no such compound in a community you manage")
    return compound
