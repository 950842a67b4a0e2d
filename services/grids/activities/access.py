"""Who may see, run and join activities: the role aliases of the endpoints and the activities in the
caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy import ColumnElement
from sqlmodel import col

from services.grids import life
from services.grids.models import Activity
from shared.security import Principal, allow

PEOPLE = ("resident", "grid_worker", "party_member", "volunteer", "building_head")
READERS = (*PEOPLE, "community_staff", "street_admin")
Reader = Annotated[Principal, Depends(allow(*READERS, machine_scopes=("grids:read", "stats:read")))]
Manager = Annotated[Principal, Depends(allow("street_admin", "community_staff"))]
Signer = Annotated[Principal, Depends(allow(*PEOPLE, "community_staff"))]
Attendee = Annotated[Principal, Depends(allow(*PEOPLE))]
# Who may sign up a resident in their name (代报名): the community's staff and the grid's worker.
PROXIES = ("community_staff", "grid_worker")


def scope(principal: Principal) -> ColumnElement[bool]:
    return life.community_scope(principal, street=col(Activity.street_code), community=col(Activity.community_code))


def manage(principal: Principal) -> ColumnElement[bool]:
    return life.manage_scope(principal, street=col(Activity.street_code), community=col(Activity.community_code))
