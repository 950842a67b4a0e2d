"""Account administration: community staff and street admins create, list, change, disable and reset the
accounts of their places; every act is audited (``gateway.audit``). Phones are kept encrypted with a
blind index and answered masked."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway import audit
from gateway.auth import guard, passwords
from gateway.auth.access import home_place_for, manageable
from gateway.auth.codes import new_code
from gateway.auth.policy import check_password
from gateway.auth.schemas import AccountCreate, AccountCreated, AccountPublic, AccountUpdate
from gateway.context import GatewayContext
from gateway.models import Account, AccountBinding, SmsCode
from shared.errors import Conflict, NotFound, ServiceUnavailable, TooManyRequests, ValidationFailed
from shared.pagination import by_name_and_id, page_of
from shared.pii import is_mainland_mobile, mask_phone
from shared.security import Principal

PHONE_FIELD = "phone"
INVITE_TTL = timedelta(hours=24)
# Temporary passwords: 12 characters without look-alikes (0/O, 1/l/I), about 70 bits.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


async def _load(session: AsyncSession, principal: Principal, account_id: uuid.UUID, *, lock: bool = False) -> Account:
    statement = select(Account).where(col(Account.id) == account_id, manageable(principal))
    account = await session.scalar(statement.with_for_update(of=Account) if lock else statement)
    if account is None:
        raise NotFound("no such account in your places")
    return account


def phone_of(context: GatewayContext, account: Account) -> str | None:
    return context.pii.decrypt(account.phone_encrypted, field=PHONE_FIELD) if account.phone_encrypted else None


async def public(session: AsyncSession, context: GatewayContext, account: Account) -> AccountPublic:
    bindings = (await session.scalars(select(AccountBinding).where(col(AccountBinding.account_id) == account.id))).all()
    return _public_of(context, account, bindings)


def _public_of(context: GatewayContext, account: Account, bindings: Any) -> AccountPublic:
    roles: dict[str, list[str]] = {}
    for binding in bindings:
        roles.setdefault(binding.role, []).append(binding.place_code)
    phone = phone_of(context, account)
    return AccountPublic(
        id=account.id,
        username=account.username,
        phone=mask_phone(phone) if phone else None,
        display_name=account.display_name,
        enabled=account.enabled,
        roles={role: sorted(c for c in codes if c) for role, codes in roles.items()},
        must_change_password=account.must_change_password,
        home_place=account.home_place,
        created_at=account.created_at,
    )


def _place_of(account: Account, principal: Principal) -> str:
    """The place an audit row about the account is filed under."""
    if account.home_place:
        return account.home_place
    places = [*principal.places_of("community_staff"), *principal.places_of("street_admin")]
    return places[0]


async def _audit(
    session: AsyncSession, principal: Principal, action: str, account: Account, changed: list[str] | None = None
) -> None:
    place = _place_of(account, principal)
    await audit.record(
        session,
        principal=principal,
        action=action,
        target_type="account",
        target_id=str(account.id),
        place_code=place,
        changed=changed or (),
    )


async def get(*, session: AsyncSession, principal: Principal, account_id: uuid.UUID) -> Account:
    return await _load(session, principal, account_id)


async def list_accounts(
    *,
    session: AsyncSession,
    context: GatewayContext,
    principal: Principal,
    q: str | None,
    role: str | None,
    enabled: bool | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[AccountPublic], str | None]:
    """A page of the accounts of the caller's places, by display name."""
    statement = select(Account).where(manageable(principal))
    if q:
        name, username = col(Account.display_name), col(Account.username)
        statement = statement.where(or_(name.contains(q, autoescape=True), username.contains(q, autoescape=True)))
    if role is not None:
        statement = statement.where(
            exists().where(col(AccountBinding.account_id) == col(Account.id), col(AccountBinding.role) == role)
        )
    if enabled is not None:
        statement = statement.where(col(Account.enabled) == enabled)
    statement = by_name_and_id(statement, col(Account.display_name), col(Account.id), cursor=cursor, limit=limit)
    items, next_cursor = page_of((await session.scalars(statement)).all(), limit, lambda a: (a.display_name, a.id))
    bindings = (
        await session.scalars(select(AccountBinding).where(col(AccountBinding.account_id).in_([a.id for a in items])))
    ).all()
    by_account: dict[uuid.UUID, list[AccountBinding]] = {}
    for binding in bindings:
        by_account.setdefault(binding.account_id, []).append(binding)
    return [_public_of(context, a, by_account.get(a.id, [])) for a in items], next_cursor


async def _check_free(
    session: AsyncSession, context: GatewayContext, *, username: str | None, phone: str | None, own: uuid.UUID | None
) -> bytes | None:
    """409 naming the field when the username or phone belongs to another account; the phone's index."""
    if username is not None:
        holder = await session.scalar(select(col(Account.id)).where(col(Account.username) == username))
        if holder is not None and holder != own:
            raise Conflict.on("username", "the username is taken")
    if phone is None:
        return None
    if not is_mainland_mobile(phone):
        raise ValidationFailed.on("phone", "not a mainland China mobile number")
    index = context.pii.blind_index(phone, field=PHONE_FIELD)
    holder = await session.scalar(select(col(Account.id)).where(col(Account.phone_index) == index))
    if holder is not None and holder != own:
        raise Conflict.on("phone", "another account has this phone number")
    return index


