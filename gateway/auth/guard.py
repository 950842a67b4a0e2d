"""Failed sign-ins, counted so that guessing is slow and nobody can lock anybody else out
(docs/services/gateway.md, "Brute force"):

1. per identifier and address: a few failures, then 429 for that pair only, until the window ends;
2. per address, whatever the identifier: as many more, then 429 for that address;
3. per identifier from everywhere: never a lock. Past a number of failures each further attempt waits a
   delay that doubles with every failure (1, 2, 4 ... seconds, at most a cap), answered 429 with that
   ``Retry-After`` (the server never sleeps). Addresses the account has signed in from before are not
   slowed, so a guesser elsewhere does not slow the person at their usual place.

SMS sign-in and the forgotten-password reset consult none of these: a slowed person always has a way in.
Identifiers and addresses are kept as keyed hashes, never in clear. IPv6 addresses count per /64 (the
block one subscriber gets)."""

from __future__ import annotations

import ipaddress
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from gateway.auth.throttle import Throttle
from gateway.context import GatewayContext
from gateway.models import Account, SignInSource
from gateway.models import Throttle as Counter
from shared.errors import TooManyRequests

PAIR_LIMITED = "too many failed sign-ins with this username from this address: try again later"
SOURCE_LIMITED = "too many failed sign-ins from this address: try again later"
_NOBODY = uuid.UUID(int=0)
SLOWED = "this username is being guessed: try again after Retry-After seconds, or sign in with an SMS code"


def source_of(ip: str) -> str:
    """The address a client is counted by: IPv4 as it is, IPv6 by its /64."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def digest(context: GatewayContext, value: str) -> str:
    """A keyed hash of an identifier or address (case and surrounding spaces ignored), for a counter's key."""
    return context.pii.blind_index(value, field="sign-in").hex()[:32]


class Locks:
    """Fixed windows: any over its limit answers 429 before the credentials are checked; a success
    forgets the ``cleared`` ones (not those of the address, which a success elsewhere must not reset)."""

    def __init__(
        self, throttle: Throttle, limits: list[tuple[str, tuple[int, int], str]], cleared: tuple[str, ...]
    ) -> None:
        self.throttle = throttle
        self.limits = limits
        self.cleared = cleared

    async def check(self) -> None:
        for key, limit, detail in self.limits:
            retry_after = await self.throttle.blocked(key, limit)
            if retry_after is not None:
                raise TooManyRequests(detail, retry_after=retry_after)

    async def failed(self) -> None:
        for key, limit, _ in self.limits:
            await self.throttle.hit(key, limit)

    async def succeeded(self) -> None:
        await self.throttle.reset(*self.cleared)


def _pair_key(kind: str, identifier_digest: str, source_digest: str) -> str:
    return f"{kind}-pair:{identifier_digest}:{source_digest}"


def _ip_key(context: GatewayContext, ip: str, kind: str = "login") -> str:
    return f"{kind}-ip:{digest(context, source_of(ip))}"


def locks(context: GatewayContext, kind: str, identifier: str, ip: str, *, ip_kind: str = "login") -> Locks:
    """Rules 1 and 2 for one way of proving who one is (``kind``: login, reset, client ...)."""
    settings = context.settings
    pair = _pair_key(kind, digest(context, identifier), digest(context, source_of(ip)))
    return Locks(
        context.throttle,
        [
            (pair, settings.login_failures_per_source, PAIR_LIMITED),
            (_ip_key(context, ip, ip_kind), settings.login_failures_per_ip, SOURCE_LIMITED),
        ],
        cleared=(pair,),
    )


def _current_password_key(account_id: uuid.UUID) -> str:
    return f"password-change:{account_id}"


def current_password_locks(context: GatewayContext, account_id: uuid.UUID, ip: str) -> Locks:
    """Wrong current passwords (``POST /me/password``): per account from every address, since only the
    account's own token gets there (it locks nobody else out, and a stolen token guesses no faster from
    many addresses), and per address like sign-ins."""
    settings, key = context.settings, _current_password_key(account_id)
    return Locks(
        context.throttle,
        [
            (key, settings.login_failures_per_source, "too many wrong current passwords: try again later"),
            (_ip_key(context, ip), settings.login_failures_per_ip, SOURCE_LIMITED),
        ],
        cleared=(key,),
    )


