"""Who may see and change the roster: the role aliases of the endpoints, the members and the party
organisations in the caller's scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import String, Uuid, and_, any_, bindparam, exists, false, or_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col

from services.grids import life
from services.grids.models import MEMBER_ROLES, Binding, Member, PartyOrg
from shared.places import community_of, county_of, street_of
from shared.scope import any_of, scope_clause, scope_values
from shared.security import Principal, allow

ROSTER_ROLES = MEMBER_ROLES
Viewer = Annotated[Principal, Depends(allow("street_admin", "community_staff", "grid_worker"))]
Anyone = Annotated[Principal, Depends(allow(*ROSTER_ROLES))]
Manager = Annotated[Principal, Depends(allow("street_admin", "community_staff"))]
PartyMember = Annotated[Principal, Depends(allow("party_member"))]
Gateway = Annotated[Principal, Depends(allow(machine_scopes=("internal",)))]


# The parts of the members a caller sees (``member_shape``): "street" and "community" (admins and staff),
# "grids" (members bound to the caller's grids) and "self" (the caller's own entry).
MemberScope = tuple[str, ...]


def member_shape(principal: Principal) -> tuple[MemberScope, dict[str, Any]]:
    """Which parts of ``member_clause`` apply to the caller, and the values that fill them."""
    shape, kept, values = life.area_shape(principal)
    if "scope_grids" in values:
        shape.append("grids")
        kept["scope_grids"] = values["scope_grids"]
    if (account_id := principal.account_id) is not None:
        shape.append("self")
        kept["account_id"] = account_id
    return tuple(shape), kept


def member_clause(shape: MemberScope, values: dict[str, Any] | None = None) -> Any:
    """Members in the caller's streets or communities, members bound to the caller's grids, and oneself.
    Without ``values``, with named parameters (``scope_streets`` ..., ``account_id``) for a prepared
    statement; with them, bound."""
    conditions: list[Any] = []
    if areas := tuple(part for part in shape if part in life.AREAS):
        conditions.append(
            scope_clause(
                areas, street=col(Member.street_code), community=col(Member.community_code), grid=None, values=values
            )
        )
    if "grids" in shape:
        grids = (
            col(Binding.grid_code) == any_(bindparam("scope_grids", type_=ARRAY(String)))
            if values is None
            else any_of(col(Binding.grid_code), values["scope_grids"])
        )
        conditions.append(exists().where(col(Binding.member_id) == col(Member.id), grids))
    if "self" in shape:
        account = bindparam("account_id", type_=Uuid()) if values is None else values["account_id"]
        conditions.append(col(Member.account_id) == account)
    return or_(*conditions) if conditions else false()


def member_scope(principal: Principal) -> Any:
    """``member_clause`` for the caller, values bound."""
    shape, values = member_shape(principal)
    return member_clause(shape, values)


def org_scope(principal: Principal) -> Any:
    """Organisations of the caller's communities (and, for street admins, the street's), with the
    committees above them, whose names are no secret to those below."""
    parts, values = scope_values(principal)
    streets = set(values.get("scope_streets", ()))
    communities = set(values.get("scope_communities", ()))
    communities |= {community_of(code) for code in values.get("scope_grids", ())}
    all_streets = streets | {street_of(code) for code in communities}
    counties = {county_of(code) for code in all_streets}
    return or_(
        any_of(col(PartyOrg.community_code), sorted(communities)),
        any_of(col(PartyOrg.street_code), sorted(streets)),
        and_(col(PartyOrg.community_code).is_(None), any_of(col(PartyOrg.street_code), sorted(all_streets))),
        and_(col(PartyOrg.level) == "county_committee", any_of(col(PartyOrg.place_code), sorted(counties))),
    )
