"""What matching (人岗对接) answers: postings ranked for a seeker, seekers ranked for a posting."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from services.jobs.postings.schemas import PostingSummary
from services.jobs.seekers.schemas import SeekerPublic
from shared.pagination import Page

Factor = Literal["skills", "capacity", "hours", "place", "category", "freshness"]


class MatchReason(BaseModel):
    factor: Factor = Field(description="the factor of the score it explains")
    points: int = Field(
        description="points it gave, out of: skills 35, capacity 15, hours 15, place 15, category 10, freshness 10"
    )
    detail: str = Field(description="why, in short English, e.g. 1 of the 2 skills asked: 缝纫")


class PostingMatch(BaseModel):
    """A posting for a seeker: its score (0-100) and every factor that made it."""

    score: int = Field(description="0-100, the sum of the reasons' points; the page is ordered by it, best first")
    reasons: list[MatchReason] = Field(description="every factor, each with its points and why")
    posting: PostingSummary = Field(description="the posting, open and with places left")


class SeekerMatch(BaseModel):
    """A seeker for a posting: their score (0-100) and every factor that made it."""

    score: int = Field(description="0-100, the sum of the reasons' points; the page is ordered by it, best first")
    reasons: list[MatchReason] = Field(description="every factor, each with its points and why")
    seeker: SeekerPublic = Field(description="the seeker's profile: active, with no live application to the posting")


PostingMatchPage = Page[PostingMatch]
SeekerMatchPage = Page[SeekerMatch]
