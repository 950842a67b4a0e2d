"""Postings: staff and employers write them as drafts, staff publish them, staff or the employer close
them, and a hire that fills the headcount closes them. Published postings are public to everyone signed
in; drafts only to those who keep them. A posting past its expiry answers ``closed`` (``expired``)."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    String,
    Text,
    Uuid,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.jobs import access, events
from services.jobs.models import OPEN_APPLICATION_STATES, Application, Employer, EmployerAccount, Posting
from services.jobs.postings import search
from services.jobs.postings.schemas import PostingCreate, PostingPublic, PostingUpdate
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.fastlane import FastLane, PreparedQuery
from shared.pagination import decode_cursor, page_of
from shared.places import community_of
from shared.scope import any_of
from shared.security import Principal

CLOSED_REJECTION = "招聘已结束: the posting closed"


def _state(name: str) -> Any:
    """A state as a constant in the SQL text, not a parameter: a generic plan of a prepared statement
    can then use the partial index on open postings."""
    return literal_column(f"'{name}'")


def expired() -> Any:
    return and_(col(Posting.state) == _state("open"), col(Posting.expires_at) <= func.now())


def state_column() -> Any:
    return case((expired(), _state("closed")), else_=col(Posting.state)).label("state")


def taking_applications() -> Any:
    """Open, and not past its expiry."""
    return and_(
        col(Posting.state) == _state("open"),
        or_(col(Posting.expires_at).is_(None), col(Posting.expires_at) > func.now()),
    )


STATE_FILTERS = {
    "open": taking_applications,
    "closed": lambda: or_(col(Posting.state) == _state("closed"), expired()),
    "draft": lambda: col(Posting.state) == _state("draft"),
}


def summary_columns() -> tuple[Any, ...]:
    """Exactly ``PostingSummary``'s fields, for the fast lane and the ORM alike."""
    return (
        col(Posting.id),
        col(Posting.employer_id),
        col(Employer.name).label("employer_name"),
        col(Posting.title),
        col(Posting.category),
        col(Posting.wage_min),
        col(Posting.wage_max),
        col(Posting.wage_unit),
        col(Posting.hours_per_day),
        col(Posting.shifts),
        col(Posting.headcount),
        col(Posting.hired),
        col(Posting.skills),
        col(Posting.suits_weak_labour),
        col(Posting.community_code),
        col(Posting.street_code),
        col(Posting.grid_code),
        state_column(),
        col(Posting.expires_at),
        col(Posting.opened_at),
        col(Posting.created_at),
    )


def public_columns() -> tuple[Any, ...]:
    return (
        *summary_columns(),
        col(Posting.description),
        col(Posting.address),
        case((expired(), _state("expired")), else_=col(Posting.closed_reason)).label("closed_reason"),
        col(Posting.closed_at),
        col(Posting.updated_at),
    )


def scope(principal: Principal) -> Any:
    """Published postings for people; everything of the caller's communities, street, or employer."""
    conditions = access.area(principal, community=col(Posting.community_code), street=col(Posting.street_code))
    if not principal.machine:
        conditions.append(col(Posting.state) != _state("draft"))
    if (own := access.own_employers(principal)) is not None:
        conditions.append(col(Posting.employer_id).in_(own.scalar_subquery()))
    return access.any_condition(conditions)


async def get(*, session: AsyncSession, principal: Principal, posting_id: uuid.UUID) -> PostingPublic:
    row = (
        await session.execute(
            select(*public_columns())
            .join(Employer, col(Employer.id) == col(Posting.employer_id))
            .where(col(Posting.id) == posting_id, scope(principal))
        )
    ).first()
    if row is None:
        raise NotFound(f"no posting {posting_id}")
    return PostingPublic.model_validate(dict(row._mapping))


async def keeps(session: AsyncSession, principal: Principal, posting: Posting) -> bool:
    """Whether the caller may change the posting: its community's staff, its street's admins, the employer."""
    return principal.manages(posting.community_code) or posting.employer_id in await access.employer_ids(
        session, principal
    )


async def kept(session: AsyncSession, principal: Principal, posting_id: uuid.UUID) -> Posting:
    """The posting, locked for a change the caller may make (404 unseen, 403 seen but not theirs)."""
    posting = await session.scalar(
        select(Posting).where(col(Posting.id) == posting_id, scope(principal)).with_for_update()
    )
    if posting is None:
        raise NotFound(f"no posting {posting_id}")
    if not await keeps(session, principal, posting):
        raise Forbidden("only the posting's community staff or its employer may change it")
    return posting


