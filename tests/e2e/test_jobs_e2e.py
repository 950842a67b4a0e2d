"""The jobs issue's "done when", tried as new users would through the gateway, with real processes on
loopback and the demo accounts: resident 13900000002 fills a profile, sees matched postings with reasons,
applies; staff shortlist and hire; the posting closes when full; the resident enrols in a training that
is full and moves up when a place frees."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from deploy.demo import load_process
from deploy.processes import BY_NAME
from shared.demo import COMMUNITY, demo_uuid
from tests.support.live import LiveProcess, free_port
from tests.support.places import GRIDS
from tests.support.signin import login

pytestmark = [pytest.mark.e2e]

SERVICES = ("grids", "residents", "jobs")


@dataclass
class Platform:
    gateway: LiveProcess
    services: dict[str, LiveProcess]


@pytest.fixture
async def platform(database_urls: dict[str, str]) -> AsyncIterator[Platform]:
    for name in ("grids", "residents", "gateway", "jobs"):
        await load_process(BY_NAME[name], database_urls[name])
    ports = {name: free_port() for name in ("gateway", *SERVICES)}
    gateway_url = f"http://127.0.0.1:{ports['gateway']}"
    urls = {name: f"http://127.0.0.1:{ports[name]}" for name in SERVICES}
    upstreams = urls | {"orders": urls["grids"]}  # no orders process here
    started: list[LiveProcess] = []

    def start(name: str, env: dict[str, str]) -> LiveProcess:
        process = LiveProcess(BY_NAME[name], database_urls[name], "", env, port=ports[name])
        started.append(process)
        process.wait_ready()
        return process

    def service_env(name: str) -> dict[str, str]:
        prefix = BY_NAME[name].env_prefix
        return {
            f"{prefix}JWKS_URL": f"{gateway_url}/.well-known/jwks.json",
            f"{prefix}JWT_ISSUER": "grid-platform-gateway",
            f"{prefix}REVOCATIONS_URL": f"{gateway_url}/.well-known/revocations.json",
            f"{prefix}SERVICE_URLS": json.dumps(upstreams),
        }

    try:
        gateway = start(
            "gateway",
            {"GATEWAY_JWT_ISSUER": "grid-platform-gateway", "GATEWAY_SERVICE_URLS": json.dumps(upstreams)},
        )
        services = {name: start(name, service_env(name)) for name in SERVICES}
        yield Platform(gateway, services)
    finally:
        for process in reversed(started):
            process.stop()


class Person:
    """Someone signed in through the gateway with a demo account."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = await self.client.request(method, path, headers=self.headers, **kwargs)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else {}


async def sign_in(client: httpx.AsyncClient, username: str) -> Person:
    return Person(client, (await login(client, username))["access_token"])


@pytest.fixture
def client(platform: Platform) -> Iterator[httpx.AsyncClient]:
    yield httpx.AsyncClient(base_url=platform.gateway.base_url, timeout=20)


