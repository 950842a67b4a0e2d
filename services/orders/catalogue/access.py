"""Who may read the case classes and the working calendar, who may set a street's own limits and days, and
which street a call is about: the caller's, or the one they name among theirs."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends

from shared.errors import NotFound, ValidationFailed
from shared.places import street_of
from shared.security import Principal, allow

# Everyone who works cases: staff, grid workers, departments (职能部门), party members, volunteers; street
# systems with orders:read, and the 12345 hotline's client.
READERS = ("grid_worker", "community_staff", "street_admin", "department", "party_member", "volunteer")
Reader = Annotated[Principal, Depends(allow(*READERS, machine_scopes=("orders:read", "hotline")))]
StreetAdmin = Annotated[Principal, Depends(allow("street_admin"))]

# A department's code is its street's code, D and two digits (services/orders/models.py, Department).
_DEPARTMENT = re.compile(r"^(\d{9})D\d{2}$")


def readable_streets(principal: Principal) -> list[str]:
    """The streets whose classes and calendar the caller reads: those they work in."""
    if principal.machine:
        return [principal.street_code] if principal.street_code else []
    streets = list(principal.places_of("street_admin"))
    for role in ("community_staff", "grid_worker", "party_member", "volunteer"):
        streets += [street_of(code) for code in principal.places_of(role)]
    streets += [found.group(1) for code in principal.places_of("department") if (found := _DEPARTMENT.match(code))]
    return list(dict.fromkeys(streets))


def street_for(principal: Principal, street_code: str | None, *, keep: bool = False) -> str:
    """The street a call is about: ``street_code`` when it is one of the caller's (404 when not), else the
    caller's only one (422 naming ``street_code`` when they have none or several). ``keep``: among the streets
    the caller administers, not those they read."""
    streets = list(principal.places_of("street_admin")) if keep else readable_streets(principal)
    if street_code is not None:
        if street_code not in streets:
            raise NotFound(f"no street {street_code} in your scope")
        return street_code
    if len(streets) == 1:
        return streets[0]
    if not streets:
        raise ValidationFailed.on("street_code", "you work in no street: say which")
    raise ValidationFailed.on("street_code", "you work in several streets: say which")
