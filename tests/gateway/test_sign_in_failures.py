"""Failed sign-ins (gateway/auth/guard.py): a guesser is slowed, and nobody can lock anybody else out.
Each request comes from the address the test names; time passing is the counters' clocks moved back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.context import GatewayContext
from shared.demo import PASSWORD
from tests.support import db
from tests.support.fakes import FakeOutsideWorld
from tests.support.problems import assert_problem
from tests.support.signin import as_user

HOME = "192.0.2.10"  # where the victim usually signs in
ELSEWHERE = "192.0.2.99"  # an address the victim never signed in from
RESIDENT_PHONE = "13900000004"
DELAY_CAP = 60  # GATEWAY_LOGIN_DELAY_MAX_SECONDS


@asynccontextmanager
async def client_at(app: FastAPI, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        yield client


async def sign_in(app: FastAPI, ip: str, username: str, password: str) -> httpx.Response:
    async with client_at(app, ip) as client:
        return await client.post("/api/v1/auth/login", json={"username": username, "password": password})


async def post_from(app: FastAPI, ip: str, path: str, body: dict[str, Any]) -> httpx.Response:
    async with client_at(app, ip) as client:
        return await client.post(path, json=body)


async def time_passes(database_urls: dict[str, str], seconds: int) -> None:
    """Every counter's clock, moved ``seconds`` into the past."""
    await db.execute(
        database_urls["gateway"],
        "UPDATE throttle SET window_started_at = window_started_at - $1::interval,"
        " last_hit_at = last_hit_at - $1::interval",
        timedelta(seconds=seconds),
    )


def retry_after(response: httpx.Response) -> int:
    assert_problem(response, 429)
    return int(response.headers["retry-after"])


async def attack(app: FastAPI, database_urls: dict[str, str], username: str, failures: int = 32) -> list[int]:
    """Wrong passwords for ``username``, each from an address of its own, waiting whenever told to:
    ``failures`` of them counted; the waits asked for."""
    waits: list[int] = []
    counted = 0
    while counted < failures:
        answer = await sign_in(app, f"198.51.100.{counted + 1}", username, "wrong-guess")
        if answer.status_code == 429:
            waits.append(retry_after(answer))
            await time_passes(database_urls, waits[-1])
            continue
        assert answer.status_code == 401, answer.text
        counted += 1
    return waits


async def test_five_failures_from_one_address_refuse_that_address_only(
    gw: httpx.AsyncClient, gateway_app: FastAPI
) -> None:
    """The finding: five wrong passwords no longer lock the account everywhere, the right one included."""
    for _ in range(5):
        assert (await sign_in(gateway_app, "198.51.100.1", "staff", "wrong-guess")).status_code == 401
    refused = await sign_in(gateway_app, "198.51.100.1", "staff", PASSWORD)
    assert 0 < retry_after(refused) <= 900
    assert (await sign_in(gateway_app, HOME, "staff", PASSWORD)).status_code == 200


@pytest.mark.parametrize("username", ["gw2", "no-such-user"])
async def test_guesses_from_many_addresses_wait_ever_longer_never_a_lock(
    gw: httpx.AsyncClient, gateway_app: FastAPI, database_urls: dict[str, str], username: str
) -> None:
    waits = await attack(gateway_app, database_urls, username, failures=18)
    # Ten free failures, then one attempt a second, two, four ... at most a minute; alike whether or not
    # the username exists.
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    if username == "gw2":
        assert retry_after(await sign_in(gateway_app, ELSEWHERE, "gw2", PASSWORD)) == DELAY_CAP
        await time_passes(database_urls, DELAY_CAP)
        assert (await sign_in(gateway_app, ELSEWHERE, "gw2", PASSWORD)).status_code == 200


