"""Dependencies of the jobs endpoints: who may call (one access policy a route) and the PII cipher."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shared.pii import PiiCipher
from shared.security import Principal, allow

# Everyone signed in as a person: what is published (postings, fairs, trainings) is public to them.
PEOPLE = ("resident", "grid_worker", "party_member", "community_staff", "street_admin", "employer")
READ_SCOPES = ("jobs:read",)

Reader = Annotated[Principal, Depends(allow(*PEOPLE, machine_scopes=READ_SCOPES))]
Person = Annotated[Principal, Depends(allow(*PEOPLE))]
Manager = Annotated[Principal, Depends(allow("community_staff", "street_admin"))]
ManagerOrEmployer = Annotated[Principal, Depends(allow("community_staff", "street_admin", "employer"))]
Overseer = Annotated[
    Principal, Depends(allow("community_staff", "street_admin", "employer", machine_scopes=READ_SCOPES))
]
Helper = Annotated[Principal, Depends(allow("community_staff", "grid_worker", "street_admin"))]
ResidentOrHelper = Annotated[Principal, Depends(allow("resident", "community_staff", "grid_worker", "street_admin"))]
Resident = Annotated[Principal, Depends(allow("resident"))]
Employer = Annotated[Principal, Depends(allow("employer"))]
ApplicationViewer = Annotated[
    Principal,
    Depends(
        allow("resident", "community_staff", "street_admin", "grid_worker", "employer", machine_scopes=READ_SCOPES)
    ),
]
Applicant = Annotated[Principal, Depends(allow("resident", "community_staff", "street_admin", "grid_worker"))]
StatsReader = Annotated[
    Principal, Depends(allow("community_staff", "street_admin", machine_scopes=("jobs:read", "stats:read")))
]


def _pii(request: Request) -> PiiCipher:
    pii: PiiCipher = request.app.state.pii
    return pii


PiiDep = Annotated[PiiCipher, Depends(_pii)]
