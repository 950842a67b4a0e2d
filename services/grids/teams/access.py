"""Who may see and run volunteer teams: the role aliases of the endpoints and the teams in the caller's
scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy import ColumnElement
from sqlmodel import col

from services.grids import life
from services.grids.models import VolunteerTeam
from shared.security import Principal, allow

ROSTER = ("grid_worker", "party_member", "volunteer", "building_head", "community_staff", "street_admin")
Reader = Annotated[Principal, Depends(allow("resident", *ROSTER, machine_scopes=("grids:read", "stats:read")))]
RosterReader = Annotated[Principal, Depends(allow(*ROSTER))]
Manager = Annotated[Principal, Depends(allow("street_admin", "community_staff"))]


def scope(principal: Principal) -> ColumnElement[bool]:
    return life.community_scope(
        principal, street=col(VolunteerTeam.street_code), community=col(VolunteerTeam.community_code)
    )
