"""Rules of the registry: personal data kept encrypted and shown masked, minors with a guardian, search by
name, pinyin, phone or ID number, and the registry's figures (who sees which resident is ``access``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.residents import events, people
from services.residents.models import Household, Resident, Tag, outbox_event
from services.residents.registry.access import (
    household_scope,
    may_write,
    resident_scope,
    visible_tags,
)
from services.residents.registry.schemas import (
    PlaceResidents,
    ResidentCreate,
    ResidentPlace,
    ResidentPublic,
    ResidentStats,
    ResidentSummary,
    ResidentUpdate,
    TagPublic,
)
from services.residents.vocab import STANDARD_TAGS
from shared import outbox
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.pii import PiiCipher, mask_id_number, mask_phone
from shared.places import GroupBy, community_of
from shared.scope import any_of, place_column, place_scope
from shared.security import Principal

ID_FIELD, PHONE_FIELD = "id_number", "phone"
GUARDIAN_AGE, ADULT_AGE = 14, 18


def summary_of(resident: Resident, principal: Principal) -> ResidentSummary:
    return ResidentSummary.model_validate(_values(resident, principal))


def public_of(resident: Resident, principal: Principal) -> ResidentPublic:
    return ResidentPublic.model_validate(_values(resident, principal))


def _values(resident: Resident, principal: Principal) -> dict[str, Any]:
    values = resident.model_dump()
    values["id_number"] = resident.id_number_masked
    values["phone"] = resident.phone_masked
    values["tags"] = visible_tags(resident.tags, principal)
    return values


@dataclass(frozen=True, slots=True)
class SealedPerson:
    """A person's identifiers as stored: encrypted, blind-indexed, masked."""

    gender: str
    birth_date: date
    id_number_encrypted: bytes
    id_number_index: bytes
    id_number_masked: str
    phone_encrypted: bytes | None
    phone_index: bytes | None
    phone_masked: str | None


def seal(pii: PiiCipher, id_number: people.IdNumber, phone: str | None) -> SealedPerson:
    return SealedPerson(
        gender=id_number.gender,
        birth_date=id_number.birth_date,
        id_number_encrypted=pii.encrypt(id_number.value, field=ID_FIELD),
        id_number_index=pii.blind_index(id_number.value, field=ID_FIELD),
        id_number_masked=mask_id_number(id_number.value),
        phone_encrypted=pii.encrypt(phone, field=PHONE_FIELD) if phone else None,
        phone_index=pii.blind_index(phone, field=PHONE_FIELD) if phone else None,
        phone_masked=mask_phone(phone) if phone else None,
    )


