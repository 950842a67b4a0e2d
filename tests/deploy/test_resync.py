"""``python -m deploy.resync households``: the grids copy of the households put right from the residents
service, on databases of this module's own (the gateway's, for its signing key, and the grids service's),
emptied before each test. The residents service is played by a loopback server answering its internal
route (``GET /internal/households``, ``shared.households.HouseholdFactPage`` pages) that lets in only an
internal machine token verified against the gateway's published keys, as the residents service does."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from deploy import resync
from gateway.auth.keys import KeyRing, ensure_signing_key, key_sealer
from gateway.config import Settings as GatewaySettings
from shared.errors import Unauthorized
from shared.households import HouseholdFact, HouseholdFactPage
from shared.security import JwksCache, TokenVerifier, jwks_static
from shared.settings import to_sqlalchemy_url
from shared.testing import TestKeys
from tests.support import db
from tests.support.loopback import LoopbackServer, QuietHandler
from tests.support.places import COMMUNITY, GRIDS, STREET

# The suite's own tables are not touched here: this module empties its own databases.
pytestmark = [pytest.mark.keep_tables, pytest.mark.usefixtures("env")]

COMPOUND = uuid.UUID("00000000-0000-4000-8000-0000000000c1")


def fact(n: int, **changes: Any) -> HouseholdFact:
    """The n-th household of the register (ids in the order of n), masked as the residents service sends it."""
    values: dict[str, Any] = {
        "household_id": uuid.UUID(f"00000000-0000-4000-8000-{n:012d}"),
        "building_id": uuid.UUID(f"00000000-0000-4000-8000-b{n % 3:011d}"),
        "compound_id": COMPOUND,
        "compound_name": "幸福小区",
        "address": f"幸福小区{n % 3 + 1}号楼{n}室",
        "grid_code": GRIDS[n % len(GRIDS)],
        "community_code": COMMUNITY,
        "street_code": STREET,
        "contact_name": "张*",
        "contact_phone": f"139****{n:04d}",
    }
    return HouseholdFact.model_validate(values | changes)


class Residents(LoopbackServer):
    """The residents service's internal households route: ``facts`` by id, paged as the real one pages.
    ``jwks`` is what the gateway publishes; only a valid machine token with the ``internal`` scope gets in."""

    def __init__(self, jwks: dict[str, Any], issuer: str) -> None:
        self.facts: dict[uuid.UUID, HouseholdFact] = {}
        self.clients: list[str | None] = []  # the client id of each token let in
        residents = self

        def verify(token: str) -> str | None:
            """The client's id, or None when the residents service would refuse the token."""
            verifier = TokenVerifier(JwksCache(jwks_static(jwks)), issuer=issuer)  # one loop per request
            try:
                principal = asyncio.run(verifier.verify(token))
            except Unauthorized:
                return None
            return principal.client_id if principal.machine and "internal" in principal.scopes else None

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                url = urlsplit(self.path)
                if url.path != "/internal/households":
                    return self._answer(404, {"title": "Not Found", "status": 404})
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                client = verify(token)
                if client is None:
                    return self._answer(401, {"title": "Unauthorized", "status": 401, "detail": "not let in"})
                residents.clients.append(client)
                query = parse_qs(url.query)
                limit = int(query["limit"][0])
                after = uuid.UUID(query["after"][0]) if "after" in query else None
                ids = sorted(id_ for id_ in residents.facts if after is None or id_ > after)
                items = [residents.facts[id_] for id_ in ids[:limit]]
                next_after = items[-1].household_id if len(ids) > limit else None
                self._answer(200, HouseholdFactPage(items=items, next_after=next_after).model_dump(mode="json"))

        super().__init__(Handler)

    def hold(self, *facts: HouseholdFact) -> None:
        self.facts = {f.household_id: f for f in facts}


@pytest.fixture
async def jwks(urls: dict[str, str]) -> dict[str, Any]:
    """The gateway's signing key, made as the gateway makes its first, and the JWKS it publishes."""
    sealer = key_sealer(GatewaySettings())
    engine = create_async_engine(to_sqlalchemy_url(urls["gateway"]))
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            await ensure_signing_key(session, sealer)
            ring = KeyRing(sealer)
            await ring.load(session)
    finally:
        await engine.dispose()
    return ring.document


@pytest.fixture
def residents(jwks: dict[str, Any]) -> Iterator[Residents]:
    server = Residents(jwks, GatewaySettings().public_issuer)
    yield server
    server.close()


