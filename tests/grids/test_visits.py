"""Visits (走访) as the grid-worker app meets them: offline sync, scope, photos, follow-ups, coverage."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from PIL import Image

from services.grids.demo import demo_boundary
from shared import demo
from shared.demo import GRIDS
from shared.photos import MAX_PHOTO_BYTES
from shared.testing import TestKeys
from tests.support import db
from tests.support.outbox import outbox


def as_person(keys: TestKeys, login: str) -> dict[str, str]:
    person = next(p for p in demo.people() if p.login == login)
    return keys.headers(sub=str(person.account_id), roles=[person.role], places={person.role: [person.place]})


def inside(grid: str) -> tuple[float, float]:
    (west, south), _, (east, north), *_ = demo_boundary(GRIDS.index(grid) + 1)
    return (south + north) / 2, (west + east) / 2


def visit(household: uuid.UUID, **fields: Any) -> dict[str, Any]:
    lat, lng = inside(GRIDS[0])
    body = {
        "id": str(uuid.uuid4()),
        "household_id": str(household),
        "kind": "routine",
        "visited_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "lat": lat,
        "lng": lng,
        "notes": "日常走访",
    }
    return body | fields


def png(color: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


GRID1 = demo.households_of_grid(GRIDS[0])
GRID2 = demo.households_of_grid(GRIDS[1])


async def test_offline_sync_creates_each_visit_once_and_answers_per_item(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None, database_urls: dict[str, str]
) -> None:
    gw1 = as_person(keys, "gw1")
    west, south = demo_boundary(1)[0]
    batch = [
        visit(GRID1[0].id),
        visit(GRID1[1].id, kind="illness", follow_up=True, lat=south - 0.01, lng=west - 0.01),
        visit(GRID2[0].id),  # another grid's household
        visit(GRID1[2].id, visited_at=(datetime.now(UTC) + timedelta(days=2)).isoformat()),
    ]
    first = await grids.post("/api/v1/visits/sync", json={"visits": batch}, headers=gw1)
    assert first.status_code == 200, first.text
    results = first.json()["results"]
    assert [r["status"] for r in results] == ["created", "created", "rejected", "rejected"]
    assert [r["id"] for r in results] == [v["id"] for v in batch]
    assert "household" in results[2]["reason"] and "future" in results[3]["reason"]

    again = await grids.post("/api/v1/visits/sync", json={"visits": batch}, headers=gw1)
    assert [r["status"] for r in again.json()["results"]] == ["exists", "exists", "rejected", "rejected"]

    assert await db.value(database_urls["grids"], "SELECT count(*) FROM visit") == 2
    events = await outbox(database_urls["grids"])
    assert [e.type for e in events] == ["visit.follow_up_needed"]  # once, though synced twice
    payload = json.dumps(events[0].payload, ensure_ascii=False)
    assert batch[1]["id"] in payload and GRIDS[0] in payload
    assert "139" not in payload and "notes" not in payload

    flagged = (await grids.get(f"/api/v1/visits/{batch[1]['id']}", headers=gw1)).json()
    plain = (await grids.get(f"/api/v1/visits/{batch[0]['id']}", headers=gw1)).json()
    assert flagged["outside_grid"] is True and plain["outside_grid"] is False
    assert flagged["follow_up"] is True and flagged["kind"] == "illness"


async def test_one_visit_twice_is_201_then_200_and_another_grid_is_404(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None
) -> None:
    gw1, gw5, gw2 = as_person(keys, "gw1"), as_person(keys, "gw5"), as_person(keys, "gw2")
    body = visit(GRID1[3].id)
    assert (await grids.post("/api/v1/visits", json=body, headers=gw1)).status_code == 201
    assert (await grids.post("/api/v1/visits", json=body, headers=gw1)).status_code == 200
    # gw5 works grid 1 too, but the id is gw1's visit: no overwriting someone else's record.
    taken = await grids.post("/api/v1/visits", json=body, headers=gw5)
    assert taken.status_code == 409
    elsewhere = await grids.post("/api/v1/visits", json=visit(GRID1[4].id), headers=gw2)
    assert elsewhere.status_code == 404
    assert elsewhere.headers["content-type"] == "application/problem+json"
    half_gps = await grids.post("/api/v1/visits", json=visit(GRID1[4].id, lng=None), headers=gw1)
    assert half_gps.status_code == 422


async def test_sync_refuses_malformed_batches_naming_the_field(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None, database_urls: dict[str, str]
) -> None:
    gw1 = as_person(keys, "gw1")
    bad_kind = await grids.post(
        "/api/v1/visits/sync", json={"visits": [visit(GRID1[0].id), visit(GRID1[1].id, kind="chat")]}, headers=gw1
    )
    assert bad_kind.status_code == 422
    assert any(e["field"] == "visits.1.kind" for e in bad_kind.json()["errors"])
    too_many = await grids.post(
        "/api/v1/visits/sync", json={"visits": [visit(GRID1[i % 100].id) for i in range(201)]}, headers=gw1
    )
    assert too_many.status_code == 422
    assert await db.value(database_urls["grids"], "SELECT count(*) FROM visit") == 0  # nothing half-written


async def test_party_members_visit_their_linked_households_only(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None
) -> None:
    pm1 = as_person(keys, "pm1")
    linked = demo.links()["pm1"]
    unlinked = next(h for h in GRID1 if h not in linked)
    answer = await grids.post(
        "/api/v1/visits/sync", json={"visits": [visit(linked[0].id), visit(unlinked.id)]}, headers=pm1
    )
    assert [r["status"] for r in answer.json()["results"]] == ["created", "rejected"]
    staff = as_person(keys, "staff")
    assert (
        await grids.post("/api/v1/visits/sync", json={"visits": [visit(GRID1[0].id)]}, headers=staff)
    ).status_code == 403


async def test_lists_are_scoped_to_the_callers_grids(grids: httpx.AsyncClient, keys: TestKeys, roster: None) -> None:
    gw1, gw2, staff = as_person(keys, "gw1"), as_person(keys, "gw2"), as_person(keys, "staff")
    mine = [visit(GRID1[i].id) for i in range(3)]
    theirs = [visit(GRID2[i].id, lat=inside(GRIDS[1])[0], lng=inside(GRIDS[1])[1]) for i in range(2)]
    await grids.post("/api/v1/visits/sync", json={"visits": mine}, headers=gw1)
    await grids.post("/api/v1/visits/sync", json={"visits": theirs}, headers=gw2)

    seen_by_gw1 = (await grids.get("/api/v1/visits", headers=gw1)).json()["items"]
    assert {v["id"] for v in seen_by_gw1} == {v["id"] for v in mine}
    assert (await grids.get(f"/api/v1/visits/{theirs[0]['id']}", headers=gw1)).status_code == 404
    everyone = (await grids.get("/api/v1/visits", params={"limit": 2}, headers=staff)).json()
    assert len(everyone["items"]) == 2 and everyone["next_cursor"]
    rest = (await grids.get("/api/v1/visits", params={"cursor": everyone["next_cursor"]}, headers=staff)).json()
    assert len(rest["items"]) == 3 and rest["next_cursor"] is None
    by_household = (await grids.get("/api/v1/visits", params={"household_id": str(GRID2[1].id)}, headers=staff)).json()
    assert [v["id"] for v in by_household["items"]] == [theirs[1]["id"]]
    asked_elsewhere = await grids.get("/api/v1/visits", params={"grid_code": GRIDS[1]}, headers=gw1)
    assert asked_elsewhere.json()["items"] == []


async def test_photos_are_checked_by_content_and_served_only_within_scope(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None
) -> None:
    gw1, gw5, gw2 = as_person(keys, "gw1"), as_person(keys, "gw5"), as_person(keys, "gw2")
    body = visit(GRID1[0].id)
    await grids.post("/api/v1/visits", json=body, headers=gw1)
    url = f"/api/v1/visits/{body['id']}/photos"
    photo = png()

    stored = await grids.post(url, files={"file": ("x.gif", photo, "image/gif")}, headers=gw1)
    assert stored.status_code == 201, stored.text
    assert stored.json()["content_type"] == "image/png"  # by content, not by the name or the header
    again = await grids.post(url, files={"file": ("x.png", photo, "image/png")}, headers=gw1)
    assert again.status_code == 200 and again.json()["id"] == stored.json()["id"]

    fake = await grids.post(url, files={"file": ("x.jpg", b"GIF89a not really", "image/jpeg")}, headers=gw1)
    assert fake.status_code == 422 and fake.json()["errors"][0]["field"] == "file"
    huge = await grids.post(url, files={"file": ("x.png", photo + b"\0" * MAX_PHOTO_BYTES, "image/png")}, headers=gw1)
    assert huge.status_code == 413
    not_mine = await grids.post(url, files={"file": ("y.png", png("blue"), "image/png")}, headers=gw5)
    assert not_mine.status_code == 403

    photo_url = f"{url}/{stored.json()['id']}"
    served = await grids.get(photo_url, headers=gw5)  # a colleague of the same grid may see it
    assert served.status_code == 200 and served.content == photo
    assert served.headers["content-type"] == "image/png"
    assert (await grids.get(photo_url, headers=gw2)).status_code == 404
    listed = (await grids.get(f"/api/v1/visits/{body['id']}", headers=gw1)).json()
    assert [p["id"] for p in listed["photos"]] == [stored.json()["id"]]
    (shown,) = listed["photos"]
    assert {k: v for k, v in shown.items() if k != "created_at"} == {
        k: v for k, v in stored.json().items() if k != "created_at"
    }
    assert datetime.fromisoformat(shown["created_at"]) == datetime.fromisoformat(stored.json()["created_at"])
    assert {k: listed[k] for k in ("id", "household_id", "kind", "notes", "lat", "lng")} == {
        k: body[k] for k in ("id", "household_id", "kind", "notes", "lat", "lng")
    }
    assert listed["follow_up"] is False and listed["grid_code"] == GRIDS[0]
    unknown = await grids.get(f"{url}/{uuid.uuid4()}", headers=gw1)
    assert unknown.status_code == 404 and "no photo" in unknown.json()["detail"]


async def test_a_visit_keeps_at_most_nine_photos(grids: httpx.AsyncClient, keys: TestKeys, roster: None) -> None:
    gw1 = as_person(keys, "gw1")
    body = visit(GRID1[0].id)
    await grids.post("/api/v1/visits", json=body, headers=gw1)
    url = f"/api/v1/visits/{body['id']}/photos"
    for width in range(40, 49):
        kept = await grids.post(url, files={"file": ("x.png", png(size=(width, 30)), "image/png")}, headers=gw1)
        assert kept.status_code == 201, kept.text
    tenth = await grids.post(url, files={"file": ("x.png", png(size=(60, 30)), "image/png")}, headers=gw1)
    assert tenth.status_code == 409 and tenth.json()["detail"] == "a visit keeps at most 9 photos"
    again = await grids.post(url, files={"file": ("x.png", png(size=(40, 30)), "image/png")}, headers=gw1)
    assert again.status_code == 200  # one it keeps already is still answered


async def test_coverage_counts_households_visited_in_the_last_30_days(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None
) -> None:
    gw1 = as_person(keys, "gw1")
    old = (datetime.now(UTC) - timedelta(days=45)).isoformat()
    batch = [visit(GRID1[0].id), visit(GRID1[0].id), visit(GRID1[1].id), visit(GRID1[2].id, visited_at=old)]
    await grids.post("/api/v1/visits/sync", json={"visits": batch}, headers=gw1)
    report = (await grids.get("/api/v1/visits/coverage", headers=gw1)).json()
    assert report["items"] == [
        {"grid_code": GRIDS[0], "households": len(GRID1), "visited": 2, "ratio": round(2 / len(GRID1), 4)}
    ]
    staff_report = (await grids.get("/api/v1/visits/coverage", headers=as_person(keys, "staff"))).json()
    assert [item["grid_code"] for item in staff_report["items"]] == GRIDS
    pm1 = as_person(keys, "pm1")
    assert (await grids.get("/api/v1/visits/coverage", headers=pm1)).status_code == 403


async def test_a_party_member_lists_their_own_visits_and_those_to_their_households(
    grids: httpx.AsyncClient, keys: TestKeys, roster: None
) -> None:
    gw1, pm1, pm2 = as_person(keys, "gw1"), as_person(keys, "pm1"), as_person(keys, "pm2")
    linked = demo.links()["pm1"]
    unlinked = next(h for h in GRID1 if h not in linked and h not in demo.links()["pm2"])
    own = visit(linked[0].id)
    to_linked = visit(linked[1].id, visited_at=(datetime.now(UTC) - timedelta(days=3)).isoformat())
    elsewhere = visit(unlinked.id)
    await grids.post("/api/v1/visits/sync", json={"visits": [own]}, headers=pm1)
    await grids.post("/api/v1/visits/sync", json={"visits": [to_linked, elsewhere]}, headers=gw1)

    listed = (await grids.get("/api/v1/visits", headers=pm1)).json()["items"]
    assert [v["id"] for v in listed] == [own["id"], to_linked["id"]]  # newest first
    recent = await grids.get(
        "/api/v1/visits", params={"since": (datetime.now(UTC) - timedelta(days=1)).isoformat()}, headers=pm1
    )
    assert [v["id"] for v in recent.json()["items"]] == [own["id"]]
    assert (await grids.get(f"/api/v1/visits/{elsewhere['id']}", headers=pm1)).status_code == 404
    for seen in (own, to_linked):  # their own, and one to a household linked to them
        assert (await grids.get(f"/api/v1/visits/{seen['id']}", headers=pm1)).json()["id"] == seen["id"]
        assert (await grids.get(f"/api/v1/visits/{seen['id']}", headers=pm2)).status_code == 404
    assert (await grids.get("/api/v1/visits", headers=pm2)).json()["items"] == []
    naive = await grids.get("/api/v1/visits", params={"since": "2026-01-01T00:00:00"}, headers=pm1)
    assert naive.status_code == 422
