"""Matching (人岗对接), both ways, deterministic and explained.

Candidates come from SQL (the hard rules): postings taking applications in the seeker's street or in a
place they prefer, and for a weak- or half-labour seeker only postings that suit them; the seeker has
no live application to them. Each candidate then gets a score of 0-100 from six factors, every one
listed with its points and why:

| factor | points |
|---|---|
| skills | 35 x the share of the posting's skills the seeker has; 15 when it asks for none |
| capacity | 15 when it fits; 8 for full labour on a posting kept for weak or half labour |
| hours | 10 when the posting's hours a day are within the seeker's, + 5 when a shift fits |
| place | same grid 15, same community 12, a preferred place 12, same street 8, else 0 |
| category | 10 a desired category, 5 when the seeker named none |
| freshness | 10 - one point for every 3 days since the posting opened (0 after 30 days) |

Ties go to the fresher posting, then by id, so the same data always gives the same order.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, bindparam, exists, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.jobs.matching.schemas import MatchReason, PostingMatch, SeekerMatch
from services.jobs.models import LIVE_APPLICATION_STATES, Application, Employer, Posting, Seeker
from services.jobs.postings import service as postings
from services.jobs.postings.schemas import PostingSummary
from services.jobs.seekers import service as seekers
from services.jobs.seekers.schemas import SeekerPublic
from shared.errors import Forbidden, NotFound
from shared.pagination import decode_cursor, encode_cursor
from shared.scope import any_of
from shared.security import Principal

CANDIDATES = 500  # the newest candidates scored per request


@dataclass(frozen=True, slots=True)
class SeekerFacts:
    skills: Sequence[str]
    desired_categories: Sequence[str]
    hours_per_day: int
    shifts: Sequence[str]
    labour_capacity: str
    preferred_places: Sequence[str]
    grid_code: str
    community_code: str
    street_code: str


@dataclass(frozen=True, slots=True)
class PostingFacts:
    skills: Sequence[str]
    category: str
    hours_per_day: int
    shifts: Sequence[str]
    suits_weak_labour: bool
    grid_code: str | None
    community_code: str
    street_code: str
    opened_at: datetime | None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> PostingFacts:
        return cls(**{name: row[name] for name in cls.__slots__})


def _fold(skill: str) -> str:
    return unicodedata.normalize("NFKC", skill).strip().lower()


def _skills(seeker: SeekerFacts, posting: PostingFacts) -> MatchReason:
    wanted = list(dict.fromkeys(posting.skills))
    if not wanted:
        return MatchReason(factor="skills", points=15, detail="asks for no particular skill")
    have = {_fold(s) for s in seeker.skills}
    matched = [s for s in wanted if _fold(s) in have]
    points = round(35 * len(matched) / len(wanted))
    if matched:
        detail = f"{len(matched)} of the {len(wanted)} skills asked: {', '.join(matched)}"
    else:
        detail = f"none of the {len(wanted)} skills asked ({', '.join(wanted)})"
    return MatchReason(factor="skills", points=points, detail=detail)


def _capacity(seeker: SeekerFacts, posting: PostingFacts) -> MatchReason:
    if seeker.labour_capacity != "full":
        return MatchReason(factor="capacity", points=15, detail="suits weak or half labour (弱/半劳动力)")
    if posting.suits_weak_labour:
        return MatchReason(factor="capacity", points=8, detail="full labour, on a job kept for weak or half labour")
    return MatchReason(factor="capacity", points=15, detail="full labour (全劳动力)")


def _hours(seeker: SeekerFacts, posting: PostingFacts) -> MatchReason:
    points = 0
    if posting.hours_per_day <= seeker.hours_per_day:
        points += 10
        detail = f"{posting.hours_per_day} h a day, within the {seeker.hours_per_day} available"
    else:
        detail = f"{posting.hours_per_day} h a day, more than the {seeker.hours_per_day} available"
    shared = [s for s in posting.shifts if s in seeker.shifts]
    if shared or "flexible" in posting.shifts or "flexible" in seeker.shifts:
        points += 5
        detail += "; shifts fit" + (f" ({', '.join(shared)})" if shared else " (flexible)")
    else:
        detail += "; no shift fits"
    return MatchReason(factor="hours", points=points, detail=detail)


def _in_place(code: str, posting: PostingFacts) -> bool:
    return code in (posting.grid_code, posting.community_code, posting.street_code)


def _place(seeker: SeekerFacts, posting: PostingFacts) -> MatchReason:
    if posting.grid_code is not None and posting.grid_code == seeker.grid_code:
        return MatchReason(factor="place", points=15, detail="in the seeker's own grid")
    if posting.community_code == seeker.community_code:
        return MatchReason(factor="place", points=12, detail="in the seeker's own community")
    if any(_in_place(code, posting) for code in seeker.preferred_places):
        return MatchReason(factor="place", points=12, detail="in a place the seeker prefers")
    if posting.street_code == seeker.street_code:
        return MatchReason(factor="place", points=8, detail="in the seeker's own street")
    return MatchReason(factor="place", points=0, detail="outside the seeker's street")


def _category(seeker: SeekerFacts, posting: PostingFacts) -> MatchReason:
    if not seeker.desired_categories:
        return MatchReason(factor="category", points=5, detail="the seeker named no category: any will do")
    if posting.category in seeker.desired_categories:
        return MatchReason(factor="category", points=10, detail=f"{posting.category} is a desired category")
    return MatchReason(factor="category", points=0, detail=f"{posting.category} is not a desired category")


def _freshness(posting: PostingFacts, now: datetime) -> MatchReason:
    if posting.opened_at is None:
        return MatchReason(factor="freshness", points=0, detail="not open")
    days = max(0, (now - posting.opened_at).days)
    return MatchReason(factor="freshness", points=max(0, 10 - days // 3), detail=f"opened {days} days ago")


def score(seeker: SeekerFacts, posting: PostingFacts, now: datetime) -> tuple[int, list[MatchReason]]:
    """The score of a seeker and a posting, and every factor's points with its reason."""
    reasons = [
        _skills(seeker, posting),
        _capacity(seeker, posting),
        _hours(seeker, posting),
        _place(seeker, posting),
        _category(seeker, posting),
        _freshness(posting, now),
    ]
    return sum(r.points for r in reasons), reasons


