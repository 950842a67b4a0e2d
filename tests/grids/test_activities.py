"""Activities (一月一主题) as residents, volunteers and staff meet them: publishing, who sees what,
signing up with a waiting list (race-safe), cancelling and moving up, checking in."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from deploy.demo import run_loader
from services.residents.demo import load as load_registry
from shared.demo import COMMUNITY, GRIDS, STREET, demo_uuid
from shared.testing import TestKeys
from tests.grids.life_support import (
    OTHER_STREET_COMMUNITY,
    account,
    activity_body,
    grid_worker,
    party_member,
    publish,
    resident,
    someone_living_in,
    staff,
    street,
)
from tests.support import db
from tests.support.outbox import payloads

pytestmark = pytest.mark.usefixtures("roster")  # the demo roster, for every test here


async def test_staff_publish_and_the_community_sees_it(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    activity = await publish(
        grids, keys, organiser_kind="party_org", organiser_id=str(demo_uuid("party_org", "江南社区党委"))
    )
    assert activity["organiser_name"] == "江南社区党委" and activity["community_code"] == COMMUNITY
    assert (activity["participants"], activity["waiting"], activity["state"]) == (0, 0, "published")
    assert "check_in_code" not in activity

    month = datetime.fromisoformat(activity["starts_at"]).astimezone(UTC) + timedelta(hours=8)
    seen = await grids.get("/api/v1/activities", params={"month": month.strftime("%Y-%m")}, headers=resident(keys))
    assert [a["id"] for a in seen.json()["items"]] == [activity["id"]]
    machine = {"Authorization": f"Bearer {keys.machine_token(street_code=STREET, scopes=['grids:read'])}"}
    for headers in (party_member(keys, 3), street(keys), machine):
        assert (await grids.get(f"/api/v1/activities/{activity['id']}", headers=headers)).status_code == 200

    # Another community's resident and staff see nothing of it.
    outsider = someone_living_in(keys, f"{OTHER_STREET_COMMUNITY}001")
    assert (await grids.get("/api/v1/activities", headers=outsider)).json()["items"] == []
    assert (await grids.get(f"/api/v1/activities/{activity['id']}", headers=outsider)).status_code == 404
    other_staff = staff(keys, OTHER_STREET_COMMUNITY)
    assert (await grids.get(f"/api/v1/activities/{activity['id']}", headers=other_staff)).status_code == 404
    cancel = await grids.post(f"/api/v1/activities/{activity['id']}/cancel", headers=other_staff)
    assert cancel.status_code == 404

    published = await payloads(database_urls["grids"], "activity.published")
    assert [e["activity_id"] for e in published] == [activity["id"]]


async def test_bad_input_names_the_field_and_writes_nothing(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    starts = datetime.now(UTC) + timedelta(days=2)
    cases = [
        (activity_body(ends_at=(starts - timedelta(hours=1)).isoformat(), starts_at=starts.isoformat()), "ends_at"),
        (activity_body(capacity=0), "capacity"),
        (activity_body(kind="秘密聚会"), "kind"),
        (
            activity_body(organiser_kind="party_org", organiser_id=str(demo_uuid("party_org", "nowhere"))),
            "organiser_id",
        ),
        (activity_body(organiser_kind="volunteer_team"), "organiser_id"),
        (activity_body(grid_code=f"{OTHER_STREET_COMMUNITY}001"), "grid_code"),
        (activity_body(starts_at="0001-01-01T00:00:00+00:00"), "starts_at"),
        (activity_body(secret="13912345678"), "secret"),
    ]
    for body, field in cases:
        answer = await grids.post("/api/v1/activities", json=body, headers=staff(keys))
        assert answer.status_code == 422, (field, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert field in [e["field"] for e in answer.json()["errors"]], answer.json()
        assert "秘密聚会" not in answer.text and "13912345678" not in answer.text
    assert (await db.rows(database_urls["grids"], "SELECT count(*) AS n FROM activity"))[0]["n"] == 0
    assert (await grids.post("/api/v1/activities", json=activity_body(), headers=resident(keys))).status_code == 403
    for month in ("0000-01", "2026-13"):
        answer = await grids.get("/api/v1/activities", params={"month": month}, headers=resident(keys))
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "month"
    elsewhere = activity_body(community_code=OTHER_STREET_COMMUNITY)
    assert (await grids.post("/api/v1/activities", json=elsewhere, headers=staff(keys))).status_code == 404


async def test_a_full_activity_has_a_waiting_list_and_a_cancellation_moves_the_first_up(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    activity = await publish(grids, keys, capacity=2)
    url = f"/api/v1/activities/{activity['id']}/signups"
    people = [resident(keys, f"139000000{n:02d}") for n in (1, 5, 2, 3)]
    answers = [await grids.post(url, json={}, headers=headers) for headers in people]
    assert [a.status_code for a in answers] == [201, 201, 201, 201]
    signups = [a.json() for a in answers]
    assert [(s["state"], s["position"]) for s in signups] == [
        ("confirmed", None),
        ("confirmed", None),
        ("waiting", 1),
        ("waiting", 2),
    ]
    assert signups[0]["resident_id"] == str(demo_uuid("resident", "13900000001")) and signups[0]["name"] is None

    # The staff's attendance list shows the same places in line, whatever the filter or the page.
    listed = (await grids.get(url, headers=staff(keys))).json()
    assert [(s["id"], s["state"], s["position"]) for s in listed["items"]] == [
        (s["id"], s["state"], s["position"]) for s in signups
    ]
    assert listed["next_cursor"] is None
    waiting = (await grids.get(url, params={"state": "waiting", "role": "participant"}, headers=staff(keys))).json()
    assert [(s["id"], s["position"]) for s in waiting["items"]] == [(s["id"], s["position"]) for s in signups[2:]]
    first = (await grids.get(url, params={"limit": 3}, headers=staff(keys))).json()
    rest = (await grids.get(url, params={"limit": 3, "cursor": first["next_cursor"]}, headers=staff(keys))).json()
    assert [s["id"] for s in first["items"] + rest["items"]] == [s["id"] for s in signups]
    assert rest["next_cursor"] is None
    assert (await grids.get(url, params={"role": "volunteer"}, headers=staff(keys))).json() == {
        "items": [],
        "next_cursor": None,
    }

    # Signing up again answers the sign-up there is.
    again = await grids.post(url, json={}, headers=people[2])
    assert again.status_code == 200 and again.json()["id"] == signups[2]["id"]

    # The second cancels: the first waiting moves up, the next waits first in line.
    cancelled = await grids.post(f"{url}/{signups[1]['id']}/cancel", headers=people[1])
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    detail = (await grids.get(f"/api/v1/activities/{activity['id']}", headers=people[2])).json()
    assert detail["my_signup"]["state"] == "confirmed" and detail["participants"] == 2
    detail = (await grids.get(f"/api/v1/activities/{activity['id']}", headers=people[3])).json()
    assert (detail["my_signup"]["state"], detail["my_signup"]["position"], detail["waiting"]) == ("waiting", 1, 1)

    promoted = await payloads(database_urls["grids"], "activity.signup_promoted")
    assert [(e["signup_id"], e["state"]) for e in promoted] == [(signups[2]["id"], "confirmed")]
    signed = await payloads(database_urls["grids"], "activity.signed_up")
    assert [e["state"] for e in signed] == ["confirmed", "confirmed", "waiting", "waiting"]
    assert all(set(e) >= {"activity_id", "signup_id", "resident_id", "community_code"} for e in signed)

    # Signing up again after cancelling queues at the end.
    back = await grids.post(url, json={}, headers=people[1])
    assert back.status_code == 201 and (back.json()["state"], back.json()["position"]) == ("waiting", 2)
    assert back.json()["id"] == signups[1]["id"]


async def test_people_signing_up_into_the_last_place_at_once_get_one_place_and_a_queue(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    activity = await publish(grids, keys, capacity=3)
    url = f"/api/v1/activities/{activity['id']}/signups"
    for _ in range(2):
        assert (await grids.post(url, json={}, headers=someone_living_in(keys))).json()["state"] == "confirmed"
    crowd = [someone_living_in(keys, GRIDS[n % 4]) for n in range(8)]
    answers = await asyncio.gather(*(grids.post(url, json={}, headers=headers) for headers in crowd))
    assert [a.status_code for a in answers] == [201] * 8
    states = sorted((a.json()["state"], a.json()["position"] or 0) for a in answers)
    assert states == [("confirmed", 0)] + [("waiting", n) for n in range(1, 8)]
    rows = await db.rows(
        database_urls["grids"], "SELECT state, count(*) AS n FROM activity_signup GROUP BY state ORDER BY state"
    )
    assert [(r["state"], r["n"]) for r in rows] == [("confirmed", 3), ("waiting", 7)]

    # Two confirmed people cancel at once: the first two waiting move up, no more.
    confirmed = [a for a in answers if a.json()["state"] == "confirmed"][0]
    holder = crowd[answers.index(confirmed)]
    first = (await grids.get(f"/api/v1/activities/{activity['id']}/signups", params={"state": "confirmed"},
                             headers=staff(keys))).json()["items"][0]  # fmt: skip
    results = await asyncio.gather(
        grids.post(f"{url}/{confirmed.json()['id']}/cancel", headers=holder),
        grids.post(f"{url}/{first['id']}/cancel", headers=staff(keys)),
    )
    assert [r.status_code for r in results] == [200, 200]
    rows = await db.rows(
        database_urls["grids"], "SELECT state, count(*) AS n FROM activity_signup GROUP BY state ORDER BY state"
    )
    assert [(r["state"], r["n"]) for r in rows] == [("cancelled", 2), ("confirmed", 3), ("waiting", 5)]


async def test_who_may_sign_up_and_cancel(grids: httpx.AsyncClient, keys: TestKeys) -> None:
    activity = await publish(grids, keys, volunteer_capacity=0)
    url = f"/api/v1/activities/{activity['id']}/signups"
    mine = (await grids.post(url, json={}, headers=resident(keys))).json()
    # Another resident may not cancel it (it is not theirs to see), a grid-2 party member may not take part.
    assert (await grids.post(f"{url}/{mine['id']}/cancel", headers=resident(keys, "13900000002"))).status_code == 404
    assert (await grids.post(url, json={}, headers=party_member(keys, 3))).status_code == 403
    volunteer = await grids.post(url, json={"role": "volunteer"}, headers=party_member(keys, 3))
    assert volunteer.status_code == 422 and volunteer.json()["errors"][0]["field"] == "role"
    # A resident may not sign someone else up; nor may anyone outside the community.
    other = {"resident_id": str(demo_uuid("resident", "13900000002"))}
    assert (await grids.post(url, json=other, headers=resident(keys))).status_code == 403
    outsider = someone_living_in(keys, f"{OTHER_STREET_COMMUNITY}001")
    assert (await grids.post(url, json={}, headers=outsider)).status_code == 404
    # Once called off, nobody signs up.
    assert (await grids.post(f"/api/v1/activities/{activity['id']}/cancel", headers=staff(keys))).status_code == 200
    late = await grids.post(url, json={}, headers=resident(keys, "13900000005"))
    assert late.status_code == 409 and late.json()["state"] == "cancelled"


async def test_staff_and_grid_workers_sign_up_residents_in_their_name(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    await run_loader(load_registry, database_urls["residents"])
    activity = await publish(grids, keys)
    url = f"/api/v1/activities/{activity['id']}/signups"
    elder = str(demo_uuid("resident", "13900000002"))
    answer = await grids.post(url, json={"resident_id": elder}, headers=staff(keys))
    assert answer.status_code == 201, answer.text
    assert (answer.json()["resident_id"], answer.json()["account_id"]) == (elder, None)
    assert answer.json()["grid_code"] == GRIDS[1]
    # The resident finds it as their own, and signing up again answers it.
    detail = (await grids.get(f"/api/v1/activities/{activity['id']}", headers=resident(keys, "13900000002"))).json()
    assert detail["my_signup"]["id"] == answer.json()["id"]
    assert (await grids.post(url, json={}, headers=resident(keys, "13900000002"))).status_code == 200
    # gw1 keeps grid 1: a grid-2 resident is not theirs to sign up.
    refused = await grids.post(url, json={"resident_id": elder}, headers=grid_worker(keys, 1))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "resident_id"
    neighbour = str(demo_uuid("resident", "13900000005"))
    assert (await grids.post(url, json={"resident_id": neighbour}, headers=grid_worker(keys, 1))).status_code == 201


async def test_check_in_by_staff_and_with_the_venues_code(
    grids: httpx.AsyncClient, keys: TestKeys, database_urls: dict[str, str]
) -> None:
    starts = datetime.now(UTC) + timedelta(minutes=30)
    activity = await publish(
        grids,
        keys,
        capacity=1,
        points=8,
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(hours=2)).isoformat(),
    )
    base = f"/api/v1/activities/{activity['id']}"
    attending = (await grids.post(f"{base}/signups", json={}, headers=resident(keys))).json()
    waiting = (await grids.post(f"{base}/signups", json={}, headers=resident(keys, "13900000005"))).json()
    serving = await grids.post(f"{base}/signups", json={"role": "volunteer"}, headers=party_member(keys, 1))
    assert serving.status_code == 201 and serving.json()["name"] == "党员1"
    assert serving.json()["account_id"] == account("pm1") and serving.json()["grid_code"] == GRIDS[0]

    # The code is for staff to show: residents may not read it, staff of another community do not find it.
    assert (await grids.get(f"{base}/check-in-code", headers=resident(keys))).status_code == 403
    assert (await grids.get(f"{base}/check-in-code", headers=staff(keys, OTHER_STREET_COMMUNITY))).status_code == 404
    code = (await grids.get(f"{base}/check-in-code", headers=staff(keys))).json()["code"]
    assert len(code) == 6 and code.isdigit()

    wrong = "000000" if code != "000000" else "111111"
    refused = await grids.post(f"{base}/check-in", json={"code": wrong}, headers=resident(keys))
    assert refused.status_code == 422 and refused.json()["errors"] == [
        {"field": "code", "message": "not the code shown at the venue"}
    ]
    assert wrong not in refused.text
    done = await grids.post(f"{base}/check-in", json={"code": code}, headers=resident(keys))
    assert done.status_code == 200 and done.json()["check_in_method"] == "code" and done.json()["checked_in_at"]
    assert done.json()["id"] == attending["id"]
    # Someone waiting is not checked in, by code nor by staff.
    assert (
        await grids.post(f"{base}/check-in", json={"code": code}, headers=resident(keys, "13900000005"))
    ).status_code == 409
    by_staff = await grids.post(f"{base}/signups/{waiting['id']}/check-in", headers=staff(keys))
    assert by_staff.status_code == 409 and by_staff.json()["state"] == "waiting"

    # Staff check the volunteer in, twice: one check-in, one event for the points.
    url = f"{base}/signups/{serving.json()['id']}/check-in"
    assert (await grids.post(url, headers=party_member(keys, 1))).status_code == 403
    assert (await grids.post(url, headers=staff(keys, OTHER_STREET_COMMUNITY))).status_code == 404
    for _ in range(2):
        checked = await grids.post(url, headers=staff(keys))
        assert checked.status_code == 200 and checked.json()["check_in_method"] == "staff"
    served = await payloads(database_urls["grids"], "activity.volunteer_served")
    assert len(served) == 1
    assert served[0]["street_code"] == STREET
    assert {k: served[0][k] for k in ("activity_id", "account_id", "account_name", "grid_code", "points")} == {
        "activity_id": activity["id"],
        "account_id": account("pm1"),
        "account_name": "党员1",
        "grid_code": GRIDS[0],
        "points": 8,
    }
    checked_in = await payloads(database_urls["grids"], "activity.checked_in")
    assert [(e["role"], e["method"]) for e in checked_in] == [("participant", "code"), ("volunteer", "staff")]

    attendance = (await grids.get(f"{base}/signups", headers=staff(keys))).json()["items"]
    assert [(s["role"], s["state"], bool(s["checked_in_at"])) for s in attendance] == [
        ("participant", "confirmed", True),
        ("participant", "waiting", False),
        ("volunteer", "confirmed", True),
    ]
    assert (await grids.get(f"{base}/signups", headers=resident(keys))).status_code == 403
    assert (await grids.get(f"{base}/signups", headers=staff(keys, OTHER_STREET_COMMUNITY))).status_code == 404
    # Checked in: the sign-up stands, and the activity took place.
    assert (await grids.post(f"{base}/signups/{attending['id']}/cancel", headers=resident(keys))).status_code == 409
    assert (await grids.post(f"{base}/cancel", headers=staff(keys))).status_code == 409


async def test_the_venues_code_works_only_around_the_activity(grids: httpx.AsyncClient, keys: TestKeys) -> None:
    activity = await publish(grids, keys)  # in three days
    base = f"/api/v1/activities/{activity['id']}"
    await grids.post(f"{base}/signups", json={}, headers=resident(keys))
    code = (await grids.get(f"{base}/check-in-code", headers=staff(keys))).json()["code"]
    early = await grids.post(f"{base}/check-in", json={"code": code}, headers=resident(keys))
    assert early.status_code == 409
    unsigned = await grids.post(f"{base}/check-in", json={"code": "12345"}, headers=resident(keys))
    assert unsigned.status_code == 422 and unsigned.json()["errors"][0]["field"] == "code"


async def test_more_places_let_people_in_and_fewer_than_taken_are_refused(
    grids: httpx.AsyncClient, keys: TestKeys
) -> None:
    activity = await publish(grids, keys, capacity=1)
    url = f"/api/v1/activities/{activity['id']}"
    for phone in ("13900000001", "13900000005", "13900000002"):
        await grids.post(f"{url}/signups", json={}, headers=resident(keys, phone))
    changed = await grids.patch(url, json={"capacity": 2, "title": "重阳敬老包饺子(加场)"}, headers=staff(keys))
    assert changed.status_code == 200 and (changed.json()["participants"], changed.json()["waiting"]) == (2, 1)
    fewer = await grids.patch(url, json={"capacity": 1}, headers=staff(keys))
    assert fewer.status_code == 422 and fewer.json()["errors"][0]["field"] == "capacity"
    nulled = await grids.patch(url, json={"title": None}, headers=staff(keys))
    assert nulled.status_code == 422 and nulled.json()["errors"][0]["field"] == "title"
    assert (
        await grids.patch(url, json={"capacity": 3}, headers=staff(keys, OTHER_STREET_COMMUNITY))
    ).status_code == 404
    detail = (await grids.get(url, headers=resident(keys, "13900000002"))).json()
    assert detail["my_signup"]["state"] == "waiting" and detail["title"] == "重阳敬老包饺子(加场)"
