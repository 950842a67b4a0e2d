"""Who may read and keep a street's departments (职能部门), and who blows the whistle and answers it
(吹哨报到): the role aliases of the routes and the streets a caller's departments lie in.

- Departments are read by the people of the street (street admins, community staff, grid workers, the
  departments' own accounts) and by its systems (``orders:read``, ``hotline``); only its admins keep them.
- A case's calls are read by whoever sees the case (``orders.access.visible``); staff or the street's admins
  who manage the case (``is_managed``) call departments to it; only an account of the department called
  signs for the call and reports (``orders.access.called``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.orders.orders.access import READ_SCOPES, Reader
from shared.places import street_of
from shared.security import Principal, allow

Viewer = Annotated[
    Principal,
    Depends(
        allow(
            "street_admin",
            "community_staff",
            "grid_worker",
            "department",
            machine_scopes=(*READ_SCOPES, "hotline"),
        )
    ),
]
Keeper = Annotated[Principal, Depends(allow("street_admin"))]
# 吹哨: staff and street admins, of the cases they manage.
Whistler = Annotated[Principal, Depends(allow("community_staff", "street_admin"))]
# 签到, 报到: a department's accounts.
Called = Annotated[Principal, Depends(allow("department"))]
CallReader = Reader

PLACE_ROLES = ("street_admin", "community_staff", "grid_worker", "department")


def streets_of(principal: Principal) -> list[str]:
    """The streets whose departments the caller reads: where they are bound (a machine client: its street)."""
    if principal.machine:
        return [principal.street_code] if principal.street_code else []
    streets = [street_of(code) for role in PLACE_ROLES for code in principal.places_of(role)]
    return list(dict.fromkeys(streets))


def kept_streets(principal: Principal) -> tuple[str, ...]:
    """The streets whose departments the caller keeps (registers, renames, deactivates)."""
    return principal.places_of("street_admin")