def _index(posting: Posting, employer_name: str) -> None:
    posting.search_text = search.search_text(posting.title, employer_name, " ".join(posting.skills))
    posting.search_tokens = search.tokens(posting.search_text)


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _check(posting: Posting, community_code: str) -> None:
    if posting.wage_min > posting.wage_max:
        raise ValidationFailed.on("wage_max", "the wage range ends below its start")
    if posting.grid_code is not None and community_of(posting.grid_code) != community_code:
        raise ValidationFailed.on("grid_code", "not a grid of the employer's community")
    if posting.hired > posting.headcount:
        raise ValidationFailed.on("headcount", "fewer than the people already hired")


async def create(*, session: AsyncSession, principal: Principal, posting_in: PostingCreate) -> tuple[Posting, bool]:
    """A draft posting (True), or the one made before with this client id (False)."""
    own = await access.employer_ids(session, principal)
    employer_id = posting_in.employer_id
    if employer_id is None:
        if len(own) != 1:
            raise ValidationFailed.on("employer_id", "name the employer the posting is for")
        employer_id = next(iter(own))
    employer = await session.get(Employer, employer_id)
    if employer is None or not (principal.manages(employer.community_code) or employer.id in own):
        raise NotFound(f"no employer {employer_id} you post for")
    if posting_in.id is not None and (known := await session.get(Posting, posting_in.id)) is not None:
        if known.employer_id != employer.id:
            raise Conflict("this id belongs to another posting")
        return known, False
    if posting_in.expires_at is not None and posting_in.expires_at <= datetime.now(UTC):
        raise ValidationFailed.on("expires_at", "already past")
    values = posting_in.model_dump(exclude={"id", "employer_id"})
    values["skills"] = _dedupe(values["skills"])
    values["shifts"] = _dedupe(values["shifts"])
    posting = Posting(
        **values,
        employer_id=employer.id,
        community_code=employer.community_code,
        street_code=employer.street_code,
        state="draft",
        created_by=principal.sub,
    )
    if posting_in.id is not None:
        posting.id = posting_in.id
    _check(posting, employer.community_code)
    _index(posting, employer.name)
    session.add(posting)
    await session.flush()
    return posting, True


async def update(
    *, session: AsyncSession, principal: Principal, posting_id: uuid.UUID, changes: PostingUpdate
) -> Posting:
    posting = await kept(session, principal, posting_id)
    if posting.state == "closed":
        raise Conflict("a closed posting is not changed; publish it again first")
    values = changes.model_dump(exclude_unset=True)
    for required in ("title", "description", "category", "wage_min", "wage_max", "wage_unit", "hours_per_day"):
        if required in values and values[required] is None:
            raise ValidationFailed.on(required, "this field cannot be emptied")
    for required in ("shifts", "headcount", "skills", "suits_weak_labour"):
        if required in values and values[required] is None:
            raise ValidationFailed.on(required, "this field cannot be emptied")
    if values.get("expires_at") is not None and values["expires_at"] <= datetime.now(UTC):
        raise ValidationFailed.on("expires_at", "already past")
    for key in ("skills", "shifts"):
        if key in values:
            values[key] = _dedupe(values[key])
    for key, value in values.items():
        setattr(posting, key, value)
    _check(posting, posting.community_code)
    employer = await session.get(Employer, posting.employer_id)
    assert employer is not None
    _index(posting, employer.name)
    posting.updated_at = datetime.now(UTC)
    await session.flush()
    if posting.state == "open" and posting.hired >= posting.headcount:
        await shut(session, posting, reason="filled")  # the headcount came down to those hired
    return posting


async def publish(*, session: AsyncSession, principal: Principal, posting_id: uuid.UUID) -> Posting:
    """Staff publish a draft, or a closed posting again (审核发布): it takes applications from now."""
    posting = await kept(session, principal, posting_id)
    access.require_manager(principal, posting.community_code, "publish postings")
    if posting.state == "open":
        raise Conflict("the posting is open already")
    if posting.hired >= posting.headcount:
        raise Conflict("the posting is filled: raise its headcount first")
    if posting.expires_at is not None and posting.expires_at <= datetime.now(UTC):
        raise Conflict("the posting is past its expiry: change expires_at first")
    now = datetime.now(UTC)
    posting.state, posting.opened_at, posting.closed_at, posting.closed_reason = "open", now, None, None
    posting.updated_at = now
    await session.flush()
    await events.posting_event(session, "opened", posting)
    return posting


