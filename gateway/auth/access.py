"""Who may ask what of the gateway's own routes: the caller about themselves, staff about the accounts
of their places, street admins about their street's audit (the conditions are in the SQL)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import exists, false, func, or_
from sqlmodel import col

from gateway.models import Account, AccountBinding, AdminAudit
from shared.errors import Forbidden, ValidationFailed
from shared.places import COMMUNITY_LENGTH, STREET_LENGTH, street_of
from shared.scope import any_of
from shared.security import ANY_USER, Principal, allow

# Any signed-in person or client; the caller's own account works even while its password must change.
Anyone = Annotated[Principal, Depends(allow(ANY_USER, machine_scopes=("*",), password_change_ok=True))]
Myself = Annotated[Principal, Depends(allow(ANY_USER, password_change_ok=True))]
Manager = Annotated[Principal, Depends(allow("community_staff", "street_admin"))]
StreetAdmin = Annotated[Principal, Depends(allow("street_admin"))]


def manageable(principal: Principal) -> Any:
    """Accounts of the caller's communities (staff) or streets (admins): bound there on the roster (as
    the last token issued showed), or created there and not bound yet."""
    place, home = col(AccountBinding.place_code), col(Account.home_place)
    bound, created = [], []
    if communities := principal.places_of("community_staff"):
        bound.append(any_of(func.left(place, COMMUNITY_LENGTH), communities))
        created.append(any_of(home, communities))
    if streets := principal.places_of("street_admin"):
        bound.append(any_of(func.left(place, STREET_LENGTH), streets))
        created.append(any_of(func.left(home, STREET_LENGTH), streets))
    if not bound:
        return false()
    return or_(
        exists().where(col(AccountBinding.account_id) == col(Account.id), or_(*bound)),
        *created,
    )


def home_place_for(principal: Principal, place_code: str | None) -> str:
    """Where a new account belongs: the place named (one the caller runs), else the caller's only place."""
    if place_code is not None:
        if len(place_code) not in (STREET_LENGTH, COMMUNITY_LENGTH):
            raise ValidationFailed.on("place_code", "a 12-digit community or 9-digit street code")
        if len(place_code) == STREET_LENGTH and place_code not in principal.places_of("street_admin"):
            raise Forbidden("only a street's admins create accounts of the street itself")
        if not principal.manages(place_code):
            raise Forbidden("you may create accounts only in your own community or street")
        return place_code
    places = [*principal.places_of("community_staff"), *principal.places_of("street_admin")]
    if len(places) != 1:
        raise ValidationFailed.on("place_code", "you run several places: name the community or street")
    return places[0]


def audit_scope(principal: Principal) -> Any:
    """The audit rows of the caller's streets."""
    return any_of(col(AdminAudit.street_code), sorted({street_of(c) for c in principal.places_of("street_admin")}))
