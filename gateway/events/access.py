"""Who may bring events in (the services' relays, by signature) and see the set-aside ones (staff)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.events import SignedEvents
from shared.security import Principal, allow

Relay = Annotated[Principal, Depends(SignedEvents())]
Staff = Annotated[Principal, Depends(allow("street_admin", "community_staff"))]


def places_of(principal: Principal) -> dict[str, list[str]]:
    """The places whose set-aside events the caller oversees: street admins their streets, community
    staff their communities."""
    return {
        "streets": list(principal.places_of("street_admin")),
        "communities": list(principal.places_of("community_staff")),
    }