async def close(*, session: AsyncSession, principal: Principal, posting_id: uuid.UUID) -> Posting:
    posting = await kept(session, principal, posting_id)
    if posting.state == "closed":
        raise Conflict("the posting is closed already")
    await shut(session, posting, reason="closed")
    return posting


async def shut(session: AsyncSession, posting: Posting, *, reason: str) -> None:
    """Close a locked posting; its applications still in progress end, rejected, with their events."""
    now = datetime.now(UTC)
    was_open = posting.state == "open"
    posting.state, posting.closed_reason, posting.closed_at, posting.updated_at = "closed", reason, now, now
    await session.flush()
    ended = (
        await session.scalars(
            select(Application)
            .where(col(Application.posting_id) == posting.id, any_of(col(Application.state), OPEN_APPLICATION_STATES))
            .order_by(col(Application.created_at), col(Application.id))
            .with_for_update()
        )
    ).all()
    for application in ended:
        before = application.state
        application.state, application.reason, application.updated_at = "rejected", CLOSED_REJECTION, now
        await events.application_event(session, "status_changed", application, from_state=before, to_state="rejected")
    await session.flush()
    if was_open:
        await events.posting_event(session, "closed", posting, reason=reason)


# -- the list (fast lane) ------------------------------------------------------------------------

_FILTERS = {
    "category": lambda: col(Posting.category) == bindparam("category"),
    "suits_weak_labour": lambda: col(Posting.suits_weak_labour) == bindparam("suits_weak_labour", type_=Boolean()),
    "community_code": lambda: col(Posting.community_code) == bindparam("community_code"),
    "street_code": lambda: col(Posting.street_code) == bindparam("street_code"),
    "grid_code": lambda: col(Posting.grid_code) == bindparam("grid_code"),
    "employer_id": lambda: col(Posting.employer_id) == bindparam("employer_id", type_=Uuid()),
    "skill": lambda: col(Posting.skills).contains(bindparam("skill", type_=ARRAY(String()))),
    "wage_unit": lambda: col(Posting.wage_unit) == bindparam("wage_unit"),
    # only with wage_unit (list_postings checks): a wage in fen means nothing without its unit
    "min_wage": lambda: col(Posting.wage_max) >= bindparam("min_wage", type_=Integer()),
    "q_tokens": lambda: col(Posting.search_tokens).contains(bindparam("q_tokens", type_=ARRAY(Text()))),
    "q_like": lambda: col(Posting.search_text).like(bindparam("q_like"), escape="\\"),
}


def _scope_of(principal: Principal) -> tuple[tuple[bool, bool, bool, bool], dict[str, Any]]:
    """The parts of ``scope`` the caller has (people, streets, communities, employer account), and the
    values that fill them in a prepared statement."""
    if principal.machine:
        streets, communities = [principal.street_code] if principal.street_code else [], []
    else:
        streets, communities = list(principal.places_of("street_admin")), list(principal.places_of("community_staff"))
    account = principal.account_id if principal.has_role("employer") else None
    shape = (not principal.machine, bool(streets), bool(communities), account is not None)
    return shape, {"scope_streets": streets, "scope_communities": communities, "account_id": account}


def _scope_clause(people: bool, streets: bool, communities: bool, employer: bool) -> Any:
    """``scope`` with named parameters: the employer of an employer account is found inside the
    statement (by the account id of the token)."""
    parts = []
    if people:
        parts.append(col(Posting.state) != _state("draft"))
    if streets:
        parts.append(col(Posting.street_code) == access.any_param("scope_streets"))
    if communities:
        parts.append(col(Posting.community_code) == access.any_param("scope_communities"))
    if employer:
        parts.append(
            col(Posting.employer_id).in_(
                select(col(EmployerAccount.employer_id))
                .where(col(EmployerAccount.account_id) == bindparam("account_id", type_=Uuid()))
                .scalar_subquery()
            )
        )
    return access.any_condition(parts)


