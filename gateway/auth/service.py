"""The login flows: password, SMS one-time code, WeChat mini-program, refresh, logout, and the
client-credentials grant of integration clients. Rules only; the endpoints are in ``auth.api``."""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway.auth import accounts, codes, guard, passwords
from gateway.auth.claims import claims_for
from gateway.auth.policy import check_password
from gateway.auth.tokens import IssuedPair, token_hash
from gateway.clients import INTERNAL_SCOPE
from gateway.context import GatewayContext
from gateway.models import Account, IntegrationClient, WechatBindTicket, WechatIdentity
from shared.errors import NotFound, ServiceUnavailable, Unauthorized, ValidationFailed
from shared.pii import is_mainland_mobile, mask_phone
from shared.security import Principal

BIND_TICKET_TTL = timedelta(minutes=10)
BAD_CREDENTIALS = "the username or password is wrong"


async def _find_account(session: AsyncSession, context: GatewayContext, login: str) -> Account | None:
    if is_mainland_mobile(login):
        index = context.pii.blind_index(login, field="phone")
        return await session.scalar(select(Account).where(col(Account.phone_index) == index))
    return await session.scalar(select(Account).where(col(Account.username) == login))


async def issue_pair(session: AsyncSession, context: GatewayContext, account: Account) -> IssuedPair:
    claims = await claims_for(session, context, account)
    access = context.issuer.access_token(str(account.id), claims)
    refresh = await context.issuer.start_family(session, account.id)
    return IssuedPair(access, refresh, context.issuer.access_ttl)


async def password_login(
    *, session: AsyncSession, context: GatewayContext, login: str, password: str, ip: str
) -> IssuedPair:
    """Guessing is bounded per identifier and address, per address, and slowed per identifier (whether or
    not it exists: ``auth.guard``); every failure answers the same 401, so the answer never tells whether an
    account exists."""
    failures = guard.PasswordGuard(context, login, ip)
    await failures.check_source()
    account = await _find_account(session, context, login)
    await failures.check_identifier(session, account)
    ok = await passwords.verify_password(account.password_hash if account else None, password)
    if not ok or account is None or not account.enabled:
        await failures.failed()
        raise Unauthorized(BAD_CREDENTIALS)
    await failures.succeeded(session, account)
    return await issue_pair(session, context, account)


async def send_sms_code(*, session: AsyncSession, context: GatewayContext, phone: str, ip: str) -> None:
    """202 whether or not the number may sign in. A code goes to a number with an account, or one the
    registry knows as a resident's (their first sign-in makes their account); any other number gets
    nothing, and its limits are not spent on a code never sent."""
    if not is_mainland_mobile(phone):
        raise ValidationFailed.on("phone", "not a mainland China mobile number")
    if context.sms is None:
        raise ServiceUnavailable("SMS sign-in is not configured")
    limits = context.settings
    await context.throttle.enforce(f"sms-ip:{ip}", limits.sms_per_ip, "too many codes requested from here")
    index = context.pii.blind_index(phone, field="phone")
    account = await session.scalar(select(col(Account.id)).where(col(Account.phone_index) == index))
    if account is None and await context.registry.resident(phone=phone) is None:
        return
    await context.throttle.enforce(f"sms-phone:{index.hex()[:32]}", limits.sms_per_phone, "wait before asking again")
    await context.throttle.enforce(
        f"sms-phone-day:{index.hex()[:32]}", limits.sms_per_phone_daily, "too many codes for this number today"
    )
    code = await codes.new_code(session, context, index)
    await context.sms.send_code(phone, code)


async def sms_login(
    *, session: AsyncSession, context: GatewayContext, phone: str, code: str, bind_ticket: str | None, ip: str
) -> IssuedPair:
    """Bounded by the code itself (five wrong tries spend it); never by failed password sign-ins, so that
    a slowed account has a way in, from an address its password sign-ins are then not slowed at."""
    if not is_mainland_mobile(phone):
        raise ValidationFailed.on("phone", "not a mainland China mobile number")
    index = context.pii.blind_index(phone, field="phone")
    await codes.consume_code(session, context, index, code)
    account = await session.scalar(select(Account).where(col(Account.phone_index) == index))
    if account is None:
        account = await _first_resident_sign_in(session, context, phone, index)
    if account is None or not account.enabled:
        raise Unauthorized(codes.WRONG_CODE)
    if bind_ticket:
        await _bind_wechat(session, bind_ticket, account)
    await guard.remember_source(session, context, account, guard.source_of(ip))
    return await issue_pair(session, context, account)


async def _first_resident_sign_in(
    session: AsyncSession, context: GatewayContext, phone: str, index: bytes
) -> Account | None:
    """The account of a resident the registry knows by this phone, made at their first sign-in (a
    concurrent first sign-in of the same number finds the one the other made)."""
    home = await context.registry.resident(phone=phone)
    if home is None:
        return None
    await session.execute(
        insert(Account)
        .values(
            id=uuid.uuid4(),
            display_name=home.get("name") or mask_phone(phone),
            phone_index=index,
            phone_encrypted=context.pii.encrypt(phone, field="phone"),
            resident_id=uuid.UUID(home["resident_id"]),
            household_id=uuid.UUID(home["household_id"]),
            grid_code=home["grid_code"],
            enabled=True,
            must_change_password=False,
            token_generation=0,
            created_by="resident-sign-in",
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["phone_index"])
    )
    account: Account | None = await session.scalar(select(Account).where(col(Account.phone_index) == index))
    return account


