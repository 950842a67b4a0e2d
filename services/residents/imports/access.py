"""Who may import a register (the community's staff, into their community) and export one."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.errors import Forbidden
from shared.security import Principal, allow

Staff = Annotated[Principal, Depends(allow("community_staff"))]
Registrar = Annotated[Principal, Depends(allow("community_staff", "grid_worker"))]


def community_for(principal: Principal, community_code: str | None) -> str:
    """The one community an import goes into: the staff member's own (named when they have several)."""
    communities = principal.places_of("community_staff")
    if community_code is None and len(communities) == 1:
        return communities[0]
    if community_code is None or community_code not in communities:
        raise Forbidden("imports go into a community you are staff of (name it with community_code)")
    return community_code