async def run(*argv: str, residents: Residents, page_size: int = 2) -> int:
    args = ["households", "--residents-url", residents.base_url, "--page-size", str(page_size), *argv]
    return await asyncio.to_thread(resync.main, args)


async def copy(urls: dict[str, str]) -> dict[uuid.UUID, dict[str, Any]]:
    return {r["id"]: dict(r) for r in await db.rows(urls["grids"], "SELECT * FROM household ORDER BY id")}


def summary(out: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith("households: ")]
    return line


async def test_the_first_run_creates_the_copy_and_the_second_changes_nothing(
    urls: dict[str, str], residents: Residents, capsys: pytest.CaptureFixture[str]
) -> None:
    residents.hold(*(fact(n) for n in range(1, 6)))

    assert await run(residents=residents) == 0  # pages of 2: three pages
    assert summary(capsys.readouterr().out) == (
        "households: 5 in residents; grids copy: created 5, updated 0, moved 0, removed 0, unchanged 0, orphaned 0"
    )
    rows = await copy(urls)
    assert list(rows) == sorted(residents.facts)
    for id_, row in rows.items():
        expected = residents.facts[id_]
        for name in resync.FIELDS:
            assert row[name] == getattr(expected, name), name
        assert row["removed_at"] is None
    assert set(residents.clients) == {"resync"} and len(residents.clients) == 3

    assert await run(residents=residents) == 0
    assert summary(capsys.readouterr().out) == (
        "households: 5 in residents; grids copy: created 0, updated 0, moved 0, removed 0, unchanged 5, orphaned 0"
    )
    assert await copy(urls) == rows


async def test_a_changed_fact_updates_the_copy(
    urls: dict[str, str], residents: Residents, capsys: pytest.CaptureFixture[str]
) -> None:
    residents.hold(*(fact(n) for n in range(1, 4)))
    assert await run(residents=residents) == 0
    changed = fact(2, address="幸福小区9号楼2室", contact_phone="139****9999")
    residents.hold(fact(1), changed, fact(3))
    capsys.readouterr()

    assert await run(residents=residents) == 0
    assert summary(capsys.readouterr().out) == (
        "households: 3 in residents; grids copy: created 0, updated 1, moved 0, removed 0, unchanged 2, orphaned 0"
    )
    row = (await copy(urls))[changed.household_id]
    assert (row["address"], row["contact_phone"]) == ("幸福小区9号楼2室", "139****9999")


async def test_a_copy_the_residents_service_no_longer_has_is_marked_removed(
    urls: dict[str, str], residents: Residents, capsys: pytest.CaptureFixture[str]
) -> None:
    residents.hold(*(fact(n) for n in range(1, 5)))
    assert await run(residents=residents) == 0
    gone = fact(3)
    residents.hold(fact(1), fact(2), fact(4))
    capsys.readouterr()

    assert await run(residents=residents) == 0
    assert summary(capsys.readouterr().out) == (
        "households: 3 in residents; grids copy: created 0, updated 0, moved 0, removed 0, unchanged 3, orphaned 1"
    )
    rows = await copy(urls)
    assert len(rows) == 4  # kept, as removed: visits and 十联户 links may point at it
    assert rows[gone.household_id]["removed_at"] is not None
    assert rows[gone.household_id]["address"] == gone.address
    assert [id_ for id_, row in rows.items() if row["removed_at"] is not None] == [gone.household_id]

    assert await run(residents=residents) == 0  # an orphan already removed is no longer one
    assert summary(capsys.readouterr().out).endswith("unchanged 3, orphaned 0")


async def test_a_copy_changed_while_the_run_reads_is_not_taken_for_an_orphan(
    urls: dict[str, str], residents: Residents, capsys: pytest.CaptureFixture[str]
) -> None:
    residents.hold(fact(1), fact(2))
    assert await run(residents=residents) == 0
    # As for a household created behind the pages already read: an event wrote its copy after the run began.
    await db.execute(
        urls["grids"], "UPDATE household SET updated_at = now() + interval '1 hour' WHERE id = $1", fact(2).household_id
    )
    residents.hold(fact(1))
    capsys.readouterr()

    assert await run(residents=residents) == 0
    assert summary(capsys.readouterr().out).endswith("unchanged 1, orphaned 0")
    assert await db.value(urls["grids"], "SELECT count(*) FROM household WHERE removed_at IS NOT NULL") == 0


