"""Puts the grids service's copy of the households right from the residents service, which owns them
(docs/ARCHITECTURE.md "Running it"): after events were lost, a database was restored, or to check.

    python -m deploy.resync households [--check] [--pgdata PATH] [--residents-url URL] [--page-size N]

It reads every household from the residents service (``GET /internal/households?after=&limit=``, pages
of ``shared.households.HouseholdFactPage``, keyset by id) with an internal machine token it signs itself
with the gateway's current signing key (``client_id`` ``resync``, scope ``internal``; the residents
service verifies it against the gateway's JWKS, as any token). Each page goes into the grids database in
one transaction through the grids service's own ``apply_fact`` (``services/grids/households.py``), which
answers created / updated / moved / removed / unchanged. Copies the residents service no longer lists
(in the copy, not removed, on no page) are then removed the same way: ``orphaned``. A copy changed
after the run started (by an event) is left alone, so a household created meanwhile is never taken for
an orphan. A second run prints only ``unchanged``.

``--check`` changes nothing: it prints each difference (the household's id and what differs: missing in
copy, a field that differs, orphan in copy; no contact value, and the facts are masked anyway) and a
summary.

Residents service: ``--residents-url``, else ``RESIDENTS_URL``, else http://127.0.0.1:8101 (where
``make run`` starts it). Databases: as ``deploy.bootstrap``: ``GATEWAY_DATABASE_URL`` (the signing key)
and ``GRIDS_DATABASE_URL`` (the copy) when set, else the embedded PostgreSQL of ``make run`` under
``--pgdata`` (default ``var/pgdata``). The key is unsealed with ``GATEWAY_KEY_ENCRYPTION_SECRET``: run it
with the gateway's environment. The databases are not migrated: the platform they belong to runs.

Exit codes: 0 done, or (``--check``) the copies agree; 1 (``--check``) they differ; 2 it could not run
(no signing key, the residents service unreachable or refusing the token): the pages applied before
stay applied, and running it again finishes the work.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from deploy.databases import ROOT, resolve_urls
from deploy.processes import BY_NAME
from gateway.auth.keys import KeyRing, key_sealer
from gateway.auth.tokens import TokenIssuer
from gateway.config import Settings as GatewaySettings
from services.grids import households
from shared.households import HouseholdFact, HouseholdFactPage
from shared.security import MACHINE_AUDIENCE
from shared.settings import to_sqlalchemy_url

SPECS = (BY_NAME["gateway"], BY_NAME["grids"])
DEFAULT_RESIDENTS_URL = f"http://127.0.0.1:{BY_NAME['residents'].port}"
CLIENT_ID = "resync"
SCOPE = "internal"
PAGE_PATH = "/internal/households"
MAX_PAGE = 1000  # the residents service's own limit
DIFFERENT, FAILED = 1, 2
OUTCOMES = ("created", "updated", "moved", "removed", "unchanged", "orphaned")
# Compared with the copy's columns of the same name; the contact is masked but never printed.
FIELDS = tuple(name for name in HouseholdFact.model_fields if name not in ("household_id", "removed"))
UNSHOWN = frozenset({"contact_name", "contact_phone"})
MISSING, DIFFERING, ORPHAN = "missing in copy", "fields differ", "orphan in copy"

ApplyFact = Callable[[AsyncSession, HouseholdFact], Awaitable[str]]


class CannotRun(Exception):
    """Exit code 2: what stopped the run, said to the operator."""


@dataclass
class Tally:
    read: int = 0  # households the residents service listed
    outcomes: Counter[str] = field(default_factory=Counter)
    differences: list[tuple[str, str]] = field(default_factory=list)  # --check: (kind, line)


def grids_apply_fact() -> ApplyFact:
    """The grids service's own rule for applying a fact to its copy (what its event handlers use)."""
    return households.apply_fact