def checked_phone(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    try:
        return people.check_phone(raw)
    except people.InvalidValue as exc:
        raise ValidationFailed.on(PHONE_FIELD, str(exc)) from exc


async def known_tags(session: AsyncSession, community_code: str) -> set[str]:
    local = (
        await session.scalars(
            select(col(Tag.code)).where(
                or_(col(Tag.community_code) == community_code, col(Tag.community_code).is_(None))
            )
        )
    ).all()
    return set(STANDARD_TAGS) | set(local)


async def _check_tags(session: AsyncSession, tags: list[str], community_code: str) -> list[str]:
    unknown = sorted(set(tags) - await known_tags(session, community_code))
    if unknown:
        raise ValidationFailed.on("tags", "unknown tags: " + ", ".join(unknown))
    return sorted(set(tags))


async def visible_household(session: AsyncSession, principal: Principal, household_id: uuid.UUID) -> Household:
    household = await session.scalar(
        select(Household).where(col(Household.id) == household_id, household_scope(principal))
    )
    if household is None:
        raise NotFound(f"no household {household_id} in your scope")
    return household


async def _check_guardian(
    session: AsyncSession, birth_date: date, guardian_id: uuid.UUID | None, household_id: uuid.UUID
) -> None:
    if people.age_on(birth_date, datetime.now(UTC).date()) >= GUARDIAN_AGE:
        return
    guardian = await session.get(Resident, guardian_id) if guardian_id else None
    if (
        guardian is None
        or guardian.household_id != household_id
        or people.age_on(guardian.birth_date, datetime.now(UTC).date()) < ADULT_AGE
    ):
        raise ValidationFailed.on("guardian_id", "a resident under 14 needs an adult guardian of the same household")


async def create(*, session: AsyncSession, pii: PiiCipher, principal: Principal, body: ResidentCreate) -> Resident:
    household = await visible_household(session, principal, body.household_id)
    if not may_write(principal, household.grid_code):
        raise Forbidden("only the community's staff or the grid's worker register residents")
    try:
        id_number = people.check_id_number(body.id_number)
    except people.InvalidValue as exc:
        raise ValidationFailed.on(ID_FIELD, str(exc)) from exc
    sealed = seal(pii, id_number, checked_phone(body.phone))
    if await session.scalar(select(col(Resident.id)).where(col(Resident.id_number_index) == sealed.id_number_index)):
        raise Conflict("a resident with this ID number is already registered")
    if body.residence_type == "relocated" and not body.origin_township:
        raise ValidationFailed.on("origin_township", "relocated families name the township they came from")
    await _check_guardian(session, sealed.birth_date, body.guardian_id, household.id)
    heads = await events.heads(session, [household.id]) if body.relation == events.HEAD else {}
    name_pinyin, initials = people.name_keys(body.name)
    resident = Resident(
        **body.model_dump(exclude={"id_number", "phone", "tags"}),
        **_sealed_values(sealed),
        tags=await _check_tags(session, body.tags, household.community_code),
        name_pinyin=name_pinyin,
        name_initials=initials,
        grid_code=household.grid_code,
        community_code=household.community_code,
        street_code=household.street_code,
    )
    session.add(resident)
    await session.flush()
    await resident_event(session, "resident.created", resident)
    await events.heads_changed(session, heads)
    return resident


def _sealed_values(sealed: SealedPerson) -> dict[str, Any]:
    return {name: getattr(sealed, name) for name in SealedPerson.__slots__}


async def resident_event(session: AsyncSession, kind: str, resident: Resident, **extra: str) -> None:
    await outbox.emit(
        session,
        outbox_event,
        type=kind,
        aggregate_id=str(resident.id),
        payload={
            "resident_id": str(resident.id),
            "household_id": str(resident.household_id),
            "grid_code": resident.grid_code,
            "community_code": resident.community_code,
            "street_code": resident.street_code,
            **extra,
        },
    )


async def get(*, session: AsyncSession, principal: Principal, resident_id: uuid.UUID, lock: bool = False) -> Resident:
    statement = select(Resident).where(col(Resident.id) == resident_id, resident_scope(principal))
    resident = await session.scalar(statement.with_for_update() if lock else statement)
    if resident is None:
        raise NotFound(f"no resident {resident_id} in your scope")
    return resident


async def update(
    *, session: AsyncSession, pii: PiiCipher, principal: Principal, resident_id: uuid.UUID, changes: ResidentUpdate
) -> Resident:
    resident = await get(session=session, principal=principal, resident_id=resident_id, lock=True)
    if not may_write(principal, resident.grid_code):
        raise Forbidden("only the community's staff or the grid's worker change a resident's record")
    values = changes.model_dump(exclude_unset=True)
    for required in ("name", "relation", "residence_type"):
        if required in values and values[required] is None:
            raise ValidationFailed.on(required, "this field cannot be emptied")
    # A head's name, phone, relation or household is what the household's events say of its contact.
    heads = (
        await events.heads(session, {resident.household_id, values.get("household_id") or resident.household_id})
        if events.HEAD in (resident.relation, values.get("relation"))
        else {}
    )
    moved_from = None
    if (household_id := values.pop("household_id", None)) and household_id != resident.household_id:
        target = await visible_household(session, principal, household_id)
        if not may_write(principal, target.grid_code):
            raise Forbidden("you may move residents only into households you keep")
        moved_from = resident.grid_code
        resident.household_id = target.id
        resident.grid_code, resident.community_code, resident.street_code = (
            target.grid_code,
            target.community_code,
            target.street_code,
        )
    if "phone" in values:
        phone = checked_phone(values.pop("phone"))
        resident.phone_encrypted = pii.encrypt(phone, field=PHONE_FIELD) if phone else None
        resident.phone_index = pii.blind_index(phone, field=PHONE_FIELD) if phone else None
        resident.phone_masked = mask_phone(phone) if phone else None
    if "tags" in values:
        values["tags"] = await _check_tags(session, values["tags"] or [], resident.community_code)
    if "skills" in values:
        values["skills"] = values["skills"] or []
    for key, value in values.items():
        setattr(resident, key, value)
    if resident.residence_type == "relocated" and not resident.origin_township:
        raise ValidationFailed.on("origin_township", "relocated families name the township they came from")
    await _check_guardian(session, resident.birth_date, resident.guardian_id, resident.household_id)
    if "name" in values:
        resident.name_pinyin, resident.name_initials = people.name_keys(resident.name)
    resident.updated_at = datetime.now(UTC)
    await session.flush()
    if moved_from is not None:
        await resident_event(session, "resident.moved", resident, from_grid_code=moved_from)
    else:
        await resident_event(session, "resident.updated", resident)
    await events.heads_changed(session, heads)
    return resident


# -- the tag catalogue, the gateway's lookup, the statistics ---------------------------------


async def tags(*, session: AsyncSession, principal: Principal) -> list[TagPublic]:
    items = [
        TagPublic(code=code, name=name, sensitive=sensitive, local=False)
        for code, (name, sensitive) in STANDARD_TAGS.items()
    ]
    communities = list(principal.places_of("community_staff")) + [
        community_of(g) for g in principal.places_of("grid_worker")
    ]
    local = (await session.scalars(select(Tag).where(any_of(col(Tag.community_code), communities)))).all()
    items += [TagPublic(code=t.code, name=t.name, sensitive=t.sensitive, local=True) for t in local]
    return items


async def lookup(
    *, session: AsyncSession, pii: PiiCipher, phone: str | None, resident_id: uuid.UUID | None
) -> ResidentPlace:
    """For the gateway: a resident by phone (blind index) or id, to where they live."""
    if (phone is None) == (resident_id is None):
        raise ValidationFailed.on("phone", "give a phone or a resident_id")
    if phone is not None:
        condition = col(Resident.phone_index) == pii.blind_index(checked_phone(phone) or "", field=PHONE_FIELD)
    else:
        condition = col(Resident.id) == resident_id
    row = (
        await session.execute(
            select(col(Resident.id), col(Resident.household_id), col(Resident.grid_code), col(Resident.name))
            .where(condition)
            .order_by(col(Resident.created_at))
            .limit(1)
        )
    ).first()
    if row is None:
        raise NotFound("no such resident")
    return ResidentPlace(resident_id=row[0], household_id=row[1], grid_code=row[2], name=row[3])


async def resident_stats(*, session: AsyncSession, principal: Principal, group_by: GroupBy) -> ResidentStats:
    """Residents per place by residence type and by tag: aggregates only, sensitive tags counted, never
    listed by person."""
    place = place_column(
        group_by, street=col(Resident.street_code), community=col(Resident.community_code), grid=col(Resident.grid_code)
    )
    scope = place_scope(
        principal,
        street=col(Resident.street_code),
        community=col(Resident.community_code),
        grid=col(Resident.grid_code),
    )
    by_type = (
        await session.execute(
            select(place, col(Resident.residence_type), func.count())
            .where(scope)
            .group_by(place, col(Resident.residence_type))
        )
    ).all()
    tag = func.unnest(col(Resident.tags)).table_valued("tag").render_derived()
    by_tag = (
        await session.execute(
            select(place, tag.c.tag, func.count())
            .select_from(Resident)
            .join(tag, true())
            .where(scope)
            .group_by(place, tag.c.tag)
        )
    ).all()
    found: dict[str, PlaceResidents] = {}
    for code, residence_type, count in by_type:
        row = found.setdefault(code, PlaceResidents(place_code=code, residents=0, by_residence_type={}, by_tag={}))
        row.residents += count
        row.by_residence_type[residence_type] = count
    for code, name, count in by_tag:
        if code in found:
            found[code].by_tag[name] = count
    return ResidentStats(group_by=group_by, items=[found[code] for code in sorted(found)])
