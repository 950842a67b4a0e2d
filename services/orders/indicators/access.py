"""Who reads the case indicators and the bulletin, and which cases they count (docs/DOMAIN.md
"Indicators and the monthly bulletin"), as SQL conditions:

- community staff: the cases of their community; street admins: of their street;
- departments (职能部门, role ``department``): the cases dispatched to them;
- integration clients with ``orders:read`` or ``stats:read``: the cases of their street.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy import ColumnElement, false, or_
from sqlmodel import col

from services.orders.models import ServiceOrder
from shared.scope import any_of, area_conditions
from shared.security import Principal, allow

Reader = Annotated[
    Principal,
    Depends(allow("community_staff", "street_admin", "department", machine_scopes=("orders:read", "stats:read"))),
]


def counted(principal: Principal) -> ColumnElement[bool]:
    """The cases the caller's figures are made of."""
    conditions, _ = area_conditions(
        principal, street=col(ServiceOrder.street_code), community=col(ServiceOrder.community_code)
    )
    if not principal.machine and (departments := principal.places_of("department")):
        conditions.append(any_of(col(ServiceOrder.department_code), departments))
    return or_(*conditions) if conditions else false()