async def internal_tokens(gateway_url: str) -> Callable[[], str]:
    """Tokens for the services' internal routes, signed with the gateway's current key, as the gateway's
    own internal clients sign theirs (``gateway/clients.py``): a new one for each page, so that a long run
    never sends an expired one."""
    settings = GatewaySettings()
    sealer = key_sealer(settings)
    keyring = KeyRing(sealer)
    engine = create_async_engine(to_sqlalchemy_url(gateway_url))
    try:
        async with async_sessionmaker(engine)() as session:
            await keyring.load(session)
    except RuntimeError as error:  # no key yet: the gateway makes its first at its first start
        raise CannotRun(f"{error} (or start the gateway once)") from error
    finally:
        await engine.dispose()
    issuer = TokenIssuer(
        keyring=keyring,
        sealer=sealer,
        issuer=settings.public_issuer,
        access_ttl=settings.access_token_ttl_seconds,
        refresh_ttl=settings.refresh_token_ttl_seconds,
        retry_grace=settings.refresh_retry_grace_seconds,
    )

    def token() -> str:
        claims = {"client_id": CLIENT_ID, "scope": SCOPE}
        return issuer.access_token(f"service:{CLIENT_ID}", claims, audience=MACHINE_AUDIENCE)

    return token


async def pages(
    residents_url: str,
    token: Callable[[], str],
    page_size: int,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[list[HouseholdFact]]:
    """Every household the residents service has, a page at a time, in id order."""
    async with httpx.AsyncClient(base_url=residents_url, timeout=30.0, transport=transport) as client:
        after: uuid.UUID | None = None
        while True:
            params: dict[str, str | int] = {"limit": page_size, **({"after": str(after)} if after else {})}
            try:
                response = await client.get(PAGE_PATH, params=params, headers={"Authorization": f"Bearer {token()}"})
            except httpx.HTTPError as error:
                raise CannotRun(f"the residents service at {residents_url} cannot be reached: {error!r}") from error
            if response.status_code != 200:
                raise CannotRun(f"the residents service answered {response.status_code}: {_problem(response)}")
            try:
                page = HouseholdFactPage.model_validate_json(response.content)
            except ValidationError as error:
                raise CannotRun(f"the residents service's page is not a HouseholdFactPage: {error}") from error
            yield page.items
            if page.next_after is None:
                return
            if after is not None and page.next_after <= after:
                raise CannotRun(f"the residents service's pages do not advance (next_after {page.next_after})")
            after = page.next_after


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    return str(body.get("detail") or body.get("title")) if isinstance(body, dict) else response.reason_phrase


async def resync(
    urls: Mapping[str, str],
    residents_url: str,
    *,
    check: bool,
    page_size: int,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Tally:
    """Read every page, apply it (or, with ``check``, compare it), then deal with the orphans."""
    apply_fact = None if check else grids_apply_fact()
    token = await internal_tokens(urls["gateway"])
    engine = create_async_engine(to_sqlalchemy_url(urls["grids"]))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    tally = Tally()
    seen: set[uuid.UUID] = set()
    try:
        started = await _now(engine)
        async for facts in pages(residents_url, token, page_size, transport=transport):
            tally.read += len(facts)
            seen.update(fact.household_id for fact in facts)
            async with sessions() as session, session.begin():
                if apply_fact is None:
                    rows = await _copies(session, [fact.household_id for fact in facts])
                    for fact in facts:
                        tally.differences += differences(fact, rows.get(fact.household_id))
                else:
                    for fact in facts:
                        tally.outcomes[await apply_fact(session, fact)] += 1
        async with sessions() as session:
            orphans = [id_ for id_ in await _live_copies(session, before=started) if id_ not in seen]
        for start in range(0, len(orphans), page_size):
            batch = orphans[start : start + page_size]
            async with sessions() as session, session.begin():
                if apply_fact is None:
                    tally.differences += [(ORPHAN, f"{id_}: orphan in copy (not in residents)") for id_ in batch]
                    continue
                for copy in (await _copies(session, batch)).values():
                    await apply_fact(session, removal(copy))
                    tally.outcomes["orphaned"] += 1
    finally:
        await engine.dispose()
    return tally


async def _now(engine: AsyncEngine) -> datetime:
    """Now, by the grids database: the copies changed after it were changed during this run."""
    async with engine.connect() as conn:
        now: datetime = (await conn.execute(text("SELECT now()"))).scalar_one()
        return now


async def _copies(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, Mapping[str, Any]]:
    """The copies of these households, every column (what the grids service keeps of them)."""
    result = await session.execute(text("SELECT * FROM household WHERE id = ANY(:ids)"), {"ids": ids})
    return {row["id"]: dict(row) for row in result.mappings()}


async def _live_copies(session: AsyncSession, *, before: datetime) -> list[uuid.UUID]:
    """The copies not removed and not changed since ``before``, in id order."""
    result = await session.execute(
        text("SELECT id FROM household WHERE removed_at IS NULL AND updated_at < :before ORDER BY id"),
        {"before": before},
    )
    return list(result.scalars())


def differences(fact: HouseholdFact, copy: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """How the copy differs from the fact: (kind, line), one at most (none when they agree)."""
    if copy is None:
        # A household the residents service lists as removed and the copy never had: nothing is missing.
        return [] if fact.removed else [(MISSING, f"{fact.household_id}: {MISSING}")]
    what = []
    if "removed_at" in copy and fact.removed != (copy["removed_at"] is not None):
        what.append("removed in residents, not in copy" if fact.removed else "removed in copy, not in residents")
    for name in FIELDS:
        if name in copy and copy[name] != getattr(fact, name):
            shown = "" if name in UNSHOWN else f" (copy {copy[name]!r}, residents {getattr(fact, name)!r})"
            what.append(f"{name} differs{shown}")
    return [(DIFFERING, f"{fact.household_id}: " + "; ".join(what))] if what else []


def removal(copy: Mapping[str, Any]) -> HouseholdFact:
    """The fact the residents service would send for a copy it no longer has: the copy as it is, removed.
    Built unvalidated, as a copy made before the grids service kept building and compound may lack them."""
    values: dict[str, Any] = {name: copy.get(name) for name in FIELDS}
    return HouseholdFact.model_construct(household_id=copy["id"], removed=True, **values)


def report(tally: Tally, *, check: bool) -> str:
    if check:
        kinds = Counter(kind for kind, _ in tally.differences)
        lines = [line for _, line in tally.differences]
        if not lines:
            return f"households: {tally.read} in residents; the grids copy agrees"
        summary = ", ".join(f"{kind} {kinds[kind]}" for kind in (MISSING, DIFFERING, ORPHAN))
        return "\n".join([*lines, f"households: {tally.read} in residents; {len(lines)} differ: {summary}"])
    counts = ", ".join(f"{outcome} {tally.outcomes[outcome]}" for outcome in OUTCOMES)
    others = ", ".join(f"{outcome} {n}" for outcome, n in sorted(tally.outcomes.items()) if outcome not in OUTCOMES)
    return f"households: {tally.read} in residents; grids copy: {counts}" + (f", {others}" if others else "")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.resync",
        description="Put the grids service's copy of the households right from the residents service.",
        epilog="Exit codes: 0 done or the copies agree, 1 (--check) they differ, 2 could not run.",
    )
    parser.add_argument("what", choices=["households"], help="what to resync")
    parser.add_argument("--check", action="store_true", help="change nothing: print the differences (exit 1 if any)")
    parser.add_argument("--pgdata", type=Path, default=ROOT / "var" / "pgdata", help="the embedded PostgreSQL's data")
    parser.add_argument(
        "--residents-url",
        default=os.environ.get("RESIDENTS_URL") or DEFAULT_RESIDENTS_URL,
        help=f"the residents service (default: RESIDENTS_URL, else {DEFAULT_RESIDENTS_URL})",
    )
    parser.add_argument("--page-size", type=int, default=MAX_PAGE, help=f"households per page, 1 to {MAX_PAGE}")
    args = parser.parse_args(argv)
    if not 1 <= args.page_size <= MAX_PAGE:
        parser.error(f"--page-size: 1 to {MAX_PAGE}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)

    def say(message: str) -> None:
        print(f"[resync] {message}", flush=True)

    # An embedded server this run started stops when it exits; one it joined (make run's) runs on.
    urls, _server = resolve_urls(args.pgdata.resolve(), SPECS, say=say)
    say(f"{'checking' if args.check else 'resyncing'} the grids copy of the households from {args.residents_url}")
    try:
        tally = asyncio.run(resync(urls, args.residents_url, check=args.check, page_size=args.page_size))
    except CannotRun as error:
        print(f"resync: {error}", file=sys.stderr)
        return FAILED
    print(report(tally, check=args.check), flush=True)
    return DIFFERENT if args.check and tally.differences else 0


if __name__ == "__main__":
    sys.exit(main())