async def test_check_prints_each_difference_exits_1_and_changes_nothing(
    urls: dict[str, str], residents: Residents, capsys: pytest.CaptureFixture[str]
) -> None:
    residents.hold(*(fact(n) for n in range(1, 5)))
    assert await run(residents=residents) == 0
    before = await copy(urls)
    moved, new, orphan = fact(2, grid_code=GRIDS[0] if fact(2).grid_code != GRIDS[0] else GRIDS[1]), fact(7), fact(3)
    renamed = fact(4, contact_name="李*")
    residents.hold(fact(1), moved, renamed, new)
    capsys.readouterr()

    assert await run("--check", residents=residents) == 1
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if not line.startswith("[resync]")]
    assert lines == [
        f"{moved.household_id}: grid_code differs (copy {fact(2).grid_code!r}, residents {moved.grid_code!r})",
        f"{renamed.household_id}: contact_name differs",  # a contact is never printed, even masked
        f"{new.household_id}: missing in copy",
        f"{orphan.household_id}: orphan in copy (not in residents)",
        "households: 4 in residents; 4 differ: missing in copy 1, fields differ 2, orphan in copy 1",
    ]
    assert "李*" not in out
    assert await copy(urls) == before


async def test_check_after_a_resync_finds_the_copies_agree(
    residents: Residents, capsys: pytest.CaptureFixture[str]
) -> None:
    residents.hold(*(fact(n) for n in range(1, 4)))
    assert await run("--check", residents=residents) == 1  # an empty copy: all missing
    assert summary(capsys.readouterr().out).endswith("3 differ: missing in copy 3, fields differ 0, orphan in copy 0")

    assert await run(residents=residents) == 0
    capsys.readouterr()
    assert await run("--check", residents=residents) == 0
    assert summary(capsys.readouterr().out) == "households: 3 in residents; the grids copy agrees"


async def test_a_token_the_residents_service_does_not_trust_stops_the_run_with_exit_2(
    urls: dict[str, str], jwks: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # A residents service trusting another signer: the resync's token must be the gateway key's.
    stranger = Residents(TestKeys().jwks, GatewaySettings().public_issuer)
    try:
        stranger.hold(fact(1))
        assert await run("--check", residents=stranger) == 2
    finally:
        stranger.close()
    assert "the residents service answered 401: not let in" in capsys.readouterr().err
    assert stranger.clients == []
    assert await copy(urls) == {}


async def test_the_token_is_an_internal_machine_token_of_the_gateway_key(
    urls: dict[str, str], jwks: dict[str, Any]
) -> None:
    # The token alone (no grids copy needed): what the residents stand-in checks on every request.
    token = (await resync.internal_tokens(urls["gateway"]))()
    verifier = TokenVerifier(JwksCache(jwks_static(jwks)), issuer=GatewaySettings().public_issuer)
    principal = await verifier.verify(token)
    assert principal.machine and principal.scopes == frozenset({"internal"})
    assert (principal.client_id, principal.sub, principal.account_id) == ("resync", "service:resync", None)


async def test_without_a_signing_key_or_a_residents_service_it_exits_2(
    urls: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["households", "--check", "--residents-url", "http://127.0.0.1:9"]
    assert await asyncio.to_thread(resync.main, argv) == 2  # the gateway has not started yet: no key
    assert "no signing key" in capsys.readouterr().err

    engine = create_async_engine(to_sqlalchemy_url(urls["gateway"]))
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            await ensure_signing_key(session, key_sealer(GatewaySettings()))
    finally:
        await engine.dispose()
    assert await asyncio.to_thread(resync.main, argv) == 2
    assert "the residents service at http://127.0.0.1:9 cannot be reached" in capsys.readouterr().err


def test_the_residents_url_and_the_page_size(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("RESIDENTS_URL", raising=False)
    assert resync.parse(["households"]).residents_url == "http://127.0.0.1:8101"  # where make run starts it
    monkeypatch.setenv("RESIDENTS_URL", "http://residents:8101")
    assert resync.parse(["households"]).residents_url == "http://residents:8101"
    assert resync.parse(["households", "--residents-url", "http://other:1"]).residents_url == "http://other:1"
    for size in ("0", "1001"):
        with pytest.raises(SystemExit) as exited:
            resync.parse(["households", "--page-size", size])
        assert exited.value.code == 2
    assert "--page-size: 1 to 1000" in capsys.readouterr().err
