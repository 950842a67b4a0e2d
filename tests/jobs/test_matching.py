"""Matching (人岗对接): the score and its reasons factor by factor, and rankings where the order matters,
both ways, through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.jobs.matching.service import PostingFacts, SeekerFacts, score
from tests.jobs.helpers import People, make_employer, make_posting, make_profile
from tests.support import db
from tests.support.answers import ok
from tests.support.people import resident_id
from tests.support.places import GRIDS, NEIGHBOUR_COMMUNITY, OTHER_STREET, OTHER_STREET_COMMUNITY
from tests.support.problems import assert_problem

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SEEKER = SeekerFacts(
    skills=["电工", "焊工"],
    desired_categories=["manufacturing"],
    hours_per_day=8,
    shifts=["day"],
    labour_capacity="full",
    preferred_places=[],
    grid_code=GRIDS[0],
    community_code=GRIDS[0][:12],
    street_code=GRIDS[0][:9],
)
POSTING = PostingFacts(
    skills=["电工", "焊工", "钳工"],
    category="manufacturing",
    hours_per_day=8,
    shifts=["day", "night"],
    suits_weak_labour=False,
    grid_code=GRIDS[0],
    community_code=GRIDS[0][:12],
    street_code=GRIDS[0][:9],
    opened_at=NOW - timedelta(days=4),
)


def points(seeker: SeekerFacts, posting: PostingFacts) -> dict[str, int]:
    return {r.factor: r.points for r in score(seeker, posting, NOW)[1]}


@pytest.mark.no_db
def test_every_factor_is_listed_with_its_points_and_they_add_up() -> None:
    total, reasons = score(SEEKER, POSTING, NOW)
    assert [(r.factor, r.points) for r in reasons] == [
        ("skills", 23),  # 2 of 3
        ("capacity", 15),
        ("hours", 15),
        ("place", 15),
        ("category", 10),
        ("freshness", 9),  # 4 days
    ]
    assert total == 87 == sum(r.points for r in reasons)
    assert reasons[0].detail == "2 of the 3 skills asked: 电工, 焊工"


@pytest.mark.no_db
@pytest.mark.parametrize(
    ("seeker", "posting", "factor", "expected"),
    [
        ({}, {"skills": []}, "skills", 15),
        ({"skills": ["木工"]}, {}, "skills", 0),
        ({"skills": ["ＥＸＣＥＬ"]}, {"skills": ["excel"]}, "skills", 35),
        ({"labour_capacity": "weak"}, {"suits_weak_labour": True}, "capacity", 15),
        ({}, {"suits_weak_labour": True}, "capacity", 8),
        ({"hours_per_day": 4}, {}, "hours", 5),
        ({"shifts": ["evening"]}, {}, "hours", 10),
        ({"shifts": ["flexible"], "hours_per_day": 4}, {}, "hours", 5),
        ({}, {"grid_code": GRIDS[1]}, "place", 12),
        ({}, {"grid_code": None, "community_code": NEIGHBOUR_COMMUNITY}, "place", 8),
        (
            {"preferred_places": [NEIGHBOUR_COMMUNITY]},
            {"grid_code": None, "community_code": NEIGHBOUR_COMMUNITY},
            "place",
            12,
        ),
        ({}, {"grid_code": None, "community_code": OTHER_STREET_COMMUNITY, "street_code": OTHER_STREET}, "place", 0),
        ({"desired_categories": []}, {}, "category", 5),
        ({"desired_categories": ["retail"]}, {}, "category", 0),
        ({}, {"opened_at": NOW - timedelta(hours=30)}, "freshness", 10),
        ({}, {"opened_at": NOW - timedelta(days=40)}, "freshness", 0),
    ],
)
def test_each_factor(seeker: dict[str, Any], posting: dict[str, Any], factor: str, expected: int) -> None:
    from dataclasses import replace

    assert points(replace(SEEKER, **seeker), replace(POSTING, **posting))[factor] == expected


@pytest.mark.no_db
def test_the_same_facts_always_give_the_same_answer() -> None:
    from dataclasses import replace

    first = score(SEEKER, POSTING, NOW)
    score(replace(SEEKER, skills=["钳工"], labour_capacity="weak"), replace(POSTING, grid_code=None), NOW)  # no memory
    # The same facts given anew, their lists in another order and of another kind: the same score and reasons.
    again = score(
        replace(SEEKER, skills=tuple(reversed(SEEKER.skills)), shifts=tuple(SEEKER.shifts)),
        replace(POSTING, shifts=list(reversed(POSTING.shifts)), skills=tuple(POSTING.skills)),
        NOW,
    )
    assert again == first and again[0] == 87
    assert [r.model_dump() for r in again[1]] == [r.model_dump() for r in first[1]]


async def opened_days_ago(url: str, posting_id: str, days: float) -> None:
    await db.rows(
        url,
        "UPDATE posting SET opened_at = now() - make_interval(secs => $2),"
        " created_at = now() - make_interval(secs => $2) WHERE id = $1",
        uuid.UUID(posting_id),
        days * 86400,
    )


async def test_a_seekers_matches_rank_skills_then_place_then_freshness(
    jobs: httpx.AsyncClient, people: People, database_urls: dict[str, str]
) -> None:
    staff = people.staff()
    workshop = await make_employer(jobs, staff)
    elsewhere = await make_employer(jobs, people.street_admin(), community=NEIGHBOUR_COMMUNITY, name="别处车间")
    far = await make_employer(
        jobs, people.street_admin(OTHER_STREET), community=OTHER_STREET_COMMUNITY, name="外街车间"
    )
    common: dict[str, Any] = {"category": "handicraft", "hours_per_day": 6, "suits_weak_labour": True}
    # Seeker 13900000002 lives in grid 2 of the demo community; half labour; skills 包粽子, 缝纫.
    both_skills = await make_posting(jobs, staff, workshop["id"], title="A", skills=["包粽子", "缝纫"], **common)
    await make_posting(  # one skill, in the seeker's grid
        jobs, staff, workshop["id"], title="B", skills=["包粽子", "编藤椅"], grid_code=GRIDS[1], **common
    )
    one_skill_old = await make_posting(
        jobs, staff, workshop["id"], title="C", skills=["包粽子", "编藤椅"], grid_code=GRIDS[1], **common
    )
    await make_posting(  # one skill, in the next community
        jobs, people.street_admin(), elsewhere["id"], title="D", skills=["包粽子", "编藤椅"], **common
    )
    not_for_weak = await make_posting(
        jobs,
        staff,
        workshop["id"],
        title="E",
        skills=["包粽子", "缝纫"],
        category="handicraft",
        hours_per_day=6,
        suits_weak_labour=False,
    )
    other_street = await make_posting(
        jobs, people.street_admin(OTHER_STREET), far["id"], title="F", skills=["包粽子", "缝纫"], **common
    )
    await opened_days_ago(database_urls["jobs"], one_skill_old["id"], 10)
    me = people.resident("13900000002")
    await make_profile(jobs, me)

    url = f"/api/v1/seekers/{resident_id('13900000002')}/matches"
    body = ok(await jobs.get(url, headers=me))
    order = [m["posting"]["title"] for m in body["items"]]
    assert order == ["A", "B", "C", "D"]
    assert not_for_weak["id"] not in {m["posting"]["id"] for m in body["items"]}  # half labour: suitable ones only
    assert other_street["id"] not in {m["posting"]["id"] for m in body["items"]}
    scores = [m["score"] for m in body["items"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[1] > scores[2] > scores[3]
    reasons = {r["factor"]: r for r in body["items"][1]["reasons"]}
    assert reasons["place"]["detail"] == "in the seeker's own grid"
    assert reasons["skills"]["detail"] == "1 of the 2 skills asked: 包粽子"
    assert {r["factor"]: r["points"] for r in body["items"][2]["reasons"]}["freshness"] == 7  # 10 days

    # Pages keep the ranking; applying takes a posting out of the matches.
    first = ok(await jobs.get(url, params={"limit": 3}, headers=me))
    rest = ok(await jobs.get(url, params={"limit": 3, "cursor": first["next_cursor"]}, headers=me))
    assert [m["posting"]["title"] for m in first["items"] + rest["items"]] == order and rest["next_cursor"] is None
    await jobs.post("/api/v1/applications", json={"posting_id": both_skills["id"]}, headers=me)
    assert [m["posting"]["title"] for m in ok(await jobs.get(url, headers=me))["items"]] == ["B", "C", "D"]
    # A preferred place outside the street brings its postings in.
    await make_profile(jobs, me, preferred_places=[OTHER_STREET])
    assert "F" in [m["posting"]["title"] for m in ok(await jobs.get(url, headers=me))["items"]]


async def test_only_the_seeker_and_those_who_keep_them_see_their_matches(
    jobs: httpx.AsyncClient, people: People
) -> None:
    await make_profile(jobs, people.resident("13900000002"))
    url = f"/api/v1/seekers/{resident_id('13900000002')}/matches"
    assert ok(await jobs.get(url, headers=people.staff()))["items"] == []
    assert_problem(await jobs.get(url, headers=people.resident("13900000003")), 404)
    assert_problem(await jobs.get(url, headers=people.staff(NEIGHBOUR_COMMUNITY)), 404)
    assert_problem(await jobs.get(url, headers=people.worker(GRIDS[0])), 404)
    assert ok(await jobs.get(url, headers=people.worker(GRIDS[1])))["items"] == []


async def test_a_postings_matches_rank_the_seekers_of_the_callers_community(
    jobs: httpx.AsyncClient, people: People, sign_in_homes: None
) -> None:
    staff = people.staff()
    employer = await make_employer(jobs, staff)
    posting = await make_posting(
        jobs, staff, employer["id"], skills=["包粽子", "缝纫"], grid_code=GRIDS[0], suits_weak_labour=True
    )
    profiles: dict[str, dict[str, Any]] = {
        "13900000001": {"skills": ["包粽子", "缝纫"], "labour_capacity": "weak"},  # grid 1: same grid
        "13900000002": {"skills": ["包粽子", "缝纫"], "labour_capacity": "half"},  # grid 2
        "13900000003": {"skills": ["包粽子"], "labour_capacity": "half"},
        "13900000004": {"skills": ["包粽子", "缝纫"], "labour_capacity": "full"},  # full labour, lower capacity fit
        "13900000005": {"skills": ["包粽子", "缝纫"], "labour_capacity": "weak", "active": False},
    }
    for phone, fields in profiles.items():
        await make_profile(jobs, people.resident(phone), **fields)
    stranger = people.stranger()
    await make_profile(jobs, stranger)  # another community of the street: not this staff's to see

    body = ok(await jobs.get(f"/api/v1/postings/{posting['id']}/matches", headers=staff))
    ranked = [m["seeker"]["resident_id"] for m in body["items"]]
    assert ranked == [resident_id(p) for p in ("13900000001", "13900000002", "13900000004", "13900000003")]
    assert [m["score"] for m in body["items"]] == sorted((m["score"] for m in body["items"]), reverse=True)
    admin = ok(await jobs.get(f"/api/v1/postings/{posting['id']}/matches", headers=people.street_admin()))
    assert len(admin["items"]) == 5  # the street's admin sees the other community's seeker too
    assert_problem(
        await jobs.get(f"/api/v1/postings/{posting['id']}/matches", headers=people.staff(NEIGHBOUR_COMMUNITY)), 403
    )
    assert_problem(await jobs.get(f"/api/v1/postings/{posting['id']}/matches", headers=people.resident()), 403)