async def test_one_address_guessing_many_usernames_is_refused(gw: httpx.AsyncClient, gateway_app: FastAPI) -> None:
    for n in range(30):
        assert (await sign_in(gateway_app, "198.51.100.77", f"user{n}", "wrong-guess")).status_code == 401
    refused = await sign_in(gateway_app, "198.51.100.77", "gw3", PASSWORD)
    assert 0 < retry_after(refused) <= 900
    assert (await sign_in(gateway_app, HOME, "gw3", PASSWORD)).status_code == 200


async def test_the_victim_signs_in_at_home_by_sms_and_resets_while_guessed_at(
    gw: httpx.AsyncClient, gateway_app: FastAPI, database_urls: dict[str, str], outside: FakeOutsideWorld
) -> None:
    assert (await sign_in(gateway_app, HOME, RESIDENT_PHONE, PASSWORD)).status_code == 200
    await attack(gateway_app, database_urls, RESIDENT_PHONE)
    assert retry_after(await sign_in(gateway_app, ELSEWHERE, RESIDENT_PHONE, PASSWORD)) == DELAY_CAP
    # Where they signed in before, at once.
    assert (await sign_in(gateway_app, HOME, RESIDENT_PHONE, PASSWORD)).status_code == 200
    stored = await db.rows(database_urls["gateway"], "SELECT * FROM sign_in_source")
    assert stored and HOME not in repr([dict(r) for r in stored])  # a keyed hash, not the address

    await attack(gateway_app, database_urls, RESIDENT_PHONE, failures=12)
    # By an SMS code, from anywhere.
    assert (
        await post_from(gateway_app, ELSEWHERE, "/api/v1/auth/sms-code", {"phone": RESIDENT_PHONE})
    ).status_code == 202
    by_sms = {"phone": RESIDENT_PHONE, "code": outside.sent[RESIDENT_PHONE]}
    assert (await post_from(gateway_app, ELSEWHERE, "/api/v1/auth/sms-login", by_sms)).status_code == 200
    # A forgotten password, set with a code, from anywhere; then the new one signs in.
    await time_passes(database_urls, 60)  # one code a minute per number
    assert (
        await post_from(gateway_app, "192.0.2.50", "/api/v1/auth/sms-code", {"phone": RESIDENT_PHONE})
    ).status_code == 202
    reset = {"phone": RESIDENT_PHONE, "code": outside.sent[RESIDENT_PHONE], "new_password": "Willow-lane-2026"}
    assert (await post_from(gateway_app, "192.0.2.50", "/api/v1/auth/password-reset", reset)).status_code == 204
    assert (await sign_in(gateway_app, "192.0.2.51", RESIDENT_PHONE, "Willow-lane-2026")).status_code == 200


async def test_an_sms_sign_in_makes_an_address_known(
    gw: httpx.AsyncClient, gateway_app: FastAPI, database_urls: dict[str, str], outside: FakeOutsideWorld
) -> None:
    await attack(gateway_app, database_urls, RESIDENT_PHONE, failures=12)
    assert (
        await post_from(gateway_app, ELSEWHERE, "/api/v1/auth/sms-code", {"phone": RESIDENT_PHONE})
    ).status_code == 202
    by_sms = {"phone": RESIDENT_PHONE, "code": outside.sent[RESIDENT_PHONE]}
    assert (await post_from(gateway_app, ELSEWHERE, "/api/v1/auth/sms-login", by_sms)).status_code == 200
    assert retry_after(await sign_in(gateway_app, "192.0.2.51", RESIDENT_PHONE, PASSWORD)) > 0
    assert (await sign_in(gateway_app, ELSEWHERE, RESIDENT_PHONE, PASSWORD)).status_code == 200


