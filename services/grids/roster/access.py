"""Who may see and change the roster: the role aliases of the endpoints, the members and the party
organisations in the caller's scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import and_, exists, false, or_
from sqlmodel import col

from services.grids.models import Binding, Member, PartyOrg
from shared.places import community_of, county_of, street_of
from shared.scope import any_of, area_conditions, scope_values
from shared.security import Principal, allow

ROSTER_ROLES = (
    "street_admin",
    "community_staff",
    "grid_worker",
    "party_member",
    "volunteer",
    "building_head",
    "employer",
)
Viewer = Annotated[Principal, Depends(allow("street_admin", "community_staff", "grid_worker"))]
Anyone = Annotated[Principal, Depends(allow(*ROSTER_ROLES))]
Manager = Annotated[Principal, Depends(allow("street_admin", "community_staff"))]
PartyMember = Annotated[Principal, Depends(allow("party_member"))]
Gateway = Annotated[Principal, Depends(allow(machine_scopes=("internal",)))]


def member_scope(principal: Principal) -> Any:
    """Members in the caller's streets or communities, members bound to the caller's grids, and oneself."""
    conditions, values = area_conditions(
        principal, street=col(Member.street_code), community=col(Member.community_code)
    )
    if "scope_grids" in values:
        conditions.append(
            exists().where(
                col(Binding.member_id) == col(Member.id), any_of(col(Binding.grid_code), values["scope_grids"])
            )
        )
    if (account_id := principal.account_id) is not None:
        conditions.append(col(Member.account_id) == account_id)
    return or_(*conditions) if conditions else false()


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
