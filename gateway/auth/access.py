"""Who may ask what of the gateway's own routes: the caller about themselves, staff about the accounts
of their places (the condition is in the SQL)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import exists, false, func, or_
from sqlmodel import col

from gateway.models import Account, AccountBinding
from shared.scope import any_of
from shared.security import ROLES, Principal, allow

Anyone = Annotated[Principal, Depends(allow(*ROLES, machine_scopes=("*",)))]
Manager = Annotated[Principal, Depends(allow("community_staff", "street_admin"))]


def manageable(principal: Principal) -> Any:
    """Accounts with a binding inside one of the caller's communities (staff) or streets (admins)."""
    place = col(AccountBinding.place_code)
    conditions = []
    if communities := principal.places_of("community_staff"):
        conditions.append(any_of(func.left(place, 12), communities))
    if streets := principal.places_of("street_admin"):
        conditions.append(any_of(func.left(place, 9), streets))
    return exists().where(
        col(AccountBinding.account_id) == col(Account.id), or_(*conditions) if conditions else false()
    )
