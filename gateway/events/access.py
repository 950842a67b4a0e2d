"""Who may see and replay the set-aside events (staff); the relays' door is ``shared.events.inbox_router``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.security import Principal, allow

Staff = Annotated[Principal, Depends(allow("street_admin", "community_staff"))]


def places_of(principal: Principal) -> dict[str, list[str]]:
    """The places whose set-aside events the caller oversees: street admins their streets, community
    staff their communities."""
    return {
        "streets": list(principal.places_of("street_admin")),
        "communities": list(principal.places_of("community_staff")),
    }