async def change_password(
    *, session: AsyncSession, context: GatewayContext, principal: Principal, current: str, new: str, ip: str
) -> None:
    """The caller's own password; wrong current passwords are counted like failed sign-ins."""
    account = await session.get(Account, principal.account_id, with_for_update=True) if principal.account_id else None
    if account is None or not account.enabled:
        raise Unauthorized("the account is disabled")
    wrong = guard.current_password_locks(context, account.id, ip)
    await wrong.check()
    if not await passwords.verify_password(account.password_hash, current):
        await wrong.failed()
        raise ValidationFailed.on("current_password", "the current password is wrong")
    await wrong.succeeded()
    if hmac.compare_digest(current.encode(), new.encode()):
        raise ValidationFailed.on("new_password", "choose a password other than the current one")
    check_password(new, username=account.username, phone=accounts.phone_of(context, account))
    await accounts.set_password(session, context, account, await passwords.hash_in_thread(new), must_change=False)


async def reset_forgotten_password(
    *, session: AsyncSession, context: GatewayContext, phone: str, code: str, new: str, ip: str
) -> None:
    """A forgotten password (or an invite's first one), set with the SMS code sent to the account's phone.
    Its own counters (per number and address, per address), never those of password sign-ins; the code
    itself is spent by five wrong tries. Setting it forgets the account's failed sign-ins."""
    if not is_mainland_mobile(phone):
        raise ValidationFailed.on("phone", "not a mainland China mobile number")
    failures = guard.locks(context, "reset", phone, ip, ip_kind="reset")
    await failures.check()
    index = context.pii.blind_index(phone, field="phone")
    account = await session.scalar(select(Account).where(col(Account.phone_index) == index).with_for_update())
    if account is None or not account.enabled:
        await failures.failed()
        raise Unauthorized(codes.WRONG_CODE)
    check_password(new, username=account.username, phone=phone)
    try:
        await codes.consume_code(session, context, index, code)
    except Unauthorized:
        await failures.failed()
        raise
    await failures.succeeded()
    await accounts.set_password(session, context, account, await passwords.hash_in_thread(new), must_change=False)
    await guard.clear(session, context, account.id, [account.username, phone])


async def _bind_wechat(session: AsyncSession, ticket: str, account: Account) -> None:
    row = await session.get(WechatBindTicket, token_hash(ticket))
    if row is None or row.expires_at <= datetime.now(UTC):
        raise ValidationFailed.on("bind_ticket", "the WeChat bind ticket is unknown or has expired")
    existing = await session.get(WechatIdentity, row.openid)
    if existing is None:
        session.add(WechatIdentity(openid=row.openid, unionid=row.unionid, account_id=account.id))
    else:
        existing.account_id = account.id
    await session.delete(row)
    await session.flush()


async def wechat_login(*, session: AsyncSession, context: GatewayContext, code: str) -> IssuedPair:
    """Tokens for a bound openid; otherwise 404 with a ``bind_ticket`` that an SMS sign-in binds."""
    if context.wechat is None:
        raise ServiceUnavailable("WeChat sign-in is not configured")
    wx = await context.wechat.code_to_session(code)
    identity = await session.get(WechatIdentity, wx.openid)
    account = await session.get(Account, identity.account_id) if identity else None
    if account is None or not account.enabled:
        ticket = secrets.token_urlsafe(24)
        # Kept on its own connection: this request answers 404, which rolls its transaction back.
        await context.pool.execute(
            "INSERT INTO wechat_bind_ticket (ticket_hash, openid, unionid, expires_at) VALUES ($1, $2, $3, $4)",
            token_hash(ticket),
            wx.openid,
            wx.unionid,
            datetime.now(UTC) + BIND_TICKET_TTL,
        )
        raise NotFound(
            "no resident is bound to this WeChat user yet: sign in by SMS with this bind_ticket to bind it",
            extra={"bind_ticket": ticket},
        )
    return await issue_pair(session, context, account)


async def refresh(*, session: AsyncSession, context: GatewayContext, refresh_token: str) -> IssuedPair:
    account_id, successor = await context.issuer.rotate(session, context.pool, refresh_token)
    account = await session.get(Account, account_id)
    if account is None or not account.enabled:
        raise Unauthorized("the account is disabled")
    claims = await claims_for(session, context, account)
    return IssuedPair(context.issuer.access_token(str(account.id), claims), successor, context.issuer.access_ttl)


async def logout(*, session: AsyncSession, context: GatewayContext, refresh_token: str) -> None:
    await context.issuer.revoke_family_of(session, refresh_token)


async def client_credentials(
    *, session: AsyncSession, context: GatewayContext, client_id: str, client_secret: str, scope: str | None, ip: str
) -> tuple[str, list[str]]:
    # Client secrets are random (256 bits): nothing to slow per client, only per client and address.
    failures = guard.locks(context, "client", client_id, ip)
    await failures.check()
    from gateway.integrations import service as integrations  # the client's own rules: rotation, deletion

    client: IntegrationClient | None = await integrations.authenticate(
        session=session, client_id=client_id, client_secret=client_secret
    )
    if client is None:
        await failures.failed()
        raise Unauthorized("invalid client credentials", extra={"error": "invalid_client"})
    await failures.succeeded()
    # The internal scope is the gateway's own, towards the services: never a client's.
    allowed = [s for s in client.scopes.split() if s != INTERNAL_SCOPE]
    wanted = scope.split() if scope else allowed
    if not set(wanted) <= set(allowed):
        raise ValidationFailed.on(
            "scope", "the client may not ask for: " + " ".join(sorted(set(wanted) - set(allowed)))
        )
    return context.issuer.machine_token(client.client_id, client.street_code, wanted), wanted