async def test_staff_clear_a_guessed_account_and_the_audit_says_so(
    gw: httpx.AsyncClient, gateway_app: FastAPI, database_urls: dict[str, str]
) -> None:
    for _ in range(5):  # the person's own typos, at the office
        assert (await sign_in(gateway_app, HOME, "gw4", "typo")).status_code == 401
    await attack(gateway_app, database_urls, "gw4", failures=12)
    assert retry_after(await sign_in(gateway_app, HOME, "gw4", PASSWORD)) > 0
    assert retry_after(await sign_in(gateway_app, ELSEWHERE, "gw4", PASSWORD)) > 0
    staff, street = await as_user(gw, "staff"), await as_user(gw, "street")
    worker = (await gw.get("/api/v1/accounts?q=网格员4", headers=staff)).json()["items"][0]
    cleared = await gw.delete(f"/api/v1/accounts/{worker['id']}/sign-in-failures", headers=staff)
    assert cleared.status_code == 204
    assert (await sign_in(gateway_app, ELSEWHERE, "gw4", PASSWORD)).status_code == 200
    assert (await sign_in(gateway_app, HOME, "gw4", PASSWORD)).status_code == 200
    audit = (await gw.get(f"/api/v1/accounts/audit?target_id={worker['id']}", headers=street)).json()["items"]
    assert [(e["action"], e["actor_role"]) for e in audit] == [("account.sign_in_failures_cleared", "community_staff")]


async def test_only_who_administers_the_account_may_clear_it(
    gw: httpx.AsyncClient, gateway_app: FastAPI, database_urls: dict[str, str]
) -> None:
    street, staff = await as_user(gw, "street"), await as_user(gw, "staff")
    made = await gw.post(
        "/api/v1/accounts",
        json={
            "username": "qianer",
            "display_name": "钱二",
            "phone": "13855556666",
            "password": "Maple-road-2026",
            "place_code": "110105001002",  # another community of the street
        },
        headers=street,
    )
    assert made.status_code == 201, made.text
    path = f"/api/v1/accounts/{made.json()['id']}/sign-in-failures"
    await attack(gateway_app, database_urls, "qianer", failures=12)
    assert_problem(await gw.delete(path, headers=staff), 404)
    assert_problem(await gw.delete(path, headers=await as_user(gw, "gw1")), 403)
    assert (await sign_in(gateway_app, ELSEWHERE, "qianer", "Maple-road-2026")).status_code == 429
    assert (await gw.delete(path, headers=street)).status_code == 204
    assert (await sign_in(gateway_app, ELSEWHERE, "qianer", "Maple-road-2026")).status_code == 200
    # By its phone too, the account's other identifier.
    await attack(gateway_app, database_urls, "13855556666", failures=12)
    assert (await gw.delete(path, headers=street)).status_code == 204
    assert (await sign_in(gateway_app, ELSEWHERE, "13855556666", "Maple-road-2026")).status_code == 200


async def test_a_slowed_turn_goes_to_one_attempt_of_many(
    gw: httpx.AsyncClient, gateway_app: FastAPI, database_urls: dict[str, str]
) -> None:
    await attack(gateway_app, database_urls, "gw5", failures=10)
    await time_passes(database_urls, 1)
    answers = await asyncio.gather(
        *(sign_in(gateway_app, f"198.51.100.{200 + n}", "gw5", "wrong-guess") for n in range(6))
    )
    assert sorted(a.status_code for a in answers) == [401] + [429] * 5


async def test_spent_counters_are_pruned_and_live_ones_kept(
    gw: httpx.AsyncClient, gateway_app: FastAPI, database_urls: dict[str, str]
) -> None:
    context: GatewayContext = gateway_app.state.gateway
    url = database_urls["gateway"]
    await attack(gateway_app, database_urls, "gw6", failures=3)
    await time_passes(database_urls, context.settings.longest_throttle_window + 1)
    for _ in range(5):
        assert (await sign_in(gateway_app, "198.51.100.9", "gw7", "wrong-guess")).status_code == 401
    before = await db.value(url, "SELECT count(*) FROM throttle")
    await context.throttle.prune(timedelta(seconds=context.settings.longest_throttle_window))
    # The three addresses' pairs and own counts and the identifier's count of gw6 are gone; gw7's stay.
    assert await db.value(url, "SELECT count(*) FROM throttle") == before - 7 == 3
    assert retry_after(await sign_in(gateway_app, "198.51.100.9", "gw7", PASSWORD)) > 0