async def test_a_resident_finds_a_job_and_a_training_place_through_the_gateway(client: httpx.AsyncClient) -> None:
    async with client:
        resident = await sign_in(client, "13900000002")
        me = await resident.call("GET", "/api/v1/me")
        resident_id = str(me["resident_id"])
        assert resident_id == str(demo_uuid("resident", "13900000002"))

        # Fills a profile (求职登记): sews and wraps zongzi, half labour, six hours a day.
        profile = {
            "skills": ["缝纫", "包粽子"],
            "desired_categories": ["handicraft"],
            "hours_per_day": 6,
            "shifts": ["day"],
            "labour_capacity": "half",
        }
        saved = await resident.call("PUT", "/api/v1/seekers/me", 201, json=profile)
        assert saved["grid_code"] == GRIDS[1]

        # Sees the matched postings, best first, each with its reasons.
        matches = await resident.call("GET", f"/api/v1/seekers/{resident_id}/matches")
        items = matches["items"]
        assert isinstance(items, list) and items
        best = items[0]
        assert best["posting"]["title"] == "粽叶包装缝包工" and best["posting"]["headcount"] == 1
        reasons = {r["factor"]: r for r in best["reasons"]}
        assert set(reasons) == {"skills", "capacity", "hours", "place", "category", "freshness"}
        assert reasons["skills"]["points"] == 35 and reasons["place"]["detail"] == "in the seeker's own grid"
        assert [m["score"] for m in items] == sorted((m["score"] for m in items), reverse=True)
        assert all(m["posting"]["suits_weak_labour"] for m in items)  # half labour: suitable postings only
        posting_id = best["posting"]["id"]

        # Applies; a second time is refused.
        application = await resident.call("POST", "/api/v1/applications", 201, json={"posting_id": posting_id})
        await resident.call("POST", "/api/v1/applications", 409, json={"posting_id": posting_id})

        # The workshop's own account sees the applicant, without who it is.
        employer = await sign_in(client, "employer1")
        assert (await employer.call("GET", "/api/v1/employers/me"))["name"] == "粽叶扶贫车间"
        theirs = await employer.call("GET", "/api/v1/applications", params={"posting_id": posting_id})
        assert [(a["id"], a["applicant"]["resident_id"]) for a in theirs["items"]] == [(application["id"], None)]

        # Staff shortlist and hire; the posting, now full, closes.
        staff = await sign_in(client, "staff")
        listed = await staff.call("GET", "/api/v1/applications", params={"posting_id": posting_id})
        assert [a["applicant"]["resident_id"] for a in listed["items"]] == [resident_id]
        await staff.call("POST", f"/api/v1/applications/{application['id']}/shortlist")
        hired = await staff.call("POST", f"/api/v1/applications/{application['id']}/hire")
        assert hired["state"] == "hired"
        posting = await resident.call("GET", f"/api/v1/postings/{posting_id}")
        assert (posting["state"], posting["closed_reason"], posting["hired"]) == ("closed", "filled", 1)
        mine = await resident.call("GET", f"/api/v1/applications/{application['id']}")
        assert mine["state"] == "hired"
        still_open = await resident.call("GET", "/api/v1/postings", params={"limit": 100})
        assert posting_id not in {p["id"] for p in still_open["items"]}

        # Enrols in the training that is full: the waiting list, first.
        trainings = await resident.call("GET", "/api/v1/trainings")
        (full,) = [t for t in trainings["items"] if t["title"] == "育婴员培训"]
        assert full["enrolled"] == full["capacity"] == 3 and full["community_code"] == COMMUNITY
        enrolment = await resident.call("POST", f"/api/v1/trainings/{full['id']}/enrolments", 201, json={})
        assert (enrolment["state"], enrolment["position"]) == ("waiting", 1)

        # Someone enrolled leaves; the place goes to the first waiting.
        neighbour = await sign_in(client, "13900000003")
        theirs_now = (await neighbour.call("GET", f"/api/v1/trainings/{full['id']}"))["my_enrolment"]
        assert theirs_now["state"] == "enrolled"
        url = f"/api/v1/trainings/{full['id']}/enrolments/{theirs_now['id']}/withdraw"
        await neighbour.call("POST", url)
        moved_up = (await resident.call("GET", f"/api/v1/trainings/{full['id']}"))["my_enrolment"]
        assert (moved_up["state"], moved_up["position"]) == ("enrolled", None)

        # The street office's figures, through the gateway, count the hire and the training place.
        street = await sign_in(client, "street")
        figures = await street.call("GET", "/api/v1/stats", params={"group_by": "community"})
        (row,) = [r for r in figures["jobs"]["items"] if r["hires"]]
        assert (row["place_code"], row["hires"], row["applications"]) == (COMMUNITY, 1, 1)
        assert sum(r["trainees"] for r in figures["jobs"]["items"]) == 4  # four places: one left, one moved up
