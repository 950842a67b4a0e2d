"""The demo community's jobs: loaded twice it is the same; its employer account is on the roster, in the
gateway and linked to the 粽叶 workshop; one training is full; resident 13900000002 finds a match."""

from __future__ import annotations

import httpx

from deploy.demo import load_process
from deploy.processes import BY_NAME
from shared.demo import COMMUNITY, EMPLOYER_LOGIN, demo_uuid
from shared.security import MACHINE_AUDIENCE
from shared.testing import TestKeys
from tests.jobs.helpers import People, make_profile
from tests.support import db
from tests.support.answers import ok
from tests.support.people import resident_id

COUNTED = ("employer", "employer_account", "posting", "seeker", "fair", "fair_employer", "training", "enrolment")


async def counts(url: str) -> dict[str, int]:
    return {table: (await db.rows(url, f"SELECT count(*) AS n FROM {table}"))[0]["n"] for table in COUNTED}


async def test_the_demo_loads_once_however_often_it_runs(database_urls: dict[str, str]) -> None:
    await load_process(BY_NAME["jobs"], database_urls["jobs"])
    first = await counts(database_urls["jobs"])
    assert first == {
        "employer": 6,
        "employer_account": 1,
        "posting": 12,
        "seeker": 5,
        "fair": 1,
        "fair_employer": 6,
        "training": 2,
        "enrolment": 4,
    }
    await load_process(BY_NAME["jobs"], database_urls["jobs"])
    assert await counts(database_urls["jobs"]) == first
    phones = await db.rows(database_urls["jobs"], "SELECT contact_phone_masked, contact_phone_encrypted FROM employer")
    assert all(r["contact_phone_masked"].startswith("138****") for r in phones)
    assert all(b"13800001" not in r["contact_phone_encrypted"] for r in phones)


async def test_the_demo_as_its_people_meet_it(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str]
) -> None:
    await load_process(BY_NAME["jobs"], database_urls["jobs"])
    resident = people.resident("13900000002")
    trainings = ok(await jobs.get("/api/v1/trainings", headers=resident))["items"]
    assert [(t["title"], t["enrolled"], t["capacity"], t["waiting"]) for t in trainings] == [
        ("育婴员培训", 3, 3, 0),
        ("电子元件组装技能培训", 1, 20, 0),
    ]
    (fair,) = ok(await jobs.get("/api/v1/fairs", headers=resident))["items"]
    page = ok(await jobs.get(f"/api/v1/fairs/{fair['id']}", headers=resident))
    assert len(page["offers"]) == 6 and sum(len(o["postings"]) for o in page["offers"]) == 12

    await make_profile(jobs, resident, skills=["缝纫", "包粽子"], labour_capacity="half", hours_per_day=6)
    matches = ok(await jobs.get(f"/api/v1/seekers/{resident_id('13900000002')}/matches", headers=resident))
    assert matches["items"][0]["posting"]["title"] == "粽叶包装缝包工"
    assert all(m["posting"]["suits_weak_labour"] for m in matches["items"])

    employer = people.employer(demo_uuid("account", EMPLOYER_LOGIN))
    assert ok(await jobs.get("/api/v1/employers/me", headers=employer))["name"] == "粽叶扶贫车间"


async def test_the_demo_employer_account_is_on_the_roster_and_in_the_gateway(
    client_for: object, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    for name in ("grids", "gateway"):
        await load_process(BY_NAME[name], database_urls[name])
    account = demo_uuid("account", EMPLOYER_LOGIN)
    grids: httpx.AsyncClient = await client_for("grids")  # type: ignore[operator]
    token = keys.token(aud=MACHINE_AUDIENCE, sub="client:gateway", client_id="gateway", scope="internal")
    bindings = ok(
        await grids.get(f"/internal/accounts/{account}/bindings", headers={"Authorization": f"Bearer {token}"})
    )
    assert (bindings["roles"], bindings["places"]) == (["employer"], {"employer": [COMMUNITY]})
    rows = await db.rows(database_urls["gateway"], "SELECT username FROM account WHERE id = $1", account)
    assert [r["username"] for r in rows] == [EMPLOYER_LOGIN]