class PasswordGuard:
    """The three rules for a password sign-in with ``identifier`` (a username or phone) from ``ip``."""

    def __init__(self, context: GatewayContext, identifier: str, ip: str) -> None:
        self.context = context
        self.source = source_of(ip)
        self.identifier_key = f"login-id:{digest(context, identifier)}"
        self.locks = locks(context, "login", identifier, ip)

    async def check_source(self) -> None:
        """Rules 1 and 2, before the account is even looked up."""
        await self.locks.check()

    async def check_identifier(self, session: AsyncSession, account: Account | None) -> None:
        """Rule 3: 429 while the identifier is slowed, unless the account has signed in from here before.
        Unknown identifiers are counted and slowed alike, so the answer never tells whether one exists."""
        settings = self.context.settings
        throttle = self.context.throttle
        slowdown = await throttle.slowdown(
            self.identifier_key, settings.login_failures_per_account, settings.login_delay_max_seconds
        )
        # Asked for unknown identifiers too: a slowed answer takes as long either way.
        if slowdown is None or await self._known(session, account.id if account else _NOBODY):
            return
        if slowdown.retry_after > 0:
            raise TooManyRequests(SLOWED, retry_after=slowdown.retry_after)
        if not await throttle.claim(slowdown):  # a concurrent attempt took this turn
            again = await throttle.slowdown(
                self.identifier_key, settings.login_failures_per_account, settings.login_delay_max_seconds
            )
            raise TooManyRequests(SLOWED, retry_after=max(1, again.retry_after if again else 1))

    async def failed(self) -> None:
        await self.locks.failed()
        await self.context.throttle.failed(self.identifier_key, self.context.settings.login_failures_per_account)

    async def succeeded(self, session: AsyncSession, account: Account) -> None:
        await self.context.throttle.reset(self.identifier_key, *self.locks.cleared)
        await remember_source(session, self.context, account, self.source)

    async def _known(self, session: AsyncSession, account_id: uuid.UUID) -> bool:
        since = datetime.now(UTC) - timedelta(days=self.context.settings.login_known_source_days)
        found = await session.scalar(
            select(col(SignInSource.account_id)).where(
                col(SignInSource.account_id) == account_id,
                col(SignInSource.source_hash) == _source_hash(self.context, account_id, self.source),
                col(SignInSource.last_signed_in_at) > since,
            )
        )
        return found is not None


def _source_hash(context: GatewayContext, account_id: uuid.UUID, source: str) -> bytes:
    # Keyed per account: the same address signing in to two accounts is not linkable from the table.
    return context.pii.blind_index(f"{account_id} {source}", field="sign-in-source")


async def remember_source(session: AsyncSession, context: GatewayContext, account: Account, source: str) -> None:
    """The account signed in from ``source`` (a password or SMS sign-in): remembered for the configured
    days after its latest sign-in from there; older ones of the account are forgotten."""
    now = datetime.now(UTC)
    since = now - timedelta(days=context.settings.login_known_source_days)
    await session.execute(
        delete(SignInSource).where(
            col(SignInSource.account_id) == account.id, col(SignInSource.last_signed_in_at) <= since
        )
    )
    await session.execute(
        insert(SignInSource)
        .values(account_id=account.id, source_hash=_source_hash(context, account.id, source), last_signed_in_at=now)
        .on_conflict_do_update(index_elements=["account_id", "source_hash"], set_={"last_signed_in_at": now})
    )


async def clear(
    session: AsyncSession, context: GatewayContext, account_id: uuid.UUID, identifiers: list[str | None]
) -> None:
    """Forget an account's failed sign-ins: by each of its identifiers (username, phone), from every
    address, and its wrong current passwords; in the caller's transaction, so together with its audit. The
    addresses' own counters stay: they are the addresses', not the account's."""
    key = col(Counter.key)
    which = [key == _current_password_key(account_id)]
    for identifier in filter(None, identifiers):
        which.append(key == f"login-id:{digest(context, identifier)}")
        which.append(key.startswith(_pair_key("login", digest(context, identifier), ""), autoescape=True))
    await session.execute(delete(Counter).where(or_(*which)))