async def create(
    *, session: AsyncSession, context: GatewayContext, principal: Principal, account_in: AccountCreate
) -> AccountCreated:
    """With a password: the person must change it at first sign-in. Without: an SMS code goes to the phone
    (valid 24 hours) and they set a password with it; the account exists even when the SMS fails."""
    place = home_place_for(principal, account_in.place_code)
    if account_in.username is not None and is_mainland_mobile(account_in.username):
        raise ValidationFailed.on("username", "a username is not a phone number")
    index = await _check_free(session, context, username=account_in.username, phone=account_in.phone, own=None)
    password_hash = None
    if account_in.password is not None:
        check_password(account_in.password, username=account_in.username, phone=account_in.phone, field="password")
        password_hash = await passwords.hash_in_thread(account_in.password)
    account = Account(
        username=account_in.username,
        display_name=account_in.display_name,
        phone_index=index,
        phone_encrypted=context.pii.encrypt(account_in.phone, field=PHONE_FIELD),
        password_hash=password_hash,
        must_change_password=password_hash is not None,
        home_place=place,
        created_by=principal.sub,
    )
    session.add(account)
    await session.flush()
    await _audit(session, principal, "account.created", account)
    invite = None if password_hash is not None else await _invite(session, context, account_in.phone, index)
    created = _public_of(context, account, [])
    return AccountCreated(**created.model_dump(), invite=invite)


async def _invite(session: AsyncSession, context: GatewayContext, phone: str, index: bytes | None) -> str:
    """An SMS code to set the first password with; 'failed' (not an error) when it cannot be sent."""
    if context.sms is None or index is None:
        return "failed"
    code = await new_code(session, context, index, ttl=INVITE_TTL)
    try:
        await context.sms.send_code(phone, code)
    except (ServiceUnavailable, TooManyRequests):
        return "failed"
    return "sent"


async def update(
    *,
    session: AsyncSession,
    context: GatewayContext,
    principal: Principal,
    account_id: uuid.UUID,
    changes: AccountUpdate,
) -> Account:
    account = await _load(session, principal, account_id, lock=True)
    values = changes.model_dump(exclude_unset=True)
    for name in ("display_name", "phone"):
        if name in values and values[name] is None:
            raise ValidationFailed.on(name, "cannot be cleared")
    username, phone = values.get("username"), values.get("phone")
    if username is not None and is_mainland_mobile(username):
        raise ValidationFailed.on("username", "a username is not a phone number")
    index = await _check_free(session, context, username=username, phone=phone, own=account.id)
    changed = []
    if "username" in values and username != account.username:
        account.username = username
        changed.append("username")
    if "display_name" in values and values["display_name"] != account.display_name:
        account.display_name = values["display_name"]
        changed.append("display_name")
    if phone is not None and index != account.phone_index:
        account.phone_index = index
        account.phone_encrypted = context.pii.encrypt(phone, field=PHONE_FIELD)
        changed.append("phone")
    if changed:
        await session.flush()
        await _audit(session, principal, "account.changed", account, changed)
    return account


async def set_enabled(
    *, session: AsyncSession, context: GatewayContext, principal: Principal, account_id: uuid.UUID, enabled: bool
) -> Account:
    account = await _load(session, principal, account_id, lock=True)
    if account.id == principal.account_id:
        raise Conflict("you cannot disable or enable your own account")
    if account.enabled != enabled:
        account.enabled = enabled
        account.disabled_at = None if enabled else datetime.now(UTC)
        await session.flush()
        await _audit(session, principal, "account.enabled" if enabled else "account.disabled", account)
    # This replica stops the account's tokens at once; the others reload within a second.
    if enabled:
        context.disabled.discard(str(account.id))
    else:
        context.disabled.add(str(account.id))
    return account


async def set_password(
    session: AsyncSession, context: GatewayContext, account: Account, password_hash: str, *, must_change: bool
) -> None:
    """A new password: every refresh family of the account is revoked, and its access tokens stop (the
    token generation rises: at once at this gateway, within a second at the others, within a minute at
    the services)."""
    now = datetime.now(UTC)
    account.password_hash = password_hash
    account.must_change_password = must_change
    account.password_changed_at = now
    account.token_generation += 1
    account.generation_changed_at = now
    await context.issuer.revoke_account(session, account.id)
    # Codes sent before (an invite, a reset) no longer set a password.
    pending = await session.scalars(
        select(SmsCode).where(col(SmsCode.phone_index) == account.phone_index, col(SmsCode.consumed_at).is_(None))
    )
    for code in pending:
        code.consumed_at = now
    await session.flush()
    context.disabled.raise_generation(str(account.id), account.token_generation)


async def reset_password(
    *, session: AsyncSession, context: GatewayContext, principal: Principal, account_id: uuid.UUID
) -> str:
    """A temporary password, shown once; the person must change it at their next sign-in."""
    account = await _load(session, principal, account_id, lock=True)
    if account.id == principal.account_id:
        raise Conflict("change your own password with POST /api/v1/me/password")
    temporary = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    await set_password(session, context, account, await passwords.hash_in_thread(temporary), must_change=True)
    await _audit(session, principal, "account.password_reset", account)
    return temporary


async def clear_sign_in_failures(
    *, session: AsyncSession, context: GatewayContext, principal: Principal, account_id: uuid.UUID
) -> None:
    """Forget the account's failed sign-ins (a slowed username, a locked address's tries at it): its next
    right password signs in at once, from anywhere."""
    account = await _load(session, principal, account_id)
    await guard.clear(session, context, account.id, [account.username, phone_of(context, account)])
    await _audit(session, principal, "account.sign_in_failures_cleared", account)
