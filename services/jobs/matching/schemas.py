"""What matching (人岗对接) answers: postings ranked for a seeker, seekers ranked for a posting."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from services.jobs.postings.schemas import PostingSummary
from services.jobs.seekers.schemas import SeekerPublic
from shared.pagination import Page

Factor = Literal["skills", "capacity", "hours", "place", "category", "freshness"]


class MatchReason(BaseModel):
    factor: Factor
    points: int
    detail: str


class PostingMatch(BaseModel):
    """A posting for a seeker: its score (0-100) and every factor that made it."""

    score: int
    reasons: list[MatchReason]
    posting: PostingSummary


class SeekerMatch(BaseModel):
    score: int
    reasons: list[MatchReason]
    seeker: SeekerPublic


PostingMatchPage = Page[PostingMatch]
SeekerMatchPage = Page[SeekerMatch]