@functools.cache
def _one_query(people: bool, streets: bool, communities: bool, employer: bool) -> PreparedQuery:
    return PreparedQuery(
        select(*public_columns())
        .join(Employer, col(Employer.id) == col(Posting.employer_id))
        .where(
            col(Posting.id) == bindparam("posting_id", type_=Uuid()),
            _scope_clause(people, streets, communities, employer),
        )
    )


async def public_row(*, lane: FastLane, principal: Principal, posting_id: uuid.UUID) -> dict[str, Any]:
    """One posting in the caller's scope, as ``PostingPublic``'s fields (the fast lane's ``get``)."""
    shape, values = _scope_of(principal)
    values["posting_id"] = posting_id
    rows = await lane.fetch_found(_one_query(*shape), values, f"no posting {posting_id}")
    return dict(rows[0])


@functools.lru_cache(maxsize=512)
def _list_query(
    people: bool, streets: bool, communities: bool, employer: bool, state: str, filters: tuple[str, ...], after: bool
) -> PreparedQuery:
    """One prepared statement per shape of the postings list."""
    statement = (
        select(*summary_columns())
        .join(Employer, col(Employer.id) == col(Posting.employer_id))
        .where(
            _scope_clause(people, streets, communities, employer),
            STATE_FILTERS[state](),
            *(_FILTERS[name]() for name in filters),
        )
    )
    if after:
        statement = statement.where(
            tuple_(col(Posting.created_at), col(Posting.id))
            < tuple_(bindparam("after_at", type_=DateTime(timezone=True)), bindparam("after_id", type_=Uuid()))
        )
    statement = statement.order_by(col(Posting.created_at).desc(), col(Posting.id).desc())
    return PreparedQuery(statement.limit(bindparam("limit", type_=Integer())))


async def list_postings(
    *, lane: FastLane, principal: Principal, state: str, filters: dict[str, Any], limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, as rows of ``PostingSummary``'s fields. ``filters``: category, suits_weak_labour,
    community_code, street_code, grid_code, employer_id, skill, wage_unit, min_wage (with wage_unit), q."""
    values: dict[str, Any] = {name: value for name, value in filters.items() if value is not None}
    for name in ("q", "skill"):
        # PostgreSQL text cannot hold NUL; the fast lane's asyncpg would fail on it rather than answer.
        if "\x00" in values.get(name, ""):
            raise ValidationFailed.on(name, "text may not contain NUL characters")
    if "min_wage" in values and "wage_unit" not in values:
        raise ValidationFailed.on("wage_unit", "say which unit min_wage is in")
    if "skill" in values:
        values["skill"] = [values["skill"]]
    if (q := values.pop("q", None)) is not None:
        if q_tokens := search.query_tokens(q):
            values["q_tokens"] = q_tokens
        values["q_like"] = search.like_pattern(q)
    names = tuple(sorted(name for name in values if name in _FILTERS))
    shape, scope_values = _scope_of(principal)
    values.update(scope_values, limit=limit + 1)
    after = decode_cursor(cursor, (datetime.fromisoformat, uuid.UUID)) if cursor else None
    if after is not None:
        values["after_at"], values["after_id"] = after
    query = _list_query(*shape, state, names, after is not None)
    rows = await (
        _fetch_planned_for_its_words(lane, query, values) if "q_like" in values else lane.fetch_prepared(query, values)
    )
    items, next_cursor = page_of(rows, limit, lambda row: (row["created_at"].isoformat(), row["id"]))
    return [dict(row) for row in items], next_cursor


async def _fetch_planned_for_its_words(lane: FastLane, query: PreparedQuery, values: dict[str, Any]) -> list[Any]:
    """A keyword search, planned for its own words every time. After five runs of a prepared statement
    PostgreSQL may keep a generic plan, which cannot know how common the words are: it then reads every
    posting with the words and sorts them (15-30 ms over 100,000 postings, bench/jobs.py) where walking
    the newest open postings finds a page in 1-4 ms. The transaction and its setting go in one round
    trip (a failure the server answered is rolled back here; anything else, by the pool's release)."""
    async with lane.connection() as conn:
        await conn.execute("BEGIN; SET LOCAL plan_cache_mode = force_custom_plan")
        try:
            rows = await conn.fetch(query.sql, *query.args(values))
        except asyncpg.PostgresError:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
        return list(rows)