def facts_of(seeker: Seeker) -> SeekerFacts:
    return SeekerFacts(**{name: getattr(seeker, name) for name in SeekerFacts.__slots__})


def _page(
    ranked: list[tuple[tuple[Any, ...], Any]],
    limit: int,
    cursor: str | None,
    converters: Sequence[Callable[[Any], Any]],
) -> tuple[list[Any], str | None]:
    """A page of a ranked list by its sort keys: those after the cursor's key, ``limit`` of them."""
    ranked.sort(key=lambda item: item[0])
    if cursor:
        after = decode_cursor(cursor, converters)
        ranked = [item for item in ranked if item[0] > after]
    kept = ranked[:limit]
    next_cursor = encode_cursor(kept[-1][0]) if len(ranked) > limit else None
    return [item for _, item in kept], next_cursor


# -- postings for a seeker -------------------------------------------------------------------


async def postings_for(
    *, session: AsyncSession, principal: Principal, resident_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[PostingMatch], str | None]:
    seeker = await seekers.get(session=session, principal=principal, resident_id=resident_id)
    prefs = list(seeker.preferred_places)
    where = [
        postings.taking_applications(),
        col(Posting.hired) < col(Posting.headcount),
        or_(
            col(Posting.street_code) == seeker.street_code,
            any_of(col(Posting.street_code), prefs),
            any_of(col(Posting.community_code), prefs),
            any_of(col(Posting.grid_code), prefs),
        ),
        ~exists().where(
            col(Application.posting_id) == col(Posting.id),
            col(Application.resident_id) == seeker.resident_id,
            any_of(col(Application.state), LIVE_APPLICATION_STATES),
        ),
    ]
    if seeker.labour_capacity != "full":
        where.append(col(Posting.suits_weak_labour).is_(True))
    rows = (
        await session.execute(
            select(*postings.summary_columns(), func.now().label("now"))
            .join(Employer, col(Employer.id) == col(Posting.employer_id))
            .where(*where)
            .order_by(col(Posting.created_at).desc(), col(Posting.id).desc())
            .limit(CANDIDATES)
        )
    ).all()
    facts = facts_of(seeker)
    ranked = []
    for row in rows:
        values = dict(row._mapping)
        now = values.pop("now")
        points, reasons = score(facts, PostingFacts.of(values), now)
        opened = values["opened_at"]
        key = (-points, -opened.timestamp() if opened else 0.0, str(values["id"]))
        ranked.append((key, PostingMatch(score=points, reasons=reasons, posting=PostingSummary.model_validate(values))))
    return _page(ranked, limit, cursor, (int, float, str))


# -- seekers for a posting -------------------------------------------------------------------


async def seekers_for(
    *, session: AsyncSession, principal: Principal, posting_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[SeekerMatch], str | None]:
    """Seekers of the caller's communities (staff) or street (admins) for a posting they keep."""
    row = (
        await session.execute(
            select(*postings.summary_columns(), func.now().label("now"))
            .join(Employer, col(Employer.id) == col(Posting.employer_id))
            .where(col(Posting.id) == posting_id, postings.scope(principal))
        )
    ).first()
    if row is None:
        raise NotFound(f"no posting {posting_id}")
    values = dict(row._mapping)
    now = values.pop("now")
    posting = PostingFacts.of(values)
    if not principal.manages(posting.community_code):
        raise Forbidden("only the posting's community staff or street admins match seekers to it")
    places = [code for code in (posting.grid_code, posting.community_code, posting.street_code) if code]
    where = [
        seekers.scope(principal),
        col(Seeker.active).is_(True),
        or_(
            col(Seeker.street_code) == posting.street_code,
            col(Seeker.preferred_places).op("&&")(bindparam(None, places, type_=ARRAY(String()))),
        ),
        ~exists().where(
            col(Application.posting_id) == posting_id,
            col(Application.resident_id) == col(Seeker.resident_id),
            any_of(col(Application.state), LIVE_APPLICATION_STATES),
        ),
    ]
    if not posting.suits_weak_labour:
        where.append(col(Seeker.labour_capacity) == "full")
    candidates = (
        await session.scalars(
            select(Seeker).where(and_(*where)).order_by(col(Seeker.updated_at).desc()).limit(CANDIDATES)
        )
    ).all()
    ranked = []
    for seeker in candidates:
        points, reasons = score(facts_of(seeker), posting, now)
        match = SeekerMatch(
            score=points, reasons=reasons, seeker=SeekerPublic.model_validate(seeker, from_attributes=True)
        )
        ranked.append(((-points, str(seeker.resident_id)), match))
    return _page(ranked, limit, cursor, (int, str))
