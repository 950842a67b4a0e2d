"""The jobs service's events, written to its outbox in the transaction of the change (ids, codes and
states only, never personal data; ``street_code`` lets the gateway send them to the street's webhooks,
and ``application.status_changed`` with ``resident_id`` reaches the resident's notification inbox):

| type | when | payload |
|---|---|---|
| ``posting.opened`` | staff publish a posting | posting_id, employer_id, category, community_code, street_code |
| ``posting.closed`` | closed by hand, or filled by a hire | the same, ``reason`` (``closed``, ``filled``) |
| ``application.submitted`` | a seeker applies | application_id, posting_id, resident_id, employer_id, codes |
| ``application.status_changed`` | any move (shortlisted ... withdrawn) | the same, ``from_state``, ``to_state`` |
| ``application.hired`` | a hire, besides its status change | the same as submitted |
| ``enrolment.promoted`` | a freed place goes to the first waiting | training_id, enrolment_id, resident_id, codes |
| ``training.completed`` | staff mark a resident's training complete | training_id, enrolment_id, resident_id, skill |
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.models import Application, Enrolment, Posting, outbox_event
from shared import outbox


async def posting_event(session: AsyncSession, kind: str, posting: Posting, **extra: Any) -> None:
    await outbox.emit(
        session,
        outbox_event,
        type=f"posting.{kind}",
        aggregate_id=str(posting.id),
        payload={
            "posting_id": str(posting.id),
            "employer_id": str(posting.employer_id),
            "category": posting.category,
            "community_code": posting.community_code,
            "street_code": posting.street_code,
            **extra,
        },
    )


def _application_payload(application: Application) -> dict[str, Any]:
    return {
        "application_id": str(application.id),
        "posting_id": str(application.posting_id),
        "resident_id": str(application.resident_id),
        "employer_id": str(application.employer_id),
        "community_code": application.community_code,
        "street_code": application.street_code,
        "seeker_community_code": application.seeker_community_code,
    }


async def application_event(session: AsyncSession, kind: str, application: Application, **extra: Any) -> None:
    await outbox.emit(
        session,
        outbox_event,
        type=f"application.{kind}",
        aggregate_id=str(application.id),
        payload={**_application_payload(application), **extra},
    )


async def enrolment_event(session: AsyncSession, kind: str, enrolment: Enrolment, **extra: Any) -> None:
    await outbox.emit(
        session,
        outbox_event,
        type=kind,
        aggregate_id=str(enrolment.id),
        payload={
            "training_id": str(enrolment.training_id),
            "enrolment_id": str(enrolment.id),
            "resident_id": str(enrolment.resident_id),
            "community_code": enrolment.community_code,
            "street_code": enrolment.street_code,
            **extra,
        },
    )
